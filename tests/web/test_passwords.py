"""The password rule as people meet it: said before they type, in their language, and a
refusal that says what to do, on the sign-up and reset forms alike."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale, gettext

from app.account.forms import ResetPasswordForm
from tests.conftest import latest_link
from tests.services.test_passwords import SENTENCE, common_password

TOO_SHORT = "Your password needs at least 12 characters."
TOO_LONG = "Please use at most 128 characters."
COMMON = "This password is one of the most used, and easily guessed. Please choose another."
PERSONAL = (
    "This password is built from your name or your email, which others can guess. Please"
    " leave them out: a few unrelated words make a strong password."
)
PREDICTABLE = (
    "This password follows a pattern that is easy to guess, such as repeated letters, a"
    " sequence or a common word. A few unrelated words make a strong password."
)
RULE = (
    "At least %(count)d characters; any characters, spaces included. Not a common"
    " password, and nothing built from your name or your email."
)

WEAK = [
    # Accepted before, as the issue reported.
    ("aaaaaaaa", TOO_SHORT),
    (" " * 8, TOO_SHORT),
    ("abcdefgh", TOO_SHORT),
    ("p@ssw0rd", TOO_SHORT),
    ("Pa$$w0rd", TOO_SHORT),
    # The same, made long enough.
    ("aaaaaaaaaaaa", PREDICTABLE),
    (" " * 12, PREDICTABLE),
    ("abcdefghijkl", PREDICTABLE),
    ("p@ssw0rd1234", PREDICTABLE),
    ("Pa$$w0rd1234", PREDICTABLE),
    (common_password(), COMMON),
    (SENTENCE[:129], TOO_LONG),
]
PASSPHRASE = "pássaro azul na janela velha"
ERROR = re.compile(r'<p class="error" id="password-error">(.*?)</p>', re.S)
HINT = re.compile(r'<p class="hint" id="password-hint">(.*?)</p>', re.S)


def password_error(response) -> str:
    found = ERROR.search(response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else ""


def reset_link(app, client, lang: str = "en") -> str:
    client.register(lang)
    client.submit(f"/{lang}/", f"/{lang}/logout")
    client.submit(f"/{lang}/password/forgot", data={"email": "ana@example.org"})
    return latest_link(app, "ana@example.org", "/password/reset/")


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_sign_up_refuses_weak_passwords_saying_what_to_do(client, password, message):
    data = {"email": "eve@example.org", "display_name": "Eve", "password": password}
    response = client.submit("/en/register", data=data)
    assert response.status_code == 422
    assert password_error(response) == message


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_reset_refuses_weak_passwords_saying_what_to_do(app, client, password, message):
    link = reset_link(app, client)
    response = client.submit(link, data={"password": password})
    assert response.status_code == 422
    assert password_error(response) == message


@pytest.mark.parametrize(
    ("email", "name", "password"),
    [
        ("ana.garcia@example.org", "Ana", "ana.garcia@example.org"),
        ("bea@example.org", "Beatriz Fonseca", "BeatrizFonseca1"),
    ],
)
def test_sign_up_refuses_a_password_built_from_the_email_or_name(client, email, name, password):
    data = {"email": email, "display_name": name, "password": password}
    response = client.submit("/en/register", data=data)
    assert response.status_code == 422
    assert password_error(response) == PERSONAL
    other = {"email": "eve@example.org", "display_name": "Eve", "password": password}
    assert client.submit("/en/register", data=other).status_code == 200


def test_a_form_for_an_existing_account_is_told_whose_it_is(app):
    """A reset or change of password knows its account from the view, not from a field."""
    data = {"password": "ana.garcia@example.org"}
    with app.test_request_context("/en/", method="POST", data=data):
        knowing = ResetPasswordForm(
            meta={"csrf": False}, account_email="ana.garcia@example.org", account_name="Ana"
        )
        assert not knowing.validate() and knowing.password.errors == [PERSONAL]
        assert ResetPasswordForm(meta={"csrf": False}).validate()


def test_a_passphrase_with_spaces_and_accents_is_kept_as_typed(app, client):
    assert client.register(password=PASSPHRASE).status_code == 303
    client.submit("/en/", "/en/logout")
    assert client.login(password=PASSPHRASE.replace(" ", "")).status_code == 401
    assert client.login(password=PASSPHRASE).status_code == 303
    client.submit("/en/", "/en/logout")

    client.submit("/en/password/forgot", data={"email": "ana@example.org"})
    link = latest_link(app, "ana@example.org", "/password/reset/")
    spaced = f"  {PASSPHRASE} "
    assert client.submit(link, data={"password": spaced}).status_code == 303
    assert client.login(password=PASSPHRASE).status_code == 401
    assert client.login(password=spaced).status_code == 303


@pytest.mark.parametrize("length", [64, 128])
def test_long_passwords_are_accepted(client, length):
    password = SENTENCE[:length]
    assert client.register(password=password).status_code == 303
    client.submit("/en/", "/en/logout")
    assert client.login(password=password).status_code == 303


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_the_rule_is_shown_before_typing_in_the_pages_language(app, client, lang):
    link = reset_link(app, client).replace("/en/", f"/{lang}/", 1)
    with app.test_request_context(), force_locale(lang):
        rule = gettext(RULE, count=12)
    if lang == "en":
        assert rule == RULE % {"count": 12}
    else:
        assert rule != RULE % {"count": 12}, f"the rule is not translated into {lang}"
    for page in (f"/{lang}/register", link):
        shown = HINT.search(client.get(page).get_data(as_text=True))
        assert shown and html.unescape(shown.group(1)) == rule, page
