"""The account page (GDPR Art. 16, rectification): the person corrects the name shown and
the language the course opens and writes in, held to the rules of signing up."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import AuditLogEntry, Role, SecurityEvent, User
from app.services import accounts
from tests.conftest import latest_link, outbox, sign_in_as


def stored(app, email: str = "ana@example.org") -> User:
    with app.app_context():
        user = accounts.find_user(db.session, email)
        db.session.expunge(user)
        return user


def test_the_person_renames_themselves_and_the_header_shows_it(app, learner):
    page = learner.get("/en/account").get_data(as_text=True)
    assert "ana@example.org" in page and 'value="Ana"' in page
    events_before = len(security_events(app))
    saved = learner.submit("/en/account", data={"display_name": "  Ana Lúcia ", "language": "en"})
    assert saved.status_code == 303 and saved.location == "/en/account"
    page = learner.get("/en/account").get_data(as_text=True)
    assert 'class="who">Ana Lúcia<' in page, "the header greets the new name"
    assert "Your changes are saved." in page
    assert stored(app).display_name == "Ana Lúcia", "kept without the spaces around it"
    # Not a change to how the account signs in, and not the course team's doing.
    assert len(security_events(app)) == events_before
    with app.app_context():
        assert db.session.scalars(sa.select(AuditLogEntry)).all() == []


def security_events(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(SecurityEvent.kind)))


def test_saving_the_same_details_changes_nothing(app, learner):
    learner.submit("/en/", "/en/account")  # reading in English keeps English
    saved = learner.submit("/en/account", data={"display_name": "Ana", "language": "en"})
    assert saved.status_code == 303
    assert "Nothing has changed." in learner.get("/en/account").get_data(as_text=True)


def test_the_chosen_language_opens_the_course_and_writes_the_emails(app, learner):
    page = learner.get("/en/account").get_data(as_text=True)
    # Each language named in itself.
    assert '<option lang="pt" value="pt">Português</option>' in page
    assert '<option lang="es" value="es">Español</option>' in page
    assert '<option lang="en" selected value="en">English</option>' in page
    saved = learner.submit("/en/account", data={"display_name": "Ana", "language": "pt"})
    assert saved.status_code == 303 and saved.location == "/pt/account", "the page follows"
    assert stored(app).language == "pt", "not taken back by the English page it was sent from"
    shown = learner.get("/pt/account").get_data(as_text=True)
    assert '<html lang="pt">' in shown
    assert learner.get("/").location == "/pt/", "the course opens in it"
    # The course team writes in it, whatever language the admin reads.
    admin = sign_in_as(app, Role.ADMIN, "admin@example.org")
    ana = stored(app).id
    corrected = admin.submit(
        f"/en/admin/learners/{ana}", f"/en/admin/users/{ana}/email", {"email": "ana@new.org"}
    )
    assert corrected.status_code == 303
    link = latest_link(app, "ana@new.org", "/account/email/confirm/")
    assert link.startswith("/pt/account/email/confirm/")
    told = [m for m in outbox(app) if m["To"] == "ana@example.org"][-1].get_content()
    assert told.startswith("Olá") and "/pt/password/forgot" in told


# What the form refuses, as at sign-up, and the message that says why.
REFUSED_NAMES = [
    ("   ", "Please tell us what to call you."),
    ("a" * 101, "Please use at most 100 characters."),
    ("Ana\nBo", "A name goes on a single line, without control characters."),
    ("Ana\u202eoB", "A name goes on a single line, without control characters."),
    ("\u200b\u200b", "A name needs at least one letter or number that can be read."),
]


@pytest.mark.parametrize(("typed", "message"), REFUSED_NAMES)
def test_a_refused_name_comes_back_as_typed_with_why(app, learner, typed, message):
    refused = learner.submit("/en/account", data={"display_name": typed, "language": "pt"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert message in page
    assert 'aria-invalid="true"' in page
    assert f'value="{html.escape(typed.strip(), quote=True)}"' in page, "kept as typed"
    assert '<option lang="pt" selected value="pt">' in page, "the language chosen stays chosen"
    user = stored(app)
    assert user.display_name == "Ana" and user.language == "en", "nothing saved"


@pytest.mark.parametrize("language", ["xx", "", "EN", "de"])
def test_a_language_the_course_does_not_offer_is_refused(app, learner, language):
    refused = learner.submit("/en/account", data={"display_name": "Ana B", "language": language})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Please choose one of the course's languages." in page
    assert 'value="Ana B"' in page, "the name typed is kept"
    assert stored(app).display_name == "Ana"


def test_a_field_left_out_is_not_quietly_the_stored_one(app, learner):
    refused = learner.submit("/en/account", data={"language": "en"})
    assert refused.status_code == 422
    refused = learner.submit("/en/account", data={"display_name": "Ana"})
    assert refused.status_code == 422


def test_a_form_without_its_token_changes_nothing_and_comes_back_as_typed(app, learner):
    sent = learner.post("/en/account", data={"display_name": "Ana B", "language": "en"})
    assert sent.status_code == 422
    page = sent.get_data(as_text=True)
    assert "This form was out of date, so nothing was sent" in page
    assert 'value="Ana B"' in page
    assert stored(app).display_name == "Ana"


def test_the_language_offered_is_the_one_the_page_is_read_in(app, learner):
    learner.get("/en/")
    page = learner.get("/es/account").get_data(as_text=True)
    assert '<option lang="es" selected value="es">' in page


def test_the_account_page_leads_to_the_other_account_pages(app, learner):
    page = learner.get("/en/account").get_data(as_text=True)
    for path in ("/en/account/email", "/en/account/password", "/en/account/data"):
        assert f'href="{path}"' in page
    assert 'href="/en/account/security"' in page
    assert 'href="/en/account"' in learner.get("/en/").get_data(as_text=True), "the header"
    assert 'href="/en/account"' in learner.get("/en/account/security").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_the_account_page_is_one_page_of_headed_groups_linked_to_the_data_page(app, learner, lang):
    page = learner.get(f"/{lang}/account").get_data(as_text=True)
    with app.test_request_context(), force_locale(lang):
        headings = [
            _("Name and language"),
            _("Email address and password"),
            _("My certificates"),
            _("My data"),
        ]
        off = _("Off")
    found = re.findall(r"<h2>([^<]+)</h2>", page)
    assert found == headings, "the same groups, in this order, in every language"
    sign_in = page[page.index('id="sign-in"') :].split("</section>", 1)[0]
    assert "ana@example.org" in sign_in and f"<dd>{off}<br>" in sign_in
    more = page[page.index('id="more"') :].split("</section>", 1)[0]
    assert f'href="/{lang}/account/data"' in more


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/en/account")
    assert response.status_code == 302 and "/en/login?next=" in response.location


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(st.characters(exclude_categories=("Cs",)), max_size=150),
    language=st.sampled_from(["en", "pt", "es", "", "zz", "<svg/onload=alert(1)>"]),
)
def test_whatever_is_typed_the_answer_is_never_a_server_error(app, learner, name, language):
    response = learner.submit(
        "/en/account", data={"display_name": "<svg/onload=x>" + name, "language": language}
    )
    body = response.get_data(as_text=True)
    # A NUL character is refused before any page reads it (400).
    assert response.status_code in (303, 400, 422), body[:300]
    assert "<svg/onload" not in body
