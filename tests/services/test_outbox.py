"""The outbox: a message is queued with what it reports or not at all, sent once, tried
again with a growing delay while its service is down, kept when refused, and left alone by
a host while another sends it. And the learning events the services announce."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import OutboxMessage, User, utcnow
from app.services import (
    accounts,
    certificates,
    learning_events,
    outbox,
    progress,
    quizzes,
)
from tests.conftest import (
    dispose,
    make_app,
    right_answers,
    run_at_once,
    wrong_answers,
)


class Partner:
    """An outside service as the senders see it: it takes messages, or is down."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.down: BaseException | None = None
        self.lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        if self.down is not None:
            raise self.down
        with self.lock:
            self.received.append(message.payload)


@pytest.fixture
def partner(app) -> Partner:
    partner = Partner()
    outbox.register_sender(app, "test", partner.send)
    return partner


@pytest.fixture
def learner_id(app_context) -> int:
    return accounts.create_user(
        db.session, email="lu@example.org", password="a long password", display_name="Lu"
    ).id


def queue(key: str, **payload) -> None:
    outbox.enqueue(db.session, kind="test", key=key, payload=payload or {"n": key})


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_message_is_queued_with_the_transaction_that_reports_it(app, app_context):
    queue("kept")
    db.session.commit()
    queue("lost with its transaction")
    db.session.rollback()
    assert [message.key for message in messages()] == ["kept"]


def test_the_same_key_is_queued_once(app, app_context):
    queue("lesson-1-done", first=True)
    db.session.commit()
    queue("lesson-1-done", first=False)
    db.session.commit()
    [message] = messages()
    assert message.payload == {"first": True}


def test_a_due_message_is_sent_once_and_recorded_as_sent(app, app_context, partner):
    queue("a", text="olá")
    db.session.commit()
    counts = outbox.deliver_due(app)
    assert (counts.sent, counts.retrying, counts.failed) == (1, 0, 0)
    assert partner.received == [{"text": "olá"}]
    [message] = messages()
    assert message.sent_at is not None and message.attempts == 1
    assert outbox.deliver_due(app).sent == 0
    assert partner.received == [{"text": "olá"}]


def test_a_service_that_is_down_gets_the_message_later_and_once(app, app_context, partner):
    queue("a")
    db.session.commit()
    partner.down = ConnectionRefusedError("connection refused")
    before = utcnow()
    counts = outbox.deliver_due(app)
    assert (counts.sent, counts.retrying) == (0, 1)
    [message] = messages()
    assert message.sent_at is None and message.failed_at is None
    assert message.attempts == 1
    assert "connection refused" in message.last_error
    assert before + dt.timedelta(seconds=29) < message.next_attempt_at
    assert message.next_attempt_at < utcnow() + dt.timedelta(seconds=31)
    # Not due yet: nothing is tried before the delay has passed.
    assert outbox.deliver_due(app).retrying == 0
    partner.down = None
    assert outbox.deliver_due(app).sent == 0
    assert outbox.make_due(db.session) == 1
    assert outbox.deliver_due(app).sent == 1
    assert partner.received == [{"n": "a"}]
    [message] = messages()
    assert message.attempts == 2 and message.last_error is None


def test_each_failure_waits_twice_as_long_up_to_an_hour():
    assert [outbox.retry_delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert outbox.retry_delay(10_000) == dt.timedelta(hours=1)


def test_a_refusal_retrying_cannot_mend_is_kept_until_an_admin_sends_it_again(
    app, app_context, partner
):
    queue("malformed")
    db.session.commit()
    partner.down = outbox.DeliveryFailed("400: the statement is malformed", retry=False)
    assert outbox.deliver_due(app).failed == 1
    outbox.make_due(db.session)
    assert outbox.deliver_due(app).failed == 0
    [message] = messages()
    assert message.failed_at is not None and message.last_error.startswith("400")
    [kind] = outbox.status(db.session)
    assert (kind.kind, kind.waiting, kind.failed, kind.sent) == ("test", 0, 1, 0)
    partner.down = None
    assert outbox.retry_failed(db.session) == 1
    assert outbox.deliver_due(app).sent == 1
    assert partner.received == [{"n": "malformed"}]


def test_a_delivery_sends_at_most_its_limit_of_waiting_messages_the_most_overdue_first(
    app, app_context, partner
):
    queue("sent before")
    db.session.commit()
    outbox.deliver_due(app)
    queue("another host's")
    queue("first queued")
    queue("longest overdue")
    db.session.commit()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.key == "another host's")
        .values(claimed_until=utcnow() + dt.timedelta(minutes=1))
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.key == "longest overdue")
        .values(next_attempt_at=utcnow() - dt.timedelta(hours=1))
    )
    db.session.commit()
    # Neither a message already sent nor one another host is sending takes up the limit.
    assert outbox.deliver_due(app, limit=1).sent == 1
    assert outbox.deliver_due(app, limit=1).sent == 1
    assert outbox.deliver_due(app, limit=1).sent == 0
    assert [payload["n"] for payload in partner.received] == [
        "sent before",
        "longest overdue",
        "first queued",
    ]


def test_a_message_another_host_is_sending_is_left_to_it_until_its_lease_ends(
    app, app_context, partner
):
    queue("a")
    db.session.commit()
    db.session.execute(
        sa.update(OutboxMessage).values(claimed_until=utcnow() + dt.timedelta(minutes=1))
    )
    db.session.commit()
    assert outbox.deliver_due(app).sent == 0
    # The other host died while sending it: once its lease is over, the message is taken.
    db.session.execute(
        sa.update(OutboxMessage).values(claimed_until=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()
    assert outbox.deliver_due(app).sent == 1
    assert partner.received == [{"n": "a"}]


def test_hosts_delivering_at_once_send_each_message_once(app, app_context, partner):
    for number in range(12):
        queue(f"m{number}")
    db.session.commit()
    counts = run_at_once(app, 3, lambda: outbox.deliver_due(app))
    assert sum(count.sent for count in counts) == 12
    assert sorted(payload["n"] for payload in partner.received) == sorted(
        f"m{number}" for number in range(12)
    )


def test_a_host_without_the_sender_leaves_the_message_waiting(app, app_context):
    outbox.enqueue(db.session, kind="elsewhere", key="k", payload={})
    db.session.commit()
    assert outbox.deliver_due(app).retrying == 1
    [message] = messages()
    assert message.sent_at is None and "no sender" in message.last_error


def test_the_status_tells_each_kind_apart_and_an_admin_resends_only_the_refused(
    app, app_context, partner
):
    queue("sent")
    db.session.commit()
    outbox.deliver_due(app)
    queue("refused")
    queue("refused too")
    db.session.commit()
    partner.down = outbox.DeliveryFailed("400: malformed", retry=False)
    assert outbox.deliver_due(app).failed == 2
    outbox.enqueue(db.session, kind="elsewhere", key="e1", payload={})
    outbox.enqueue(db.session, kind="elsewhere", key="e2", payload={})
    queue("waiting")
    db.session.commit()
    created = {message.key: message.created_at for message in messages()}
    assert outbox.status(db.session) == [
        outbox.KindStatus("elsewhere", 2, 0, 0, created["e1"]),
        outbox.KindStatus("test", 1, 2, 1, created["waiting"]),
    ]
    assert outbox.retry_failed(db.session) == 2


def test_a_waiting_message_about_a_person_goes_when_their_account_does(
    app, app_context, learner_id
):
    outbox.enqueue(db.session, kind="test", key="theirs", payload={}, user_id=learner_id)
    queue("nobody's")
    db.session.commit()
    db.session.delete(db.session.get(User, learner_id))
    db.session.commit()
    assert [message.key for message in messages()] == ["nobody's"]


def test_the_commands_deliver_and_tell_what_waits(app, partner):
    with app.app_context():
        queue("a")
        queue("b")
        db.session.commit()
    runner = app.test_cli_runner()
    partner.down = TimeoutError("timed out")
    assert "to try again: 2" in runner.invoke(args=["outbox", "deliver"]).output
    status = runner.invoke(args=["outbox", "status"]).output
    assert "test: waiting 2" in status and "sent 0" in status
    partner.down = None
    with app.app_context():
        outbox.make_due(db.session)
    assert "sent: 2" in runner.invoke(args=["outbox", "deliver"]).output
    assert "sent 2" in runner.invoke(args=["outbox", "status"]).output


def test_a_commit_that_queued_a_message_has_it_sent_in_the_background(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance", OUTBOX_IN_BACKGROUND=True)
    partner = Partner()
    outbox.register_sender(app, "test", partner.send)
    try:
        with app.app_context():
            queue("soon")
            db.session.commit()
        deadline = time.monotonic() + 10
        while not partner.received and time.monotonic() < deadline:
            time.sleep(0.02)
        outbox.wait_for_deliveries(app)
        assert partner.received == [{"n": "soon"}]
        with app.app_context():
            [message] = messages()
            assert message.sent_at is not None
    finally:
        dispose(app)


class Listener:
    def __init__(self, app) -> None:
        self.events: list[learning_events.LearningEvent] = []
        learning_events.subscribe(
            app,
            self.hear,
            learning_events.LessonOpened,
            learning_events.LessonCompleted,
            learning_events.QuestionAnswered,
            learning_events.QuizGraded,
            learning_events.CertificateEarned,
        )

    def hear(self, session, event) -> None:
        self.events.append(event)
        # What a real listener does: a message in the event's transaction.
        outbox.enqueue(
            session, kind="test", key=f"{type(event).__name__}-{len(self.events)}", payload={}
        )

    def kinds(self) -> list[str]:
        return [type(event).__name__ for event in self.events]


def test_opening_and_completing_a_lesson_are_announced_and_queued_with_them(
    app, app_context, learner_id
):
    listener = Listener(app)
    course = content.catalogue.course("co-production")
    lesson = course.published_lessons[0]
    progress.open_lesson(db.session, learner_id, course, lesson, language="pt")
    progress.open_lesson(db.session, learner_id, course, lesson, language="es")
    assert progress.record_completion(db.session, learner_id, lesson, language="pt")
    assert not progress.record_completion(db.session, learner_id, lesson, language="pt")
    assert listener.kinds() == ["LessonOpened", "LessonOpened", "LessonCompleted"]
    first, again, completed = listener.events
    assert (first.first, first.language, again.first, again.language) == (True, "pt", False, "es")
    assert (first.user_id, first.course, first.lesson) == (learner_id, course.slug, lesson.slug)
    assert (completed.lesson, completed.language) == (lesson.slug, "pt")
    assert len(messages()) == 3


def test_a_graded_attempt_announces_each_answer_then_the_grade_then_the_completion(
    app, app_context, learner_id
):
    listener = Listener(app)
    course = content.catalogue.course("co-production")
    lesson = next(lesson for lesson in course.published_lessons if lesson.quiz is not None)
    quiz = lesson.quiz

    def answers(pairs):
        chosen: dict[str, list[str]] = {}
        for field, option in pairs:
            chosen.setdefault(field, []).append(option)
        return quizzes.read_answers(quiz, chosen)

    failed = quizzes.submit_attempt(
        db.session,
        learner_id,
        lesson,
        number=1,
        language="es",
        answers=answers(wrong_answers(quiz)),
    ).attempt
    assert listener.kinds() == ["QuestionAnswered"] * len(quiz.questions) + ["QuizGraded"]
    graded = listener.events[-1]
    assert (graded.attempt_id, graded.attempt_number, graded.passed) == (failed.id, 1, False)
    assert (graded.points, graded.max_points) == (failed.points, failed.max_points)
    assert graded.required == quiz.settings.required and graded.language == "es"
    assert [event.question_id for event in listener.events[:-1]] == [q.id for q in quiz.questions]
    assert not any(event.correct for event in listener.events[:-1])
    listener.events.clear()
    passed = quizzes.submit_attempt(
        db.session,
        learner_id,
        lesson,
        number=2,
        language="pt",
        answers=answers(right_answers(quiz)),
    ).attempt
    expected = ["QuestionAnswered"] * len(quiz.questions) + ["QuizGraded"]
    if quiz.settings.required:
        expected.append("LessonCompleted")
    assert listener.kinds() == expected
    answered = listener.events[0]
    assert answered.correct and answered.attempt_id == passed.id
    assert answered.selected == tuple(sorted(quiz.questions[0].correct_ids))


def test_an_issued_certificate_is_announced(app, app_context, learner_id):
    listener = Listener(app)
    course = content.catalogue.course("co-production")
    for lesson in course.published_lessons:
        progress.record_completion(db.session, learner_id, lesson)
    listener.events.clear()
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name="Lu Amaral")
    assert listener.kinds() == ["CertificateEarned"]
    assert listener.events[0].code == certificate.code


def test_a_listener_is_told_of_every_opening_not_only_the_first(app, app_context, learner_id):
    """Without one, opening a lesson again only reads (tests/services/test_progress.py)."""
    course = content.catalogue.course("co-production")
    lesson = course.published_lessons[0]
    progress.open_lesson(db.session, learner_id, course, lesson, language="pt")
    listener = Listener(app)
    progress.open_lesson(db.session, learner_id, course, lesson, language="pt")
    assert listener.kinds() == ["LessonOpened"] and not listener.events[0].first
    assert len(messages()) == 1
