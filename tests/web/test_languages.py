"""Every page is in the learner's language: prefixes, redirects, the switcher, fallbacks."""

from __future__ import annotations

import re

import pytest

from app.content import load_course
from app.extensions import content
from config import ROOT
from tests.conftest import CSRF_FIELD, outbox

# The site of several courses signs its mails with the name of the organisation running it.
SITE_NAMES = load_course(ROOT / "lessons" / "co-production").organisation

LESSON_1 = "what-is-co-production"


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("pt-PT,pt;q=0.9,en;q=0.5", "/pt/"),
        ("en-GB,en;q=0.8", "/en/"),
        ("de-DE", "/es/"),
        ("", "/es/"),
    ],
)
def test_the_root_follows_the_browser_else_the_course_default(client, accept_language, expected):
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert response.status_code == 302 and response.location == expected


def test_the_root_follows_the_language_the_learner_last_read_in(learner):
    learner.get(f"/pt/courses/co-production/lessons/{LESSON_1}")
    response = learner.get("/", headers={"Accept-Language": "en"})
    assert response.location == "/pt/"


def test_the_language_switcher_keeps_the_learner_on_the_same_page(client):
    html = client.get(f"/pt/courses/co-production/lessons/{LESSON_1}").get_data(as_text=True)
    switcher = html[html.index('class="language-nav"') :]
    assert f'href="/es/courses/co-production/lessons/{LESSON_1}"' in switcher
    assert f'href="/en/courses/co-production/lessons/{LESSON_1}"' in switcher
    assert (
        '<span aria-current="true" lang="pt"><span class="language-code" aria-hidden="true">PT'
        '</span><span class="language-name">Português</span></span>'
    ) in switcher
    # A form's page switches by sending the form, so that what was typed comes along.
    login = client.get(f"/es/login?next=/es/courses/co-production/lessons/{LESSON_1}").get_data(
        as_text=True
    )
    switched = client.post(
        f"/es/login?next=/es/courses/co-production/lessons/{LESSON_1}",
        data={"csrf_token": CSRF_FIELD.search(login)[1], "switch_language": "pt"},
    )
    assert switched.location == f"/pt/login?next=/pt/courses/co-production/lessons/{LESSON_1}"
    odd = client.get("/en/?lang=pt&slug=x")
    assert odd.status_code == 200
    assert 'href="/pt/?slug=x"' in odd.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Page not found"), ("es", "Página no encontrada"), ("pt", "Página não encontrada")],
)
def test_an_unknown_lesson_is_a_translated_404(client, lang, expected):
    response = client.get(f"/{lang}/courses/co-production/lessons/no-such-lesson")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert expected in html and f'<html lang="{lang}">' in html


def test_an_unknown_language_is_a_404_in_the_browsers_language(client):
    response = client.get("/fr/", headers={"Accept-Language": "pt"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Página não encontrada" in html and '<html lang="pt">' in html


def test_errors_answer_json_to_clients_that_ask_for_it(client):
    response = client.get(
        "/en/courses/co-production/lessons/nope", headers={"Accept": "application/json"}
    )
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "Page not found",
        "message": response.get_json()["message"],
        "status": 404,
    }


@pytest.fixture
def course_missing_portuguese(course_app):
    def write(lessons):
        lessons.lesson("01-only-spanish", languages=("es", "en"))
        lessons.lesson("02-draft-portuguese", languages=("es", "en"))
        lessons.lesson("02-draft-portuguese", languages=("pt",), draft="true")

    return course_app(write).test_client()


@pytest.mark.parametrize(("slug", "number"), [("only-spanish", 1), ("draft-portuguese", 2)])
def test_a_missing_translation_shows_the_default_language_with_a_note(
    course_missing_portuguese, slug, number
):
    response = course_missing_portuguese.get(f"/pt/courses/co-production/lessons/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="pt">' in html
    assert "Esta lição ainda não está disponível em português" in html
    assert '<div class="lesson-body" lang="es">' in html
    assert f"Lição {number} de 15" in html
    assert f"{slug} es" in html


def test_a_translated_lesson_has_no_fallback_note(course_missing_portuguese):
    html = course_missing_portuguese.get("/en/courses/co-production/lessons/only-spanish").get_data(
        as_text=True
    )
    assert "not yet available" not in html
    assert '<div class="lesson-body" lang="en">' in html


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/pt/nope", 404, "Página não encontrada"),
        (f"/pt/courses/co-production/lessons/{LESSON_1}/", 404, "Página não encontrada"),
        (f"/es/courses/co-production/lessons/{LESSON_1}/quiz", 405, "No permitido"),
        (f"/es/courses/co-production/lessons/{LESSON_1}/acknowledge", 405, "No permitido"),
    ],
)
def test_an_address_that_matches_no_page_answers_in_its_own_language(learner, path, status, title):
    """Whatever the browser asks for and whatever language the learner saved last."""
    learner.get("/en/")
    response = learner.get(path, headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'<html lang="{path[1:3]}">' in html and title in html


def test_an_error_page_about_a_lesson_leads_back_to_it(app, learner):
    with app.app_context():
        title = content.course.published_lesson(LESSON_1).texts["pt"].title
    wrong_method = learner.get(f"/pt/courses/co-production/lessons/{LESSON_1}/quiz").get_data(
        as_text=True
    )
    assert (
        f'<a href="/pt/courses/co-production/lessons/{LESSON_1}">Voltar à lição «{title}»</a>'
        in wrong_method
    )
    too_early = learner.submit(
        f"/pt/courses/co-production/lessons/{LESSON_1}",
        f"/pt/courses/co-production/lessons/{LESSON_1}/complete",
    )
    assert too_early.status_code == 409
    page = too_early.get_data(as_text=True)
    assert (
        "<h1>Não é possível</h1>" in page
        and f'href="/pt/courses/co-production/lessons/{LESSON_1}"' in page
    )
    unknown = learner.get("/pt/courses/co-production/lessons/no-such-lesson/quiz").get_data(
        as_text=True
    )
    assert "Voltar à lição" not in unknown


def test_every_page_has_an_icon_served_by_the_app(client):
    page = client.get("/pt/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon
    with client.get(icon[1]) as served:
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"


def test_an_error_page_does_not_change_the_language_saved_for_the_learner(learner):
    learner.get(f"/pt/courses/co-production/lessons/{LESSON_1}")
    assert learner.get("/es/courses/co-production/lessons/no-such-lesson").status_code == 404
    assert learner.get("/es/admin/").status_code == 403
    assert learner.get("/", headers={"Accept-Language": "en"}).location == "/pt/"


def test_emails_come_in_the_language_of_the_page_they_were_asked_from(app, learner):
    learner.get(f"/pt/courses/co-production/lessons/{LESSON_1}")
    learner.submit("/en/", "/en/logout")
    learner.submit("/es/password/forgot", data={"email": "ana@example.org"})
    message = outbox(app)[-1]
    site = SITE_NAMES["es"]
    assert message["Subject"] == f"Elige una nueva contraseña · {site}"
    assert "/es/password/reset/" in message.get_content()
    assert message.get_content().rstrip().endswith(site), "it says which site it is from"
    # Signing up again with an address that has an account already.
    learner.submit(
        "/es/register",
        data={"email": "ana@example.org", "password": "a long passphrase", "display_name": "A"},
    )
    assert outbox(app)[-1]["Subject"] == f"Ya tienes una cuenta · {site}"


def test_a_page_made_in_answer_to_a_form_switches_language_to_the_same_page(client):
    refused = client.submit(
        f"/pt/login?next=/pt/courses/co-production/lessons/{LESSON_1}",
        data={"email": "nobody@example.org", "password": "not this one"},
    )
    assert refused.status_code == 401
    switched = client.post(
        f"/pt/login?next=/pt/courses/co-production/lessons/{LESSON_1}",
        data={
            "csrf_token": CSRF_FIELD.search(refused.text)[1],
            "email": "nobody@example.org",
            "switch_language": "es",
        },
    )
    assert switched.location == f"/es/login?next=/es/courses/co-production/lessons/{LESSON_1}"
    assert 'value="nobody@example.org"' in client.get(switched.location).text


@pytest.mark.parametrize(
    "path",
    [
        f"/pt/courses/co-production/lessons/{LESSON_1}/quiz",
        "/pt/courses/co-production/lessons/no-such-lesson",
        "/pt/nope",
    ],
)
def test_a_page_that_answers_with_an_error_is_not_where_signing_in_leads(client, path):
    error_page = client.get(path).get_data(as_text=True)
    assert "/pt/login?next=" not in error_page


def test_a_footnotes_way_back_is_named_in_the_page_language(client):
    page = client.get(f"/pt/courses/co-production/lessons/{LESSON_1}").get_data(as_text=True)
    backrefs = re.findall(r'<a href="#fnref[^"]*" class="footnote-backref"([^>]*)>', page)
    assert backrefs and set(backrefs) == {' aria-label="Voltar ao texto"'}


def test_an_english_reading_in_a_portuguese_lesson_is_marked_as_english(client):
    page = client.get(f"/pt/courses/co-production/lessons/{LESSON_1}").text
    assert 'lang="en" hreflang="en">Seeing is Believing' in page
    assert "(em inglês)" in page
    assert "(in English)" not in client.get(f"/en/courses/co-production/lessons/{LESSON_1}").text
