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

from app.content import Catalogue, Course
from app.content.model import AnswerReview
from app.database import read_at_once
from app.models import (
    Cohort,
    LessonProgress,
    Membership,
    QuizAttempt,
    Role,
    User,
    set_apart,
    utcnow,
)
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


@dataclass(frozen=True, slots=True)
class _Kept:
    """The learners filtered figures count. Kept by the period they signed up in, their
    ids lie close together (accounts are numbered as they register): rows are then matched
    to them by the range of their ids as well (`ids`; (None, None) when nobody signed up
    then), which lets PostgreSQL read that range of the (learner, ...) indexes alone,
    where otherwise it reads every row and looks each up among them (a period of three
    months on 100,000 learners: about half the time). SQLite reads the rows learner by
    learner either way, and other filters keep learners all over the range: reading it
    first would only add a query."""

    filters: ReportFilters
    ids: tuple[int | None, int | None] | None = None

    @classmethod
    def read(cls, session: Session, filters: ReportFilters) -> _Kept:
        by_period = filters.registered_from or filters.registered_to
        if not by_period or session.get_bind().dialect.name != "postgresql":
            return cls(filters)
        ids = sa.select(sa.func.min(User.id), sa.func.max(User.id)).where(_counted(filters))
        first_id, last_id = session.execute(ids).one()
        return cls(filters, (first_id, last_id))

    def rows_of(self, column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        """Rows about these learners, `column` being their learner's id."""
        of_learners = column.in_(sa.select(User.id).where(_counted(self.filters)))
        if self.ids is None:
            return of_learners
        first_id, last_id = self.ids
        if first_id is None:
            return sa.false()
        return sa.and_(column.between(first_id, last_id), of_learners)


def _by_subtraction(filters: ReportFilters) -> bool:
    """Whether the figures are best counted as every row less the rows of the accounts left
    out (`_left_out`): with no filter but a course, if any, and learners as the role, if
    any, every account with rows (in that course: its learners, `reports.learners_of`)
    counts but a few set apart, whose rows are found through their own index, while every
    row is counted from the indexes alone. A cohort, a language, another role or a period
    keep few learners: their rows are counted directly."""
    if filters.role not in (None, Role.LEARNER):
        return False
    return dataclasses.replace(filters, course=None, role=None) == ReportFilters()


def _left_out(filters: ReportFilters) -> sa.Select:
    """The accounts no figure counts under filters counted by subtraction: left out of the
    figures, sign-ups never confirmed (who have no rows), and staff when the filters keep
    learners only. All of them are set apart, so their own index finds them."""
    return set_apart(sa.not_(_counted(dataclasses.replace(filters, course=None))))


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
    """Every figure on the dashboard: about the learners the filters keep (the members of
    their course, where they name one), with the funnel and quiz results of `course`'s
    lessons (the filters' course, or the one chosen when they name none). Each is an
    aggregate query of its own, independent of the others, so all of them run at once: on
    a server with two cores the page takes about half as long as running them one after
    another."""
    now = now or utcnow()
    week_starts = _week_starts(now, weeks)
    if _by_subtraction(filters):
        statements = [
            _funnel(course),
            _quiz_learners(course),
            _quiz_learners(course, passed=True),
            _completions(filters, course, week_starts),
            _progress_left_out(filters, course, week_starts),
            _quizzes_left_out(filters, course),
        ]
    else:
        kept = _Kept.read(session, filters)
        statements = [
            _funnel(course, kept),
            _quiz_learners(course, kept=kept),
            _quiz_learners(course, kept=kept, passed=True),
            _completions(filters, course, week_starts, kept),
        ]
    language_rows, progress_rows, taker_rows, passer_rows, week_rows, *left_out = read_at_once(
        session, _by_language(filters, now), *statements
    )
    if left_out:
        progress_rows, taker_rows, passer_rows, week_rows = _less_left_out(
            filters, course, progress_rows, taker_rows, passer_rows, week_rows, *left_out
        )
    registered, week, month = (sum(row[column] for row in language_rows) for column in (1, 2, 3))
    completions = _per_week(week_rows)
    return Figures(
        headline=Headline(registered, week, month),
        lessons=_lesson_figures(course, language, progress_rows, taker_rows, passer_rows),
        by_language={code: count for code, count, _week, _month in language_rows},
        weeks=[
            (start.date(), completions.get(number, 0))
            for number, start in enumerate(week_starts[:-1])
        ],
    )


def _funnel(course: Course, kept: _Kept | None = None) -> sa.Executable:
    """Learners who started and who completed each lesson of the course: where learners
    drop off. Without `kept` learners, every row of the course."""
    counts = (sa.func.count(), sa.func.count(LessonProgress.completed_at))
    if kept is not None:
        # Each row is looked up among the filtered learners anyway: one pass is cheapest.
        return (
            sa.select(LessonProgress.lesson_slug, *counts)
            .where(LessonProgress.course == course.slug, kept.rows_of(LessonProgress.user_id))
            .group_by(LessonProgress.lesson_slug)
        )
    # Each lesson counted over its own range of the (course, lesson, completion) index,
    # from the index alone. Grouping every row instead, PostgreSQL reads the whole table
    # with parallel workers, which on a small server compete with the dashboard's other
    # queries for the same cores: it took three times the CPU time of reading the index's
    # ranges.
    per_lesson = [
        sa.select(sa.literal(lesson.slug, sa.String), *counts).where(
            LessonProgress.course == course.slug, LessonProgress.lesson_slug == lesson.slug
        )
        for lesson in course.published_lessons
    ]
    if not per_lesson:
        return sa.select(sa.literal("", sa.String), *counts).where(sa.false())
    return sa.union_all(*per_lesson)


def _quiz_learners(course: Course, *, kept: _Kept | None = None, passed: bool = False) -> sa.Select:
    """The learners who took each of the course's quizzes, or who passed it at least once;
    without `kept` learners, every one. One distinct count per query, on purpose: scanning the
    (course, lesson, learner, passed) index in order, SQLite counts one distinct column as
    it goes, but two in one query need temporary tables and take four times as long."""
    statement = (
        sa.select(QuizAttempt.lesson_slug, sa.func.count(sa.distinct(QuizAttempt.user_id)))
        .where(QuizAttempt.course == course.slug)
        .group_by(QuizAttempt.lesson_slug)
    )
    if kept is not None:
        statement = statement.where(kept.rows_of(QuizAttempt.user_id))
    return statement.where(QuizAttempt.passed) if passed else statement


def _week_of(week_starts: list[dt.datetime]) -> sa.ColumnElement[int]:
    """The number of the week a completion falls in (NULL for one in none of them)."""
    completed_at = LessonProgress.completed_at
    return sa.case(
        *(
            ((completed_at >= start) & (completed_at < end), number)
            for number, (start, end) in enumerate(itertools.pairwise(week_starts))
        )
    )


def _completions(
    filters: ReportFilters,
    course: Course,
    week_starts: list[dt.datetime],
    kept: _Kept | None = None,
) -> sa.Executable:
    """Lesson completions in each week, as (week number, count) rows, counted by the
    database: a busy course completes hundreds of thousands of lessons in twelve weeks, too
    many to read out one by one. A week without completions may have no row. Those of the
    filters' course (its lessons), or of every course when they name none, as the headline
    counts every account then; by subtraction (`_by_subtraction`, no `kept` learners),
    every one."""
    completed_at = LessonProgress.completed_at
    in_range = (completed_at >= week_starts[0]) & (completed_at < week_starts[-1])
    if kept is not None:
        # Each row is looked up among the filtered learners anyway: one pass is cheapest.
        week = _week_of(week_starts)
        statement = (
            sa.select(week, sa.func.count())
            .where(in_range, kept.rows_of(LessonProgress.user_id))
            .group_by(week)
        )
        if filters.course:
            statement = statement.where(
                LessonProgress.course == course.slug,
                LessonProgress.lesson_slug.in_([lesson.slug for lesson in course.lessons]),
            )
        return statement
    if filters.course and not course.lessons:
        return sa.select(sa.literal(0), sa.func.count()).where(sa.false())
    if filters.course:
        # Each lesson's range of the (course, lesson, completion) index, from the index
        # alone: the completion-time index would have each row read to know its course.
        week = _week_of(week_starts)
        return sa.union_all(
            *(
                sa.select(week, sa.func.count())
                .where(
                    LessonProgress.course == course.slug,
                    LessonProgress.lesson_slug == lesson.slug,
                    in_range,
                )
                .group_by(week)
                for lesson in course.lessons
            )
        )
    # Each week counted over its own range of the completion-time index, from the index
    # alone, which is what indexes do fastest: on SQLite 14 ms, against 260 ms for one
    # pass testing each row.
    return sa.union_all(
        *(
            sa.select(sa.literal(number), sa.func.count()).where(
                completed_at >= start, completed_at < end
            )
            for number, (start, end) in enumerate(itertools.pairwise(week_starts))
        )
    )


def _progress_left_out(
    filters: ReportFilters, course: Course, week_starts: list[dt.datetime]
) -> sa.Select:
    """(course, lesson, week, started, completed) of the rows `_funnel` and `_completions`
    count that belong to the accounts left out; found through the (learner, course,
    lesson) index, one account after another."""
    week = _week_of(week_starts)
    statement = (
        sa.select(
            LessonProgress.course,
            LessonProgress.lesson_slug,
            week,
            sa.func.count(),
            sa.func.count(LessonProgress.completed_at),
        )
        .where(LessonProgress.user_id.in_(_left_out(filters)))
        .group_by(LessonProgress.course, LessonProgress.lesson_slug, week)
    )
    if filters.course:
        return statement.where(LessonProgress.course == course.slug)
    return statement


def _quizzes_left_out(filters: ReportFilters, course: Course) -> sa.Select:
    """(lesson, takers, passers) of the learners `_quiz_learners` counts who are left out."""
    return (
        sa.select(
            QuizAttempt.lesson_slug,
            sa.func.count(sa.distinct(QuizAttempt.user_id)),
            sa.func.count(sa.distinct(sa.case((QuizAttempt.passed, QuizAttempt.user_id)))),
        )
        .where(QuizAttempt.course == course.slug, QuizAttempt.user_id.in_(_left_out(filters)))
        .group_by(QuizAttempt.lesson_slug)
    )


def _less_left_out(
    filters: ReportFilters,
    course: Course,
    progress_rows: list[sa.Row],
    taker_rows: list[sa.Row],
    passer_rows: list[sa.Row],
    week_rows: list[sa.Row],
    progress_left_out: list[sa.Row],
    quizzes_left_out: list[sa.Row],
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Every row's counts less those of the accounts left out. Their learners are not any
    other's, so even the counts of distinct learners subtract."""
    lessons = {lesson.slug for lesson in course.lessons}
    started: collections.Counter[str] = collections.Counter()
    completed: collections.Counter[str] = collections.Counter()
    in_weeks: collections.Counter[int] = collections.Counter()
    for row_course, slug, week, row_started, row_completed in progress_left_out:
        if row_course == course.slug:
            started[slug] += row_started
            completed[slug] += row_completed
        if week is not None and (not filters.course or slug in lessons):
            in_weeks[week] += row_completed
    takers = {slug: count for slug, count, _passers in quizzes_left_out}
    passers = {slug: count for slug, _takers, count in quizzes_left_out}
    return (
        [
            (slug, every - started[slug], done - completed[slug])
            for slug, every, done in progress_rows
        ],
        [(slug, count - takers.get(slug, 0)) for slug, count in taker_rows],
        [(slug, count - passers.get(slug, 0)) for slug, count in passer_rows],
        [(week, count - in_weeks[week]) for week, count in _per_week(week_rows).items()],
    )


def _per_week(week_rows: list[sa.Row]) -> collections.Counter[int]:
    """Completions by week number, from rows that may give one week several counts (a
    course's weeks are counted lesson by lesson)."""
    weeks: collections.Counter[int] = collections.Counter()
    for number, count in week_rows:
        weeks[number] += count
    return weeks


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


def _by_language(filters: ReportFilters, now: dt.datetime) -> sa.Select:
    """Learners per preferred language, and of them those active in the last 7 and 30
    days: the headline figures are their sums, so that the learners are read once."""

    def active_since(days: int):
        return sa.func.count().filter(User.last_active_at >= now - dt.timedelta(days=days))

    return (
        sa.select(User.language, sa.func.count(), active_since(7), active_since(30))
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


def cohorts_by_course(session: Session) -> dict[str, list[Cohort]]:
    """Every cohort, by course slug, in the order they run: what the filters offer."""
    cohorts: dict[str, list[Cohort]] = {}
    for cohort in session.scalars(
        sa.select(Cohort).order_by(
            # Those without a start date last, on every database.
            Cohort.course,
            Cohort.starts_on.is_(None),
            Cohort.starts_on,
            Cohort.name,
            Cohort.id,
        )
    ):
        cohorts.setdefault(cohort.course, []).append(cohort)
    return cohorts


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
    # The courses the learner takes part in (by slug, and as the catalogue has them, if it
    # still does), each with their cohort (None: in none).
    memberships: list[tuple[str, Course | None, Cohort | None]]
    # The course shown; the lessons and attempts below are in it.
    course: Course
    progress: list[LessonProgress]
    attempts: list[QuizAttempt]
    # By lesson slug, for the published lessons started whose quiz limits the attempts.
    quiz_use: dict[str, QuizUse]


def learner_detail(
    session: Session, catalogue: Catalogue, user_id: int, course: Course | None = None
) -> LearnerDetail | None:
    """A learner's lessons and attempts in one course (`course`, else the first of the
    catalogue they take part in, else the default one), and the cohorts they are in."""
    user = session.get(User, user_id)
    if user is None:
        return None
    rows = session.execute(
        sa.select(Membership.course, Cohort)
        .outerjoin(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.user_id == user_id)
    ).all()
    order = {known.slug: number for number, known in enumerate(catalogue.courses)}
    memberships = sorted(
        ((row.course, catalogue.course(row.course), row.Cohort) for row in rows),
        key=lambda row: order.get(row[0], len(order)),
    )
    if course is None:
        taken = (known for _slug, known, _cohort in memberships if known is not None)
        course = next(taken, catalogue.default)
    progress = list(
        session.scalars(
            sa.select(LessonProgress)
            .where(LessonProgress.user_id == user_id, LessonProgress.course == course.slug)
            .order_by(LessonProgress.started_at)
        )
    )
    attempts = list(
        session.scalars(
            sa.select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.course == course.slug)
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
    return LearnerDetail(user, memberships, course, progress, attempts, quiz_use)
