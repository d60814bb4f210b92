"""Bad input gets a clear, translated 4xx and never a 500; nothing is recorded by it."""

from __future__ import annotations

import pytest

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
    response = learner.post(f"/{lang}/lessons/{LESSON_1}/complete")
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    nothing_done = {"en": "0 of 15", "es": "0 de 15", "pt": "0 de 15"}[lang]
    assert nothing_done in learner.get(f"/{lang}/").get_data(as_text=True)


def test_registration_errors_are_shown_on_the_form_in_the_page_language(client):
    response = client.register("es", email="not-an-email", password="short", display_name="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert "Introduce una dirección de correo electrónico válida." in html


def test_registering_an_email_twice_is_refused(client):
    client.register("en")
    client.submit("/en/", "/en/logout")
    response = client.register("en", email="ANA@example.org")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_completing_an_unknown_lesson_is_a_404(learner):
    response = learner.submit("/en/", "/en/lessons/no-such-lesson/complete")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/en/lessons/%00", 404),
        ("GET", "/en/lessons/" + "x" * 5000, 404),
        ("GET", "/zz/lessons/what-is-co-production", 404),
        ("POST", "/en/", 405),
        ("GET", "/en/lessons/what-is-co-production/complete", 405),
        ("POST", "/en/login", 400),
        ("POST", "/en/register", 400),
        ("GET", "/EN/", 404),
        ("GET", "/static/../config.py", 404),
    ],
)
def test_odd_requests_get_a_4xx_not_a_500(client, method, path, status):
    response = client.open(path, method=method, data={"email": "\x00", "password": ["a", "b"]})
    assert response.status_code == status, path


def test_a_header_injection_in_next_is_not_followed(client):
    client.register()
    client.submit("/en/", "/en/logout")
    response = client.submit(
        "/en/login?next=%0d%0aLocation:%20http://evil",
        data={"email": "ana@example.org", "password": "correct horse battery"},
    )
    assert response.status_code == 303 and response.location == "/en/"
