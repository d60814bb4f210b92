"""The web surface: headers, cookies, sessions, rate limits, no enumeration, password
reset, and who may open which route (every route must be in the matrix)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import statistics
import threading
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import create_app, mail
from app.extensions import db, limiter
from app.mail import wait_for_mail
from app.models import PasswordResetToken, Role, SecurityEvent, utcnow
from app.services import accounts
from config import ProductionConfig
from tests.conftest import CSRF_FIELD, dispose, latest_link, make_app, outbox, run_at_once
from tests.services.test_passwords import common_password

PASSWORD = "correct horse battery"
LESSON = "what-is-co-production"


def test_every_response_carries_the_security_headers(client):
    for path in (
        "/en/",
        f"/en/courses/co-production/lessons/{LESSON}",
        "/en/nope",
        "/healthz",
        "/static/css/aula.css",
    ):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "http" not in csp, path
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers
        response.close()
    secure = client.get("/en/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookies_are_httponly_lax_and_secure_in_production(client, tmp_path):
    client.register()
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    production = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "k" * 32,
            "PRIVACY_CONTACT": "dpo@example.org",
            "MAIL_SERVER": "smtp.example.org",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        },
    )
    assert (
        production.config["SESSION_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_SECURE"]
    )


def test_signing_in_starts_a_fresh_session_and_signing_out_ends_it_everywhere(app, client):
    client.register()
    client.submit("/en/", "/en/logout")
    client.get("/en/login")
    before = client.get_cookie("session").value
    client.login()
    signed_in = client.get_cookie("session").value
    assert signed_in != before
    assert client.get("/en/account/data").status_code == 200
    client.submit("/en/", "/en/logout")
    stolen = app.test_client()
    stolen.set_cookie("session", signed_in)
    assert stolen.get("/en/account/data").status_code == 302  # the old cookie is dead


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"href", "src", "action", "srcset", "poster", "data"} and value:
                self.urls.append(value)


def test_no_page_loads_or_links_anything_from_another_origin_but_the_reading(app, client):
    client.register()
    with app.app_context():
        accounts.set_role(db.session, accounts.find_user(db.session, "ana@example.org"), Role.ADMIN)
    client.acknowledge("en", LESSON)
    pages = [
        "/en/",
        f"/en/courses/co-production/lessons/{LESSON}",
        "/en/privacy",
        "/en/account/data",
        "/en/admin/",
        "/en/admin/users",
        "/en/admin/privacy",
        "/en/author/",
        "/en/author/courses/co-production/translations",
        "/en/author/courses/co-production/quizzes",
        f"/en/author/courses/co-production/lessons/{LESSON}",
    ]
    anonymous = app.test_client()
    for page, visitor in [(page, client) for page in pages] + [
        ("/es/login", anonymous),
        ("/pt/register", anonymous),
        ("/en/password/forgot", anonymous),
    ]:
        parser = _Links()
        response = visitor.get(page)
        assert response.status_code == 200, (page, response.location)
        parser.feed(response.get_data(as_text=True))
        external = [u for u in parser.urls if re.match(r"^(https?:)?//", u)]
        # The lesson's reading assignment is a link for the reader to follow, never loaded.
        assert all("copronet.wales" in url for url in external), (page, external)
    css = Path(app.static_folder, "css", "aula.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(|@import|https?://", css)


def test_a_request_body_over_the_limit_is_a_413(client):
    response = client.post("/en/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


@pytest.fixture
def limited(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True)
    with app.app_context():
        limiter.reset()
    yield app
    dispose(app)


def _guess(client, address: str, password: str = "wrong guess"):
    token = client.csrf_token("/en/login")
    return client.post(
        "/en/login",
        data={"csrf_token": token, "email": "ana@example.org", "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_rate_limit_counters_hold_no_address_and_no_email(limited):
    client = limited.test_client()
    for _ in range(3):
        _guess(client, "203.0.113.77")
    client.submit(
        "/en/password/forgot",
        data={"email": "ana@example.org"},
        environ_base={"REMOTE_ADDR": "2001:db8:77::1"},
    )
    with limited.app_context():
        storage = limiter.storage
        names = " ".join([*storage.storage, *storage.expirations])
    assert names, "the tries were counted"
    for secret in ("203.0.113", "2001:db8", "ana@example.org", "example.org"):
        assert secret not in names


def test_guessing_is_limited_while_the_owner_still_signs_in(limited):
    owner = limited.test_client()
    owner.register("en")  # signing in marks this browser as the owner's
    owner.submit("/en/", "/en/logout")
    guesser = limited.test_client()
    # From one address: 10 failures per 15 minutes.
    assert [_guess(guesser, "10.0.0.1").status_code for _ in range(10)] == [401] * 10
    paused = _guess(guesser, "10.0.0.1")
    assert paused.status_code == 429
    assert 0 < int(paused.headers["Retry-After"]) <= 15 * 60
    minutes = -(-int(paused.headers["Retry-After"]) // 60)
    assert f"Please try again in {minutes} minute" in paused.get_data(as_text=True)
    assert 'href="/en/password/forgot"' in paused.get_data(as_text=True)
    # The owner, from any other address, is not held up by them.
    newcomer = limited.test_client()
    signed_in = _guess(newcomer, "10.0.9.9", password="correct horse battery")
    assert signed_in.status_code == 303
    newcomer.submit("/en/", "/en/logout")
    # From many addresses: at most 100 failures an hour on the account (ASVS 2.2.1).
    statuses = [_guess(guesser, f"10.0.1.{n}").status_code for n in range(90)]
    assert statuses == [401] * 90
    assert _guess(guesser, "10.0.2.1").status_code == 429
    stranger = limited.test_client()
    assert _guess(stranger, "10.0.3.1", password="correct horse battery").status_code == 429
    # A browser the owner signed in from before still works; a new one has the emailed
    # link to a new password, which lifts the pause.
    assert _guess(owner, "10.0.4.1", password="correct horse battery").status_code == 303
    wait_for_mail(limited)  # failures and pauses are noted after the answer
    with limited.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        kinds = db.session.scalars(
            sa.select(SecurityEvent.kind).where(SecurityEvent.user_id == user.id)
        ).all()
    assert kinds.count("locked-out") == 1, "noted once per pause, not at every refused try"


def test_guesses_sent_at_the_same_moment_get_no_more_tries(limited):
    owner = limited.test_client()
    owner.register("en")
    forms = []
    for _ in range(30):
        guesser = limited.test_client()
        forms.append((guesser, guesser.csrf_token("/en/login")))
    sent = iter(forms)

    def guess():
        client, token = next(sent)
        return client.post(
            "/en/login",
            data={"csrf_token": token, "email": "ana@example.org", "password": "wrong guess"},
            environ_base={"REMOTE_ADDR": "10.3.0.1"},
        ).status_code

    statuses = run_at_once(limited, 30, guess)
    assert statuses.count(401) == 10 and statuses.count(429) == 20


def test_the_owners_browser_signs_in_on_the_guessers_own_network(limited):
    owner = limited.test_client()
    owner.register("en")
    owner.submit("/en/", "/en/logout")
    guesser = limited.test_client()
    for _ in range(10):
        _guess(guesser, "10.4.0.1")
    assert _guess(guesser, "10.4.0.1").status_code == 429
    # The school's one address, shared by the owner and the guesser.
    assert _guess(owner, "10.4.0.1", password=PASSWORD).status_code == 303


def test_a_new_password_ends_the_trust_in_browsers_signed_in_before(limited):
    owner = limited.test_client()
    owner.register("en")
    owner.submit("/en/", "/en/logout")
    owner.submit("/en/password/forgot", data={"email": "ana@example.org"})
    link = latest_link(limited, "ana@example.org", "/password/reset/")
    owner.submit(link, data={"password": "a brand new passphrase"})
    guesser = limited.test_client()
    for _ in range(10):
        _guess(guesser, "10.5.0.1")
    # Its cookie names the old password: counted with everyone on that address.
    assert _guess(owner, "10.5.0.1", password="a brand new passphrase").status_code == 429


def test_an_ipv6_network_of_one_subscriber_counts_as_one_address(limited):
    client = limited.test_client()
    statuses = []
    for n in range(21):
        token = client.csrf_token("/en/login")
        statuses.append(
            client.post(
                "/en/login",
                data={"csrf_token": token, "email": f"n{n}@example.org", "password": "x"},
                environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n + 1:x}"},
            ).status_code
        )
    assert statuses[:20] == [401] * 20 and statuses[20] == 429


def test_a_forged_or_other_accounts_browser_cookie_earns_no_trust(limited):
    owner = limited.test_client()
    owner.register("en")
    other = limited.test_client()
    other.register("en", email="bo@example.org")
    other.submit("/en/", "/en/logout")
    for n in range(100):
        _guess(limited.test_client(), f"10.1.{n // 200}.{n % 200}")
    # Bo's browser signed in to Bo's account, not Ana's: it is counted with everybody.
    assert _guess(other, "10.2.0.1", password="correct horse battery").status_code == 429
    forged = limited.test_client()
    forged.set_cookie("aula_signed_in_before", "[1]", path="/en/login")
    assert _guess(forged, "10.2.0.2", password="correct horse battery").status_code == 429


def test_only_failed_sign_ins_count_and_a_new_password_lifts_the_lock(limited):
    client = limited.test_client()
    client.register("en")
    for _ in range(12):  # a learner signing in and out all day, or a class on one network
        assert client.submit("/en/", "/en/logout").status_code == 303
        assert client.login("en").status_code == 303
    client.submit("/en/", "/en/logout")
    for _ in range(10):
        assert client.login("en", password="wrong").status_code == 401
    assert client.login("en").status_code == 429
    client.submit("/en/password/forgot", data={"email": "ana@example.org"})
    link = latest_link(limited, "ana@example.org", "/password/reset/")
    assert client.submit(link, data={"password": "a brand new passphrase"}).status_code == 303
    assert client.login("en", password="a brand new passphrase").status_code == 303


def test_sign_in_is_rate_limited_per_address(limited):
    client = limited.test_client()
    statuses = []
    for attempt in range(21):
        token = client.csrf_token("/en/login")
        response = client.post(
            "/en/login",
            data={"csrf_token": token, "email": f"n{attempt}@example.org", "password": "x"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        )
        statuses.append(response.status_code)
    assert 429 in statuses and statuses[0] == 401


def redis_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_answers(), reason="no Redis server answers on 127.0.0.1:6379")
def test_rate_limits_can_be_shared_between_workers_through_redis(database_url, tmp_path):
    # A prefix of this test's own: the suite's workers may run its variants at once.
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    first = make_app(database_url, tmp_path / "one", **settings)
    client = first.test_client()
    for _ in range(10):
        token = client.csrf_token("/en/login")
        client.post(
            "/en/login", data={"csrf_token": token, "email": "r@example.org", "password": "x"}
        )
    second = make_app(database_url, tmp_path / "two", **settings)
    other = second.test_client()
    token = other.csrf_token("/en/login")
    response = other.post(
        "/en/login", data={"csrf_token": token, "email": "r@example.org", "password": "x"}
    )
    assert response.status_code == 429
    dispose(first)
    dispose(second)


def _scrub(html: str) -> str:
    return re.sub(r'value="[^"]*"', "", html)


def test_unknown_email_and_wrong_password_look_and_take_the_same(client):
    client.register()
    client.submit("/en/", "/en/logout")
    wrong = client.login(password="not the password")
    unknown = client.login(email="nobody@example.org", password="not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert _scrub(wrong.get_data(as_text=True)) == _scrub(unknown.get_data(as_text=True))

    forms = [
        (
            {"email": "ana@example.org", "password": "not the password"},
            {"email": "nobody@example.org", "password": "not the password"},
        )
    ] * PAIRS
    pairs = _answer_times(client.application, client, "/en/login", forms, answered=(401,))
    difference = _telling_difference(pairs)
    assert difference is None, difference


def _answer_times(app, client, page: str, forms, answered=(200, 303)) -> list[tuple[float, float]]:
    """How long `page` takes to answer each (known, unknown) pair of forms, taken in turns
    so that a slower moment of the machine weighs on both. Each request's mail job runs
    before the next request, outside the timing: the question is what happens before the
    answer."""
    token = client.csrf_token(page)

    def timed(data: dict) -> float:
        start = time.perf_counter()
        response = client.post(page, data={"csrf_token": token, **data})
        elapsed = time.perf_counter() - start
        assert response.status_code in answered, response.status_code
        wait_for_mail(app)
        with client.session_transaction() as session:
            session.pop("_flashes", None)  # redirects not followed would pile them up
        return elapsed

    pairs = []
    for number, (known, unknown) in enumerate(forms):
        if number % 2:
            unknown_time = timed(unknown)
            pairs.append((timed(known), unknown_time))
        else:
            pairs.append((timed(known), timed(unknown)))
    return pairs[4:]  # the first ones warm up templates and caches


def _telling_difference(pairs: list[tuple[float, float]]) -> str | None:
    """Whether one kind of address is answered more slowly, beyond what noise makes: by a
    few milliseconds in the medians, and in most pairs. Two paths that do the same work
    split the pairs about evenly, however loaded the machine."""
    known = statistics.median(k for k, _ in pairs)
    unknown = statistics.median(u for _, u in pairs)
    known_slower = sum(k > u for k, u in pairs)
    slower = known_slower if known > unknown else len(pairs) - known_slower
    if abs(known - unknown) > max(0.002, 0.1 * min(known, unknown)) and slower > 0.7 * len(pairs):
        return (
            f"known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms (median); "
            f"known slower in {known_slower} of {len(pairs)} pairs"
        )
    return None


PAIRS = 44


def test_the_forgotten_password_form_takes_as_long_whether_or_not_the_address_has_an_account(
    app, client
):
    client.register()
    client.submit("/en/", "/en/logout")
    forms = [({"email": "ana@example.org"}, {"email": "nobody@example.org"})] * PAIRS
    difference = _telling_difference(_answer_times(app, client, "/en/password/forgot", forms))
    assert difference is None, difference
    resets = [m for m in outbox(app) if "/password/reset/" in m.get_content()]
    assert len(resets) == PAIRS and {m["To"] for m in resets} == {"ana@example.org"}


def test_signing_up_takes_as_long_whether_or_not_the_address_has_an_account(
    app, client, monkeypatch
):
    # Every sign-up hashes its password, whatever the address: a quick hash keeps the test
    # short and leaves what differs between the two to be seen.
    quick = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(accounts, "generate_password_hash", quick)
    client.register()
    client.submit("/en/", "/en/logout")
    forms = [
        (
            {"email": "ana@example.org", "password": PASSWORD, "display_name": "Ana"},
            {"email": f"new{number}@example.org", "password": PASSWORD, "display_name": "N"},
        )
        for number in range(PAIRS)
    ]
    difference = _telling_difference(_answer_times(app, client, "/en/register", forms))
    assert difference is None, difference
    subjects = [(m["To"], m["Subject"].split(" · ")[0]) for m in outbox(app)[1:]]
    assert subjects.count(("ana@example.org", "You already have an account")) == PAIRS
    assert len({to for to, subject in subjects if subject == "Confirm your email address"}) == PAIRS


def test_no_page_waits_for_the_mail_server(database_url, tmp_path, monkeypatch):
    """A slow or unreachable SMTP server holds up the mail queue, never a page."""
    answered = threading.Event()
    sent = []

    class SlowServer:
        def __init__(self, host, port, timeout):
            # Until the page has answered: a page that waited for this would never answer.
            if not answered.wait(timeout=5):
                raise TimeoutError("the page waited for the mail server")

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            return False

        def starttls(self):
            pass

        def send_message(self, message):
            sent.append((message["To"], str(message["Subject"])))

    monkeypatch.setattr(mail.smtplib, "SMTP", SlowServer)
    app = make_app(database_url, tmp_path / "smtp", MAIL_SERVER="smtp.example.org")
    client = app.test_client()
    for page, data in [
        ("/en/register", {"email": "sam@example.org", "password": PASSWORD, "display_name": "S"}),
        ("/en/password/forgot", {"email": "sam@example.org"}),
    ]:
        answered.clear()
        response = client.submit(page, data=data)
        answered.set()
        assert response.status_code in (200, 303)
        assert wait_for_mail(app, timeout=10)
    assert [to for to, _ in sent] == ["sam@example.org"] * 2, sent
    assert sent[0][1].startswith("Confirm your email address")
    assert sent[1][1].startswith("Choose a new password")
    dispose(app)


def test_a_pages_mail_goes_out_even_when_its_answer_is_never_closed(app, client, monkeypatch):
    """A server may keep an answer open long after sending it (the development server,
    reading what a browser left on the connection); a test client never closes one. The
    mail waits a moment for the close, then goes out all the same."""
    monkeypatch.setattr(mail, "HELD_MAIL_SECONDS", 0.2)
    client.register("en", email="sam@example.org")
    outbox = mail.outbox_folder(app)
    deadline = time.monotonic() + 5
    while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.05)
    [sent] = outbox.glob("*.eml")
    assert "sam@example.org" in sent.read_text(encoding="utf-8")


def test_password_reset_is_single_use_expiring_and_reveals_nothing(app, client):
    client.register("pt")
    client.submit("/pt/", "/pt/logout")
    known = client.submit("/pt/password/forgot", data={"email": "ana@example.org"})
    unknown = client.submit("/pt/password/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 303 and known.location == unknown.location
    resets = [m for m in outbox(app) if "/password/reset/" in m.get_content()]
    assert len(resets) == 1 and resets[0]["To"] == "ana@example.org"
    link = latest_link(app, "ana@example.org", "/password/reset/")
    with app.app_context():
        [row] = db.session.scalars(
            sa.select(PasswordResetToken).where(PasswordResetToken.purpose == "reset")
        ).all()
        assert link.rsplit("/", 1)[1] not in row.token_hash  # only a hash is kept

    weak = client.submit(link, data={"password": "password123"})
    assert weak.status_code == 422
    done = client.submit(link, data={"password": "a brand new passphrase"})
    assert done.status_code == 303
    spent = client.get(link)
    assert spent.status_code == 410 and "já foi usada" in spent.get_data(as_text=True)
    assert 'href="/pt/password/forgot">Pedir uma nova ligação</a>' in spent.get_data(as_text=True)
    assert client.login("pt", password="a brand new passphrase").status_code == 303

    client.submit("/pt/", "/pt/logout")
    client.submit("/pt/password/forgot", data={"email": "ana@example.org"})
    expired = latest_link(app, "ana@example.org", "/password/reset/")
    with app.app_context():
        for row in db.session.scalars(sa.select(PasswordResetToken)):
            row.expires_at = utcnow()
        db.session.commit()
    assert client.get(expired).status_code == 410


def test_common_passwords_are_refused(client):
    response = client.register("es", password=common_password())
    assert response.status_code == 422
    assert "Esta contraseña es de las más usadas" in response.get_data(as_text=True)


def test_an_account_is_usable_only_once_its_address_is_confirmed(app, client):
    pending = client.submit(
        "/es/register",
        data={"email": "eve@example.org", "password": PASSWORD, "display_name": "Eve"},
    )
    assert pending.status_code == 200 and "Revisa tu correo" in pending.get_data(as_text=True)
    assert 'href="/es/register">Volver a registrarte</a>' in pending.text
    wait_for_mail(app)  # the account is made by the mail job, after the answer
    refused = client.login("es", email="eve@example.org")
    assert refused.status_code == 401
    assert "¿Te has registrado hace poco? Abre primero el enlace" in refused.get_data(as_text=True)
    [message] = outbox(app)
    assert message["Date"] and message["Message-ID"].endswith("@localhost>")
    link = latest_link(app, "eve@example.org", "/register/confirm/")
    confirmed = client.submit(link)
    assert confirmed.status_code == 303
    welcome = client.get(confirmed.location).get_data(as_text=True)
    assert "Te damos la bienvenida, Eve" in welcome
    assert client.get("/es/account/data").status_code == 200
    again = client.get(link)  # a reload, or a second tap, by the learner it signed in
    assert again.status_code == 303 and again.location == "/es/"
    client.submit("/es/", "/es/logout")
    spent = client.get(link)
    assert spent.status_code == 410
    assert 'href="/es/login"' in spent.text and 'href="/es/register"' in spent.text
    assert "Si tu cuenta ya está lista, inicia sesión" in spent.get_data(as_text=True)
    assert client.login("es", email="eve@example.org").status_code == 303


def test_a_mail_scanner_opening_the_confirmation_link_spends_nothing(app, client):
    """Mail services open the links in a message before its reader does: opening the link
    only shows the button, and the learner's own press still works."""
    client.submit(
        "/pt/register",
        data={"email": "ines@example.org", "password": PASSWORD, "display_name": "Inês"},
    )
    link = latest_link(app, "ines@example.org", "/register/confirm/")
    scanner = app.test_client()
    for _ in range(3):
        opened = scanner.get(link)
        assert opened.status_code == 200
        assert "Confirmar e iniciar sessão" in opened.get_data(as_text=True)
    assert scanner.get("/pt/account/data").status_code == 302
    assert client.login("pt", email="ines@example.org").status_code == 401
    confirmed = client.submit(link)
    assert confirmed.status_code == 303
    assert client.get("/pt/account/data").status_code == 200
    token = CSRF_FIELD.search(opened.get_data(as_text=True)).group(1)
    assert scanner.post(link, data={"csrf_token": token}).status_code == 410


def test_opening_another_accounts_confirmation_link_says_whose_session_it_ends(app, learner):
    newcomer = app.test_client()
    newcomer.submit(
        "/es/register",
        data={"email": "lu@example.org", "password": PASSWORD, "display_name": "Lu"},
    )
    link = latest_link(app, "lu@example.org", "/register/confirm/")
    page = learner.get(link).text
    assert "Has iniciado sesión como Ana (ana@example.org)" in page
    assert "Has iniciado sesión como" not in newcomer.get(link).text


def test_the_confirmation_button_needs_the_pages_token(app, client):
    client.submit(
        "/en/register",
        data={"email": "otto@example.org", "password": PASSWORD, "display_name": "Otto"},
    )
    link = latest_link(app, "otto@example.org", "/register/confirm/")
    forged = client.post(link, data={})
    assert forged.status_code == 400
    assert client.login("en", email="otto@example.org").status_code == 401


def test_nobody_can_prepare_an_account_on_someone_elses_address(app, client):
    squatter = {"email": "vic@example.org", "password": "the squatter's pass", "display_name": "S"}
    client.submit("/en/register", data=squatter)
    first_link = latest_link(app, "vic@example.org", "/register/confirm/")
    victim = app.test_client()
    victim.register("en", email="vic@example.org", password="the victim's passphrase")
    assert victim.get("/en/account/data").status_code == 200
    assert client.get(first_link).status_code == 410  # the squatter's link no longer works
    assert (
        client.post(first_link, data={"csrf_token": client.csrf_token("/en/login")}).status_code
        == 410
    )
    assert (
        client.login("en", email="vic@example.org", password="the squatter's pass").status_code
        == 401
    )


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page_after_signing_in(
    learner,
):
    token = learner.csrf_token("/es/account/data")
    other_device = learner.application.test_client()
    other_device.login("es")
    # Which ends every other session of the account.
    other_device.submit("/es/account/security", "/es/account/sessions/end-others")
    sent = learner.post(
        "/es/account/consents",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/es/account/data"},
    )
    assert sent.status_code == 302
    assert sent.location == "/es/login?next=/es/account/data"
    signed_in = learner.submit(
        sent.location, data={"email": "ana@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 303 and signed_in.location == "/es/account/data"
    learner.submit("/es/", "/es/logout")
    from_elsewhere = learner.post(
        "/es/account/consents",
        data={"csrf_token": learner.csrf_token("/es/login")},
        headers={"Referer": "http://evil.example/es/account/data"},
    )
    assert from_elsewhere.location == "/es/login?next=/es/"


def test_a_restarted_browser_keeps_the_form_token_of_the_pages_it_restores(app, learner):
    """A learner who chose to stay signed in keeps the session cookie when the browser
    restarts, for the register's 30 days: a restored page's form must still be accepted.
    No remember-me cookie stands beside it, which would bring back a session its owner
    ended from another device."""
    learner.post("/pt/logout", data={"csrf_token": learner.csrf_token("/pt/account/data")})
    learner.submit(
        "/pt/login",
        data={
            "email": "ana@example.org",
            "password": "correct horse battery",
            "keep_signed_in": "y",
        },
    )
    learner.get("/pt/account/data")
    session_cookie = learner.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert session_cookie.expires is not None, "the session outlives the browser"
    assert session_cookie.expires >= dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    assert learner.get_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token")) is None
