"""Bad input gets a clear, translated 4xx and never a 500; nothing is recorded by it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import abort

from app.content import load_course
from app.extensions import db
from app.mail import wait_for_mail
from app.models import SecurityEvent
from app.services import accounts
from config import ROOT
from tests.conftest import CSRF_FIELD, dispose, make_app, outbox
from tests.web.conftest import BAD_HOST

# The site of several courses signs its mails with the name of the organisation running it.
SITE_NAMES = load_course(ROOT / "lessons" / "co-production").organisation

LESSON_1 = "what-is-co-production"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "The email or the password is not right."),
        ("es", "El correo electrónico o la contraseña no son correctos."),
        ("pt", "O email ou a palavra-passe não estão corretos."),
    ],
)
def test_a_wrong_password_is_a_translated_401(client, lang, expected):
    client.register(lang)
    client.submit(f"/{lang}/", f"/{lang}/logout")
    response = client.login(lang, password="not the password")
    assert response.status_code == 401
    assert expected in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "The form has expired"),
        ("es", "El formulario ha caducado"),
        ("pt", "O formulário expirou"),
    ],
)
def test_a_form_without_its_csrf_token_is_a_translated_400(learner, lang, expected):
    response = learner.post(f"/{lang}/courses/co-production/lessons/{LESSON_1}/complete")
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    nothing_done = {"en": "0 of 15", "es": "0 de 15", "pt": "0 de 15"}[lang]
    assert nothing_done in learner.get(f"/{lang}/courses/co-production/").get_data(as_text=True)


# The forms whose typing is kept, by their page's address after the language, with what a
# learner typed into them (a password apart).
TYPED_FORMS = pytest.mark.parametrize(
    ("page", "typed"),
    [
        ("register", {"email": "rui@example.org", "display_name": "Rui Gonçalves"}),
        ("login", {"email": "rui@example.org"}),
        ("password/forgot", {"email": "rui@example.org"}),
    ],
    ids=["register", "sign in", "forgotten password"],
)


@TYPED_FORMS
@pytest.mark.parametrize("token", ["", "a token from another session"])
def test_a_form_older_than_the_session_comes_back_as_it_was_typed(app, client, page, typed, token):
    page = f"/pt/{page}"
    client.get(page)
    sent = client.post(page, data={"csrf_token": token, "password": "a passphrase", **typed})
    assert sent.status_code == 422
    assert "Este formulário estava desatualizado, por isso nada foi enviado" in sent.text
    assert ("exceto as palavras-passe" in sent.text) == (page != "/pt/password/forgot")
    for value in typed.values():
        assert f'value="{value}"' in sent.text
    assert 'value="a passphrase"' not in sent.text
    with app.app_context():
        assert accounts.find_user(db.session, "rui@example.org") is None
    again = client.post(
        page, data={"csrf_token": CSRF_FIELD.search(sent.text)[1], "password": "x", **typed}
    )
    assert "Este formulário estava desatualizado" not in again.text


@TYPED_FORMS
def test_switching_language_on_a_form_brings_what_was_typed_along_once(app, client, page, typed):
    form = client.get(f"/pt/{page}").text
    buttons = re.findall(r'<button type="submit" form="([^"]+)" name="switch_language"', form)
    assert buttons == ["account-form", "account-form"] and 'id="account-form"' in form
    sent = client.post(
        f"/pt/{page}",
        data={
            "csrf_token": CSRF_FIELD.search(form)[1],
            "password": "a passphrase",
            "switch_language": "es",
            **typed,
        },
    )
    assert sent.status_code == 303 and sent.location == f"/es/{page}"
    switched = client.get(sent.location).text
    assert '<html lang="es">' in switched
    for value in typed.values():
        assert f'value="{value}"' in switched
    assert 'value="a passphrase"' not in switched
    assert 'value="rui@example.org"' not in client.get(sent.location).text, "once"
    with app.app_context():
        assert accounts.find_user(db.session, "rui@example.org") is None


def test_registration_errors_are_shown_on_the_form_in_the_page_language(client):
    response = client.register("es", email="not-an-email", password="short", display_name="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert "Introduce una dirección de correo electrónico válida." in html


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Diga-nos como prefere que lhe chamemos."),
        ("\u200b", "Um nome precisa de pelo menos uma letra ou um número legíveis."),
        ("\u200d\u0301", "Um nome precisa de pelo menos uma letra ou um número legíveis."),
        ("Bel\x07én", "Um nome escreve-se numa só linha, sem caracteres de controlo."),
        ("Ana\nRuiz", "Um nome escreve-se numa só linha, sem caracteres de controlo."),
        ("Ana\u2028Ruiz", "Um nome escreve-se numa só linha, sem caracteres de controlo."),
        ("\u202eziuR anA", "Um nome escreve-se numa só linha, sem caracteres de controlo."),
    ],
)
def test_a_name_of_spaces_or_with_control_characters_is_refused(app, client, name, message):
    response = client.register("pt", email="nome@example.org", display_name=name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outbox(app) == [], "no account was started"


def test_a_name_is_kept_without_the_spaces_around_it(app, client):
    assert client.register("pt", display_name="  Inês Gonçalves  ").status_code == 303
    with app.app_context():
        assert accounts.find_user(db.session, "ana@example.org").display_name == "Inês Gonçalves"


def test_signing_up_with_a_taken_email_looks_the_same_and_tells_its_owner(app, client):
    client.register("en")
    client.submit("/en/", "/en/logout")
    taken = client.submit(
        "/en/register",
        data={"email": "ANA@example.org", "password": "another passphrase", "display_name": "X"},
    )
    fresh = client.submit(
        "/en/register",
        data={"email": "new@example.org", "password": "another passphrase", "display_name": "X"},
    )
    assert taken.status_code == fresh.status_code == 200
    scrub = re.compile(r'value="[^"]*"|[a-z]+@example\.org', re.IGNORECASE)
    assert scrub.sub("", taken.get_data(as_text=True)) == scrub.sub(
        "", fresh.get_data(as_text=True)
    )
    to_owner = [m for m in outbox(app) if m["To"] == "ana@example.org"][-1]
    assert to_owner["Subject"] == "You already have an account · " + SITE_NAMES["en"]
    assert client.login("en", password="another passphrase").status_code == 401


def test_completing_an_unknown_lesson_is_a_404(learner):
    response = learner.submit("/en/", "/en/courses/co-production/lessons/no-such-lesson/complete")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/en/courses/co-production/lessons/%00", 400),
        ("GET", "/en/courses/co-production/lessons/" + "x" * 5000, 404),
        ("GET", "/zz/lessons/what-is-co-production", 404),
        ("POST", "/en/", 400),
        ("GET", "/en/courses/co-production/lessons/what-is-co-production/complete", 405),
        ("POST", "/en/login", 400),
        ("POST", "/en/register", 400),
        ("GET", "/EN/", 404),
        ("GET", "/static/../config.py", 404),
    ],
)
def test_odd_requests_get_a_4xx_not_a_500(client, method, path, status):
    response = client.open(path, method=method, data={"email": "\x00", "password": ["a", "b"]})
    assert response.status_code == status, path


def test_a_reset_asked_for_something_that_is_no_address_says_so(app, client):
    response = client.submit("/pt/password/forgot", data={"email": "nope"})
    assert response.status_code == 422
    assert "Introduza um endereço de email válido." in response.text
    assert outbox(app) == []


def test_a_notice_confirmation_without_its_version_is_refused(app, learner):
    response = learner.submit(
        "/en/courses/co-production/lessons/what-is-co-production",
        "/en/courses/co-production/lessons/what-is-co-production/acknowledge",
    )
    assert response.status_code == 400
    assert "form was incomplete" in response.text


def test_a_method_not_allowed_says_which_are(client):
    response = client.get("/en/courses/co-production/lessons/what-is-co-production/complete")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_a_header_injection_in_next_is_not_followed(client):
    client.register()
    client.submit("/en/", "/en/logout")
    response = client.submit(
        "/en/login?next=%0d%0aLocation:%20http://evil",
        data={"email": "ana@example.org", "password": "correct horse battery"},
    )
    assert response.status_code == 303 and response.location == "/en/"


@pytest.mark.parametrize("where", ["form", "query", "path"])
def test_a_nul_character_anywhere_is_a_400(client, where):
    """PostgreSQL cannot store NUL: it must never reach the database (found by fuzzing)."""
    token = client.csrf_token("/en/login")
    if where == "form":
        response = client.post(
            "/en/login", data={"csrf_token": token, "email": "a\x00@b.c", "password": "x"}
        )
    elif where == "query":
        response = client.get("/en/login?next=/en/%00")
    else:
        response = client.get("/en/courses/co-production/lessons/what%00is")
    assert response.status_code == 400


def test_switching_language_on_the_sign_up_form_keeps_where_it_leads(client):
    page = "/pt/register?next=/pt/courses/co-production/lessons/" + LESSON_1
    form = client.get(page).text
    token = CSRF_FIELD.search(form)[1]
    sent = client.post(page, data={"csrf_token": token, "switch_language": "es"})
    assert sent.location == f"/es/register?next=/es/courses/co-production/lessons/{LESSON_1}"


@pytest.mark.parametrize("path", ["/pt/login", "/healthz", "/pt/?x=1"])
@pytest.mark.parametrize("header", ["Host", "X-Forwarded-Host"])
def test_a_host_no_address_can_be_made_for_is_a_plain_400(proxied_app, path, header):
    response = proxied_app.test_client().get(
        path, headers={header: BAD_HOST, "Accept-Language": "pt"}
    )
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.text.startswith("Pedido inválido\n\n")


def test_a_host_no_address_can_be_made_for_is_told_as_such(client):
    response = client.get("/en/login", headers={"Host": BAD_HOST})
    assert response.text == (
        "Bad request\n\n"
        "The name of the site in the address is not valid. Please check the address.\n"
    )
    asked_for_json = client.get(
        "/en/login", headers={"Host": BAD_HOST, "Accept": "application/json"}
    )
    assert asked_for_json.status_code == 400 and asked_for_json.json["status"] == 400


def test_every_error_is_told_where_no_address_can_be_made(app):
    """Whatever stops such a request before its page, it is told in plain text: a page in
    HTML would need addresses for its stylesheet and links."""
    stop = []

    @app.before_request
    def stop_the_request():
        if isinstance(stop[0], int):
            abort(stop[0])
        raise stop[0]

    client = app.test_client()
    unavailable = sa.exc.OperationalError("SELECT 1", {}, Exception("database is locked"))
    errors = [400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503, unavailable]
    for error in errors:
        stop[:] = [error]
        response = client.get("/pt/", headers={"Host": BAD_HOST})
        assert response.status_code == (503 if error is unavailable else error)
        assert response.mimetype == "text/plain" and "<" not in response.text
    assert response.text.startswith("Temporariamente indisponível\n\n")


def test_a_forwarded_client_address_that_is_none_is_a_400_and_not_recorded(proxied_app):
    """Through the proxy, the address of a failed sign-in is recorded: the one the proxy
    added last. A client that went round it could send anything."""
    client = proxied_app.test_client()
    client.register()
    client.submit("/en/", "/en/logout")
    sign_in = {"csrf_token": client.csrf_token("/en/login"), "email": "ana@example.org"}
    sign_in["password"] = "not the password"
    for address in ("a" * 46, "203.0.113.7\x00", "fe80::1%" + "x" * 40, "not an address"):
        refused = client.post("/en/login", data=sign_in, headers={"X-Forwarded-For": address})
        assert refused.status_code == 400, address
    proxied = {"X-Forwarded-For": "192.0.2.1, 2001:db8::7"}
    assert client.post("/en/login", data=sign_in, headers=proxied).status_code == 401
    wait_for_mail(proxied_app)  # the failure is noted after the answer
    with proxied_app.app_context():
        recorded = db.session.scalars(
            sa.select(SecurityEvent.ip_address).where(
                SecurityEvent.kind == accounts.SecurityEventKind.SIGN_IN_FAILED.value
            )
        ).all()
    assert recorded == ["2001:db8::"], "the network of the address the proxy added last"


def test_a_remember_me_cookie_that_none_of_ours_is_counts_for_nothing(app):
    """Its signature is checked with `hmac.compare_digest`, which refuses to compare text
    that is not ASCII."""
    visitor = app.test_client(use_cookies=False)
    for cookie in ("remember_token=1|\x80", "remember_token=\xe9"):
        page = visitor.get("/en/", headers={"Cookie": cookie})
        assert page.status_code == 200 and ">Sign in</a>" in page.text


def test_a_prefix_a_client_forwards_never_reaches_the_pages_kept_for_everyone(proxied_app):
    poisoner, visitor = proxied_app.test_client(), proxied_app.test_client()
    poisoned = poisoner.get("/en/", headers={"X-Forwarded-Prefix": "/evil"})
    assert poisoned.status_code == 200
    page = visitor.get("/en/").get_data(as_text=True)
    assert "/evil" not in page and 'href="/static/css/aula.css' in page


def test_a_made_up_forwarded_scheme_is_left_out(proxied_app):
    client = proxied_app.test_client()
    for scheme in ("gopher", "https, ftp", "x" * 40):
        response = client.get("/en/", headers={"X-Forwarded-Proto": scheme})
        assert response.status_code == 200
        assert "Strict-Transport-Security" not in response.headers
    kept = proxied_app.extensions["kept_pages"].responses
    assert {key[0] for key in kept} == {"http"}, "no page is kept for a made-up scheme"
    secure = client.get("/en/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in secure.headers


@pytest.fixture
def one_host_app(database_url, tmp_path):
    app = make_app(
        database_url,
        tmp_path / "one-host",
        TRUSTED_PROXIES=1,
        # The test client's own host, as a site's name.
        TRUSTED_HOSTS=["localhost"],
    )
    yield app
    dispose(app)


def test_with_its_hosts_named_the_site_answers_no_other(one_host_app):
    client = one_host_app.test_client()
    for headers in ({"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
        refused = client.get("/en/login", headers=headers)
        assert refused.status_code == 400 and "Traceback" not in refused.get_data(as_text=True)
    assert client.get("/en/login").status_code == 200
    client.register("en")
    client.submit("/en/", "/en/logout")
    client.submit("/en/password/forgot", data={"email": "ana@example.org"})
    token = client.csrf_token("/en/password/forgot")
    forged = client.post(
        "/en/password/forgot",
        data={"csrf_token": token, "email": "ana@example.org"},
        headers={"X-Forwarded-Host": "evil.example"},
    )
    assert forged.status_code == 400
    mails = [m.get_content() for m in outbox(one_host_app) if m["To"] == "ana@example.org"]
    assert len(mails) == 2, "the confirmation and one reset link"
    assert all("http://localhost/" in text for text in mails)
    assert not any("evil.example" in text for text in mails)
