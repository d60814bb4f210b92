"""The learner's data page as a person reads it: grouped as they think of it, in words,
without internal numbers, each time given in UTC for the browser to show in its own zone;
everything the register lists about them there or in the download."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.account import summary
from app.extensions import content, db
from app.models import User
from app.services import accounts, privacy
from app.templating import moment
from tests.web.test_privacy import (
    COHORT,
    EMAIL,
    INVITED_AS,
    LESSON_1,
    learner_with_data_everywhere,
)

GROUPS = (
    "My account",
    "My progress",
    "My answers",
    "What I agreed to",
    "What the course team did with my data",
    "Signing in and security",
    "My work in the course team",
)
# An account number no date, count or lesson number on the page could be mistaken for.
ACCOUNT_NUMBER = 7920
TIME = re.compile(r'<time class="local-time" datetime="([^"]+)">([^<]+)</time>')


def main_text(page: str) -> str:
    """What a person reads in the page's main part, tags left out."""
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


@pytest.fixture
def everywhere(app, client):
    """A learner with rows in every register category, under a distinctive account number."""
    with app.app_context():
        db.session.add(
            User(
                id=ACCOUNT_NUMBER - 1,
                email="before@example.org",
                display_name="Before",
                password_hash="-",
            )
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"),
                {"n": ACCOUNT_NUMBER - 1},
            )
            db.session.commit()
    learner_with_data_everywhere(app, client)
    with app.app_context():
        assert accounts.find_user(db.session, EMAIL).id == ACCOUNT_NUMBER
    return client


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_the_data_page_is_grouped_as_a_person_thinks_of_it(app, everywhere, lang):
    page = everywhere.get(f"/{lang}/account/data").text
    with app.test_request_context(), force_locale(lang):
        for group in GROUPS:
            assert f"<h2>{_(group)}</h2>" in page, group
        download, first = _("Download my data (JSON)"), f"<h2>{_(GROUPS[0])}</h2>"
    assert page.index(download) < page.index(first), "the download first"
    assert "<table" not in page, "facts and lists, not a database's tables"


def test_the_data_page_says_in_words_what_is_stored(app, everywhere):
    text = main_text(everywhere.get("/pt/account/data").text)
    assert EMAIL in text and "Administrador" in text and "português" in text
    assert f"1 · {LESSON_1.texts['pt'].title}" in text and LESSON_1.slug not in text
    for kind in ("Conta criada", "Início de sessão", "Início de sessão falhado"):
        assert kind in text
    assert "Confirmar o seu endereço de email" in text, "what each emailed link was for"
    first_question = LESSON_1.texts["pt"].quiz.questions[0]
    assert Markup(first_question.prompt_html).striptags() in text, "quiz answers in words"
    right = [Markup(o.html).striptags() for o in first_question.options if o.is_correct]
    assert ", ".join(right) in text
    with app.app_context():
        [purpose] = content.register.purposes
    assert purpose.text["pt"] in text
    assert "Outra tentativa concedida num questionário" in text
    assert COHORT in text and INVITED_AS in text
    with app.test_request_context(), force_locale("pt"):
        assert _("Password hash") in text, "what is kept but never shown, named"
    for code in ("account-created", "signed-in", "course-improvement", "another attempt"):
        assert code not in text


def test_the_data_page_shows_no_internal_numbers(app, everywhere):
    page = everywhere.get("/pt/account/data").text
    text = main_text(page)
    assert str(ACCOUNT_NUMBER) not in text and str(ACCOUNT_NUMBER) not in page
    exported = json.loads(everywhere.get("/account/data.json").text)
    records = {c["id"]: c["records"] for c in exported["categories"]}
    [notice] = records["notice-acknowledgments"]["notice_acknowledgments"]
    [consent] = records["consents"]["consent_events"]
    question = records["quiz-answers"]["quiz_answers"][0]["question_id"]
    for code in (notice["notice_version"], consent["text_version"], question):
        assert code not in text
    # Numbers that tie rows together, under any of the names the old tables gave them.
    assert not re.search(r"#\s*\d|n\.º\s*\d|\bnº\s*\d", text), text
    with app.test_request_context(), force_locale("pt"):
        for label in ("Record number", "Account number", "Cohort number", "Attempt record"):
            assert _(label) not in text


def test_times_are_given_in_utc_for_the_browser_and_written_out_in_the_page_language(
    app, everywhere
):
    page = everywhere.get("/es/account/data").text
    times = TIME.findall(page)
    assert len(times) > 10
    for iso, written in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso), iso
        assert written.endswith(" UTC") and " de " in written, written
    with app.app_context():
        created = db.session.get(User, ACCOUNT_NUMBER).created_at
    with app.test_request_context(), force_locale("es"):
        expected = moment(created)
    assert expected in page, "the account's creation, to the minute"
    month = format_date(created, "MMMM", locale="es")
    # Spanish writes the hour without a leading zero (CLDR's H:mm): 0:16, 9:05, 14:30.
    hour = f"{created.hour}:{created:%M}"
    assert f"{created.day} de {month} de {created.year}, {hour} UTC" in expected
    assert 'src="/static/js/local-times.js"' in page
    assert not re.search(r"\d{4}-\d\d-\d\dT", main_text(page)), "no stored time as text"


def test_every_register_category_has_its_place_on_the_page(app):
    """The shipped register's categories are each shown by a group of the page; one added
    later and not placed in a group is listed under what else we hold (next test)."""
    with app.app_context():
        registered = {category.id for category in content.register.categories}
    assert registered == summary.SHOWN


def test_a_category_no_group_shows_is_still_on_the_page(app, everywhere, monkeypatch):
    monkeypatch.setattr(summary, "SHOWN", summary.SHOWN - {"invitations"})
    page = everywhere.get("/en/account/data").text
    others = page[page.index('id="others"') :].split("</section>", 1)[0]
    with app.app_context():
        invitations = content.register.category("invitations")
    assert invitations.name["en"] in others
    assert invitations.data["en"] in html.unescape(others)


def test_the_moment_is_the_same_instant_whatever_zone_it_was_stored_in(app):
    later = dt.datetime(2026, 12, 6, 20, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with app.test_request_context(), force_locale("pt"):
        shown = moment(later)
    assert 'datetime="2026-12-06T19:30:00Z"' in shown and "19:30 UTC" in shown


def test_the_restriction_and_the_objection_give_their_times_for_the_browser_too(app, learner):
    learner.submit("/es/account/data", "/es/account/objection", {"object": "yes"})
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        privacy.restrict(db.session, None, user.id, True)
    page = learner.get("/es/account/data").text
    restricted = page[page.index('class="notice-restricted"') :].split("</p>", 1)[0]
    figures = page[page.index('id="figures"') :].split("</p>", 1)[0]
    for said in (restricted, figures):
        assert TIME.search(said) and "&lt;" not in said, said
