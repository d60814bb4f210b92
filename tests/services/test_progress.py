"""Progress rules, without HTTP: one row per learner and lesson, one completion, resume."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import LessonProgress, Membership, User
from app.services import accounts, progress, quizzes
from tests.conftest import run_at_once, statements_run


@pytest.fixture
def learner_id(app_context) -> int:
    user = accounts.create_user(
        db.session, email="lu@example.org", password="a long password", display_name="Lu"
    )
    return user.id


def rows(user_id: int) -> list[LessonProgress]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(LessonProgress).where(LessonProgress.user_id == user_id))
    )


def test_opening_a_lesson_twice_keeps_the_first_start(learner_id):
    lesson = content.course.published_lessons[0]
    progress.record_start(db.session, learner_id, lesson)
    [first] = rows(learner_id)
    progress.record_start(db.session, learner_id, lesson)
    [again] = rows(learner_id)
    assert again.started_at == first.started_at
    assert again.completed_at is None


def test_opening_a_started_lesson_again_only_reads_the_learners_progress(learner_id):
    course = content.course
    lesson = course.published_lessons[0]
    first = progress.open_lesson(db.session, learner_id, course, lesson, language="es")
    assert first.is_started(lesson)
    # As signing the request in does: the learner is loaded, and held.
    signed_in = db.session.get(User, learner_id)
    assert signed_in.is_active
    with statements_run(db.engine) as statements:
        again = progress.open_lesson(db.session, learner_id, course, lesson, language="es")
    # Two reads and no write: the progress, and the attempts at the lesson's quiz, which
    # limits them (whether the lesson can still be completed).
    assert [statement.split()[0] for statement in statements] == ["SELECT", "SELECT"], statements
    assert "FROM lesson_progress" in statements[0] and "FROM quiz_attempts" in statements[1]
    assert again.rows[lesson.slug].started_at == first.rows[lesson.slug].started_at
    assert len(rows(learner_id)) == 1


def test_completing_twice_records_one_completion(learner_id):
    lesson = content.course.published_lessons[0]
    assert progress.record_completion(db.session, learner_id, lesson) is True
    [row] = rows(learner_id)
    completed_at = row.completed_at
    assert completed_at is not None and completed_at.tzinfo is not None
    assert progress.record_completion(db.session, learner_id, lesson) is False
    [row] = rows(learner_id)
    assert row.completed_at == completed_at


def test_concurrent_completions_leave_exactly_one(app, learner_id):
    lesson = content.course.published_lessons[1]
    results = run_at_once(
        app, 8, lambda: progress.record_completion(db.session, learner_id, lesson)
    )
    assert sorted(results) == [False] * 7 + [True]
    [row] = rows(learner_id)
    assert row.completed_at is not None


def test_course_progress_counts_completions_and_resumes_the_last_started(learner_id):
    course = content.course
    first, second = course.published_lessons
    summary = progress.course_progress(db.session, learner_id, course)
    assert (summary.completed, summary.planned, summary.resume) == (0, 15, first)

    progress.record_completion(db.session, learner_id, first)
    progress.record_start(db.session, learner_id, second)
    summary = progress.course_progress(db.session, learner_id, course)
    assert summary.completed == 1
    assert summary.resume == second
    assert summary.is_complete(first) and not summary.is_complete(second)
    assert summary.is_started(second)

    progress.record_completion(db.session, learner_id, second)
    summary = progress.course_progress(db.session, learner_id, course)
    assert summary.completed == 2 and summary.resume is None


def test_a_visitor_without_an_account_starts_at_lesson_one(app_context):
    course = content.course
    summary = progress.course_progress(db.session, None, course)
    assert summary.completed == 0 and summary.resume == course.published_lessons[0]


def test_progress_is_erased_with_the_account(learner_id):
    lesson = content.course.published_lessons[0]
    progress.record_completion(db.session, learner_id, lesson)
    db.session.execute(sa.delete(User).where(User.id == learner_id))
    db.session.commit()
    assert rows(learner_id) == []


def test_a_membership_keeps_when_its_learner_last_took_part(learner_id):
    """A cohort's page tells who has gone quiet from the membership alone: joining,
    starting a lesson and answering its quiz each move it forward, never back."""
    course = content.course
    first, second = [lesson for lesson in course.published_lessons if lesson.quiz][:2]
    day = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

    def membership() -> tuple[dt.datetime, dt.datetime]:
        db.session.commit()
        db.session.expire_all()
        found = db.session.scalars(sa.select(Membership).where(Membership.user_id == learner_id))
        [row] = found.all()
        return row.joined_at, row.active_at

    progress.note_start(db.session, learner_id, first, day)
    assert membership() == (day, day)
    progress.note_start(db.session, learner_id, second, day + dt.timedelta(days=3))
    assert membership() == (day, day + dt.timedelta(days=3))
    # A start noted late, as two requests crossing: what was later stays.
    progress.note_start(db.session, learner_id, first, day + dt.timedelta(days=1))
    assert membership() == (day, day + dt.timedelta(days=3))
    quizzes.submit_attempt(
        db.session,
        learner_id,
        second,
        number=1,
        language="pt",
        answers={},
        now=day + dt.timedelta(days=5),
    )
    assert membership() == (day, day + dt.timedelta(days=5))
