"""Lesson progress: started and completed, once per learner and lesson, whatever the races."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.content import Course, Lesson
from app.database import insert_unless_present
from app.models import LessonProgress, QuizAttempt, utcnow
from app.services import cohorts, learning_events
from app.services.accounts import note_activity, touch_activity

# A learner's progress in one lesson, as read for a page: a `LessonProgress` row's columns.
ProgressRow = sa.Row


def note_start(session: Session, user_id: int, lesson: Lesson, now: dt.datetime) -> None:
    """Record, in the current transaction, that the learner started the lesson at `now`,
    unless a start is recorded already; the learner takes part in its course from then on."""
    insert_unless_present(
        session,
        LessonProgress,
        {
            "user_id": user_id,
            "course": lesson.course,
            "lesson_slug": lesson.slug,
            "started_at": now,
        },
        ["user_id", "course", "lesson_slug"],
    )
    cohorts.note_taking_part(session, user_id, lesson.course, now)


def record_start(session: Session, user_id: int, lesson: Lesson) -> None:
    """Note that the learner opened the lesson (the first opening is the one kept) and
    commit, with what the caller did first (an acknowledgment). The caller has made sure
    the learner acknowledged the lesson's data notice."""
    note_start(session, user_id, lesson, utcnow())
    # In the same transaction: after a commit the account would be read again to ask.
    note_activity(session, user_id)
    session.commit()


def open_lesson(
    session: Session, user_id: int, course: Course, lesson: Lesson, *, language: str
) -> CourseProgress:
    """A learner who acknowledged the lesson's data notice opens it: its start is recorded
    the first time and their activity noted. Opening it again only reads (a write would
    queue behind every other learner's on SQLite), unless someone listens for learning
    events. Returns their progress, as the page shows it."""
    progress = course_progress(session, user_id, course)
    first = not progress.is_started(lesson)
    if learning_events.has_listeners(learning_events.LessonOpened):
        learning_events.announce(
            session,
            learning_events.LessonOpened(
                user_id=user_id,
                course=lesson.course,
                lesson=lesson.slug,
                language=language,
                first=first,
            ),
        )
        if not first:
            session.commit()
    if not first:
        touch_activity(session, user_id)
        return progress
    record_start(session, user_id, lesson)
    return course_progress(session, user_id, course)


_COMPLETE = (
    sa.update(LessonProgress)
    .where(
        LessonProgress.user_id == sa.bindparam("learner"),
        LessonProgress.course == sa.bindparam("course_slug"),
        LessonProgress.lesson_slug == sa.bindparam("lesson"),
        LessonProgress.completed_at.is_(None),
    )
    .values(completed_at=sa.bindparam("now"))
)


def mark_complete(
    session: Session, user_id: int, lesson: Lesson, *, language: str | None = None
) -> bool:
    """Set the completion time in the current transaction, unless the lesson already has one.
    True if this call completed it. `language` is the page's, for the learning event.

    The conditional UPDATE makes a double submit or two tabs leave exactly one completion
    time: only the first statement finds `completed_at` still empty.
    """
    now = utcnow()
    row = {"learner": user_id, "course_slug": lesson.course, "lesson": lesson.slug, "now": now}
    completed = session.execute(_COMPLETE, row).rowcount == 1
    if completed:
        cohorts.note_taking_part(session, user_id, lesson.course, now)
    else:
        # No start recorded (a quiz answered from a page kept elsewhere), or completed
        # already: the start is noted as any start is, then completed if it was not.
        note_start(session, user_id, lesson, now)
        completed = session.execute(_COMPLETE, row).rowcount == 1
    if completed:
        learning_events.announce(
            session,
            learning_events.LessonCompleted(
                user_id=user_id, course=lesson.course, lesson=lesson.slug, language=language, at=now
            ),
        )
    return completed


def record_completion(
    session: Session, user_id: int, lesson: Lesson, *, language: str | None = None
) -> bool:
    """Mark the lesson complete and commit; True if this call completed it."""
    completed = mark_complete(session, user_id, lesson, language=language)
    session.commit()
    return completed


@dataclass(frozen=True, slots=True)
class CourseProgress:
    """Where a learner stands in the course."""

    rows: dict[str, ProgressRow]
    completed: int
    planned: int
    resume: Lesson | None
    # Lessons whose required quiz the learner can no longer pass (see `_quiz_results`).
    closed: frozenset[str] = frozenset()
    # Lessons whose quiz the learner passed.
    passed: frozenset[str] = frozenset()

    def is_complete(self, lesson: Lesson) -> bool:
        return _completed(self.rows, lesson)

    def is_closed(self, lesson: Lesson) -> bool:
        return lesson.slug in self.closed

    def is_started(self, lesson: Lesson) -> bool:
        return lesson.slug in self.rows

    def has_passed_quiz(self, lesson: Lesson) -> bool:
        return lesson.slug in self.passed

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.planned) if self.planned else 0


# Built once: a page asks it for every signed-in learner, and building a statement costs
# several times what SQLite takes to answer it.
_PROGRESS_ROWS = sa.select(LessonProgress.__table__).where(
    LessonProgress.user_id == sa.bindparam("user_id"),
    LessonProgress.course == sa.bindparam("course"),
)


def course_progress(session: Session, user_id: int | None, course: Course) -> CourseProgress:
    """The learner's progress over the published lessons, and the lesson to resume.

    Resuming goes to the most recently started lesson not yet completed, else to the first
    published lesson not completed; None once every published lesson is done. A lesson
    whose required quiz can no longer be passed is not resumed: it cannot be completed.
    """
    rows: dict[str, ProgressRow] = {}
    if user_id is not None:
        # Read-only rows on the session's connection, not objects the session would track.
        found = session.connection().execute(
            _PROGRESS_ROWS, {"user_id": user_id, "course": course.slug}
        )
        rows = {row.lesson_slug: row for row in found}
    published = course.published_lessons
    completed = [lesson for lesson in published if _completed(rows, lesson)]
    passed, closed = (
        _quiz_results(session, user_id, course, published, rows)
        if user_id
        else (frozenset(), frozenset())
    )
    unfinished = [
        lesson for lesson in published if not _completed(rows, lesson) and lesson.slug not in closed
    ]
    started = [lesson for lesson in unfinished if lesson.slug in rows]
    if started:
        resume = max(started, key=lambda lesson: rows[lesson.slug].started_at)
    else:
        resume = unfinished[0] if unfinished else None
    return CourseProgress(rows, len(completed), course.planned_lessons, resume, closed, passed)


def attempts_allowed(lesson: Lesson, row: ProgressRow | None) -> int | None:
    """How many attempts the learner may make at the lesson's quiz: the quiz's number, and
    any more the course team allowed them (None: as many as they like)."""
    if lesson.quiz is None or lesson.quiz.settings.attempts is None:
        return None
    return lesson.quiz.settings.attempts + (row.extra_attempts if row is not None else 0)


def _quiz_results(
    session: Session,
    user_id: int,
    course: Course,
    lessons: tuple[Lesson, ...],
    rows: dict[str, ProgressRow],
) -> tuple[frozenset[str], frozenset[str]]:
    """The lessons whose quiz the learner passed, and the started, unfinished ones whose
    required quiz they can no longer pass: it allows a number of attempts that they used
    without passing, so the lesson stays incomplete unless the course team allows another.

    A required quiz is passed exactly when its lesson is complete (passing completes it),
    so attempts are only read for an optional quiz started or a limited one not yet passed:
    one query, and none for a course whose quizzes are all required and unlimited."""
    passed = {
        lesson.slug
        for lesson in lessons
        if lesson.quiz and lesson.quiz.settings.required and _completed(rows, lesson)
    }
    optional = {
        lesson.slug
        for lesson in lessons
        if lesson.quiz is not None and not lesson.quiz.settings.required and lesson.slug in rows
    }
    limited = {
        lesson.slug: attempts_allowed(lesson, rows[lesson.slug])
        for lesson in lessons
        if lesson.quiz is not None
        and lesson.quiz.settings.required
        and lesson.quiz.settings.attempts is not None
        and lesson.slug in rows
        and not _completed(rows, lesson)
    }
    if not optional and not limited:
        return frozenset(passed), frozenset()
    used = session.connection().execute(
        _ATTEMPTS_USED,
        {"user_id": user_id, "course": course.slug, "lessons": sorted(optional | set(limited))},
    )
    closed = set()
    for slug, attempts, passes in used:
        if passes:
            passed.add(slug)
        elif slug in limited and attempts >= limited[slug]:
            closed.add(slug)
    return frozenset(passed), frozenset(closed)


_ATTEMPTS_USED = (
    sa.select(
        QuizAttempt.lesson_slug,
        sa.func.count(),
        sa.func.sum(sa.case((QuizAttempt.passed, 1), else_=0)),
    )
    .where(
        QuizAttempt.user_id == sa.bindparam("user_id"),
        QuizAttempt.course == sa.bindparam("course"),
        QuizAttempt.lesson_slug.in_(sa.bindparam("lessons", expanding=True)),
    )
    .group_by(QuizAttempt.lesson_slug)
)


def _completed(rows: dict[str, ProgressRow], lesson: Lesson) -> bool:
    row = rows.get(lesson.slug)
    return row is not None and row.completed_at is not None


def progress_without_lesson(session: Session, course: Course) -> dict[str, int]:
    """Lesson names learners have progress under that the course no longer has (a lesson
    folder renamed or removed), with how many learners each: progress is kept under the
    folder's name, and comes back if the folder gets that name again."""
    known = [lesson.slug for lesson in course.lessons]
    counted = session.execute(
        sa.select(LessonProgress.lesson_slug, sa.func.count(LessonProgress.user_id.distinct()))
        .where(LessonProgress.course == course.slug, LessonProgress.lesson_slug.not_in(known))
        .group_by(LessonProgress.lesson_slug)
        .order_by(LessonProgress.lesson_slug)
    )
    return {slug: learners for slug, learners in counted}
