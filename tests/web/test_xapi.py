"""xAPI through the pages: where a learning record store is configured, the lesson's notice
says what is sent and to whom, what the learner does reaches the store, and their data
page and download show the name it knows them by and what was sent."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import sqlalchemy as sa

from app.content import load_course
from app.extensions import content, db
from app.models import XapiLearner
from app.services import outbox
from config import ROOT
from tests.conftest import dispose, make_app, right_answers

COURSE = load_course(ROOT / "lessons" / "co-production")
LESSON = COURSE.published_lessons[0]


@pytest.fixture
def app(database_url, tmp_path, lrs):
    """The site with the run's store, and no XAPI_SITE_URL: statements take its address from
    the pages."""
    application = make_app(database_url, tmp_path / "instance", **lrs.settings)
    yield application
    dispose(application)


def test_a_learner_who_passes_a_quiz_is_in_the_store_and_sees_what_was_sent(app, client, lrs):
    client.register("es")
    page = client.get(f"/es/courses/co-production/lessons/{LESSON.slug}").text
    with app.app_context():
        records = content.register.category("learning-records")
    assert records.name["es"] in page and "Ralph, the test LRS" in page
    notice = client.get("/es/privacy").text
    assert records.recipients["es"] in notice and "Ralph, the test LRS" in notice
    client.acknowledge("es", LESSON.slug)
    client.get(f"/es/courses/co-production/lessons/{LESSON.slug}")
    assert client.take_quiz("es", LESSON, right_answers(LESSON.quiz)).status_code == 303
    outbox.deliver_due(app)

    with app.app_context():
        token = db.session.scalar(sa.select(XapiLearner.name))
    statements = lrs.statements(agent={"account": {"homePage": "http://localhost/", "name": token}})
    counted = Counter(statement["verb"]["id"].rsplit("/", 1)[1] for statement in statements)
    # Opened once here and once more for the quiz's form: every opening, none served from
    # the kept pages, where it could not be told.
    assert counted.pop("experienced") == 2
    assert counted == {"answered": len(LESSON.quiz.questions), "passed": 1, "completed": 1}
    assert {statement["context"]["language"] for statement in statements} == {"es"}
    course = "http://localhost/courses/co-production"
    for statement in statements:
        grouping = statement["context"]["contextActivities"]["grouping"]
        assert grouping[0]["id"] == course

    data = client.get("/es/account/data").text
    section = data[data.index('id="learning-records"') :].split("</section>", 1)[0]
    assert token in section and section.count("<li>") == len(statements)
    exported = json.loads(client.get("/account/data.json").text)
    [category] = [c for c in exported["categories"] if c["id"] == "learning-records"]
    assert [row["name"] for row in category["records"]["xapi_learners"]] == [token]
    queued = category["records"]["outbox_messages"]
    assert len(queued) == len(statements) and all(row["sent_at"] for row in queued)


def test_without_a_store_the_notice_does_not_mention_one(database_url, tmp_path):
    plain = make_app(database_url, tmp_path / "plain")
    try:
        page = plain.test_client().get(f"/es/courses/co-production/lessons/{LESSON.slug}").text
        with plain.app_context():
            records = content.register.category("learning-records")
        assert records.name["es"] not in page and records.recipients["es"] not in page
    finally:
        dispose(plain)
