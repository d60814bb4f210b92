"""Cookies: signing in lasts the browser session unless the person ticks "keep me signed
in"; every cookie the platform sets is in the data register, with the lifetime it says."""

from __future__ import annotations

import datetime as dt
import time
from http.cookies import SimpleCookie

import pyotp
import pytest
from itsdangerous import URLSafeSerializer
from markupsafe import escape

from app.account.tries import COOKIE
from app.extensions import content, db
from app.services import accounts, two_step
from tests.conftest import latest_link

PASSWORD = "correct horse battery"


def _set_cookies(response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            cookies[name] = morsel
    return cookies


def _sign_in(client, **extra):
    client.register("en", email="ana@example.org")
    client.post("/en/logout", data={"csrf_token": client.csrf_token("/en/account/data")})
    data = {"email": "ana@example.org", "password": PASSWORD, **extra}
    return client.submit("/en/login", data=data)


def test_signing_in_lasts_until_the_browser_closes_by_default(app, client):
    response = _sign_in(client)
    assert response.status_code == 303
    session = _set_cookies(response)["session"]
    assert session["expires"] == "" and session["max-age"] == ""
    assert client.get("/en/account/data").status_code == 200


def test_keep_me_signed_in_lasts_the_days_the_register_gives(app, client):
    before = dt.datetime.now(dt.UTC)
    response = _sign_in(client, keep_signed_in="y")
    session = _set_cookies(response)["session"]
    expires = dt.datetime.strptime(session["expires"], "%a, %d %b %Y %H:%M:%S GMT")
    with app.app_context():
        days = content.register.cookie("session").days
    assert days == 30
    lasts = expires.replace(tzinfo=dt.UTC) - before
    assert dt.timedelta(days=days) - dt.timedelta(minutes=1) < lasts
    assert lasts <= dt.timedelta(days=days, minutes=1)


def test_keep_me_signed_in_is_an_unticked_choice_stating_its_duration(client):
    for language, words in (
        ("en", "Keep me signed in on this device for 30 days"),
        ("es", "30"),
        ("pt", "30"),
    ):
        page = client.get(f"/{language}/login").get_data(as_text=True)
        assert 'name="keep_signed_in"' in page
        assert 'name="keep_signed_in" type="checkbox" value="y" checked' not in page
        assert "checked" not in page.split('name="keep_signed_in"')[1].split(">")[0]
        assert words in page


def test_the_choice_survives_the_second_step(app, client):
    client.register("en", email="ana@example.org")
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        secret = two_step.new_secret()
        user.two_step_secret = secret
        db.session.commit()
    client.post("/en/logout", data={"csrf_token": client.csrf_token("/en/account/data")})
    data = {"email": "ana@example.org", "password": PASSWORD, "keep_signed_in": "y"}
    response = client.submit("/en/login", data=data)
    assert response.headers["Location"].endswith("/en/login/two-step")
    code = pyotp.TOTP(secret).now()
    response = client.submit("/en/login/two-step", data={"code": code})
    assert response.status_code == 303
    assert _set_cookies(response)["session"]["expires"] != ""


def test_the_trusted_browser_cookie_lasts_the_days_the_register_gives(app, client):
    response = _sign_in(client)
    trusted = _set_cookies(response)["aula_signed_in_before"]
    with app.app_context():
        days = content.register.cookie("aula_signed_in_before").days
    assert int(trusted["max-age"]) == days * 24 * 3600


def test_every_cookie_set_on_a_journey_is_in_the_register(app, client):
    seen: set[str] = set()

    def note(response):
        seen.update(_set_cookies(response))
        return response

    note(client.get("/en/"))
    note(client.get("/en/register"))
    data = {"email": "ana@example.org", "password": PASSWORD, "display_name": "Ana"}
    note(client.submit("/en/register", data=data))
    link = latest_link(app, "ana@example.org", "/register/confirm/")
    note(client.submit(link))
    note(client.get("/en/courses/co-production/lessons/what-is-co-production"))
    note(client.post("/en/logout", data={"csrf_token": client.csrf_token("/en/account/data")}))
    note(client.submit("/en/login", data={**data, "keep_signed_in": "y"}))
    note(client.get("/en/account/data"))
    with app.app_context():
        registered = {cookie.name for cookie in content.register.cookies}
    assert seen and seen <= registered


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_the_privacy_notice_lists_every_cookie_with_purpose_and_lifetime(app, client, language):
    page = client.get(f"/{language}/privacy").get_data(as_text=True)
    with app.app_context():
        cookies = content.register.cookies
    for cookie in cookies:
        assert f"<code>{cookie.name}</code>" in page
        assert str(escape(cookie.lifetime[language])) in page
        assert str(escape(cookie.purpose[language])) in page


def test_a_kept_session_expires_the_days_after_signing_in_not_after_each_change(app, client):
    signed_in = _sign_in(client, keep_signed_in="y")
    first = _set_cookies(signed_in)["session"]["expires"]
    time.sleep(1.1)
    changed = client.submit("/en/account/data", "/en/account/objection", data={"object": "yes"})
    again = _set_cookies(changed).get("session")
    assert again is None or again["expires"] == first


def test_an_erased_account_leaves_the_browsers_cookie_at_its_next_sign_in(app, client):
    _sign_in(client)
    erased = client.submit("/en/account/data", "/en/account/erase", data={"password": PASSWORD})
    assert erased.status_code == 303
    client.register("en", email="bo@example.org")
    client.submit("/en/", "/en/logout")
    client.submit("/en/login", data={"email": "bo@example.org", "password": PASSWORD})
    value = client.get_cookie(COOKIE, path="/en/login").value
    with app.test_request_context():
        remembered = URLSafeSerializer(app.secret_key, salt="trusted-browser").loads(value)
        bo = accounts.find_user(db.session, "bo@example.org").id
    assert [number for number, _ in remembered["accounts"]] == [bo]
