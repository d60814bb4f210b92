"""Figures for the admins' dashboard: who registered, who is active, where learners drop
off, how quizzes go, in which language. Each is one aggregate query over the learners the
filters keep."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.content import Course
from app.database import read_at_once
from app.models import LessonProgress, QuizAttempt, User, utcnow
from app.services.reports import ReportFilters


@dataclass(frozen=True, slots=True)
class Headline:
    registered: int
    active_7_days: int
    active_30_days: int


@dataclass(frozen=True, slots=True)
class LessonFigures:
    number: int
    slug: str | None
    title: str | None
    started: int
    completed: int
    quiz_takers: int
    quiz_passed: int

    @property
    def pass_rate(self) -> float | None:
        return self.quiz_passed / self.quiz_takers if self.quiz_takers else None


def _of_learners(column: sa.ColumnElement[int], filters: ReportFilters):
    """Rows about the learners the filters keep. Without filters that is every row, and the
    condition is left out, so that a count can be read from an index alone."""
    if not filters.as_args():
        return sa.true()
    return column.in_(sa.select(User.id).where(filters.condition()))


def headline(session: Session, filters: ReportFilters, now: dt.datetime | None = None) -> Headline:
    now = now or utcnow()

    def active_since(days: int):
        return sa.func.count().filter(User.last_active_at >= now - dt.timedelta(days=days))

    registered, week, month = session.execute(
        sa.select(sa.func.count(), active_since(7), active_since(30)).where(filters.condition())
    ).one()
    return Headline(registered, week or 0, month or 0)


def lessons(
    session: Session, course: Course, filters: ReportFilters, language: str
) -> list[LessonFigures]:
    """Started, completed and quiz results for each of the planned lessons, in order (the
    funnel: where learners drop off)."""
    # The funnel, then the learners who took each quiz and those who passed it at least
    # once (one pass over the (lesson, learner, passed) index): both scans run at once.
    progress_rows, quiz_rows = read_at_once(
        session,
        sa.select(
            LessonProgress.lesson_slug,
            sa.func.count(),
            sa.func.count(LessonProgress.completed_at),
        )
        .where(_of_learners(LessonProgress.user_id, filters))
        .group_by(LessonProgress.lesson_slug),
        sa.select(
            QuizAttempt.lesson_slug,
            sa.func.count(sa.distinct(QuizAttempt.user_id)),
            sa.func.count(sa.distinct(sa.case((QuizAttempt.passed, QuizAttempt.user_id)))),
        )
        .where(_of_learners(QuizAttempt.user_id, filters))
        .group_by(QuizAttempt.lesson_slug),
    )
    progress = {slug: (started, completed) for slug, started, completed in progress_rows}
    quizzes = {slug: (takers, passed) for slug, takers, passed in quiz_rows}
    figures = []
    for number, lesson in course.slots():
        slug = lesson.slug if lesson else None
        started, completed = progress.get(slug, (0, 0))
        takers, passed = quizzes.get(slug, (0, 0))
        figures.append(
            LessonFigures(
                number=number,
                slug=slug,
                title=lesson.text_for(language).title if lesson else None,
                started=started,
                completed=completed,
                quiz_takers=takers,
                quiz_passed=int(passed or 0),
            )
        )
    return figures


def by_language(session: Session, filters: ReportFilters) -> dict[str | None, int]:
    """Learners per preferred language."""
    rows = session.execute(
        sa.select(User.language, sa.func.count())
        .where(filters.condition())
        .group_by(User.language)
        .order_by(User.language)
    )
    return dict(rows.all())


def completions_by_week(
    session: Session, filters: ReportFilters, weeks: int = 12, now: dt.datetime | None = None
) -> list[tuple[dt.date, int]]:
    """Lesson completions in each of the last `weeks` weeks (Monday to Sunday), counted by
    the database in one pass over the completion-time index: a busy course completes
    hundreds of thousands of lessons in twelve weeks, too many to read out one by one."""
    today = (now or utcnow()).date()
    first_monday = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    starts = [
        dt.datetime.combine(first_monday + dt.timedelta(weeks=week), dt.time(), dt.UTC)
        for week in range(weeks + 1)
    ]
    completed_at = LessonProgress.completed_at
    counts = session.execute(
        sa.select(
            *(
                sa.func.count().filter(completed_at >= start, completed_at < end)
                for start, end in itertools.pairwise(starts)
            )
        ).where(
            completed_at >= starts[0],
            completed_at < starts[-1],
            _of_learners(LessonProgress.user_id, filters),
        )
    ).one()
    return [(start.date(), count) for start, count in zip(starts[:-1], counts, strict=True)]


@dataclass(frozen=True, slots=True)
class LearnerDetail:
    user: User
    progress: list[LessonProgress]
    attempts: list[QuizAttempt]


def learner_detail(session: Session, user_id: int) -> LearnerDetail | None:
    user = session.get(User, user_id)
    if user is None:
        return None
    progress = session.scalars(
        sa.select(LessonProgress)
        .where(LessonProgress.user_id == user_id)
        .order_by(LessonProgress.started_at)
    )
    attempts = session.scalars(
        sa.select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.submitted_at)
    )
    return LearnerDetail(user, list(progress), list(attempts))
