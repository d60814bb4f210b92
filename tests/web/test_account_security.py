"""An account's security in its owner's hands: signed-in browsers listed and ended, two-step
sign-in with an authenticator app and recovery codes, recent authentication before
sensitive actions, a password or email change, and the security events they leave."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import unicodedata

import pyotp
import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.extensions import content, db, limiter
from app.guards import AUTHENTICATED_AT
from app.models import (
    AuditLogEntry,
    RecoveryCode,
    Role,
    SecurityEvent,
    User,
    UserSession,
    utcnow,
)
from app.services import accounts, privacy, sessions, two_step
from tests.conftest import latest_link, make_app, outbox, run_at_once, sign_in_as

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Safari/605.1.15"
)
PASSWORD = "correct horse battery"
CODE = r"<li><code>([a-z0-9-]+)</code></li>"


def events(app, email: str = "ana@example.org") -> list[str]:
    with app.app_context():
        user = accounts.find_user(db.session, email)
        return list(
            db.session.scalars(
                sa.select(SecurityEvent.kind)
                .where(SecurityEvent.user_id == user.id)
                .order_by(SecurityEvent.id)
            )
        )


def signed_in(client) -> bool:
    return client.get("/en/account/data").status_code == 200


def browser(app, user_agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def test_each_browser_is_listed_and_can_be_signed_out_from_another(app):
    phone = browser(app, FIREFOX_ANDROID)
    phone.register("en")
    laptop = browser(app, SAFARI_MAC)
    assert laptop.login("en").status_code == 303
    page = laptop.get("/en/account/security").get_data(as_text=True)
    assert "Firefox · Android" in page and "Safari · macOS" in page
    assert page.count("(this browser)") == 1
    phone_session = re.search(r'action="/en/account/sessions/(\d+)/end"', page).group(1)
    ended = laptop.submit("/en/account/security", f"/en/account/sessions/{phone_session}/end")
    assert ended.status_code == 303
    assert not signed_in(phone) and signed_in(laptop)
    assert "session-ended" in events(app)
    # This browser signs out with "Sign out", not from the list.
    page = laptop.get("/en/account/security").get_data(as_text=True)
    assert "Firefox · Android" not in page and "/end" not in page


def test_signing_out_ends_this_browser_only_and_everywhere_else_ends_the_rest(app):
    first = browser(app, FIREFOX_ANDROID)
    first.register("en")
    second, third = browser(app, SAFARI_MAC), app.test_client()
    second.login("en")
    third.login("en")
    copied = app.test_client()
    copied.set_cookie("session", second.get_cookie("session").value)
    second.submit("/en/", "/en/logout")
    assert not signed_in(second) and not signed_in(copied), "a copied cookie is dead too"
    assert signed_in(first) and signed_in(third)
    first.submit("/en/account/security", "/en/account/sessions/end-others")
    assert signed_in(first) and not signed_in(third)
    page = first.get("/en/account/security").get_data(as_text=True)
    assert page.count("<tr>") == 2, "the header and this browser alone"


def setup_two_step(client) -> tuple[str, list[str]]:
    """Turn on two-step sign-in as a person would: read the key, type the app's code."""
    page = client.get("/en/account/two-step").get_data(as_text=True)
    assert "<svg" in page, "a QR code to scan"
    secret = re.search(r'class="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    shown = client.submit("/en/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(CODE, shown.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_two_step_sign_in_with_the_app_or_a_recovery_code_each_once(app, learner):
    secret, codes = setup_two_step(learner)
    learner.submit("/en/", "/en/logout")
    client = app.test_client()
    after_password = client.login("en")
    assert after_password.location == "/en/login/two-step"
    assert not signed_in(client), "the password alone does not open the account"
    wrong = client.submit("/en/login/two-step", data={"code": "000000"})
    assert wrong.status_code == 401 and "This code is not right" in wrong.get_data(as_text=True)
    # The next code the app will show: the one typed at set-up has been used already.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.submit("/en/login/two-step", data={"code": code}).status_code == 303
    assert signed_in(client)
    # The same code again, seen over a shoulder: refused.
    again = app.test_client()
    again.login("en")
    assert again.submit("/en/login/two-step", data={"code": code}).status_code == 401
    # A recovery code, typed in capitals with spaces: once.
    typed = codes[0].upper().replace("-", " ")
    assert again.submit("/en/login/two-step", data={"code": typed}).status_code == 303
    third = app.test_client()
    third.login("en")
    assert third.submit("/en/login/two-step", data={"code": codes[0]}).status_code == 401
    kinds = events(app)
    assert {"two-step-enabled", "second-step-failed", "recovery-code-used"} <= set(kinds)
    with app.app_context():
        stored = " ".join(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert stored and all(code not in stored for code in codes), "kept hashed"


def test_the_second_step_waits_five_minutes_at_most(app, learner):
    setup_two_step(learner)
    learner.submit("/en/", "/en/logout")
    learner.login("en")
    with learner.session_transaction() as session:
        session["second_step"] = {**session["second_step"], "until": int(time.time()) - 1}
    late = learner.get("/en/login/two-step")
    assert late.status_code == 303 and late.location == "/en/login"


def test_sensitive_actions_ask_for_the_password_after_15_minutes(app, learner):
    assert learner.get("/account/data.json").status_code == 200, "just signed in"
    with learner.session_transaction() as session:
        session[AUTHENTICATED_AT] = int(time.time()) - 15 * 60 - 1
    for page in ("/account/data.json", "/en/account/password", "/en/account/two-step"):
        asked = learner.get(page)
        assert asked.status_code == 302 and asked.location.startswith("/en/account/confirm?next=")
    wrong = learner.submit(
        "/en/account/confirm?next=/account/data.json", data={"password": "not it at all"}
    )
    assert wrong.status_code == 401
    right = learner.submit(
        "/en/account/confirm?next=/account/data.json", data={"password": PASSWORD}
    )
    assert right.status_code == 303 and right.location == "/account/data.json"
    assert learner.get("/account/data.json").status_code == 200


def test_admins_confirm_it_is_them_before_exports_and_role_changes(app, learner):
    with app.app_context():
        accounts.set_role(db.session, accounts.find_user(db.session, "ana@example.org"), Role.ADMIN)
    with learner.session_transaction() as session:
        session[AUTHENTICATED_AT] = int(time.time()) - 16 * 60
    assert learner.get("/admin/reports/summary.csv").status_code == 302
    changed = learner.submit("/en/admin/users", "/en/admin/users/1/role", {"role": "trainer"})
    assert changed.status_code == 302 and "/en/account/confirm" in changed.location
    with app.app_context():
        assert db.session.get(User, 1).role is Role.ADMIN


def test_an_old_short_password_signs_in_but_must_be_changed_first(app, client):
    with app.app_context():
        accounts.create_user(
            db.session, email="old@example.org", password="short1", display_name="Old"
        )
    other = app.test_client()
    other.login("en", email="old@example.org", password="short1")
    signed = client.login("en", email="old@example.org", password="short1")
    assert signed.status_code == 303 and signed.location.startswith("/en/account/password")
    held = client.get("/en/account/data")
    assert held.status_code == 302 and held.location.startswith("/en/account/password")
    weak = client.submit(
        "/en/account/password", data={"current_password": "short1", "password": "aaaaaaaaaaaa"}
    )
    assert weak.status_code == 422
    changed = client.submit(
        "/en/account/password",
        data={"current_password": "short1", "password": "a far longer passphrase"},
    )
    assert changed.status_code == 303
    assert signed_in(client) and not signed_in(other), "other browsers are signed out"
    assert "password-changed" in events(app, "old@example.org")
    told = [m for m in outbox(app) if m["To"] == "old@example.org"]
    assert told and "password" in told[-1]["Subject"].lower()


def test_changing_the_email_address_needs_the_new_address_to_confirm(app, learner):
    asked = learner.submit("/en/account/email", data={"email": "Ana.New@example.org"})
    assert asked.status_code == 303
    link = latest_link(app, "ana.new@example.org", "/account/email/confirm/")
    assert link, "a link goes to the new address"
    assert [m for m in outbox(app) if m["To"] == "ana@example.org"], "the old one is told"
    learner.get(link)
    with app.app_context():
        assert accounts.find_user(db.session, "ana@example.org") is not None, (
            "a GET changes nothing"
        )
    assert learner.submit(link).status_code == 303
    assert learner.submit(link).status_code == 410, "once"
    learner.submit("/en/", "/en/logout")
    assert learner.login("en").status_code == 401
    assert learner.login("en", email="ana.new@example.org").status_code == 303
    assert "email-changed" in events(app, "ana.new@example.org")


def test_an_address_in_use_is_answered_the_same_and_changes_nothing(app, learner):
    other = app.test_client()
    other.register("en", email="bo@example.org")
    before = len(outbox(app))
    asked = learner.submit("/en/account/email", data={"email": "bo@example.org"})
    assert asked.status_code == 303
    assert len(outbox(app)) == before, "nothing sent: nobody learns who has an account"


def test_an_admin_removes_two_step_sign_in_for_a_lost_phone(app, learner):
    setup_two_step(learner)
    learner.submit("/en/", "/en/logout")
    admin = sign_in_as(app, Role.ADMIN, "admin@example.org")
    with app.app_context():
        ana = accounts.find_user(db.session, "ana@example.org").id
    page = admin.get(f"/en/admin/learners/{ana}").get_data(as_text=True)
    assert "Two-step sign-in is on." in page
    assert "Two-step sign-in turned on" in page, "the account's security events are listed"
    removed = admin.submit(f"/en/admin/learners/{ana}", f"/en/admin/users/{ana}/two-step/remove")
    assert removed.status_code == 303
    assert learner.login("en").status_code == 303 and signed_in(learner)
    assert "two-step-reset" in events(app)
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditLogEntry.action)).all()
    assert "remove two-step" in actions


@pytest.fixture
def strict_app(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "strict", REQUIRE_TWO_STEP_FOR_ADMINS=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_where_required_admins_turn_on_two_step_before_the_staff_pages(strict_app):
    admin = sign_in_as(strict_app, Role.ADMIN, "admin@example.org")
    sent = admin.get("/en/admin/")
    assert sent.status_code == 302 and sent.location.startswith("/en/account/two-step")
    assert admin.get("/en/account/data").status_code == 200, "their own pages stay open"
    setup_two_step(admin)
    assert admin.get("/en/admin/").status_code == 200


def test_nobody_signs_out_someone_elses_browser(app, learner):
    other = app.test_client()
    other.register("en", email="bo@example.org")
    with app.app_context():
        ana = accounts.find_user(db.session, "ana@example.org")
        ana_session = db.session.scalar(
            sa.select(UserSession.id).where(UserSession.user_id == ana.id)
        )
    answer = other.submit("/en/account/security", f"/en/account/sessions/{ana_session}/end")
    assert answer.status_code == 303
    assert "already signed out" in other.get("/en/account/security").get_data(as_text=True)
    assert signed_in(learner)


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "12 34 5x"])
def test_a_code_of_another_shape_is_no_code(app, learner, typed):
    setup_two_step(learner)
    learner.submit("/en/", "/en/logout")
    learner.login("en")
    assert learner.submit("/en/login/two-step", data={"code": typed}).status_code == 401


def test_a_password_typed_with_composed_or_combining_accents_is_the_same(app, client):
    composed = "pássaro azul na janela velha"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    client.register("pt", password=composed)
    client.submit("/pt/", "/pt/logout")
    assert client.login("pt", password=decomposed).status_code == 303


def test_the_reset_link_refuses_a_password_built_from_the_owners_email(app, client):
    client.register("en", email="marisol.quintana@example.org")
    client.submit("/en/", "/en/logout")
    client.submit("/en/password/forgot", data={"email": "marisol.quintana@example.org"})
    link = latest_link(app, "marisol.quintana@example.org", "/password/reset/")
    refused = client.submit(link, data={"password": "MarisolQuintana1987"})
    assert refused.status_code == 422
    assert "built from your name or your email" in refused.get_data(as_text=True)


def test_the_purge_ends_sessions_unused_for_a_year(app, learner):
    laptop = browser(app, SAFARI_MAC)
    laptop.login("en")
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        laptop_session = max(s.id for s in sessions.of_account(db.session, user.id))
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.id == laptop_session)
            .values(last_used_at=utcnow() - dt.timedelta(days=366))
        )
        db.session.commit()
        counts = privacy.purge(db.session, content.register, dry_run=False)
        assert counts["sessions"] == 1
        assert laptop_session not in [s.id for s in sessions.of_account(db.session, user.id)]
    assert signed_in(learner) and not signed_in(laptop)


def test_recovery_codes_are_kept_nowhere_but_as_hashes(app, learner):
    page = learner.get("/en/account/two-step").get_data(as_text=True)
    secret = re.search(r'class="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    shown = learner.submit("/en/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(CODE, shown.get_data(as_text=True))
    assert len(codes) == 10
    # No language link would lose them; the session cookie does not hold them.
    assert 'class="language-nav"' not in shown.get_data(as_text=True)
    session = app.session_interface.get_signing_serializer(app).loads(
        learner.get_cookie("session").value
    )
    kept = json.dumps(session)
    assert not any(code in kept for code in codes) and secret not in kept


def mails_to(app, address: str) -> list[str]:
    return [m["Subject"] for m in outbox(app) if m["To"] == address]


def test_links_sent_before_a_change_of_address_or_password_no_longer_work(app, learner):
    learner.submit("/en/", "/en/logout")
    learner.submit("/en/password/forgot", data={"email": "ana@example.org"})
    old_reset = latest_link(app, "ana@example.org", "/password/reset/")
    learner.login("en")
    learner.submit("/en/account/email", data={"email": "ana@new.example.org"})
    learner.submit(latest_link(app, "ana@new.example.org", "/account/email/confirm/"))
    taken = learner.submit(old_reset, data={"password": "the old mailbox takes over"})
    assert taken.status_code == 410, "the old mailbox cannot set the password"
    learner.submit("/en/account/email", data={"email": "ana@third.example.org"})
    pending = latest_link(app, "ana@third.example.org", "/account/email/confirm/")
    learner.submit(
        "/en/account/password",
        data={"current_password": PASSWORD, "password": "another long passphrase"},
    )
    assert learner.submit(pending).status_code == 410


def test_the_owner_is_told_of_every_change_to_how_they_sign_in(app, learner):
    setup_two_step(learner)
    learner.submit("/en/account/security", "/en/account/two-step/recovery-codes")
    learner.submit("/en/", "/en/logout")
    learner.submit("/en/password/forgot", data={"email": "ana@example.org"})
    link = latest_link(app, "ana@example.org", "/password/reset/")
    learner.submit(link, data={"password": "a brand new passphrase"})
    admin = sign_in_as(app, Role.ADMIN, "admin@example.org")
    with app.app_context():
        ana = accounts.find_user(db.session, "ana@example.org").id
    admin.submit(f"/en/admin/learners/{ana}", f"/en/admin/users/{ana}/two-step/remove")
    subjects = " | ".join(mails_to(app, "ana@example.org"))
    for told in ("Two-step sign-in is on", "New recovery codes", "Your password was changed"):
        assert told in subjects
    assert subjects.count("Two-step sign-in is off") == 1, "the admin's removal"
    with app.app_context():
        removed = db.session.scalar(
            sa.select(SecurityEvent).where(SecurityEvent.kind == "two-step-reset")
        )
        assert removed.user_id == ana and removed.ip_address is None, "not the admin's address"


def test_where_required_an_admin_cannot_turn_two_step_sign_in_off(strict_app):
    admin = sign_in_as(strict_app, Role.ADMIN, "admin@example.org")
    setup_two_step(admin)
    page = admin.get("/en/account/security").get_data(as_text=True)
    assert "/en/account/two-step/off" not in page
    assert "must keep two-step sign-in on" in page
    refused = admin.submit("/en/account/security", "/en/account/two-step/off")
    assert refused.status_code == 409
    assert admin.get("/en/admin/").status_code == 200


def test_confirming_it_is_you_takes_the_second_step_too(app, learner):
    secret, _codes = setup_two_step(learner)
    with learner.session_transaction() as session:
        session[AUTHENTICATED_AT] = int(time.time()) - 16 * 60
    confirm = "/en/account/confirm?next=/en/account/security"
    assert learner.submit(confirm, data={"password": PASSWORD}).status_code == 401
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert learner.submit(confirm, data={"password": PASSWORD, "code": code}).status_code == 303


def test_a_password_stored_before_passwords_were_normalised_still_signs_in(app, client):
    typed = unicodedata.normalize("NFD", "pássaro azul na janela velha")
    with app.app_context():
        user = accounts.create_user(
            db.session, email="old@example.org", password="unused", display_name="Old"
        )
        user.password_hash = generate_password_hash(typed, method="pbkdf2:sha256:1000")
        db.session.commit()
    assert client.login("en", email="old@example.org", password=typed).status_code == 303


def test_the_current_address_is_no_change(app, learner):
    same = learner.submit("/en/account/email", data={"email": "ANA@example.org"})
    assert same.status_code == 422 and "This is already your address." in same.get_data(
        as_text=True
    )


def test_a_code_sent_twice_at_the_same_moment_works_once(app, learner):
    secret, _codes = setup_two_step(learner)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    with app.app_context():
        ana = accounts.find_user(db.session, "ana@example.org").id

    def verify() -> bool:
        return two_step.verify_code(db.session, db.session.get(User, ana), code)

    assert sorted(run_at_once(app, 8, verify)) == [False] * 7 + [True]


@pytest.fixture
def limited(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True)
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.engine.dispose()


NEW_PASSWORD = "a far longer passphrase"


@pytest.mark.parametrize(
    ("page", "action", "field", "other_fields"),
    [
        (
            "/en/account/password",
            "/en/account/password",
            "current_password",
            {"password": NEW_PASSWORD},
        ),
        ("/en/account/data", "/en/account/erase", "password", {}),
        ("/en/account/confirm", "/en/account/confirm", "password", {}),
    ],
)
def test_a_signed_in_session_cannot_guess_the_password_faster(
    limited, page, action, field, other_fields
):
    client = limited.test_client()
    client.register("en")
    guess = {field: "a wrong guess", **other_fields}
    statuses = [client.submit(page, action, guess).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    # The right password does not get through either while the pause lasts.
    assert client.submit(page, action, {**guess, field: PASSWORD}).status_code == 429


def test_an_address_taken_meanwhile_is_refused_and_its_link_spent(app, learner):
    learner.submit("/en/account/email", data={"email": "shared@example.org"})
    link = latest_link(app, "shared@example.org", "/account/email/confirm/")
    other = app.test_client()
    other.register("en", email="shared@example.org")
    assert learner.submit(link).status_code == 409
    assert learner.submit(link).status_code == 410
    with app.app_context():
        assert accounts.find_user(db.session, "ana@example.org") is not None
