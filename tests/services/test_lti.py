"""Scores back to the platform a person was launched from (LTI Assignment and Grade
Services), through the outbox: a quiz's points or a completed lesson for a lesson's line
item, the share of lessons completed for the course's; a platform that is down gets the
score later, once; and what a launch keeps about the person is exported and erased with
them."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import LtiAccount, LtiGradeTarget, OutboxMessage, QuizAttempt
from app.services import credentials, lti, outbox, privacy, progress
from tests.conftest import assert_gone_from_database_files, right_answers, wrong_answers
from tests.lti_platform import serving_platform
from tests.web.conftest import course_app  # noqa: F401  (a fixture)

COURSE = "/lti/courses/co-production"
LESSON = "what-is-co-production"
LINEITEM_PATH = "/lineitems/7/lineitem/scores"


@pytest.fixture(scope="module")
def served_platform():
    with serving_platform() as platform:
        yield platform


def registered(app, platform):
    """The platform reset, registered with the tool, and given the tool's published key
    set to check its client assertions against."""
    platform.reset()
    with app.app_context():
        lti.register(db.session, platform.details())
        credentials.current_key(db.session, app.secret_key)
    platform.tool_key_set = app.test_client().get("/.well-known/jwks.json").get_json()
    return platform


@pytest.fixture
def platform(app, served_platform):
    return registered(app, served_platform)


def launched(app, platform, target: str):
    client = app.test_client()
    assert platform.launch(client, target).status_code == 303
    return client


def learner_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(LtiAccount.user_id))


def deliver(app) -> outbox.DeliveryCounts:
    return outbox.deliver_due(app)


def test_a_quiz_score_waits_while_the_platform_is_down_and_arrives_once(app, platform):
    client = launched(app, platform, f"{COURSE}/lessons/{LESSON}")
    lesson = content_lesson(app, LESSON)
    client.acknowledge("pt", LESSON)
    client.take_quiz("pt", lesson, wrong_answers(lesson.quiz))
    platform.down_for = 1
    assert (deliver(app).sent, platform.scores) == (0, [])
    with app.app_context():
        waiting = db.session.scalars(sa.select(OutboxMessage)).all()
        assert [(m.kind, m.sent_at, m.attempts) for m in waiting] == [("lti-score", None, 1)]
        assert "503" in waiting[0].last_error
        # Not due yet: the next pass leaves it alone.
    assert deliver(app).sent == 0
    with app.app_context():
        outbox.make_due(db.session)
    assert deliver(app).sent == 1
    assert deliver(app).sent == 0
    (received,) = platform.scores
    assert (received.path, received.query) == (LINEITEM_PATH, "type=lti")
    assert received.content_type == "application/vnd.ims.lis.v1.score+json"
    score = received.score
    assert score["userId"] == "learner-1"
    assert (score["scoreGiven"], score["scoreMaximum"]) == attempts(app)[0]
    assert (score["activityProgress"], score["gradingProgress"]) == ("Submitted", "FullyGraded")
    assert score["timestamp"].endswith("+00:00")
    # The token was given for the tool's own key, checked against its published key set.
    assert [claims["iss"] for claims in platform.assertions] == ["aula-tool", "aula-tool"]


def test_each_graded_attempt_sends_its_own_score(app, platform):
    client = launched(app, platform, f"{COURSE}/lessons/{LESSON}")
    lesson = content_lesson(app, LESSON)
    client.acknowledge("pt", LESSON)
    client.take_quiz("pt", lesson, wrong_answers(lesson.quiz))
    client.take_quiz("pt", lesson, right_answers(lesson.quiz))
    assert deliver(app).sent == 2
    given = [
        (s.score["scoreGiven"], s.score["scoreMaximum"], s.score["activityProgress"])
        for s in platform.scores
    ]
    (first_points, most), (second_points, _most) = attempts(app)
    assert given == [(first_points, most, "Submitted"), (second_points, most, "Completed")]
    assert first_points < second_points == most


def test_a_course_launch_sends_the_share_of_lessons_completed(app, platform):
    launched(app, platform, COURSE)
    user_id = learner_id(app)
    with app.app_context():
        lessons = content.catalogue.course("co-production").published_lessons
        progress.record_completion(db.session, user_id, lessons[0])
        # Completed again: no new score.
        progress.record_completion(db.session, user_id, lessons[0])
        progress.record_completion(db.session, user_id, lessons[1])
    assert deliver(app).sent == 2
    shares = [
        (s.score["scoreGiven"], s.score["scoreMaximum"], s.score["activityProgress"])
        for s in platform.scores
    ]
    assert shares == [(1, 2, "InProgress"), (2, 2, "Completed")]


def test_a_lesson_without_a_quiz_sends_full_marks_once_completed(
    course_app,  # noqa: F811
    served_platform,
):
    def write(lessons):
        lessons.lesson("01-reading")
        lessons.lesson("02-more-reading")

    app = course_app(write)
    platform = registered(app, served_platform)
    launched(app, platform, f"{COURSE}/lessons/reading")
    with app.app_context():
        lessons = content.catalogue.course("co-production").published_lessons
        # Another lesson's completion is not this line item's.
        progress.record_completion(db.session, learner_id(app), lessons[1])
        progress.record_completion(db.session, learner_id(app), lessons[0])
    assert deliver(app).sent == 1
    (received,) = platform.scores
    assert (received.score["scoreGiven"], received.score["scoreMaximum"]) == (1, 1)


def test_work_done_before_the_first_launch_from_a_line_item_is_sent_once(app, platform):
    # Launched first from a link with no gradebook column, and the first lesson completed.
    platform.next_claims = {lti.AGS_ENDPOINT: None}
    launched(app, platform, COURSE)
    with app.app_context():
        lesson = content.catalogue.course("co-production").published_lessons[0]
        progress.record_completion(db.session, learner_id(app), lesson)
    assert deliver(app).sent == 0
    # Then from one with a column, twice: the first sends what was done, the second nothing.
    platform.next_claims = {}
    launched(app, platform, COURSE)
    launched(app, platform, COURSE)
    assert deliver(app).sent == 1
    (received,) = platform.scores
    score = received.score
    assert (score["scoreGiven"], score["scoreMaximum"], score["activityProgress"]) == (
        1,
        2,
        "InProgress",
    )
    assert score["userId"] == "learner-1"


def test_a_quiz_graded_before_the_first_launch_from_its_lesson_is_sent(app, platform):
    platform.next_claims = {lti.AGS_ENDPOINT: None}
    client = launched(app, platform, f"{COURSE}/lessons/{LESSON}")
    lesson = content_lesson(app, LESSON)
    client.acknowledge("pt", LESSON)
    client.take_quiz("pt", lesson, wrong_answers(lesson.quiz))
    client.take_quiz("pt", lesson, right_answers(lesson.quiz))
    assert deliver(app).sent == 0
    platform.next_claims = {}
    launched(app, platform, f"{COURSE}/lessons/{LESSON}")
    assert deliver(app).sent == 1
    (received,) = platform.scores
    # The latest attempt's points, as the platform would have kept them.
    assert (received.score["scoreGiven"], received.score["scoreMaximum"]) == attempts(app)[1]
    assert received.score["activityProgress"] == "Completed"


def test_a_first_launch_with_no_work_done_sends_nothing(app, platform):
    launched(app, platform, COURSE)
    launched(app, platform, f"{COURSE}/lessons/{LESSON}")
    assert deliver(app).sent == 0


def test_a_score_the_platform_refuses_as_malformed_is_kept_not_retried(app, platform):
    launched(app, platform, COURSE)
    with app.app_context():
        lesson = content.catalogue.course("co-production").published_lessons[0]
        progress.record_completion(db.session, learner_id(app), lesson)
    platform.refusing = 400
    counts = deliver(app)
    assert (counts.sent, counts.retrying, counts.failed) == (0, 0, 1)
    with app.app_context():
        outbox.make_due(db.session)
    assert deliver(app).failed == 0
    assert platform.scores == []


def test_a_platform_trickling_its_answer_is_cut_off_at_the_deadline(app, platform, monkeypatch):
    # Each byte comes well within the timeout of a read; the whole answer would not come
    # within the deadline (60 s, shortened here).
    monkeypatch.setattr(lti, "SEND_DEADLINE", 0.5)
    platform.trickling = 3
    launched(app, platform, COURSE)
    with app.app_context():
        lesson = content.catalogue.course("co-production").published_lessons[0]
        progress.record_completion(db.session, learner_id(app), lesson)
    started = time.monotonic()
    counts = deliver(app)
    assert time.monotonic() - started < 2
    assert (counts.sent, counts.retrying) == (0, 1)
    with app.app_context():
        (waiting,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert "took more than 0.5 s" in waiting.last_error


def test_a_score_is_retried_after_a_refusal_that_may_mend_and_kept_after_one_that_cannot(
    app, platform
):
    launched(app, platform, COURSE)
    with app.app_context():
        lesson = content.catalogue.course("co-production").published_lessons[0]
        progress.record_completion(db.session, learner_id(app), lesson)
    retried, kept = [], []
    for status in (401, 403, 408, 409, 429, 500, 400, 402, 404, 410, 422, 499):
        platform.refusing = status
        counts = deliver(app)
        (retried if counts.retrying else kept).append(status)
        with app.app_context():
            outbox.retry_failed(db.session)
            outbox.make_due(db.session)
    assert retried == [401, 403, 408, 409, 429, 500]
    assert kept == [400, 402, 404, 410, 422, 499]


def test_a_score_for_a_platform_removed_meanwhile_is_kept_not_retried(app, platform):
    launched(app, platform, COURSE)
    with app.app_context():
        lesson = content.catalogue.course("co-production").published_lessons[0]
        progress.record_completion(db.session, learner_id(app), lesson)
        (registration,) = lti.registrations(db.session)
        lti.remove(db.session, registration)
    counts = deliver(app)
    assert (counts.sent, counts.retrying, counts.failed) == (0, 0, 1)
    with app.app_context():
        (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert message.last_error == "the platform is no longer registered"
    assert platform.scores == []


def test_the_scores_address_keeps_the_line_items_query():
    assert lti.scores_url("https://lms.example.edu/api/lineitems/3?type=x&id=2") == (
        "https://lms.example.edu/api/lineitems/3/scores?type=x&id=2"
    )
    assert lti.scores_url("https://lms.example.edu/lineitems/3/") == (
        "https://lms.example.edu/lineitems/3/scores"
    )


def test_what_a_launch_keeps_is_exported_and_erased_without_a_trace(app, platform, database_url):
    launched(app, platform, COURSE)
    user_id = learner_id(app)
    lineitem = f"{platform.base}/lineitems/7/lineitem?type=lti"
    with app.app_context():
        progress.record_completion(
            db.session, user_id, content.catalogue.course("co-production").published_lessons[0]
        )
        exported = privacy.export_data(db.session, content.register, user_id, "en")
        (category,) = [c for c in exported["categories"] if c["id"] == "institution-platform"]
        (link,) = category["records"]["lti_accounts"]
        assert (link["sub"], link["platform_name"]) == ("learner-1", "Test Moodle")
        (target,) = category["records"]["lti_grade_targets"]
        assert (target["lineitem"], target["course"]) == (lineitem, "co-production")
        (waiting,) = category["records"]["outbox_messages"]
        assert waiting["payload"]["score"]["userId"] == "learner-1"
        privacy.erase_account(db.session, content.register, user_id)
        for model in (LtiAccount, LtiGradeTarget, OutboxMessage):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    assert_gone_from_database_files(database_url, ["learner-1", "lineitems/7/lineitem"])


def attempts(app) -> list[tuple[int, int]]:
    """Each quiz attempt's points and most points, in order."""
    with app.app_context():
        found = db.session.execute(
            sa.select(QuizAttempt.points, QuizAttempt.max_points).order_by(QuizAttempt.id)
        )
        return [tuple(row) for row in found]


def content_lesson(app, slug: str):
    with app.app_context():
        return content.catalogue.course("co-production").published_lesson(slug)
