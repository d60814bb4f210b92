"""Figures for the admins' dashboard: who registered, who is active, where learners drop
off, how quizzes go, in which language. Each is one aggregate query over the learners the
filters keep."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.content import Course
from app.content.model import AnswerReview
from app.database import read_at_once
from app.models import LessonProgress, QuizAttempt, User, utcnow
from app.services.privacy import left_out_of_figures
from app.services.progress import attempts_allowed
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


def _counted(filters: ReportFilters) -> sa.ColumnElement[bool]:
    """The learners the figures count: those the filters keep, but for any who object to
    being counted (GDPR Art. 21)."""
    return dataclasses.replace(filters, without_objectors=True).condition()


def _of_learners(column: sa.ColumnElement[int], filters: ReportFilters):
    """Rows about the learners the figures count. Without filters that is every row (the
    sign-ups never confirmed, which filters always leave out, cannot sign in and have no
    rows) but those of the few accounts left out of the figures, so that a count can be
    read from an index and that short list."""
    if not filters.as_args():
        return column.not_in(left_out_of_figures())
    return column.in_(sa.select(User.id).where(_counted(filters)))


@dataclass(frozen=True, slots=True)
class Figures:
    headline: Headline
    lessons: list[LessonFigures]
    by_language: dict[str | None, int]  # learners per preferred language
    weeks: list[tuple[dt.date, int]]  # lesson completions per week, Monday to Sunday


def figures(
    session: Session,
    course: Course,
    filters: ReportFilters,
    language: str,
    *,
    weeks: int = 12,
    now: dt.datetime | None = None,
) -> Figures:
    """Every figure on the dashboard. Each is one aggregate query of its own, independent of
    the others, so all of them run at once: on a server with two cores the page takes about
    half as long as running them one after another."""
    now = now or utcnow()
    week_starts = _week_starts(now, weeks)
    headline_rows, progress_rows, taker_rows, passer_rows, language_rows, week_rows = read_at_once(
        session,
        _headline(filters, now),
        _funnel(filters, [lesson.slug for lesson in course.published_lessons]),
        _quiz_learners(filters, passed=False),
        _quiz_learners(filters, passed=True),
        _by_language(filters),
        _completions(filters, week_starts),
    )
    registered, week, month = headline_rows[0]
    completions = dict(week_rows)
    return Figures(
        headline=Headline(registered, week or 0, month or 0),
        lessons=_lesson_figures(course, language, progress_rows, taker_rows, passer_rows),
        by_language={code: count for code, count in language_rows},
        weeks=[
            (start.date(), completions.get(number, 0))
            for number, start in enumerate(week_starts[:-1])
        ],
    )


def _headline(filters: ReportFilters, now: dt.datetime) -> sa.Select:
    def active_since(days: int):
        return sa.func.count().filter(User.last_active_at >= now - dt.timedelta(days=days))

    return sa.select(sa.func.count(), active_since(7), active_since(30)).where(_counted(filters))


def _funnel(filters: ReportFilters, slugs: list[str]) -> sa.Executable:
    """Learners who started and who completed each lesson: where learners drop off."""
    counts = (sa.func.count(), sa.func.count(LessonProgress.completed_at))
    if filters.as_args():
        # Each row is looked up among the filtered learners anyway: one pass is cheapest.
        return (
            sa.select(LessonProgress.lesson_slug, *counts)
            .where(_of_learners(LessonProgress.user_id, filters))
            .group_by(LessonProgress.lesson_slug)
        )
    # Each lesson counted over its own range of the (lesson, completion) index. Grouping
    # every row instead, PostgreSQL reads the whole table with parallel workers, which on a
    # small server compete with the dashboard's other queries for the same cores: it took
    # three times the CPU time of reading the index's ranges.
    per_lesson = [
        sa.select(sa.literal(slug, sa.String), *counts).where(
            LessonProgress.lesson_slug == slug, _of_learners(LessonProgress.user_id, filters)
        )
        for slug in slugs
    ]
    if not per_lesson:
        return sa.select(sa.literal("", sa.String), *counts).where(sa.false())
    return sa.union_all(*per_lesson)


def _quiz_learners(filters: ReportFilters, *, passed: bool) -> sa.Select:
    """The learners who took each lesson's quiz, or who passed it at least once. One
    distinct count per query, on purpose: scanning the (lesson, learner, passed) index in
    order, SQLite counts one distinct column as it goes, but two in one query need
    temporary tables and take four times as long."""
    statement = (
        sa.select(QuizAttempt.lesson_slug, sa.func.count(sa.distinct(QuizAttempt.user_id)))
        .where(_of_learners(QuizAttempt.user_id, filters))
        .group_by(QuizAttempt.lesson_slug)
    )
    return statement.where(QuizAttempt.passed) if passed else statement


def _lesson_figures(
    course: Course,
    language: str,
    progress_rows: list[sa.Row],
    taker_rows: list[sa.Row],
    passer_rows: list[sa.Row],
) -> list[LessonFigures]:
    """Started, completed and quiz results for each of the planned lessons, in order."""
    progress = {slug: (started, completed) for slug, started, completed in progress_rows}
    takers_of, passers_of = dict(taker_rows), dict(passer_rows)
    lessons = []
    for number, lesson in course.slots():
        slug = lesson.slug if lesson else None
        started, completed = progress.get(slug, (0, 0))
        lessons.append(
            LessonFigures(
                number=number,
                slug=slug,
                title=lesson.text_for(language).title if lesson else None,
                started=started,
                completed=completed,
                quiz_takers=takers_of.get(slug, 0),
                quiz_passed=passers_of.get(slug, 0),
            )
        )
    return lessons


def _by_language(filters: ReportFilters) -> sa.Select:
    return (
        sa.select(User.language, sa.func.count())
        .where(_counted(filters))
        .group_by(User.language)
        .order_by(User.language)
    )


def _week_starts(now: dt.datetime, weeks: int) -> list[dt.datetime]:
    """The Mondays that begin each of the last `weeks` weeks, and the one after them."""
    today = now.date()
    first_monday = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    return [
        dt.datetime.combine(first_monday + dt.timedelta(weeks=week), dt.time(), dt.UTC)
        for week in range(weeks + 1)
    ]


def _completions(filters: ReportFilters, week_starts: list[dt.datetime]) -> sa.Executable:
    """Lesson completions in each week, as (week number, count) rows, counted by the
    database: a busy course completes hundreds of thousands of lessons in twelve weeks, too
    many to read out one by one. A week without completions may have no row."""
    completed_at = LessonProgress.completed_at
    weeks = list(enumerate(itertools.pairwise(week_starts)))
    if filters.as_args():
        # Each row is looked up among the filtered learners anyway: one pass is cheapest.
        week = sa.case(*((completed_at < end, number) for number, (_, end) in weeks))
        return (
            sa.select(week, sa.func.count())
            .where(
                completed_at >= week_starts[0],
                completed_at < week_starts[-1],
                _of_learners(LessonProgress.user_id, filters),
            )
            .group_by(week)
        )
    # Each week counted over its own range of the completion-time index, which is what
    # indexes do fastest: on SQLite 14 ms, against 260 ms for one pass testing each row.
    return sa.union_all(
        *(
            sa.select(sa.literal(number), sa.func.count()).where(
                completed_at >= start,
                completed_at < end,
                _of_learners(LessonProgress.user_id, filters),
            )
            for number, (start, end) in weeks
        )
    )


@dataclass(frozen=True, slots=True)
class QuizUse:
    """How many of the attempts allowed at a lesson's quiz a learner has used."""

    used: int
    allowed: int
    # The quiz shows its right answers once no attempts are left, or after every attempt.
    shows_answers: bool

    @property
    def exhausted(self) -> bool:
        return self.used >= self.allowed

    @property
    def answers_seen(self) -> bool:
        """Whether the learner has been shown the right answers (another attempt then
        tests their memory more than their understanding)."""
        return self.shows_answers and self.exhausted


@dataclass(frozen=True, slots=True)
class LearnerDetail:
    user: User
    progress: list[LessonProgress]
    attempts: list[QuizAttempt]
    # By lesson slug, for the published lessons started whose quiz limits the attempts.
    quiz_use: dict[str, QuizUse]


def learner_detail(session: Session, course: Course, user_id: int) -> LearnerDetail | None:
    user = session.get(User, user_id)
    if user is None:
        return None
    progress = list(
        session.scalars(
            sa.select(LessonProgress)
            .where(LessonProgress.user_id == user_id)
            .order_by(LessonProgress.started_at)
        )
    )
    attempts = list(
        session.scalars(
            sa.select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id)
            .order_by(QuizAttempt.submitted_at)
        )
    )
    used = collections.Counter(attempt.lesson_slug for attempt in attempts)
    quiz_use = {}
    for row in progress:
        lesson = course.published_lesson(row.lesson_slug)
        if lesson is not None and (allowed := attempts_allowed(lesson, row)) is not None:
            shows = lesson.quiz.settings.answers is not AnswerReview.NEVER
            quiz_use[row.lesson_slug] = QuizUse(used[row.lesson_slug], allowed, shows)
    return LearnerDetail(user, progress, attempts, quiz_use)
