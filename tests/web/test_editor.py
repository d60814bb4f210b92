"""The lesson editor: a trainer opens a lesson file in the browser and, as they type, is
told its problems (line and column, in the page's language) and shown its preview, the
lesson as learners will read it; nothing is written to the lessons folder until saved."""

from __future__ import annotations

import html
import re

import pytest

from app.models import Role
from tests.conftest import LESSONS_DIR, sign_in_as
from tests.content.conftest import lesson_file

LESSON = "what-is-co-production"
FOLDER = LESSONS_DIR / "co-production" / "01-what-is-co-production"
EDIT = f"/en/author/courses/co-production/lessons/{LESSON}/edit/en"
LESSON_BODY = re.compile(
    r'<div class="lesson-body"[^>]*>(.*?)</div>\s*(?:<section|<h2|</article)', re.S
)


@pytest.fixture
def trainer(app):
    return sign_in_as(app, Role.TRAINER, "trainer@example.org")


def check(client, text: str, page: str = EDIT):
    """What the editor is told after a pause in the typing, asked as editor.js asks."""
    token = client.csrf_token(page)
    return client.post(
        f"{page}/check",
        data={"text": text},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def english_text() -> str:
    return (FOLDER / "en.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("method", "path"), [("GET", EDIT), ("POST", f"{EDIT}/check")])
def test_learners_get_403_and_visitors_are_sent_to_sign_in(app, method, path):
    learner = sign_in_as(app, None, "learner@example.org")
    token = learner.csrf_token("/en/")
    assert learner.open(path, method=method, data={"csrf_token": token}).status_code == 403
    visitor = app.test_client()
    token = visitor.csrf_token("/en/login")
    response = visitor.open(path, method=method, data={"csrf_token": token})
    assert response.status_code == 302 and "/en/login" in response.location


@pytest.mark.parametrize(
    "path",
    [
        "/en/author/courses/co-production/lessons/no-such-lesson/edit/en",
        # Not a language of the course, and not a language at all.
        f"/en/author/courses/co-production/lessons/{LESSON}/edit/fr",
        f"/en/author/courses/co-production/lessons/{LESSON}/edit/en.md",
    ],
)
def test_a_lesson_or_language_that_does_not_exist_is_not_found(trainer, path):
    assert trainer.get(path).status_code == 404
    token = trainer.csrf_token("/en/author/")
    checked = trainer.post(f"{path}/check", data={"text": "x"}, headers={"X-CSRFToken": token})
    assert checked.status_code == 404


def test_the_editor_shows_the_file_as_it_is_on_disk_in_a_form_that_posts_it_back(trainer):
    page = trainer.get(EDIT).text
    assert '<h1>Edit: <span lang="en">What is co-production?</span>' in page
    form = re.search(
        r'<form method="post" action="([^"]+)" class="edit-form">(.*?)</form>', page, re.S
    )
    assert form and form.group(1) == EDIT
    inside = form.group(2)
    assert 'name="csrf_token"' in inside and '<input type="hidden" name="base" value="">' in inside
    textarea = re.search(r"<textarea[^>]*name=\"text\"[^>]*>(.*?)</textarea>", inside, re.S)
    assert textarea and html.unescape(textarea.group(1)) == english_text()
    assert f'data-check-url="{EDIT}/check"' in inside
    assert '<button type="submit" class="button">Save</button>' in inside
    # The preview beside it, and no problem in the shipped lesson.
    assert 'id="preview"' in page and "Where the idea comes from" in page
    assert "No problems found." in page
    assert 'src="/static/js/editor.js"' in page


def test_the_trainers_course_page_links_to_the_editor_of_each_language(trainer):
    page = trainer.get("/en/author/courses/co-production/").text
    for code in ("es", "pt", "en"):
        assert f'href="/en/author/courses/co-production/lessons/{LESSON}/edit/{code}"' in page


def test_a_broken_link_is_told_with_its_line_and_column_and_nothing_is_written(trainer):
    before = english_text()
    lines = before.split("\n")
    number = lines.index("## An approach, not a method") + 1
    lines[number - 1] = "## An approach, see [the next one](../09-nowhere/)"
    answer = check(trainer, "\n".join(lines))
    assert answer.status_code == 200
    assert answer.json["problems"] == [
        {
            "line": number,
            "column": lines[number - 1].index("../09-nowhere/") + 1,
            "level": "error",
            "message": "link to a lesson that does not exist: ../09-nowhere/",
        }
    ]
    # A text with errors is not previewed: the page keeps the last preview.
    assert answer.json["html"] is None
    assert english_text() == before


def test_an_unclosed_quiz_is_told_in_the_pages_language(trainer):
    text = english_text()
    start = text.index("```quiz")
    answer = check(trainer, text[: text.index("```", start + 3)], page=EDIT.replace("/en/", "/es/"))
    problems = answer.json["problems"]
    assert [(problem["line"], problem["level"]) for problem in problems] == [
        (text[:start].count("\n") + 1, "error")
    ]
    assert "bloque" in problems[0]["message"], problems[0]["message"]


def test_the_preview_is_the_lesson_body_learners_read(app, trainer):
    answer = check(trainer, english_text())
    assert answer.json["problems"] == []
    learners_page = app.test_client().get(f"/en/courses/co-production/lessons/{LESSON}").text
    previewed = LESSON_BODY.search(answer.json["html"]).group(1)
    assert previewed.strip() == LESSON_BODY.search(learners_page).group(1).strip()
    assert '<h1 lang="en">What is co-production?</h1>' in answer.json["html"]


def test_the_preview_shows_the_text_being_typed(trainer):
    text = english_text().replace("## An approach, not a method", "## An attitude, not a recipe")
    answer = check(trainer, text)
    assert "<h2" in answer.json["html"] and "An attitude, not a recipe" in answer.json["html"]
    assert "An approach, not a method" not in answer.json["html"]


def test_problems_of_the_courses_other_files_are_not_the_edited_files(trainer):
    # Changing the Spanish source makes its translations stale: their problem, not this file's.
    page = EDIT.replace("/edit/en", "/edit/es")
    source = (FOLDER / "es.md").read_text(encoding="utf-8")
    answer = check(trainer, source.replace("## ", "## Nuevo: ", 1), page=page)
    assert answer.json["problems"] == [] and answer.json["html"] is not None


def test_checking_needs_the_pages_csrf_token(trainer):
    answer = trainer.post(f"{EDIT}/check", data={"text": english_text()})
    assert answer.status_code == 400
    assert check(trainer, english_text()).status_code == 200


def test_a_picture_of_the_edited_lesson_is_found_beside_its_text(course_app):
    def write(lessons):
        for language in ("es", "pt", "en"):
            body = "![A map of the town](map.png)\n"
            lessons.write(f"01-first/{language}.md", lesson_file(f"First {language}", body=body))
        lessons.write("01-first/map.png", "not checked for being a real picture")

    app = course_app(write)
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    # The source language's file: its translations' warnings are theirs.
    page = "/en/author/courses/co-production/lessons/first/edit/es"
    text = html.unescape(
        re.search(r"<textarea[^>]*>(.*?)</textarea>", trainer.get(page).text, re.S).group(1)
    )
    answer = check(trainer, text.replace("A map", "A new map"), page=page)
    assert answer.json["problems"] == []
    assert (
        'src="/en/author/courses/co-production/lessons/first/files/map.png"' in answer.json["html"]
    )
    missing = check(trainer, text.replace("map.png", "plan.png"), page=page).json["problems"]
    # The folder named from the lessons folder, not from where the check copied it.
    assert [problem["message"] for problem in missing] == [
        "image plan.png is missing from 01-first"
    ]
