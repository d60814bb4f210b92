"""Several courses on one site: the catalogue, each course's own addresses and records,
and the addresses of a single-course site, which keep working."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Cohort, Enrolment, LessonProgress, NoticeAcknowledgment
from tests.conftest import ROOT, dispose, make_app, right_answers
from tests.content.conftest import lesson_file

LAB = "/{lang}/courses/co-production/"
FIRST_LESSON = "what-is-co-production"


def course_yml(slug: str, languages=("es", "pt", "en"), planned: int = 3, **texts) -> str:
    lines = [f"slug: {slug}", "title:"]
    lines += [f"  {lang}: {slug} {lang}" for lang in languages]
    for key, values in texts.items():
        lines.append(f"{key}:")
        lines += [f"  {lang}: {text}" for lang, text in values.items()]
    lines += [
        f"languages: [{', '.join(languages)}]",
        f"default_language: {languages[0]}",
        f"planned_lessons: {planned}",
    ]
    return "\n".join(lines) + "\n"


def write_course(root: Path, folder: str, slug: str, lessons=("01-first",), **settings) -> None:
    languages = settings.get("languages", ("es", "pt", "en"))
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / "course.yml").write_text(course_yml(slug, **settings), encoding="utf-8")
    for lesson in lessons:
        for language in languages:
            path = root / folder / lesson / f"{language}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(lesson_file(f"{slug} {lesson} {language}"), encoding="utf-8")


@pytest.fixture
def two_courses(database_url, tmp_path):
    """Build a site of two courses that both have a lesson called 'first', and a third
    given in Portuguese only; closed afterwards."""
    root = tmp_path / "several"
    write_course(root, "alpha", "alpha", description={"es": "Primero", "pt": "Primeiro"})
    write_course(root, "beta", "beta", lessons=("01-first", "02-second"))
    write_course(root, "gamma", "gamma", languages=("pt",))
    built = []

    def build(**settings):
        instance = tmp_path / f"several-instance-{len(built)}"
        app = make_app(database_url, instance, LESSONS_DIR=str(root), **settings)
        built.append(app)
        return app

    yield build
    for app in built:
        dispose(app)


def close_to_all_but_members(app, course: str) -> None:
    """Give the course a closed cohort, its only one: it is then for its members only."""
    with app.app_context():
        db.session.add(
            Cohort(course=course, name="Closed", enrolment=Enrolment.CLOSED, join_code="closed")
        )
        db.session.commit()


def main_text(response) -> str:
    page = response.get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_catalogue_lists_the_courses_given_in_each_language_with_their_size(client):
    page = main_text(client.get("/en/"))
    assert "Co-production and social innovation" in page
    assert "Writing lessons for Aula" in page
    assert "2 lessons published · 15 planned" in page
    assert "4 lessons published · 4 planned" in page
    spanish = client.get("/es/").get_data(as_text=True)
    assert 'href="/es/courses/co-production/"' in spanish
    assert 'href="/es/courses/writing-lessons/"' in spanish


def test_the_catalogue_shows_the_learners_own_progress_in_each_course(app, learner):
    assert "Not started yet." in main_text(learner.get("/en/"))
    lesson = app.extensions["catalogue"].course("co-production").published_lesson(FIRST_LESSON)
    learner.acknowledge("en", FIRST_LESSON)
    learner.take_quiz("en", lesson, right_answers(lesson.quiz))
    page = main_text(learner.get("/en/"))
    assert "You have completed 1 of 15 lessons." in page
    assert page.count("Not started yet.") == 1, "the guide for trainers is still to start"


def test_a_course_is_served_and_listed_only_in_its_own_languages(two_courses):
    app = two_courses()
    client = app.test_client()
    assert "gamma pt" in main_text(client.get("/pt/"))
    assert "gamma" not in main_text(client.get("/es/"))
    assert client.get("/pt/courses/gamma/lessons/first").status_code == 200
    refused = client.get("/es/courses/gamma/")
    assert refused.status_code == 404
    assert "Este curso no se imparte en este idioma." in main_text(refused)
    assert "Primero" in main_text(client.get("/es/")), "the description, in the page's language"


def test_an_address_naming_no_course_is_a_translated_404(client):
    response = client.get("/pt/courses/no-such-course/")
    assert response.status_code == 404
    assert "Não existe nenhum curso neste endereço." in main_text(response)


def test_a_site_with_one_course_opens_it_at_the_language_address(course_app):
    app = course_app(lambda lessons: lessons.lesson("01-first"))
    page = app.test_client().get("/es/").get_data(as_text=True)
    assert page.count('class="lesson-item') == 1
    assert "14 lecciones más en preparación" in page
    assert 'href="/es/courses/co-production/lessons/first"' in page


def test_old_lesson_addresses_lead_for_good_to_the_same_page_of_the_default_course(client):
    moved = client.get(f"/pt/lessons/{FIRST_LESSON}?show=1")
    assert moved.status_code == 301
    assert moved.location == f"/pt/courses/co-production/lessons/{FIRST_LESSON}?show=1"
    picture = client.get(f"/en/lessons/{FIRST_LESSON}/files/map.png")
    assert picture.status_code == 301
    assert picture.location == f"/en/courses/co-production/lessons/{FIRST_LESSON}/files/map.png"
    for action in ("acknowledge", "complete", "quiz"):
        form = client.post(f"/es/lessons/{FIRST_LESSON}/{action}")
        assert form.status_code == 308, "a form is sent on as it is"
        assert form.location == f"/es/courses/co-production/lessons/{FIRST_LESSON}/{action}"


def test_the_default_course_is_the_first_or_the_one_named(two_courses):
    first = two_courses().test_client().get("/es/lessons/first")
    assert first.location == "/es/courses/alpha/lessons/first"
    named = two_courses(DEFAULT_COURSE="beta").test_client().get("/es/lessons/first")
    assert named.location == "/es/courses/beta/lessons/first"


def test_two_courses_keep_their_records_of_a_lesson_of_the_same_name_apart(two_courses):
    app = two_courses()
    learner = app.test_client()
    learner.register("es")
    page = "/es/courses/alpha/lessons/first"
    token = learner.csrf_token(page)
    version = re.search(r'name="version" value="([^"]+)"', learner.get(page).text)[1]
    learner.post(page + "/acknowledge", data={"csrf_token": token, "version": version})
    learner.post(page + "/complete", data={"csrf_token": token})
    assert "1 de 3" in main_text(learner.get("/es/courses/alpha/"))
    beta = learner.get("/es/courses/beta/lessons/first").get_data(as_text=True)
    assert 'name="version"' in beta, "the other course's lesson asks for its notice again"
    assert "0 de 3" in main_text(learner.get("/es/courses/beta/"))
    with app.app_context():
        rows = db.session.execute(sa.select(LessonProgress.course, LessonProgress.completed_at))
        assert [(course, done is not None) for course, done in rows] == [("alpha", True)]
        acknowledged = db.session.scalars(sa.select(NoticeAcknowledgment.course)).all()
        assert acknowledged == ["alpha"]


def test_the_shipped_courses_are_both_on_the_site():
    folders = sorted(path.parent.name for path in (ROOT / "lessons").glob("*/course.yml"))
    assert folders == ["co-production", "writing-lessons"]


def test_a_course_closed_to_all_but_its_members_stops_being_shown_to_visitors(
    database_url, tmp_path
):
    app = make_app(database_url, tmp_path / "instance", KEPT_VISITOR_PAGE_SECONDS=0)
    try:
        visitor = app.test_client(use_cookies=False)
        lesson = f"/en/courses/co-production/lessons/{FIRST_LESSON}"
        assert visitor.get(lesson).status_code == 200
        assert visitor.get(lesson).status_code == 200, "kept, then served again"
        close_to_all_but_members(app, "co-production")
        assert visitor.get(lesson).status_code == 404
        assert visitor.get("/en/courses/co-production/").status_code == 404
        assert "Co-production and social innovation" not in main_text(visitor.get("/en/"))
    finally:
        dispose(app)


def test_a_course_for_members_only_is_not_told_apart_from_no_course(app, client):
    close_to_all_but_members(app, "writing-lessons")
    nothing = client.get("/es/courses/no-such-course/lessons/the-lesson-file")
    for address in (
        "/es/courses/writing-lessons/",
        "/es/courses/writing-lessons/lessons/the-lesson-file",
    ):
        hidden = client.get(address)
        assert hidden.status_code == nothing.status_code == 404
        page = hidden.get_data(as_text=True)
        for telling in (
            "Cómo escribir lecciones para Aula",
            "El archivo de la lección",
            "Proyecto Aula",
        ):
            assert telling not in page, telling
        assert "Ver todos los cursos" in main_text(hidden)
    switch = re.search(r'href="(/pt/[^"]*)" lang="pt"', nothing.get_data(as_text=True))[1]
    assert switch == "/pt/courses/no-such-course/lessons/the-lesson-file", "the same address"


def test_an_old_address_of_a_lesson_only_another_course_has_leads_to_that_course(client):
    moved = client.get("/pt/lessons/the-lesson-file")
    assert moved.status_code == 301
    assert moved.location == "/pt/courses/writing-lessons/lessons/the-lesson-file"
    assert client.get(moved.location).status_code == 200
