"""What a cohort's trainers follow: each learner's progress in the cohort's course, their
quiz results and attempts left, who has not been active lately, and how the cohort answers
each quiz question.

The learners are those of the cohort's reports (`cohort_filters`): a page and the export
of the same cohort always count the same people. Everything is read for one cohort, one
page of learners at a time, from the indexes on (learner, course): what a cohort's page
costs does not grow with the site's other learners."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.content import Course, Lesson
from app.database import read_at_once
from app.models import (
    Cohort,
    CohortTrainer,
    LessonProgress,
    Membership,
    QuizAttempt,
    Role,
    User,
    set_apart,
    utcnow,
)
from app.services import authoring, cohorts, privacy
from app.services.progress import attempts_allowed
from app.services.reports import ReportFilters, best_score, members_of

LEARNERS_PER_PAGE = 50
# Who has not been active for this many days, unless the trainer asks for another number.
QUIET_DAYS = 14


def cohort_filters(cohort: Cohort, **others) -> ReportFilters:
    """The report filters that keep the cohort's learners (its members with the learner's
    role), with `others` (a language, a registration period) on top."""
    return ReportFilters(course=cohort.course, cohort=cohort.id, role=Role.LEARNER, **others)


def visible_to(session: Session, user: User, cohort_id: int) -> Cohort | None:
    """The cohort, if `user` may follow it: an admin any, a trainer those they lead."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or user.role is Role.ADMIN:
        return cohort
    if user.role is Role.TRAINER and cohorts.leads(session, user.id, cohort.id):
        return cohort
    return None


@dataclass(frozen=True, slots=True)
class Led:
    """A cohort in the list of those a trainer follows."""

    cohort: Cohort
    trainers: list[str]
    learners: int


def followed_by(session: Session, user: User) -> list[Led]:
    """The cohorts `user` follows (an admin: every one), course by course, the first to
    start first, with their trainers' names and how many learners each has."""
    statement = sa.select(Cohort).order_by(
        Cohort.course, Cohort.starts_on.is_(None), Cohort.starts_on, Cohort.name, Cohort.id
    )
    if user.role is not Role.ADMIN:
        statement = statement.join(CohortTrainer, CohortTrainer.cohort_id == Cohort.id).where(
            CohortTrainer.user_id == user.id
        )
    found = list(session.scalars(statement))
    ids = [cohort.id for cohort in found]
    learners = dict(
        session.execute(
            sa.select(Membership.cohort_id, sa.func.count())
            .join(User, User.id == Membership.user_id)
            .where(Membership.cohort_id.in_(ids), ReportFilters(role=Role.LEARNER).condition())
            .group_by(Membership.cohort_id)
        ).all()
    )
    trainers: dict[int, list[str]] = {cohort_id: [] for cohort_id in ids}
    for cohort_id, name in session.execute(
        sa.select(CohortTrainer.cohort_id, User.display_name)
        .join(User, User.id == CohortTrainer.user_id)
        .where(CohortTrainer.cohort_id.in_(ids))
        .order_by(User.display_name, User.id)
    ):
        trainers[cohort_id].append(name)
    return [Led(cohort, trainers[cohort.id], learners.get(cohort.id, 0)) for cohort in found]


def trainer_names(session: Session, cohort_id: int) -> list[str]:
    return list(
        session.scalars(
            sa.select(User.display_name)
            .join(CohortTrainer, CohortTrainer.user_id == User.id)
            .where(CohortTrainer.cohort_id == cohort_id)
            .order_by(User.display_name, User.id)
        )
    )


@dataclass(frozen=True, slots=True)
class LessonState:
    """One learner's progress in one lesson, and how its quiz went."""

    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    attempts: int
    # Attempts allowed at the quiz, those the course team added included; None: no limit.
    allowed: int | None
    best_score: float | None  # the best attempt's, in percent
    passed: bool

    @property
    def attempts_left(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - self.attempts, 0)

    @property
    def exhausted(self) -> bool:
        """Every attempt allowed is used: the course team can allow one more."""
        return self.allowed is not None and self.attempts >= self.allowed


@dataclass(frozen=True, slots=True)
class LearnerProgress:
    user_id: int
    display_name: str
    email: str
    # The latest time they started or completed a lesson of the course, answered one of
    # its quizzes, or joined the cohort.
    last_active: dt.datetime
    # By lesson slug, for the published lessons they started or answered the quiz of.
    lessons: dict[str, LessonState]

    @property
    def completed(self) -> int:
        return sum(1 for state in self.lessons.values() if state.completed_at is not None)


@dataclass(frozen=True, slots=True)
class LessonTotals:
    """How many of the cohort's learners started and completed a lesson, and took and
    passed its quiz."""

    lesson: Lesson
    started: int
    completed: int
    quiz_takers: int
    quiz_passed: int


@dataclass(frozen=True, slots=True)
class FollowUp:
    learners: int
    # Of them, those not active for `quiet_days`.
    quiet: int
    quiet_days: int
    lessons: list[LessonTotals]
    # One page of learners: all of them by name, or the quiet ones, longest quiet first.
    page: list[LearnerProgress]
    page_number: int
    pages: int


def follow_up(
    session: Session,
    cohort: Cohort,
    course: Course,
    *,
    quiet_days: int = QUIET_DAYS,
    only_quiet: bool = False,
    page_number: int = 1,
    now: dt.datetime | None = None,
) -> FollowUp:
    """The cohort's learners (a page of them), with their progress in the course's
    published lessons, and the cohort's totals for each lesson. The three queries over all
    of the cohort's rows run at once, each on a connection of its own; the page is then
    chosen among the learners they found."""
    since = (now or utcnow()) - dt.timedelta(days=quiet_days)
    learners = sa.select(Membership.user_id).where(_of_learners(cohort))
    joined, progress, quizzes = read_at_once(
        session,
        sa.select(User.id, User.display_name, Membership.active_at)
        .join(Membership, Membership.user_id == User.id)
        .where(_of_learners(cohort)),
        _progress_totals(course, learners),
        _quiz_totals(course, learners),
    )
    last_active = {user_id: at for user_id, _name, at in joined}
    quiet = sorted((at, user_id) for user_id, at in last_active.items() if at < since)
    if only_quiet:
        listed = [user_id for _at, user_id in quiet]
    else:
        listed = [
            user_id for _name, user_id in sorted((name, user_id) for user_id, name, _at in joined)
        ]
    pages = max(-(-len(listed) // LEARNERS_PER_PAGE), 1)
    page_number = min(max(page_number, 1), pages)
    first = (page_number - 1) * LEARNERS_PER_PAGE
    ids = listed[first : first + LEARNERS_PER_PAGE]
    found = {
        row.id: row
        for row in session.execute(
            sa.select(User.id, User.display_name, User.email).where(User.id.in_(ids))
        )
    }
    lessons = _lessons_of(session, course, ids)
    return FollowUp(
        learners=len(last_active),
        quiet=len(quiet),
        quiet_days=quiet_days,
        lessons=_totals(course, progress, quizzes),
        page=[
            LearnerProgress(
                user_id,
                found[user_id].display_name,
                found[user_id].email,
                last_active[user_id],
                lessons.get(user_id, {}),
            )
            for user_id in ids
            if user_id in found
        ],
        page_number=page_number,
        pages=pages,
    )


def _of_learners(cohort: Cohort) -> sa.ColumnElement[bool]:
    """Whether a membership is one of the cohort's learners' (`cohort_filters`): the
    cohort's members but the accounts set apart that it leaves out, which their own index
    finds, rather than looking for each member among every account."""
    left_out = set_apart(sa.not_(ReportFilters(role=Role.LEARNER).condition()))
    return sa.and_(Membership.cohort_id == cohort.id, Membership.user_id.not_in(left_out))


def _lessons_of(
    session: Session, course: Course, user_ids: list[int]
) -> dict[int, dict[str, LessonState]]:
    """Each learner's state in each published lesson of the course they started, or
    answered the quiz of."""
    if not user_ids:
        return {}
    progress = {
        (row.user_id, row.lesson_slug): row
        for row in session.scalars(
            sa.select(LessonProgress).where(
                LessonProgress.user_id.in_(user_ids), LessonProgress.course == course.slug
            )
        )
    }
    quizzes = {
        (row.user_id, row.lesson_slug): row
        for row in session.execute(
            sa.select(
                QuizAttempt.user_id,
                QuizAttempt.lesson_slug,
                sa.func.count().label("attempts"),
                best_score().label("best"),
                sa.func.count().filter(QuizAttempt.passed).label("passed"),
            )
            .where(QuizAttempt.user_id.in_(user_ids), QuizAttempt.course == course.slug)
            .group_by(QuizAttempt.user_id, QuizAttempt.lesson_slug)
        )
    }
    published = {lesson.slug: lesson for lesson in course.published_lessons}
    states: dict[int, dict[str, LessonState]] = {}
    for key in progress.keys() | quizzes.keys():
        user_id, slug = key
        lesson = published.get(slug)
        if lesson is None:
            continue
        row, quiz = progress.get(key), quizzes.get(key)
        states.setdefault(user_id, {})[slug] = LessonState(
            started_at=row.started_at if row else None,
            completed_at=row.completed_at if row else None,
            attempts=quiz.attempts if quiz else 0,
            allowed=attempts_allowed(lesson, row),
            best_score=quiz.best if quiz else None,
            passed=bool(quiz and quiz.passed),
        )
    return states


def _progress_totals(course: Course, learners: sa.Select) -> sa.Select:
    """(lesson, started, completed) over the learners."""
    return (
        sa.select(
            LessonProgress.lesson_slug,
            sa.func.count(),
            sa.func.count(LessonProgress.completed_at),
        )
        .where(LessonProgress.course == course.slug, LessonProgress.user_id.in_(learners))
        .group_by(LessonProgress.lesson_slug)
    )


def _quiz_totals(course: Course, learners: sa.Select) -> sa.Select:
    """(lesson, learners who took its quiz, learners who passed it) over the learners."""
    return (
        sa.select(
            QuizAttempt.lesson_slug,
            sa.func.count(sa.distinct(QuizAttempt.user_id)),
            sa.func.count(sa.distinct(sa.case((QuizAttempt.passed, QuizAttempt.user_id)))),
        )
        .where(QuizAttempt.course == course.slug, QuizAttempt.user_id.in_(learners))
        .group_by(QuizAttempt.lesson_slug)
    )


def _totals(course: Course, progress: list[sa.Row], quizzes: list[sa.Row]) -> list[LessonTotals]:
    """For each published lesson: how many of the cohort's learners started and completed
    it, took its quiz and passed it."""
    started = {slug: counts for slug, *counts in progress}
    taken = {slug: counts for slug, *counts in quizzes}
    return [
        LessonTotals(lesson, *started.get(lesson.slug, (0, 0)), *taken.get(lesson.slug, (0, 0)))
        for lesson in course.published_lessons
    ]


def is_learner_of(session: Session, cohort: Cohort, user_id: int) -> bool:
    """Whether the account is one of the learners the cohort's page lists."""
    return (
        session.scalar(
            sa.select(Membership.user_id).where(Membership.user_id == user_id, _of_learners(cohort))
        )
        is not None
    )


def item_analyses(
    session: Session, cohort: Cohort, course: Course, purpose_id: str, min_learners: int
) -> list[tuple[Lesson, authoring.ItemAnalysis]]:
    """The item analysis of each of the course's quizzes over the cohort's members who
    agreed to `purpose_id`, with the course's rule about too few learners."""
    quizzed = [lesson for lesson in course.lessons if lesson.quiz is not None]
    consenting = privacy.consenting_user_ids(purpose_id, among=members_of(cohort.course, cohort.id))
    analyses = authoring.item_analyses(session, quizzed, consenting, min_learners)
    return [(lesson, analyses[lesson.slug]) for lesson in quizzed]
