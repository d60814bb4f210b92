"""The first layer of the notice where data is first asked for (sign-up), and the full
notice's items: DPO, supervisory authority, transfers, processors, required data, no
automated decisions, withdrawal of consent, cookies and rights."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from app.extensions import content
from app.models import Role
from tests.conftest import dispose, make_app, migrate, outbox, sign_in_as

LANGUAGES = ["en", "es", "pt"]


@pytest.fixture
def configured(database_url, tmp_path):
    """An app with the given settings, migrated, and its connections closed afterwards."""
    made = []

    def build(**settings):
        app = make_app(database_url, tmp_path / f"instance-{len(made)}", **settings)
        migrate(app)
        made.append(app)
        return app

    yield build
    for app in made:
        dispose(app)


def _in(app, language: str, text: str, **values) -> str:
    """`text` as the page in `language` shows it, checked to be translated."""
    with app.test_request_context(), force_locale(language):
        shown = _(text, **values)
    english = text % values if values else text
    assert language == "en" or shown != english, f"not translated into {language}: {text}"
    return str(escape(shown))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_up_form_shows_the_first_layer_before_its_button(app, client, language):
    page = client.get(f"/{language}/register").get_data(as_text=True)
    layer = page.index('class="first-layer"')
    password = page.index('name="password"')
    assert password < layer < page.index('type="submit"', password)
    for text in (
        "Your data, in short",
        "the email address, name and password above (the password only as a one-way hash), "
        "when you created the account, the network address this form is sent from, "
        "shortened, and later the day of your last visit.",
        "all three fields. Without them we cannot create an account, but you can read the "
        "lessons of the courses open to all without one.",
    ):
        assert _in(app, language, text) in page
    assert "privacy@localhost" in page
    assert f'href="/{language}/privacy"' in page[layer:]


def test_the_first_layer_names_the_configured_controller(configured):
    app = configured(
        PRIVACY_CONTROLLER="Laboratório Mediterrânico",
        PRIVACY_CONTACT="dpo@lab.example",
    )
    page = app.test_client().get("/pt/register").get_data(as_text=True)
    layer = page[page.index('class="first-layer"') :]
    assert "Laboratório Mediterrânico" in layer and "dpo@lab.example" in layer


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_full_notice_has_every_item_the_gdpr_asks_for(app, client, language):
    page = client.get(f"/{language}/privacy").get_data(as_text=True)
    for text in (
        "What you must give us, and what happens if you do not",
        "Decisions about you",
        "Withdrawing your consent does not make unlawful what was done with it before you "
        "withdrew it.",
        "How long it lasts",
        "none. Your data is stored and handled within the European Economic Area.",
        "You can also complain to a data protection supervisory authority, in particular in "
        "the EU country where you live, where you work or where you think your rights were "
        "infringed.",
        "Kept outside the database",
    ):
        assert _in(app, language, text) in page
    assert "Data protection officer" not in page


def test_the_full_notice_shows_the_configured_dpo_authority_transfers_and_processors(configured):
    app = configured(
        PRIVACY_DPO_CONTACT="dpd@lab.example",
        PRIVACY_AUTHORITY={
            "*": "The authority of the country",
            "es": "Agencia Española de Protección de Datos, C/ Jorge Juan 6, 28001 Madrid",
            "pt": "Comissão Nacional de Proteção de Dados, Av. D. Carlos I 134, Lisboa",
        },
        PRIVACY_TRANSFERS={"*": "Mail goes through a provider in Switzerland (adequacy)."},
        HOSTING_PROVIDER="Hostal SA, Lisbon",
        MAIL_PROVIDER="Correio Lda, Porto",
    )
    client = app.test_client()
    spanish = client.get("/es/privacy").get_data(as_text=True)
    portuguese = client.get("/pt/privacy").get_data(as_text=True)
    english = client.get("/en/privacy").get_data(as_text=True)
    assert "Agencia Española de Protección de Datos, C/ Jorge Juan 6" in spanish
    assert "Comissão Nacional de Proteção de Dados" in portuguese
    assert "The authority of the country" in english
    for page in (spanish, portuguese, english):
        assert "dpd@lab.example" in page
        assert "Mail goes through a provider in Switzerland (adequacy)." in page
        assert "Hostal SA, Lisbon" in page and "Correio Lda, Porto" in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_lesson_notice_sums_up_the_rights_with_a_link(app, client, language):
    page = client.get(f"/{language}/courses/co-production/lessons/what-is-co-production").get_data(
        as_text=True
    )
    notice = page[page.index('id="data-notice"') :]
    summary = _in(
        app,
        language,
        "You can see, download, correct and erase your data, object to being counted in the "
        "course figures and withdraw a consent at any time.",
    )
    assert summary in notice
    assert f'href="/{language}/privacy#rights"' in notice


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_full_notice_gives_the_balancing_of_each_legitimate_interest(app, client, language):
    page = client.get(f"/{language}/privacy").get_data(as_text=True)
    with app.app_context():
        figures = content.register.category("course-figures")
    assert str(escape(figures.balancing[language])) in page


def test_the_confirmation_mail_says_what_happens_to_a_sign_up_never_confirmed(app, client):
    client.submit(
        "/en/register",
        data={"email": "ana@example.org", "password": "correct horse battery", "display_name": "A"},
    )
    [mail] = [m for m in outbox(app) if m["To"] == "ana@example.org"]
    body = mail.get_content()
    with app.app_context():
        days = content.register.category("account").unconfirmed_days
    assert days == 7
    assert "no account will be made" not in body
    assert f"is erased {days} days after it was sent" in body


def test_the_record_of_processing_has_subjects_processors_transfers_and_measures(configured):
    app = configured(
        HOSTING_PROVIDER="Hostal SA, Lisbon",
        MAIL_PROVIDER="Correio Lda, Porto",
    )
    admin = sign_in_as(app, Role.ADMIN, "admin@example.org")
    page = admin.get("/en/admin/privacy").get_data(as_text=True)
    with app.app_context():
        register = content.register
    assert str(escape(register.data_subjects["en"])) in page
    assert str(escape(register.security_measures["en"])) in page
    assert "Hostal SA, Lisbon" in page and "Correio Lda, Porto" in page
    for entry in register.elsewhere:
        assert f'id="register-{entry.id}"' in page
    for category in register.categories:
        # One that depends on a setting (an xAPI store) is listed only while it is set.
        if category.balancing and category.only_when is None:
            assert str(escape(category.balancing["en"])) in page


def test_the_rights_link_to_the_pages_where_they_are_exercised(client):
    page = client.get("/en/privacy").get_data(as_text=True)
    rights = page[page.index('id="rights"') :]
    for address in (
        "/en/account/data",
        "/en/account",
        "/en/account/security",
        "/en/account/data#erase",
        "/en/account/data#figures",
    ):
        assert f'<a href="{address}">' in rights
