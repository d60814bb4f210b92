"""A learner's way through the course over HTTP, in each of the three languages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.content import load_course
from app.extensions import db
from app.models import LessonProgress
from config import ROOT
from tests.conftest import right_answers
from tests.content.conftest import lesson_file

COURSE = load_course(ROOT / "lessons" / "co-production")
QUIZ_1 = COURSE.published_lessons[0].quiz

LESSON_1 = "what-is-co-production"
LESSON_2 = "towards-co-production-of-public-policies"
ONE_OF_FIFTEEN = {
    "en": "1 of 15 lessons completed",
    "es": "1 de 15 lecciones completadas",
    "pt": "1 de 15 lições concluídas",
}
LESSON_1_OF_15 = {"en": "Lesson 1 of 15", "es": "Lección 1 de 15", "pt": "Lição 1 de 15"}
TITLES = {
    "en": "What is co-production?",
    "es": "¿Qué es la coproducción?",
    "pt": "O que é a coprodução?",
}


def progress_rows(app) -> list[LessonProgress]:
    with app.app_context():
        return list(db.session.scalars(sa.select(LessonProgress)))


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_register_sign_in_read_complete_and_see_one_of_fifteen(app, client, lang):
    """A learner registers, signs in again, opens lesson 1, completes it and sees 1 of 15."""
    assert client.register(lang).status_code == 303
    client.submit(f"/{lang}/", f"/{lang}/logout")
    response = client.login(lang)
    assert response.status_code == 303 and response.location == f"/{lang}/"

    assert progress_rows(app) == []  # nothing before the data notice is acknowledged
    assert client.acknowledge(lang, LESSON_1).status_code == 303
    page = client.get(f"/{lang}/courses/co-production/lessons/{LESSON_1}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert LESSON_1_OF_15[lang] in html and TITLES[lang] in html
    assert "[i]</a>" in html
    [row] = progress_rows(app)
    assert row.completed_at is None

    done = client.take_quiz(lang, COURSE.published_lessons[0], right_answers(QUIZ_1))
    assert done.status_code == 303
    course_page = client.get(f"/{lang}/courses/co-production/").get_data(as_text=True)
    assert ONE_OF_FIFTEEN[lang] in course_page
    assert '<progress max="15" value="1" aria-labelledby="progress-count">' in course_page
    [row] = progress_rows(app)
    assert row.completed_at is not None


def test_a_lesson_without_a_quiz_is_completed_once_however_often_it_is_marked(course_app):
    app = course_app(lambda lessons: lessons.lesson("01-first"))
    learner = app.test_client()
    learner.register("en")
    learner.acknowledge("en", "first")
    for _ in range(2):
        response = learner.submit(
            "/en/courses/co-production/lessons/first",
            "/en/courses/co-production/lessons/first/complete",
        )
        assert response.status_code == 303
    [row] = progress_rows(app)
    assert row.completed_at is not None
    assert ONE_OF_FIFTEEN["en"] in learner.get("/en/courses/co-production/").get_data(as_text=True)
    assert "You completed this lesson on" in learner.get(
        "/en/courses/co-production/lessons/first"
    ).get_data(as_text=True)


def test_the_lesson_page_shows_author_date_reading_and_neighbours(client):
    html = client.get(f"/pt/courses/co-production/lessons/{LESSON_1}").get_data(as_text=True)
    assert "Ruben" in html
    assert "15 de maio de 2024" in html
    assert "Catalogue for Wales" in html and "14-16" in html
    assert f'href="/pt/courses/co-production/lessons/{LESSON_2}"' in html
    english = client.get(f"/en/courses/co-production/lessons/{LESSON_2}").get_data(as_text=True)
    assert "May 15, 2024" in english
    assert f'href="/en/courses/co-production/lessons/{LESSON_1}"' in english


@pytest.mark.parametrize("lang, quoted", [("es", "«{}»"), ("pt", "«{}»"), ("en", "“{}”")])
def test_lesson_1_sends_learners_to_its_reading_by_the_heading_the_page_gives_it(
    client, lang, quoted
):
    html = client.get(f"/{lang}/courses/co-production/lessons/{LESSON_1}").get_data(as_text=True)
    heading = re.search(r'<h2 id="reading-heading">([^<]+)</h2>', html).group(1)
    body = html[html.index('<div class="lesson-body"') :]
    assert quoted.format(heading) in body
    assert html.index('<aside class="reading"') < html.index('<div class="lesson-body"')


def test_a_lessons_table_and_code_scroll_in_regions_the_keyboard_reaches(course_app):
    body = "| Barrio | Votos |\n|---|---|\n| Centro | 12 |\n\n```\ncurl --fail datos.csv\n```\n"
    app = course_app(lambda lessons: lessons.write("01-first/es.md", lesson_file(body=body)))
    html = app.test_client().get("/en/courses/co-production/lessons/first").get_data(as_text=True)
    # As the app's own tables, in app/templates/_tables.html.
    region = '<div class="table-scroll" role="region" tabindex="0" aria-label="Table">'
    assert html.index(region) < html.index("<table>") < html.index("</table>\n</div>")
    assert '<pre tabindex="0"><code>curl --fail datos.csv' in html


def test_a_lessons_table_aligns_its_columns_by_class_the_security_policy_allows(course_app):
    """The page's Content-Security-Policy blocks `style` attributes, with which the table
    plugin aligns columns: each aligned cell gets a class of the site's stylesheet."""
    body = "| Barrio | Votos | Notas |\n|:--|--:|:-:|\n| Centro | 12 | sí |\n"
    app = course_app(lambda lessons: lessons.write("01-first/es.md", lesson_file(body=body)))
    client = app.test_client()
    response = client.get("/en/courses/co-production/lessons/first")
    table = response.get_data(as_text=True).split("<table>", 1)[1].split("</table>", 1)[0]
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style=" not in table
    assert '<th class="align-left">Barrio</th>' in table
    assert '<td class="align-right">12</td>' in table
    assert '<td class="align-center">sí</td>' in table
    with client.get("/static/css/aula.css") as served:
        stylesheet = served.get_data(as_text=True)
    for side in ("left", "right", "center"):
        assert f".align-{side} {{ text-align: {side}; }}" in stylesheet


def test_the_course_page_lists_the_published_lessons_and_folds_the_thirteen_coming(client):
    html = client.get("/en/courses/co-production/").get_data(as_text=True)
    assert html.count('class="lesson-item') == 2
    coming = html.split('<details class="lessons-coming">', 1)[1].split("</details>", 1)[0]
    assert "<summary>13 more lessons coming</summary>" in coming
    assert coming.count("<li>") == 13 and "Lesson 3" in coming and "Lesson 15" in coming
    assert "0 of 15 lessons completed" in html


def test_the_course_page_offers_to_continue_where_the_learner_left_off(learner):
    learner.acknowledge("es", LESSON_2)
    html = learner.get("/es/courses/co-production/").get_data(as_text=True)
    link = re.search(r'<p class="resume">\s*<a class="button" href="([^"]+)">\s*([^<]+)', html)
    assert link.group(1) == f"/es/courses/co-production/lessons/{LESSON_2}"
    assert link.group(2).startswith("Continuar donde lo dejaste")


def lesson_items(html: str) -> list[str]:
    """Each lesson of the course page as its text reads, tags dropped."""
    items = re.findall(r'<li class="lesson-item".*?</li>', html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def test_the_course_page_says_each_lessons_reading_time_quiz_and_the_learners_state(learner):
    minutes = [lesson.texts["es"].reading_minutes for lesson in COURSE.published_lessons]
    learner.acknowledge("es", LESSON_1)
    learner.take_quiz("es", COURSE.published_lessons[0], right_answers(QUIZ_1))
    first, second = lesson_items(learner.get("/es/courses/co-production/").get_data(as_text=True))
    assert f"{minutes[0]} min de lectura" in first
    assert first.endswith("Has superado su cuestionario Completada"), first
    assert second.endswith("Con cuestionario Sin empezar"), second
    assert "Has completado todas las lecciones" not in learner.get(
        "/es/courses/co-production/"
    ).get_data(as_text=True)


def test_a_learner_who_completed_every_published_lesson_is_told_what_comes_next(learner):
    for lesson in COURSE.published_lessons:
        learner.acknowledge("en", lesson.slug)
        learner.take_quiz("en", lesson, right_answers(lesson.quiz))
    html = learner.get("/en/courses/co-production/").get_data(as_text=True)
    done = re.sub(r"\s+", " ", html.split('<p class="resume course-done">', 1)[1].split("</p>")[0])
    assert "You have completed every lesson published so far." in done
    assert "Next comes lesson 3: it will appear here when it is published." in done
    assert all(item.endswith("You passed its quiz Completed") for item in lesson_items(html))


def test_reading_anonymously_records_nothing(app, client):
    response = client.get(f"/en/courses/co-production/lessons/{LESSON_1}")
    assert response.status_code == 200
    assert "Sign in to save your progress" in response.get_data(as_text=True)
    assert progress_rows(app) == []


def test_an_anonymous_completion_sends_to_sign_in_and_back_to_the_lesson(app, client):
    client.register("pt")
    client.submit("/pt/", "/pt/logout")
    # The lesson page offers no form to anonymous readers; a stale or crafted one is posted.
    response = client.submit("/pt/login", f"/pt/courses/co-production/lessons/{LESSON_1}/complete")
    assert response.status_code == 302
    assert response.location == f"/pt/login?next=/pt/courses/co-production/lessons/{LESSON_1}"
    login_page = response.location
    signed_in = client.submit(
        login_page, data={"email": "ana@example.org", "password": "correct horse battery"}
    )
    assert signed_in.status_code == 303
    assert signed_in.location == f"/pt/courses/co-production/lessons/{LESSON_1}"
    assert "Confirmar o aviso sobre dados pessoais" in client.get(signed_in.location).get_data(
        as_text=True
    )
    assert progress_rows(app) == []


def test_sign_in_never_redirects_to_another_site(client):
    client.register()
    client.submit("/en/", "/en/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.submit(
            f"/en/login?next={target}",
            data={"email": "ana@example.org", "password": "correct horse battery"},
        )
        assert response.location == "/en/", target
        client.submit("/en/", "/en/logout")


def test_signing_out_is_by_post_only(learner):
    assert learner.get("/en/logout").status_code == 405
    assert learner.submit("/en/", "/en/logout").status_code == 303
    assert "Sign in to save your progress" in learner.get(
        f"/en/courses/co-production/lessons/{LESSON_1}"
    ).get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_the_data_notice_names_the_organisation_once_and_no_version_code(client, lang):
    course = load_course(ROOT / "lessons" / "co-production")
    html = client.get(f"/{lang}/courses/co-production/lessons/{LESSON_1}").get_data(as_text=True)
    notice = html.split('id="data-notice"', 1)[1].split("</section>", 1)[0]
    named = course.text(course.organisation, lang)
    assert re.search(rf"{re.escape(named)}, [^<\s]+@", notice), "the controller, by its name"
    others = {course.text(course.organisation, other) for other in ("en", "es", "pt")} - {named}
    assert not any(other in notice for other in others)
    # The version only travels in the form, for the record of what was shown.
    assert not re.search(r"\b[0-9a-f]{12}\b", re.sub(r"<[^>]*>", " ", notice))
