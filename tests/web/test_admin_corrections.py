"""Admins correct a learner's name and email address at their request (GDPR Art. 16): in
the audit log with the field, never the value; a new address confirmed by a link sent to
it, the old one told."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.guards import AUTHENTICATED_AT
from app.models import AuditLogEntry, Role, SecurityEvent
from app.services import accounts
from tests.conftest import latest_link, outbox, sign_in_as

LEARNER_PAGE = "/en/admin/learners/{id}"


@pytest.fixture
def ana(app, learner) -> int:
    """The account number of Ana, whom the `learner` fixture signed in."""
    with app.app_context():
        return accounts.find_user(db.session, "ana@example.org").id


@pytest.fixture
def admin(app):
    return sign_in_as(app, Role.ADMIN, "admin@example.org")


def correct(admin, user_id: int, field: str, value: str):
    page = LEARNER_PAGE.format(id=user_id)
    action = f"/en/admin/users/{user_id}/{'name' if field == 'display_name' else 'email'}"
    return admin.submit(page, action, {field: value})


def audit(app) -> list[AuditLogEntry]:
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditLogEntry).order_by(AuditLogEntry.id)).all()
        db.session.expunge_all()
        return entries


def never_holds(entry: AuditLogEntry, *values: str) -> None:
    written = json.dumps(entry.details).lower() + entry.subject_ref.lower()
    for value in values:
        assert value.lower() not in written


def test_the_learner_page_has_the_forms_but_not_for_ones_own_account(app, ana, admin):
    page = admin.get(LEARNER_PAGE.format(id=ana)).get_data(as_text=True)
    assert f'action="/en/admin/users/{ana}/name"' in page
    assert f'action="/en/admin/users/{ana}/email"' in page
    with app.app_context():
        own = accounts.find_user(db.session, "admin@example.org").id
    page = admin.get(LEARNER_PAGE.format(id=own)).get_data(as_text=True)
    assert f'action="/en/admin/users/{own}/name"' not in page
    refused = correct(admin, own, "display_name", "Boss")
    assert refused.status_code == 409
    assert "use your account page" in refused.get_data(as_text=True)


def test_an_admin_corrects_a_learners_name(app, learner, ana, admin):
    corrected = correct(admin, ana, "display_name", "  Ana Sofía ")
    assert corrected.status_code == 303 and corrected.location == LEARNER_PAGE.format(id=ana)
    page = admin.get(corrected.location).get_data(as_text=True)
    assert "The name is corrected." in page and "<h1>Ana Sofía</h1>" in page
    assert "Name corrected" in page, "the learner page lists the correction"
    assert 'class="who">Ana Sofía<' in learner.get("/en/").get_data(as_text=True)
    [entry] = audit(app)
    assert entry.action == "name corrected" and entry.subject_ref == f"user #{ana}"
    assert entry.details["field"] == "display_name" and set(entry.details) == {"field", "by"}
    never_holds(entry, "Ana")
    # The same name again is no correction, and leaves no entry.
    again = correct(admin, ana, "display_name", "Ana Sofía")
    assert again.status_code == 303 and len(audit(app)) == 1


def test_an_admin_corrects_an_email_the_new_address_confirms(app, learner, ana, admin):
    before = len(outbox(app))
    corrected = correct(admin, ana, "email", " Ana.Work@Example.org ")
    assert corrected.status_code == 303
    assert "A link has been sent to ana.work@example.org" in admin.get(corrected.location).get_data(
        as_text=True
    )
    with app.app_context():
        assert accounts.find_user(db.session, "ana@example.org") is not None, (
            "unchanged until the link is opened"
        )
    [entry] = audit(app)
    assert entry.action == "email corrected" and entry.details["field"] == "email"
    never_holds(entry, "ana@example.org", "ana.work@example.org", "ana.work", "example.org")
    # The old address is told, without the new one, which may no longer be the person's.
    sent = outbox(app)[before:]
    [told] = [m for m in sent if m["To"] == "ana@example.org"]
    assert "Your email address is being changed" in told["Subject"]
    assert "ana.work" not in told.get_content().lower()
    link = latest_link(app, "ana.work@example.org", "/account/email/confirm/")
    assert link and link.startswith("/en/account/email/confirm/")
    # Opened wherever the person reads their mail, signed in or not.
    elsewhere = app.test_client()
    assert elsewhere.get(link).status_code == 200
    assert elsewhere.submit(link).status_code == 303
    learner.submit("/en/", "/en/logout")
    assert learner.login("en").status_code == 401
    assert learner.login("en", email="ana.work@example.org").status_code == 303
    with app.app_context():
        kinds = db.session.scalars(
            sa.select(SecurityEvent.kind).where(SecurityEvent.user_id == ana)
        ).all()
    assert "email-changed" in kinds
    told_again = [m for m in outbox(app) if m["To"] == "ana@example.org"]
    assert "Your email address was changed" in told_again[-1]["Subject"]


def test_an_address_another_account_uses_is_refused(app, ana, admin):
    bo = app.test_client()
    bo.register("en", email="bo@example.org")
    before = len(outbox(app))
    refused = correct(admin, ana, "email", "BO@example.org")
    assert refused.status_code == 409
    assert "Another account uses this address" in refused.get_data(as_text=True)
    assert len(outbox(app)) == before, "nobody is written to"
    assert audit(app) == []


@pytest.mark.parametrize(
    ("field", "value", "status", "message"),
    [
        ("display_name", "   ", 422, "This name cannot be used: Please enter the name to show."),
        ("display_name", "a" * 101, 422, "Please use at most 100 characters."),
        ("display_name", "Ana\u2028Bo", 422, "on a single line"),
        ("email", "", 422, "Please enter the new email address."),
        ("email", "not an address", 422, "Please enter a valid email address."),
        ("email", "ana@example.org", 409, "This is already the account&#39;s address."),
    ],
)
def test_bad_input_is_refused_with_why(app, ana, admin, field, value, status, message):
    refused = correct(admin, ana, field, value)
    page = refused.get_data(as_text=True)
    assert refused.status_code == status
    assert message in page
    assert f'href="{LEARNER_PAGE.format(id=ana)}"' in page, "a way back"
    assert audit(app) == []
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        assert user.display_name == "Ana"


def test_the_message_is_in_the_admins_language(app, ana, admin):
    refused = admin.submit(
        LEARNER_PAGE.format(id=ana), f"/es/admin/users/{ana}/email", {"email": "nada"}
    )
    assert refused.status_code == 422
    assert "Introduce una dirección de correo electrónico válida." in refused.get_data(as_text=True)


def test_a_field_given_twice_or_an_unknown_account_is_refused(app, ana, admin):
    token = admin.csrf_token(LEARNER_PAGE.format(id=ana))
    twice = admin.post(
        f"/en/admin/users/{ana}/name",
        data={"csrf_token": token, "display_name": ["Ana", "Eve"]},
    )
    assert twice.status_code == 400
    unknown = admin.post("/en/admin/users/999/email", data={"csrf_token": token, "email": "x@y.z"})
    assert unknown.status_code == 404


def test_an_unconfirmed_address_is_not_corrected(app, admin):
    signing_up = app.test_client()
    signing_up.submit(
        "/en/register",
        data={
            "email": "typo@example.org",
            "password": "correct horse battery",
            "display_name": "T",
        },
    )
    outbox(app)  # the sign-up is made by its mail job
    with app.app_context():
        typo = accounts.find_user(db.session, "typo@example.org").id
    page = admin.get(LEARNER_PAGE.format(id=typo)).get_data(as_text=True)
    assert f'action="/en/admin/users/{typo}/email"' not in page
    assert "never confirmed" in page
    refused = correct(admin, typo, "email", "right@example.org")
    assert refused.status_code == 409 and "sign up again" in refused.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER])
def test_learners_and_trainers_are_refused(app, ana, role):
    other = sign_in_as(app, role, f"{role.value}@example.org")
    token = other.csrf_token("/en/")
    for path, data in (("name", {"display_name": "Eve"}), ("email", {"email": "eve@example.org"})):
        response = other.post(f"/en/admin/users/{ana}/{path}", data={"csrf_token": token, **data})
        assert response.status_code == 403
    with app.app_context():
        assert accounts.find_user(db.session, "ana@example.org").display_name == "Ana"
    assert audit(app) == []


def test_the_admin_confirms_it_is_them_first(app, ana, admin):
    with admin.session_transaction() as session:
        session[AUTHENTICATED_AT] = int(time.time()) - 16 * 60
    for field in ("display_name", "email"):
        asked = correct(admin, ana, field, "eve@example.org")
        assert asked.status_code == 302 and "/en/account/confirm" in asked.location
    assert audit(app) == []
