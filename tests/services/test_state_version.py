"""Every change to a learner's account or rows raises the account's state version, whoever
writes it: pages kept for the learner rely on it to know they still hold."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import Cohort, CohortTrainer, Membership, User
from app.services import accounts, privacy, progress, quizzes, sessions


@pytest.fixture
def learner_id(app_context) -> int:
    user = accounts.create_user(
        db.session, email="lu@example.org", password="a long password", display_name="Lu"
    )
    return user.id


def version_of(user_id: int) -> int:
    db.session.commit()
    return db.session.scalar(sa.select(User.state_version).where(User.id == user_id))


def triggered_events() -> set[tuple[str, str]]:
    """(table, event) for every row trigger in the database."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
        )
        return {(table, event) for table, event in rows}
    rows = connection.exec_driver_sql(
        "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
    )
    return {
        (table, event)
        for table, sql in rows
        for event in ("INSERT", "UPDATE", "DELETE")
        if f"AFTER {event} ON" in sql.upper()
    }


# Tables with a `user_id` whose rows no kept page shows, and why they raise no version.
SHOWN_ON_NO_KEPT_PAGE = {
    # Messages for outside services: a statement queued for each lesson opened would end
    # the learner's kept pages at every opening.
    "outbox_messages",
}


def test_every_table_holding_a_learners_rows_raises_their_version(app_context):
    learner_tables = {
        table.name for table in db.metadata.tables.values() if "user_id" in table.columns
    } - SHOWN_ON_NO_KEPT_PAGE
    assert {
        "lesson_progress",
        "quiz_attempts",
        "notice_acknowledgments",
        "memberships",
        "cohort_trainers",
    } <= learner_tables
    triggered = triggered_events()
    missing = {
        (table, event)
        for table in learner_tables
        for event in ("INSERT", "UPDATE", "DELETE")
        if (table, event) not in triggered
    }
    assert not missing, "add these to the state version triggers (a migration)"
    assert ("users", "UPDATE") in triggered


def test_reading_a_lesson_acknowledging_and_completing_each_raise_the_version(learner_id):
    lesson = content.course.published_lessons[0]
    before = version_of(learner_id)
    privacy.acknowledge(db.session, learner_id, lesson, "v1", "en")
    acknowledged = version_of(learner_id)
    progress.record_start(db.session, learner_id, lesson)
    started = version_of(learner_id)
    progress.record_completion(db.session, learner_id, lesson)
    completed = version_of(learner_id)
    assert before < acknowledged < started < completed


def test_opening_a_started_lesson_again_leaves_the_version_alone(learner_id):
    lesson = content.course.published_lessons[0]
    progress.record_start(db.session, learner_id, lesson)
    started = version_of(learner_id)
    progress.open_lesson(db.session, learner_id, content.course, lesson, language="es")
    assert version_of(learner_id) == started


def test_a_quiz_attempt_raises_the_version(learner_id):
    lesson = next(lesson for lesson in content.course.published_lessons if lesson.quiz)
    before = version_of(learner_id)
    answers = {question.id: sorted(question.correct_ids) for question in lesson.quiz.questions}
    quizzes.submit_attempt(db.session, learner_id, lesson, number=1, language="en", answers=answers)
    assert version_of(learner_id) > before


def test_account_changes_and_plain_sql_writes_raise_the_version(learner_id):
    before = version_of(learner_id)
    sessions.end_all_but(db.session, db.session.get(User, learner_id), None)
    signed_out = version_of(learner_id)
    db.session.execute(
        sa.text("UPDATE users SET display_name = 'Lu Ferreira' WHERE id = :id"), {"id": learner_id}
    )
    renamed = version_of(learner_id)
    db.session.execute(
        sa.text("DELETE FROM lesson_progress WHERE user_id = :id"), {"id": learner_id}
    )
    assert before < signed_out < renamed == version_of(learner_id)
    db.session.execute(
        sa.text(
            "INSERT INTO lesson_progress (user_id, course, lesson_slug, started_at)"
            " VALUES (:id, 'co-production', 'what-is-co-production', CURRENT_TIMESTAMP)"
        ),
        {"id": learner_id},
    )
    inserted = version_of(learner_id)
    db.session.execute(
        sa.text("DELETE FROM lesson_progress WHERE user_id = :id"), {"id": learner_id}
    )
    assert renamed < inserted < version_of(learner_id)


def test_one_learners_writes_leave_anothers_version_alone(learner_id):
    other = accounts.create_user(
        db.session, email="rui@example.org", password="a long password", display_name="Rui"
    ).id
    before = version_of(other)
    progress.record_start(db.session, learner_id, content.course.published_lessons[0])
    assert version_of(other) == before


def test_joining_moving_between_and_leading_cohorts_raise_the_version(learner_id):
    cohorts = [Cohort(course="co-production", name=name, join_code=name) for name in "AB"]
    db.session.add_all(cohorts)
    db.session.flush()
    before = version_of(learner_id)
    db.session.add(Membership(user_id=learner_id, course="co-production", cohort_id=cohorts[0].id))
    joined = version_of(learner_id)
    db.session.execute(
        sa.update(Membership)
        .where(Membership.user_id == learner_id)
        .values(cohort_id=cohorts[1].id)
    )
    moved = version_of(learner_id)
    db.session.add(CohortTrainer(cohort_id=cohorts[0].id, user_id=learner_id))
    leading = version_of(learner_id)
    db.session.delete(cohorts[1])  # its memberships go with it
    assert before < joined < moved < leading < version_of(learner_id)
