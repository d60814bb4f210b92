"""Objection to the course figures (GDPR Art. 21) and restriction of an account's data
(Art. 18): the account is left out of the figures, and a restricted one of every report;
and the wording of each consent, kept as shown and given back in the export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.content import load_register
from app.extensions import content, db
from app.models import AuditLogEntry, ConsentText, LessonProgress
from app.services import accounts, dashboard, privacy
from app.services.reports import ReportFilters
from config import TestConfig
from tests.conftest import outbox, sign_in_as

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def _learner(email: str, language: str) -> int:
    user = accounts.create_user(
        db.session, email=email, password="a long password", display_name=email, language=language
    )
    db.session.add(
        LessonProgress(
            course="co-production",
            user_id=user.id,
            lesson_slug="what-is-co-production",
            started_at=NOW,
        )
    )
    db.session.commit()
    return user.id


def _figures(**filters) -> dashboard.Figures:
    parsed = ReportFilters.parse(filters, content.course.languages)
    return dashboard.figures(db.session, content.course, parsed, "en", now=NOW)


def _started(figures: dashboard.Figures) -> int:
    return next(f.started for f in figures.lessons if f.slug == "what-is-co-production")


@pytest.mark.parametrize("filters", [{}, {"language": "pt"}])
@pytest.mark.parametrize("leave_out", ["objection", "restriction"])
def test_an_account_left_out_is_in_no_figure_of_the_dashboard(app_context, filters, leave_out):
    kept, left = _learner("kept@example.org", "pt"), _learner("left@example.org", "pt")
    before = _figures(**filters)
    assert before.headline.registered == 2 and _started(before) == 2
    if leave_out == "objection":
        assert privacy.object_to_figures(db.session, left, True)
    else:
        assert privacy.restrict(db.session, None, left, True)
    after = _figures(**filters)
    assert after.headline.registered == 1
    assert _started(after) == 1
    assert after.by_language == {"pt": 1}
    assert kept != left


def test_withdrawing_the_objection_counts_the_learner_again_and_both_are_logged(app_context):
    left = _learner("left@example.org", "es")
    assert privacy.object_to_figures(db.session, left, True)
    assert not privacy.object_to_figures(db.session, left, True)  # twice is once
    assert _figures().headline.registered == 0
    assert privacy.object_to_figures(db.session, left, False)
    assert _figures().headline.registered == 1
    entries = db.session.scalars(sa.select(AuditLogEntry).order_by(AuditLogEntry.id)).all()
    assert [(e.action, e.subject_ref, e.details) for e in entries] == [
        ("objected", f"user #{left}", {"by": "the person"}),
        ("objection withdrawn", f"user #{left}", {"by": "the person"}),
    ]


def test_an_objecting_or_restricted_learner_is_left_out_of_quiz_statistics(app_context):
    register = content.register
    ids = [_learner(f"{n}@example.org", "en") for n in ("a", "b", "c")]
    for user_id in ids:
        privacy.record_consents(db.session, register, user_id, {"course-improvement"}, "en")
    privacy.object_to_figures(db.session, ids[1], True)
    privacy.restrict(db.session, None, ids[2], True)
    counted = set(db.session.scalars(privacy.consenting_user_ids("course-improvement")))
    assert counted == {ids[0]}


def test_a_learner_objects_from_their_data_page(app):
    client = sign_in_as(app, None, "ana@example.org")
    page = client.get("/en/account/data").get_data(as_text=True)
    assert 'id="figures"' in page and "Leave me out of the figures" in page
    response = client.submit("/en/account/data", "/en/account/objection", data={"object": "yes"})
    assert response.status_code == 303
    page = client.get("/en/account/data").get_data(as_text=True)
    assert "Count me in the figures again" in page
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        assert user.statistics_objection_at is not None
    bad = client.submit("/en/account/data", "/en/account/objection", data={"object": "maybe"})
    assert bad.status_code == 400


@pytest.fixture
def admin(app):
    return sign_in_as(app, accounts.Role.ADMIN, "admin@example.org")


def _restriction(admin, user_id: int, step: str):
    return admin.submit(
        "/en/admin/users", f"/en/admin/users/{user_id}/restriction", data={"restriction": step}
    )


def _actions(app, user_id: int) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditLogEntry.action)
            .where(AuditLogEntry.subject_ref == f"user #{user_id}")
            .order_by(AuditLogEntry.id)
        ).all()


def test_an_admin_restricts_an_account_which_leaves_every_report_and_is_told(app, admin):
    learner = sign_in_as(app, None, "ana@example.org")
    learner.get("/pt/")  # reads the course in Portuguese
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        user_id = user.id
        assert user.language == "pt"
    for kind in ("progress", "summary"):
        assert "ana@example.org" in admin.get(f"/admin/reports/{kind}.csv").get_data(as_text=True)
    assert _restriction(admin, user_id, "restrict").status_code == 303
    for kind in ("progress", "summary"):
        for output in ("csv", "json"):
            body = admin.get(f"/admin/reports/{kind}.{output}").get_data(as_text=True)
            assert "ana@example.org" not in body
    assert "since" in learner.get("/en/account/data").get_data(as_text=True)
    learner_page = admin.get(f"/en/admin/learners/{user_id}").get_data(as_text=True)
    assert 'class="notice-restricted"' in learner_page
    told = [m for m in outbox(app) if m["To"] == "ana@example.org"][-1]
    with app.test_request_context(), force_locale("pt"):
        assert _("The use of your data is restricted") in told["Subject"]
    assert "restricted" in _actions(app, user_id)


def test_a_restriction_is_lifted_only_after_the_person_is_told(app, admin):
    sign_in_as(app, None, "ana@example.org")
    with app.app_context():
        user_id = accounts.find_user(db.session, "ana@example.org").id
    _restriction(admin, user_id, "restrict")
    mails = len(outbox(app))
    # Lifting first is refused: the person hears of it before (GDPR Art. 18(3)).
    refused = _restriction(admin, user_id, "lift")
    assert refused.status_code == 409
    assert 'href="/en/admin/users"' in refused.get_data(as_text=True)
    assert "ana@example.org" not in admin.get("/admin/reports/progress.csv").get_data(as_text=True)
    assert _restriction(admin, user_id, "announce-lift").status_code == 303
    told = outbox(app)[mails:]
    assert [m["To"] for m in told] == ["ana@example.org"]
    assert "is to be lifted" in told[0]["Subject"]
    # Still restricted until the admin lifts it.
    assert "ana@example.org" not in admin.get("/admin/reports/progress.csv").get_data(as_text=True)
    page = admin.get("/en/admin/users").get_data(as_text=True)
    assert 'name="restriction" value="lift"' in page
    assert _restriction(admin, user_id, "lift").status_code == 303
    assert "ana@example.org" in admin.get("/admin/reports/progress.csv").get_data(as_text=True)
    assert _actions(app, user_id) == [
        "restricted",
        "restriction lift announced",
        "restriction lifted",
    ]
    # Restricted again, it must be announced again before it is lifted.
    _restriction(admin, user_id, "restrict")
    assert _restriction(admin, user_id, "lift").status_code == 409


def test_an_admin_cannot_restrict_their_own_account(app, admin):
    with app.app_context():
        own = accounts.find_user(db.session, "admin@example.org").id
    assert _restriction(admin, own, "restrict").status_code == 409


def test_a_restriction_form_that_says_neither_is_refused(app, admin):
    for data in ({}, {"restriction": "maybe"}):
        response = admin.submit("/en/admin/users", "/en/admin/users/1/restriction", data=data)
        assert response.status_code == 400


def test_the_consent_wording_is_kept_as_shown_and_given_back_in_the_export(app, tmp_path):
    client = sign_in_as(app, None, "ana@example.org")
    client.get("/pt/account/data")
    response = client.submit(
        "/pt/account/data", "/pt/account/consents", data={"purpose": "course-improvement"}
    )
    assert response.status_code == 303
    with app.app_context():
        [purpose] = content.register.purposes
        user_id = accounts.find_user(db.session, "ana@example.org").id
        shown = db.session.get(ConsentText, ("course-improvement", purpose.version, "pt"))
        assert shown.text == purpose.text["pt"]
        export = privacy.export_data(db.session, content.register, user_id, "en")
    consents = next(c for c in export["categories"] if c["id"] == "consents")
    [event] = consents["records"]["consent_events"]
    assert consents["wordings"] == [
        {
            "purpose": "course-improvement",
            "text_version": event["text_version"],
            "language": "pt",
            "text": purpose.text["pt"],
            "first_shown_at": shown.first_shown_at.isoformat(),
        }
    ]
    # The register's wording changes: the wording agreed to stays, beside the new one.
    text = Path(TestConfig.DATA_REGISTER).read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(
        text.replace("sem o meu nome", "sem o meu nome nem o meu email"), encoding="utf-8"
    )
    register = load_register(changed)
    with app.app_context():
        privacy.record_consents(db.session, register, user_id, set(), "pt")
        export = privacy.export_data(db.session, register, user_id, "pt")
    consents = next(c for c in export["categories"] if c["id"] == "consents")
    texts = [wording["text"] for wording in consents["wordings"]]
    assert texts == [purpose.text["pt"], register.purposes[0].text["pt"]]
    assert "nem o meu email" in texts[1]
    json.dumps(export)  # the download is plain JSON


def test_the_learners_download_holds_the_consent_wording(app):
    client = sign_in_as(app, None, "ana@example.org")
    client.submit(
        "/es/account/data", "/es/account/consents", data={"purpose": "course-improvement"}
    )
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    consents = next(c for c in data["categories"] if c["id"] == "consents")
    assert consents["wordings"][0]["language"] == "es"
    with app.app_context():
        assert consents["wordings"][0]["text"] == content.register.purposes[0].text["es"]


def test_an_objecting_learner_stays_in_named_reports_but_leaves_those_without_names(app, admin):
    learner = sign_in_as(app, None, "ana@example.org")
    learner.submit("/en/account/data", "/en/account/objection", data={"object": "yes"})
    with app.app_context():
        user_id = accounts.find_user(db.session, "ana@example.org").id
    named = admin.get("/admin/reports/progress.json").get_data(as_text=True)
    assert "ana@example.org" in named, "trainers still follow the learner's own progress"
    for kind in ("progress", "summary"):
        rows = json.loads(admin.get(f"/admin/reports/{kind}.json?pseudonymise=1").get_data())
        everyone = json.loads(admin.get(f"/admin/reports/{kind}.json").get_data())
        assert len({row["learner"] for row in rows}) == 1  # the admin alone
        assert len({row["learner_id"] for row in everyone}) == 2
    assert user_id


def test_a_choice_sent_twice_is_refused(app):
    client = sign_in_as(app, None, "ana@example.org")
    token = client.csrf_token("/en/account/data")
    sent = client.post(
        "/en/account/objection",
        data=MultiDict([("csrf_token", token), ("object", "yes"), ("object", "no")]),
    )
    assert sent.status_code == 400
    with app.app_context():
        assert accounts.find_user(db.session, "ana@example.org").statistics_objection_at is None
