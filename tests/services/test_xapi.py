"""xAPI statements in a real learning record store (Ralph, started once for the run): what a
learner does reaches it through the outbox, named by a token that is not their account,
once each, even when the store was down meanwhile; erasure voids what was sent and
forgets the token."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import AuditLogEntry, Cohort, Membership, OutboxMessage, XapiLearner, utcnow
from app.services import accounts, certificates, outbox, privacy, progress, quizzes, xapi
from tests.conftest import (
    XAPI_SITE_URL,
    assert_gone_from_database_files,
    dispose,
    make_app,
    right_answers,
)
from tests.conftest import wrong_answers as all_wrong
from tests.lrs import LearningRecordStore

ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def course(xapi_app):
    with xapi_app.app_context():
        yield content.catalogue.course("co-production")


def new_learner(email: str = "lu@example.org") -> int:
    return accounts.create_user(
        db.session, email=email, password="a long password", display_name="Lu Amaral"
    ).id


def token_of(user_id: int) -> str:
    return db.session.scalar(sa.select(XapiLearner.name).where(XapiLearner.user_id == user_id))


def stored(lrs: LearningRecordStore, user_id: int) -> list[dict]:
    """The statements the store holds about the learner, oldest first."""
    agent = {"account": {"homePage": XAPI_SITE_URL, "name": token_of(user_id)}}
    return sorted(lrs.statements(agent=agent), key=lambda s: s["timestamp"])


def verbs(statements: list[dict]) -> list[str]:
    return [statement["verb"]["id"].rsplit("/", 1)[1] for statement in statements]


def answer(quiz, pairs) -> dict:
    chosen: dict[str, list[str]] = {}
    for field, option in pairs:
        chosen.setdefault(field, []).append(option)
    return quizzes.read_answers(quiz, chosen)


def quiz_lesson(course):
    return next(lesson for lesson in course.published_lessons if lesson.quiz is not None)


def test_every_kind_of_statement_is_valid_xapi_by_ralphs_strict_model(lrs):
    """Its store takes statements through a lax model: the strict one checks each field."""
    from app.services.learning_events import (
        CertificateEarned,
        LessonCompleted,
        LessonOpened,
        QuestionAnswered,
        QuizGraded,
    )

    about = {"user_id": 1, "course": "co-production", "lesson": "one", "language": "pt"}
    attempt = {**about, "attempt_id": 7, "attempt_number": 2}
    events = [
        LessonOpened(**about, first=True),
        LessonCompleted(**about),
        LessonCompleted(**{**about, "lesson": "two", "language": None}),
        QuestionAnswered(**attempt, question_id="q1", selected=("a", "c"), correct=False),
        QuizGraded(**attempt, points=3, max_points=4, passed=True, required=True),
        QuizGraded(
            **{**attempt, "attempt_id": 8}, points=0, max_points=0, passed=False, required=False
        ),
        CertificateEarned(user_id=1, course="co-production", code="ABCD-EFGH"),
    ]
    setting = xapi.Setting(
        site=XAPI_SITE_URL,
        learner="0" * 32,
        course_title="Coprodução",
        lesson_title="Lição um",
        cohort=(3, "Lisboa 2027"),
    )
    statements = [xapi.build_statement(event, setting) for event in events]
    statements.append(xapi.voiding_statement(statements[0]))
    assert lrs.check(statements) == ""
    assert "actor" in lrs.check([{**statements[0], "actor": None}])
    assert len({statement["id"] for statement in statements}) == len(statements)
    # The same event makes the same statement: a second queueing is the same message.
    assert xapi.build_statement(events[1], setting)["id"] == statements[1]["id"]
    assert "ABCD-EFGH" not in str(statements)


def test_opening_and_completing_a_lesson_reach_the_store_with_its_course_and_language(
    xapi_app, course, lrs
):
    learner = new_learner()
    lesson = course.published_lessons[0]
    progress.open_lesson(db.session, learner, course, lesson, language="pt")
    progress.record_completion(db.session, learner, lesson, language="pt")
    assert outbox.deliver_due(xapi_app).sent == 2
    opened, completed = stored(lrs, learner)
    assert verbs([opened, completed]) == ["experienced", "completed"]
    lesson_id = f"{XAPI_SITE_URL}courses/co-production/lessons/{lesson.slug}"
    assert opened["object"]["id"] == completed["object"]["id"] == lesson_id
    assert opened["object"]["definition"]["name"] == {"pt": lesson.text_for("pt").title}
    assert opened["context"]["language"] == "pt"
    [grouping] = opened["context"]["contextActivities"]["grouping"]
    assert grouping["id"] == f"{XAPI_SITE_URL}courses/co-production"
    assert grouping["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert completed["result"] == {"completion": True}


def test_the_learner_is_a_random_token_under_the_site_never_their_account(xapi_app, course, lrs):
    first, second = new_learner(), new_learner("bea@example.org")
    lesson = course.published_lessons[0]
    for learner in (first, second):
        progress.open_lesson(db.session, learner, course, lesson, language="es")
    outbox.deliver_due(xapi_app)
    tokens = {token_of(first), token_of(second)}
    assert len(tokens) == 2 and all(len(token) == 32 for token in tokens)
    [statement] = stored(lrs, first)
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": XAPI_SITE_URL, "name": token_of(first)},
    }
    sent = str(statement)
    assert "lu@example.org" not in sent and "Lu Amaral" not in sent


def test_a_quiz_sends_each_answer_then_failed_or_passed_with_the_score(xapi_app, course, lrs):
    learner = new_learner()
    lesson = quiz_lesson(course)
    quiz = lesson.quiz
    quizzes.submit_attempt(
        db.session, learner, lesson, number=1, language="es", answers=answer(quiz, all_wrong(quiz))
    )
    quizzes.submit_attempt(
        db.session,
        learner,
        lesson,
        number=2,
        language="es",
        answers=answer(quiz, right_answers(quiz)),
    )
    outbox.deliver_due(xapi_app)
    statements = stored(lrs, learner)
    counted = Counter(verbs(statements))
    assert counted["answered"] == 2 * len(quiz.questions)
    assert (counted["failed"], counted["passed"]) == (1, 1)
    assert counted["completed"] == (1 if quiz.settings.required else 0)
    passed = next(s for s in statements if verbs([s]) == ["passed"])
    assert passed["object"]["id"].endswith(f"/lessons/{lesson.slug}/quiz")
    assert passed["result"]["success"] is True
    assert passed["result"]["score"]["raw"] == passed["result"]["score"]["max"]
    assert passed["context"]["language"] == "es"
    [of] = passed["context"]["contextActivities"]["parent"]
    assert of["id"] == f"{XAPI_SITE_URL}courses/co-production/lessons/{lesson.slug}"
    question = quiz.questions[0]
    right = next(
        s
        for s in statements
        if s["object"]["id"].endswith(f"/questions/{question.id}") and s["result"]["success"]
    )
    assert right["result"]["response"] == "[,]".join(sorted(question.correct_ids))
    assert right["object"]["definition"]["interactionType"] == "choice"
    parents = [a["id"] for a in right["context"]["contextActivities"]["parent"]]
    assert parents[0].endswith("/quiz") and parents[1].endswith(f"/lessons/{lesson.slug}")


def test_a_certificate_is_earned_in_the_learners_cohort(xapi_app, course, lrs):
    learner = new_learner()
    cohort = Cohort(course=course.slug, name="Lisboa 2027", join_code="lisboa")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(Membership(user_id=learner, course=course.slug, cohort_id=cohort.id))
    db.session.commit()
    for lesson in course.published_lessons:
        progress.record_completion(db.session, learner, lesson)
    certificates.issue_if_earned(db.session, learner, course, name="Lu Amaral")
    outbox.deliver_due(xapi_app)
    earned = stored(lrs, learner)[-1]
    assert earned["verb"]["id"] == "http://id.tincanapi.com/verb/earned"
    assert earned["object"]["id"] == f"{XAPI_SITE_URL}courses/co-production/certificate"
    grouping = [a["id"] for a in earned["context"]["contextActivities"]["grouping"]]
    assert grouping == [
        f"{XAPI_SITE_URL}courses/co-production",
        f"{XAPI_SITE_URL}courses/co-production/cohorts/{cohort.id}",
    ]
    assert "Lu Amaral" not in str(earned)


def test_a_statement_sent_again_is_stored_once(xapi_app, course, lrs):
    learner = new_learner()
    lesson = course.published_lessons[0]
    progress.record_completion(db.session, learner, lesson, language="en")
    outbox.deliver_due(xapi_app)
    # As if the first answer had been lost: the message is sent a second time.
    db.session.execute(sa.update(OutboxMessage).values(sent_at=None))
    db.session.commit()
    assert outbox.deliver_due(xapi_app).sent == 1
    assert verbs(stored(lrs, learner)) == ["completed"]


def test_nothing_is_queued_or_kept_without_a_store(app, app_context):
    learner = new_learner()
    course = content.catalogue.course("co-production")
    lesson = course.published_lessons[0]
    progress.open_lesson(db.session, learner, course, lesson, language="pt")
    progress.record_completion(db.session, learner, lesson, language="pt")
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []
    assert db.session.scalars(sa.select(XapiLearner)).all() == []


def test_events_while_the_store_is_down_wait_and_each_arrives_once_when_it_is_back(
    xapi_app, course, lrs
):
    learner = new_learner()
    first, second = course.published_lessons[:2]
    progress.open_lesson(db.session, learner, course, first, language="es")
    assert outbox.deliver_due(xapi_app).sent == 1
    lrs.stop()
    try:
        progress.record_completion(db.session, learner, first, language="es")
        progress.open_lesson(db.session, learner, course, second, language="es")
        quiz = second.quiz
        quizzes.submit_attempt(
            db.session,
            learner,
            second,
            number=1,
            language="es",
            answers=answer(quiz, right_answers(quiz)),
        )
        waiting = 2 + len(quiz.questions) + 1 + (1 if quiz.settings.required else 0)
        counts = outbox.deliver_due(xapi_app)
        assert (counts.sent, counts.retrying, counts.failed) == (0, waiting, 0)
        outbox.make_due(db.session)
        assert outbox.deliver_due(xapi_app).retrying == waiting
    finally:
        lrs.start()
    # Back, but each message waits for its delay: nothing is tried early.
    assert outbox.deliver_due(xapi_app).sent == 0
    outbox.make_due(db.session)
    assert outbox.deliver_due(xapi_app).sent == waiting
    statements = stored(lrs, learner)
    assert len(statements) == 1 + waiting
    assert len({statement["id"] for statement in statements}) == len(statements)
    db.session.expire_all()
    queued = db.session.scalars(sa.select(OutboxMessage.payload)).all()
    assert {p["statement"]["id"] for p in queued} == {s["id"] for s in statements}


def test_a_worker_that_dies_after_sending_leaves_a_message_that_is_sent_again_once(
    xapi_app, course, lrs
):
    """It sent the statement, then died before recording it: another host takes the
    message once its lease has passed, and the store keeps the one it has."""
    learner = new_learner()
    progress.record_completion(db.session, learner, course.published_lessons[0], language="pt")
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    db.session.expunge(message)
    xapi.send(message)
    db.session.execute(
        sa.update(OutboxMessage).values(claimed_until=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()
    assert outbox.deliver_due(xapi_app).sent == 1
    assert verbs(stored(lrs, learner)) == ["completed"]


def test_a_statement_the_store_refuses_as_malformed_is_kept_as_failed(xapi_app, course, lrs):
    outbox.enqueue(
        db.session, kind="xapi", key="xapi:bad", payload={"statement": {"id": str(uuid.uuid4())}}
    )
    db.session.commit()
    counts = outbox.deliver_due(xapi_app)
    assert (counts.sent, counts.retrying, counts.failed) == (0, 0, 1)
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert "422" in message.last_error and "actor" in message.last_error


def test_erasure_voids_what_was_sent_drops_what_waits_and_forgets_the_token(
    xapi_app, course, lrs, database_url
):
    learner = new_learner()
    lesson = course.published_lessons[0]
    progress.open_lesson(db.session, learner, course, lesson, language="pt")
    progress.record_completion(db.session, learner, lesson, language="pt")
    outbox.deliver_due(xapi_app)
    sent = {statement["id"] for statement in stored(lrs, learner)}
    token = token_of(learner)
    progress.open_lesson(db.session, learner, course, lesson, language="pt")  # still waiting
    privacy.erase_account(db.session, content.register, learner)

    assert db.session.scalars(sa.select(XapiLearner)).all() == []
    db.session.expire_all()
    queued = db.session.scalars(sa.select(OutboxMessage)).all()
    # Only the voiding statements are left, the site's, naming nobody.
    assert all(message.user_id is None for message in queued)
    assert {m.payload["statement"]["object"]["id"] for m in queued} == sent
    assert outbox.deliver_due(xapi_app).sent == len(sent)
    for message in queued:
        [voiding] = lrs.statements(statementId=message.payload["statement"]["id"])
        assert voiding["verb"]["id"] == f"{ADL}voided"
        assert voiding["actor"]["account"]["name"] == xapi.SITE_AGENT
    # Ralph stores the voiding statements but does not act on them (its GET still returns
    # what they void, and ignores voidedStatementId): there, what keeps them from naming the
    # learner is the token, which no row here leads to any more.
    assert_gone_from_database_files(database_url, [token])
    assert db.session.scalars(sa.select(AuditLogEntry)).all() == []


def test_erasure_voids_only_the_persons_statements_and_one_another_host_is_sending(
    xapi_app, course, lrs
):
    learner, other = new_learner(), new_learner("ana@example.org")
    progress.open_lesson(db.session, learner, course, course.published_lessons[0], language="pt")
    [sending] = db.session.scalars(sa.select(OutboxMessage)).all()
    sending.claimed_until = utcnow() + dt.timedelta(minutes=1)
    being_sent = sending.payload["statement"]["id"]
    now = utcnow()
    for user_id, kind in ((learner, "lti-score"), (other, "xapi")):
        db.session.add(
            OutboxMessage(
                kind=kind,
                key=f"{kind}:{user_id}",
                payload={"statement": {"id": str(uuid.uuid4())}},
                user_id=user_id,
                created_at=now,
                next_attempt_at=now,
                sent_at=now,
            )
        )
    db.session.commit()
    privacy.erase_account(db.session, content.register, learner)
    db.session.expire_all()
    voided = [
        message.payload["statement"]["object"]["id"]
        for message in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.user_id.is_(None))
        )
    ]
    assert voided == [being_sent]


def test_erasure_records_what_could_not_be_voided_once_no_store_is_configured(app_context):
    """Sent while a store was configured, which it no longer is: nobody can be asked to
    void them, and the audit log says so, for whoever answers for that store."""
    learner = new_learner()
    sent = {"statement": {"id": str(uuid.uuid4())}}
    db.session.add(XapiLearner(user_id=learner, name="a-token"))
    db.session.add(
        OutboxMessage(kind="xapi", key="xapi:1", payload=sent, user_id=learner, sent_at=utcnow())
    )
    db.session.commit()
    privacy.erase_account(db.session, content.register, learner)
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []
    [entry] = db.session.scalars(sa.select(AuditLogEntry)).all()
    assert (entry.action, entry.subject_ref) == (xapi.NOT_VOIDED, privacy.user_ref(learner))
    assert entry.details["statements"] == 1


def test_the_notice_lists_learning_records_only_with_a_store_and_changes_with_its_name(
    app_context,
):
    register = content.register
    lesson = content.catalogue.course("co-production").published_lessons[0]
    controller = "The Lab <privacy@example.org>"

    def notice(**settings: str) -> privacy.Notice:
        return privacy.lesson_notice(register, lesson, controller, settings)

    plain = notice()
    sent = notice(XAPI_ENDPOINT="https://lrs.example.org/xAPI/", XAPI_LRS_NAME="The LRS")
    renamed = notice(XAPI_ENDPOINT="https://lrs.example.org/xAPI/", XAPI_LRS_NAME="Another")
    assert "learning-records" not in [category.id for category in plain.categories]
    assert "learning-records" in [category.id for category in sent.categories]
    # Learners confirm again before statements are sent, or sent somewhere else.
    assert len({plain.version, sent.version, renamed.version}) == 3


def test_wrong_credentials_are_tried_again_until_the_configuration_is_mended(
    database_url, tmp_path, lrs
):
    wrong = make_app(
        database_url,
        tmp_path / "wrong",
        **{**lrs.settings, "XAPI_PASSWORD": "not it"},
        XAPI_SITE_URL=XAPI_SITE_URL,
    )
    try:
        with wrong.app_context():
            learner = new_learner()
            lesson = content.catalogue.course("co-production").published_lessons[0]
            progress.record_completion(db.session, learner, lesson, language="es")
            counts = outbox.deliver_due(wrong)
            assert (counts.sent, counts.retrying, counts.failed) == (0, 1, 0)
            [message] = db.session.scalars(sa.select(OutboxMessage)).all()
            assert "401" in message.last_error
    finally:
        dispose(wrong)
    mended = make_app(
        database_url, tmp_path / "mended", **lrs.settings, XAPI_SITE_URL=XAPI_SITE_URL
    )
    try:
        with mended.app_context():
            outbox.make_due(db.session)
            assert outbox.deliver_due(mended).sent == 1
            assert verbs(stored(lrs, learner)) == ["completed"]
    finally:
        dispose(mended)
