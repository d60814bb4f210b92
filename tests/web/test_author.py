"""Trainer tools: drafts in preview only, reload that never serves a broken course,
translation status and item analysis; learners get 403 everywhere here."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import pytest
from click.testing import CliRunner
from flask import request, template_rendered

from app.cli import lessons
from app.extensions import content, db
from app.models import Role
from app.security import CONTENT_SECURITY_POLICY
from config import ROOT
from tests.conftest import dispose, make_app, right_answers, sign_in_as, wrong_answers
from tests.content.conftest import LessonsDir, lesson_file, two_courses

QUIZ = "```quiz\n? capital: Which city?\n(x) lisbon: Lisbon\n( ) porto: Porto\n```\n"
# The trainers' pages of the default course, as tests with a LessonsDir have it.
COURSE_PAGES = "/en/author/courses/co-production"
MARKS = {"source": "◆", "present": "✓", "stale": "!", "unstamped": "?", "missing": "✗"}
AUTHOR_PAGES = [
    ("GET", "/en/author/"),
    ("GET", f"{COURSE_PAGES}/"),
    ("GET", f"{COURSE_PAGES}/lessons/first"),
    ("GET", f"{COURSE_PAGES}/translations"),
    ("GET", f"{COURSE_PAGES}/quizzes"),
    ("POST", "/en/author/reload"),
    # The addresses from before a site held several courses.
    ("GET", "/en/author/lessons/first"),
    ("GET", "/en/author/translations"),
]


def write_course(lessons):
    for language in ("es", "pt", "en"):
        lessons.write(f"01-first/{language}.md", lesson_file(f"First {language}", body=QUIZ))
    lessons.write("02-draft/es.md", lesson_file("Borrador secreto", draft="true"))


@pytest.fixture
def course(course_app):
    return course_app(write_course)


@pytest.mark.parametrize(("method", "path"), AUTHOR_PAGES)
def test_learners_get_403_and_visitors_are_sent_to_sign_in(course, method, path):
    learner = sign_in_as(course, None, "learner@example.org")
    token = learner.csrf_token("/en/")
    assert learner.open(path, method=method, data={"csrf_token": token}).status_code == 403
    visitor = course.test_client()
    token = visitor.csrf_token("/en/login")
    response = visitor.open(path, method=method, data={"csrf_token": token})
    assert response.status_code == 302 and "/en/login" in response.location


def test_the_preview_opens_in_the_pages_language_where_the_lesson_has_it(course):
    trainer = sign_in_as(course, Role.TRAINER, "trainer@example.org")
    for lang in ("en", "pt", "es"):
        page = trainer.get(f"/{lang}/author/courses/co-production/lessons/first").text
        assert f"First {lang}" in page, lang
    # A draft written in Spanish only opens in Spanish, whatever the page's language.
    assert "Borrador secreto" in trainer.get(f"{COURSE_PAGES}/lessons/draft").text


@pytest.mark.parametrize("role", [Role.TRAINER, Role.ADMIN])
def test_trainers_and_admins_see_drafts_that_learners_never_see(course, role):
    staff = sign_in_as(course, role, "staff@example.org")
    index = staff.get("/en/author/").get_data(as_text=True)
    assert "Borrador secreto" in index
    assert "Borrador secreto" in staff.get(f"{COURSE_PAGES}/lessons/draft").get_data(as_text=True)
    learner = sign_in_as(course, None, "learner@example.org")
    assert learner.get("/es/courses/co-production/lessons/draft").status_code == 404
    assert "Borrador secreto" not in learner.get("/es/").get_data(as_text=True)


def test_the_preview_marks_the_right_answers_for_trainers_only(course):
    trainer = sign_in_as(course, Role.TRAINER, "trainer@example.org")
    preview = trainer.get(f"{COURSE_PAGES}/lessons/first?show=pt").get_data(as_text=True)
    assert "First pt" in preview
    assert '<li class="correct-answer">' in preview
    settings = re.sub(r"\s+", " ", preview.split('class="quiz-settings"', 1)[1].split("</dl>")[0])
    for shown in (
        "<dt>Attempts</dt><dd>as many as the learner likes</dd>",
        "<dt>Completes the lesson when passed</dt><dd>Yes</dd>",
        "<dt>Right answers shown</dt><dd>once passed, or once no attempts are left</dd>",
        "<dt>Quiz grade</dt><dd>your best attempt counts</dd>",
    ):
        assert shown in settings, shown
    learner = sign_in_as(course, None, "learner@example.org")
    learner.acknowledge("en", "first")
    assert "correct-answer" not in learner.get("/en/courses/co-production/lessons/first").get_data(
        as_text=True
    )


def test_reload_keeps_the_old_course_on_error_and_swaps_on_success(course_app, tmp_path):
    app = course_app(write_course, "reloadable")
    folder = tmp_path / "reloadable"
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")

    (folder / "01-first" / "en.md").write_text(lesson_file("Broken", autor="x"), "utf-8")
    failed = trainer.submit("/en/author/", "/en/author/reload")
    assert failed.status_code == 422
    assert "<code>01-first/en.md:5:1: error: unknown key &#39;autor&#39;" in failed.get_data(
        as_text=True
    ), "located from the lessons folder, not the server's root"
    assert "First en" in trainer.get("/en/courses/co-production/lessons/first").get_data(
        as_text=True
    )

    (folder / "01-first" / "en.md").write_text(lesson_file("First, revised", body=QUIZ), "utf-8")
    reloaded = trainer.submit("/en/author/", "/en/author/reload")
    assert reloaded.status_code == 200
    assert "First, revised" in trainer.get("/en/courses/co-production/lessons/first").get_data(
        as_text=True
    )


def test_a_reload_that_finds_the_same_files_keeps_the_course_and_a_picture_is_a_change(
    course_app, tmp_path
):
    app = course_app(write_course, "unchanged")
    folder = tmp_path / "unchanged"
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    loaded = app.extensions["catalogue"]
    assert trainer.submit("/en/author/", "/en/author/reload").status_code == 200
    assert app.extensions["catalogue"] is loaded, "the files hold what they held"
    # A link to a picture that is not there, then the picture: only bytes of another file.
    (folder / "01-first" / "en.md").write_text(
        lesson_file("First en", body="![A map](map.png)\n\n" + QUIZ), "utf-8"
    )
    missing = trainer.submit("/en/author/", "/en/author/reload")
    assert "map.png" in missing.get_data(as_text=True)
    (folder / "01-first" / "map.png").write_bytes(PNG)
    assert trainer.submit("/en/author/", "/en/author/reload").status_code == 200
    assert app.extensions["catalogue"] is not loaded


def test_renaming_a_lesson_folder_that_learners_use_is_pointed_out(course_app, tmp_path):
    app = course_app(write_course, "renamed")
    folder = tmp_path / "renamed"
    learner = sign_in_as(app, None, "learner@example.org")
    learner.acknowledge("en", "first")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    assert "Progress in lessons the course no longer has" not in trainer.get("/en/author/").text

    (folder / "01-first").rename(folder / "01-premier")
    reloaded = trainer.submit("/en/author/", "/en/author/reload")
    assert reloaded.status_code == 200
    page = trainer.get("/pt/author/").text
    assert "Progresso em lições que o curso já não tem" in page
    assert "<code>first</code>: 1 formando" in page

    (folder / "01-premier").rename(folder / "01-first")
    trainer.submit("/en/author/", "/en/author/reload")
    assert "Progress in lessons the course no longer has" not in trainer.get("/en/author/").text


def test_reload_reports_a_lesson_file_that_cannot_be_read(course_app, tmp_path):
    app = course_app(write_course, "unreadable")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    (tmp_path / "unreadable" / "01-first" / "en.md").unlink()
    (tmp_path / "unreadable" / "01-first" / "en.md").symlink_to("nowhere.md")
    failed = trainer.submit("/en/author/", "/en/author/reload")
    assert failed.status_code == 422
    assert (
        "<code>01-first/en.md:1:1: error: cannot read this file: it is a link to a file that "
        "does not exist</code>" in failed.get_data(as_text=True)
    )
    assert "First en" in trainer.get("/en/courses/co-production/lessons/first").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("language", "described"),
    [
        ("pt", "01-first/en.md:5:1: erro: chave desconhecida &#39;autor&#39; (permitidas: "),
        ("es", "01-first/en.md:5:1: error: clave desconocida &#39;autor&#39; (se admiten: "),
    ],
)
def test_trainers_read_the_problems_in_the_language_of_the_page(
    course_app, tmp_path, language, described
):
    app = course_app(write_course, "reloadable")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    (tmp_path / "reloadable" / "01-first" / "en.md").write_text(
        lesson_file("Broken", autor="x"), "utf-8"
    )
    failed = trainer.submit(f"/{language}/author/", f"/{language}/author/reload")
    assert failed.status_code == 422
    assert f"<code>{described}" in failed.get_data(as_text=True)


def test_the_reload_answers_with_the_lessons_it_has_just_read(course_app, tmp_path):
    app = course_app(write_course, "growing")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    (tmp_path / "growing" / "03-third").mkdir()
    (tmp_path / "growing" / "03-third" / "es.md").write_text(lesson_file("Tercera"), "utf-8")
    reloaded = trainer.submit("/en/author/", "/en/author/reload")
    assert reloaded.status_code == 200
    assert "Tercera" in reloaded.get_data(as_text=True)


def test_visitors_pages_are_rendered_once_until_the_lessons_are_reloaded(course_app, tmp_path):
    app = course_app(write_course, "cached")
    rendered = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)

    visitor = app.test_client()
    with template_rendered.connected_to(note, app):
        first = visitor.get("/en/courses/co-production/lessons/first").get_data(as_text=True)
        assert "First en" in first and rendered == ["learn/lesson.html"]
        assert (
            visitor.get("/en/courses/co-production/lessons/first").get_data(as_text=True) == first
        )
        assert (
            app.test_client().get("/en/courses/co-production/lessons/first").get_data(as_text=True)
            == first
        )
    assert rendered == ["learn/lesson.html"], "served from memory"

    lesson_path = tmp_path / "cached" / "01-first" / "en.md"
    lesson_path.write_text(lesson_file("First, rewritten", body=QUIZ), "utf-8")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    trainer.submit("/en/author/", "/en/author/reload")
    assert "First, rewritten" in visitor.get("/en/courses/co-production/lessons/first").get_data(
        as_text=True
    )


def test_a_visitor_page_with_a_message_is_never_kept_for_others(course_app):
    app = course_app(write_course, "messages")
    learner = sign_in_as(app, None, "leaving@example.org")
    learner.submit("/en/", "/en/logout")
    with_message = learner.get("/en/").get_data(as_text=True)
    assert "You have signed out." in with_message
    assert "You have signed out." not in app.test_client().get("/en/").get_data(as_text=True)
    assert "You have signed out." not in learner.get("/en/").get_data(as_text=True)


def test_a_visitor_without_cookies_gets_the_kept_page_before_flask_does_any_work(course_app):
    app = course_app(write_course, "front")
    reached_flask = []
    app.before_request(lambda: reached_flask.append(request.full_path))
    visitor = app.test_client(use_cookies=False)

    first = visitor.get("/en/courses/co-production/lessons/first")
    again = visitor.get("/en/courses/co-production/lessons/first")
    assert reached_flask == ["/en/courses/co-production/lessons/first?"], (
        "the second visit is served from memory"
    )
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert [h for h in again.headers if h[0] != "Age"] == list(first.headers)
    assert again.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY

    # Over HTTPS the page carries HSTS, so it is kept apart from the plain HTTP one.
    secure = visitor.get("/en/courses/co-production/lessons/first", base_url="https://localhost")
    assert "Strict-Transport-Security" in secure.headers
    assert (
        "Strict-Transport-Security"
        not in visitor.get("/en/courses/co-production/lessons/first").headers
    )

    reached_flask.clear()
    visitor.get("/en/courses/co-production/lessons/first?from=mail")
    visitor.get("/en/courses/co-production/lessons/missing")
    visitor.get("/en/courses/co-production/lessons/missing")
    assert reached_flask == [
        "/en/courses/co-production/lessons/first?from=mail",
        "/en/courses/co-production/lessons/missing?",
        "/en/courses/co-production/lessons/missing?",
    ], "only pages marked the same for every visitor are kept"


def test_kept_pages_follow_a_reload_made_by_another_worker(course_app, tmp_path):
    app = course_app(write_course, "workers")
    # Asking for publications at each request, not once a second.
    app.config["PUBLICATION_CHECK_SECONDS"] = 0
    visitor = app.test_client(use_cookies=False)
    assert "First, rewritten" not in visitor.get(
        "/en/courses/co-production/lessons/first"
    ).get_data(as_text=True)

    lesson_path = tmp_path / "workers" / "01-first" / "en.md"
    lesson_path.write_text(lesson_file("First, rewritten", body=QUIZ), "utf-8")
    # Another worker of the same host, on the same folder and database, reloads.
    with app.app_context():
        database_url = db.engine.url.render_as_string(hide_password=False)
    other = make_app(database_url, tmp_path / "other-worker", LESSONS_DIR=str(tmp_path / "workers"))
    trainer = sign_in_as(other, Role.TRAINER, "trainer@example.org")
    trainer.submit("/en/author/", "/en/author/reload")
    dispose(other)
    assert "First, rewritten" in visitor.get("/en/courses/co-production/lessons/first").get_data(
        as_text=True
    )


def test_the_parts_kept_for_signed_in_learners_follow_a_reload(course_app, tmp_path):
    app = course_app(write_course, "kept-parts")
    learner = sign_in_as(app, None, "reader@example.org")
    learner.acknowledge("en", "first")
    page = learner.get("/en/courses/co-production/lessons/first").get_data(as_text=True)
    assert 'value="lisbon"' in page and "Which city?" in page

    lesson_path = tmp_path / "kept-parts" / "01-first" / "en.md"
    lesson_path.write_text(lesson_file("First en", body=QUIZ.replace("city", "town")), "utf-8")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    trainer.submit("/en/author/", "/en/author/reload")
    page = learner.get("/en/courses/co-production/lessons/first").get_data(as_text=True)
    assert "Which town?" in page and "Which city?" not in page


def test_the_translation_page_shows_a_stale_translation_after_the_source_changes(
    course_app, tmp_path
):
    app = course_app(write_course, "translated")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")

    folder = tmp_path / "translated" / "01-first"

    def stamp_hint(state: str, label: str, language: str) -> str:
        """The cell's state, and below the table the command that stamps it, on a line of
        its own (a command broken across lines on a phone is a command mistyped)."""
        return (
            f'<span class="state-mark" aria-hidden="true">{MARKS[state]}</span> '
            f'<span class="wide-only">{label}</span></td>',
            f"({label}). Stamp it once it matches es.md:</p>\n"
            f'    <pre class="command" tabindex="0"><code>flask --app app lessons stamp '
            f"{folder / language}.md</code></pre>",
        )

    page = trainer.get(f"{COURSE_PAGES}/translations").get_data(as_text=True)
    for language in ("pt", "en"):
        cell, command = stamp_hint("unstamped", "Not stamped", language)
        assert cell in page and command in page
    assert '<td class="state state-stale">' not in page
    # The source is what the others are translated from, not "up to date" with anything.
    assert page.count('<td class="state state-source">') == 1

    CliRunner().invoke(lessons, ["stamp", str(folder / "pt.md"), str(folder / "en.md")])
    trainer.submit("/en/author/", "/en/author/reload")
    page = trainer.get(f"{COURSE_PAGES}/translations").get_data(as_text=True)
    assert page.count('<td class="state state-present">') == 2
    assert '<td class="state state-stale">' not in page
    assert "Translations to stamp" not in page

    (folder / "es.md").write_text(lesson_file("First es, changed", body=QUIZ), "utf-8")
    trainer.submit("/en/author/", "/en/author/reload")
    page = trainer.get(f"{COURSE_PAGES}/translations").get_data(as_text=True)
    # No date: the file's time is that of the last clone or pull, not of the edit.
    for language in ("pt", "en"):
        cell, command = stamp_hint("stale", "Out of date", language)
        assert cell in page and command in page
    assert (
        "A translation is out of date when the title, the reading's title or the text of its "
        "lesson's source file changed after it was stamped with "
        "<code>flask --app app lessons stamp</code>."
    ) in page
    assert "100%" in page


@pytest.mark.parametrize(
    ("repository", "shown"),
    [("", "lessons/01-first/{language}.md"), ("elsewhere", "{lessons}/01-first/{language}.md")],
    ids=["lessons in the repository", "lessons elsewhere"],
)
def test_the_stamp_command_a_trainer_is_told_works_from_the_repository_root(
    course_app, tmp_path, monkeypatch, repository, shown
):
    app = course_app(write_course, "lessons")
    root = tmp_path / repository
    root.mkdir(exist_ok=True)
    monkeypatch.setattr("app.author.views.ROOT", root)
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    page = trainer.submit("/en/author/", "/en/author/reload").get_data(as_text=True)
    commands = re.findall(r"run `flask --app app lessons stamp ([^`]+)`", html.unescape(page))
    assert sorted(commands) == [
        shown.format(lessons=tmp_path / "lessons", language=language) for language in ("en", "pt")
    ]

    page = trainer.get(f"{COURSE_PAGES}/translations").get_data(as_text=True)
    assert sorted(
        re.findall(r"<code>flask --app app lessons stamp ([^<]+)</code>", page)
    ) == sorted(commands)

    monkeypatch.chdir(root)
    for command in commands:
        stamped = CliRunner().invoke(lessons, ["stamp", command])
        assert stamped.exit_code == 0, stamped.output
    trainer.submit("/en/author/", "/en/author/reload")
    page = trainer.get(f"{COURSE_PAGES}/translations").get_data(as_text=True)
    assert page.count('✓</span> <span class="wide-only">Up to date</span></td>') == 2
    assert page.count('◆</span> <span class="wide-only">Source text</span></td>') == 1


def test_a_lessons_folder_given_relative_to_the_server_is_named_so_commands_find_it(
    database_url, tmp_path, monkeypatch
):
    """LESSONS_DIR=lessons, with the server started outside the project: the suggested
    command names the files so that it works from the project's root as well."""
    write_course(LessonsDir(tmp_path / "started-here" / "lessons"))
    monkeypatch.chdir(tmp_path / "started-here")
    app = make_app(database_url, tmp_path / "instance", LESSONS_DIR="lessons")
    try:
        root = tmp_path / "project"
        root.mkdir()
        monkeypatch.setattr("app.author.views.ROOT", root)
        trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
        page = trainer.get(f"{COURSE_PAGES}/translations").get_data(as_text=True)
        commands = re.findall(r"<code>flask --app app lessons stamp ([^<]+)</code>", page)
        assert sorted(commands) == [
            str(tmp_path / "started-here" / "lessons" / "01-first" / f"{language}.md")
            for language in ("en", "pt")
        ]
        monkeypatch.chdir(root)
        for command in commands:
            assert CliRunner().invoke(lessons, ["stamp", command]).exit_code == 0
    finally:
        dispose(app)


def test_item_analysis_counts_only_learners_who_agreed(course):
    course.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 2
    with course.app_context():
        lesson = content.course.lessons[0]
    for email, agrees, answers in [
        ("a@example.org", True, right_answers),
        ("b@example.org", True, wrong_answers),
        ("c@example.org", False, right_answers),
    ]:
        learner = sign_in_as(course, None, email)
        learner.acknowledge("pt", lesson.slug)
        learner.take_quiz("pt", lesson, answers(lesson.quiz))
        if agrees:
            learner.submit(
                "/en/account/data", "/en/account/consents", {"purpose": "course-improvement"}
            )
    trainer = sign_in_as(course, Role.TRAINER, "trainer@example.org")
    page = trainer.get(f"{COURSE_PAGES}/quizzes").get_data(as_text=True)
    row = page.split('<tr data-language="all">', 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in row and "50%" in row
    assert '<tr data-language="pt">' in page
    assert "a@example.org" not in page and "b@example.org" not in page
    assert "First pt" in trainer.get("/pt/author/courses/co-production/quizzes").text, (
        "in the page's language"
    )
    listed = trainer.get("/pt/author/").text
    assert "First pt" in listed and "Borrador secreto" in listed and "Español · </td>" not in listed


TOO_FEW = "Not enough learners have answered yet to show figures without pointing at anyone"


def answered_by(app, lesson, count: int, *, first: int = 0, lang: str = "pt") -> None:
    """`count` more learners answer the quiz, half of them right, and let their answers
    count for course statistics."""
    for number in range(first, first + count):
        learner = sign_in_as(app, None, f"learner{number}@example.org")
        learner.acknowledge(lang, lesson.slug)
        answers = right_answers if number % 2 else wrong_answers
        learner.take_quiz(lang, lesson, answers(lesson.quiz))
        learner.submit(
            "/en/account/data", "/en/account/consents", {"purpose": "course-improvement"}
        )


def quiz_page(app) -> str:
    trainer = app.test_client()
    trainer.login(email="trainer@example.org")
    return trainer.get(f"{COURSE_PAGES}/quizzes").get_data(as_text=True)


def test_a_quiz_answered_by_fewer_than_five_learners_shows_no_figures(course):
    sign_in_as(course, Role.TRAINER, "trainer@example.org")
    with course.app_context():
        lesson = content.course.lessons[0]
    assert "No answers yet." in quiz_page(course) and TOO_FEW not in quiz_page(course)
    answered_by(course, lesson, 4)
    # Answers of learners who did not agree count for nothing, not even for the minimum.
    for email in ("x@example.org", "y@example.org"):
        learner = sign_in_as(course, None, email)
        learner.acknowledge("pt", lesson.slug)
        learner.take_quiz("pt", lesson, right_answers(lesson.quiz))
    page = quiz_page(course)
    assert TOO_FEW in page and "once 5 learners have answered" in page
    assert "<table>" not in page and "%" not in page.split("<main", 1)[1]
    assert "Which city?" in page, "the questions are still listed"

    answered_by(course, lesson, 1, first=4)
    page = quiz_page(course)
    assert TOO_FEW not in page
    row = page.split('<tr data-language="all">', 1)[1].split("</tr>", 1)[0]
    assert "<td>5</td>" in row and "40%" in row
    assert '<tr data-language="pt">' in page


def test_a_languages_figures_are_shown_only_when_every_language_has_enough_learners(course):
    """Five learners, one of them in Spanish: the total is about five, but a row for
    Portuguese (four) or for Spanish (one, or the total less Portuguese) would point at
    people."""
    sign_in_as(course, Role.TRAINER, "trainer@example.org")
    with course.app_context():
        lesson = content.course.lessons[0]
    answered_by(course, lesson, 4)
    answered_by(course, lesson, 1, first=4, lang="es")
    page = quiz_page(course)
    assert '<tr data-language="all">' in page and TOO_FEW not in page
    assert '<tr data-language="pt">' not in page and '<tr data-language="es">' not in page


def add_a_question(app, lessons: Path, trainer):
    """The trainer adds a question (`river`) to the first lesson's quiz in every language
    and reloads the lessons; returns the lesson as it is now."""
    grown = QUIZ.replace(
        "```\n", "\n? river: Which river?\n(x) tagus: Tagus\n( ) douro: Douro\n```\n"
    )
    for language in ("es", "pt", "en"):
        (lessons / "01-first" / f"{language}.md").write_text(
            lesson_file(f"First {language}", body=grown), "utf-8"
        )
    trainer.submit("/en/author/", "/en/author/reload")
    with app.app_context():
        return content.course.lessons[0]


def test_a_question_added_since_shows_figures_once_enough_learners_answered_it(
    course_app, tmp_path
):
    app = course_app(write_course, "grown")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    with app.app_context():
        lesson = content.course.lessons[0]
    answered_by(app, lesson, 5)
    lesson = add_a_question(app, tmp_path / "grown", trainer)

    def river() -> str:
        return quiz_page(app).split("<code>river</code>", 1)[1]

    assert "No answers yet." in river()
    answered_by(app, lesson, 2, first=5)
    page = quiz_page(app)
    assert '<tr data-language="all">' in page.split("<code>river</code>")[0]
    assert TOO_FEW in river() and "<table>" not in river()
    answered_by(app, lesson, 3, first=7)
    assert TOO_FEW not in river() and "<td>5</td>" in river()


def consenting_learner(app, email: str, lesson, *attempts: tuple[str, Callable]) -> None:
    """A learner who lets their answers count and takes the quiz once for each of
    `attempts`: its language, and the maker of its answers (such as `wrong_answers`)."""
    learner = sign_in_as(app, None, email)
    learner.acknowledge(attempts[0][0], lesson.slug)
    for lang, answers in attempts:
        learner.take_quiz(lang, lesson, answers(lesson.quiz))
    learner.submit("/en/account/data", "/en/account/consents", {"purpose": "course-improvement"})


def test_learners_are_counted_once_however_often_they_answer(course):
    """The minimum is about learners, not attempts, for a quiz and for each language, even
    when one learner answers differently each time, or in another language; every answer
    counts in the shares."""
    course.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 3
    sign_in_as(course, Role.TRAINER, "trainer@example.org")
    with course.app_context():
        lesson = content.course.lessons[0]
    wrong, right = ("pt", wrong_answers), ("pt", right_answers)
    consenting_learner(course, "pt0@example.org", lesson, wrong, ("es", right_answers))
    consenting_learner(course, "pt1@example.org", lesson, wrong, right)
    # Under the quiz's title: the whole quiz has too few learners.
    above_questions = quiz_page(course).split("<code>capital</code>", 1)[0]
    assert TOO_FEW in above_questions, "four answers, two learners"

    for number in range(3):
        consenting_learner(course, f"es{number}@example.org", lesson, ("es", right_answers))
    page = quiz_page(course)
    assert TOO_FEW not in page
    row = page.split('<tr data-language="all">', 1)[1].split("</tr>", 1)[0]
    # Seven answers, five of them right: Lisbon chosen five times, Porto twice.
    assert re.findall(r"<td>([^<]*)</td>", row) == ["7", "71%", "71%", "29%"]
    assert '<tr data-language="pt">' not in page, "two learners answered in Portuguese"


def test_a_question_added_since_counts_its_own_learners_once(course_app, tmp_path):
    app = course_app(write_course, "grown")
    app.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 3
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    with app.app_context():
        lesson = content.course.lessons[0]
    answered_by(app, lesson, 3)
    lesson = add_a_question(app, tmp_path / "grown", trainer)
    right = ("pt", right_answers)
    consenting_learner(
        app, "again@example.org", lesson, ("pt", wrong_answers), ("es", right_answers)
    )
    consenting_learner(app, "once@example.org", lesson, right)
    river = quiz_page(app).split("<code>river</code>", 1)[1]
    assert TOO_FEW in river and "<table>" not in river, "three answers, two learners"


def test_the_minimum_is_a_setting(course):
    sign_in_as(course, Role.TRAINER, "trainer@example.org")
    with course.app_context():
        lesson = content.course.lessons[0]
    answered_by(course, lesson, 3)
    assert TOO_FEW in quiz_page(course)
    course.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 3
    page = quiz_page(course)
    assert TOO_FEW not in page and '<tr data-language="all">' in page
    course.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 4
    assert "once 4 learners have answered" in quiz_page(course)


@pytest.mark.parametrize(("value", "minimum"), [(None, 5), ("10", 10)])
def test_the_minimum_is_read_from_the_environment(value, minimum):
    environment = {k: v for k, v in os.environ.items() if k != "QUIZ_STATISTICS_MIN_LEARNERS"}
    if value is not None:
        environment["QUIZ_STATISTICS_MIN_LEARNERS"] = value
    read = subprocess.run(
        [sys.executable, "-c", "import config; print(config.Config.QUIZ_STATISTICS_MIN_LEARNERS)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(read.stdout) == minimum


def test_a_reload_reaches_every_worker_of_the_deployment(course_app, tmp_path, database_url):
    first_worker = course_app(write_course, "shared")
    second_worker = make_app(
        database_url,
        tmp_path / "shared-instance",
        LESSONS_DIR=str(tmp_path / "shared"),
    )
    (tmp_path / "shared" / "01-first" / "en.md").write_text(
        lesson_file("First, revised", body=QUIZ), "utf-8"
    )
    trainer = sign_in_as(first_worker, Role.TRAINER, "trainer@example.org")
    trainer.submit("/en/author/", "/en/author/reload")
    page = (
        second_worker.test_client()
        .get("/en/courses/co-production/lessons/first")
        .get_data(as_text=True)
    )
    dispose(second_worker)
    assert "First, revised" in page


def test_pictures_in_a_lesson_folder_are_served_and_nothing_else(course_app, tmp_path):
    def write(lessons):
        lessons.write("01-first/es.md", lesson_file(body="![Un mapa](map.png)\n"))
        (tmp_path / "pictures" / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    app = course_app(write, "pictures")
    client = app.test_client()
    page = client.get("/es/courses/co-production/lessons/first").get_data(as_text=True)
    assert urljoin(
        "/es/courses/co-production/lessons/first", re.search(r'<img src="([^"]+)"', page)[1]
    ) == ("/es/courses/co-production/lessons/first/files/map.png")
    with client.get("/es/courses/co-production/lessons/first/files/map.png") as picture:
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert picture.get_data().startswith(b"\x89PNG")
    assert client.get("/es/courses/co-production/lessons/first/files/es.md").status_code == 404
    assert (
        client.get("/es/courses/co-production/lessons/first/files/../../course.yml").status_code
        == 404
    )


def test_a_quizs_pictures_and_links_to_lessons_lead_where_the_lessons_do(course_app, tmp_path):
    quiz = (
        "```quiz\n? where: ¿Dónde? ![Un mapa](map.png)\n"
        "(x) here: Aquí, como dice [la lección 2](../02-second/es.md)\n( ) there: Allí\n```\n"
    )

    def write(lessons):
        lessons.write("01-first/es.md", lesson_file(body=quiz))
        lessons.lesson("02-second")
        (tmp_path / "quizzed" / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    def leads_where_the_lessons_do(client, address: str, page: str, lesson_pages: str) -> None:
        picture = urljoin(address, re.search(r'<img src="([^"]+)"', page)[1])
        assert picture == f"{lesson_pages}/first/files/map.png"
        with client.get(picture) as served:
            assert served.status_code == 200 and served.mimetype == "image/png"
        if link := re.search(r'<a href="([^"]+)">la lección 2', page):
            assert urljoin(address, link[1]) == f"{lesson_pages}/second"
            assert client.get(urljoin(address, link[1])).status_code == 200

    app = course_app(write, "quizzed")
    client = sign_in_as(app, None, "learner@example.org")
    client.acknowledge("es", "first")
    page = client.get("/es/courses/co-production/lessons/first").get_data(as_text=True)
    leads_where_the_lessons_do(
        client, "/es/courses/co-production/lessons/first", page, "/es/courses/co-production/lessons"
    )
    # Sent back for a missing answer, the quiz comes from the address it was sent to.
    with app.app_context():
        lesson = content.course.lessons[0]
    sent_back = client.take_quiz("es", lesson, [])
    assert sent_back.status_code == 422
    page = sent_back.get_data(as_text=True)
    leads_where_the_lessons_do(
        client,
        "/es/courses/co-production/lessons/first/quiz",
        page,
        "/es/courses/co-production/lessons",
    )

    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    for address in (
        "/es/author/courses/co-production/quizzes",
        "/es/author/courses/co-production/lessons/first",
    ):
        page = trainer.get(address).get_data(as_text=True)
        leads_where_the_lessons_do(
            trainer, address, page, "/es/author/courses/co-production/lessons"
        )


def test_the_preview_shows_a_drafts_pictures_to_trainers_only(course_app, tmp_path):
    def write(lessons):
        lessons.write("01-first/es.md", lesson_file(body="![Un mapa](map.png)\n", draft="true"))
        (tmp_path / "drafts" / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    app = course_app(write, "drafts")
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    preview = trainer.get("/es/author/courses/co-production/lessons/first").get_data(as_text=True)
    source = re.search(r'<img src="([^"]+)"', preview)[1]
    picture_url = urljoin("/es/author/courses/co-production/lessons/first", source)
    with trainer.get(picture_url) as picture:
        assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert (
        trainer.get("/es/author/courses/co-production/lessons/first/files/es.md").status_code == 404
    )
    learner = sign_in_as(app, Role.LEARNER, "learner@example.org")
    assert learner.get(picture_url).status_code == 403


def test_the_preview_shows_the_reading_as_learners_see_it(app):
    with app.app_context():
        lesson = content.course.published_lessons[0]  # it has a reading
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    learner = sign_in_as(app, None, "learner@example.org")
    learner.acknowledge("pt", lesson.slug)
    reading = re.compile(r'<aside class="reading".*?</aside>', re.DOTALL)
    previewed = reading.search(
        trainer.get(f"/pt/author/courses/co-production/lessons/{lesson.slug}?show=es").text
    )
    seen = reading.search(learner.get(f"/pt/courses/co-production/lessons/{lesson.slug}").text)
    assert previewed is not None and lesson.texts["es"].reading.title in previewed[0]
    assert "(em inglês), páginas 14-16" in re.sub(r"\s+", " ", previewed[0])
    assert previewed[0] == seen[0].replace(
        lesson.texts["pt"].reading.title, lesson.texts["es"].reading.title
    )


def test_old_trainer_addresses_lead_to_the_default_courses_pages_for_good(course):
    trainer = sign_in_as(course, Role.TRAINER, "trainer@example.org")
    for old, new in [
        ("/en/author/lessons/first?show=pt", f"{COURSE_PAGES}/lessons/first?show=pt"),
        ("/en/author/lessons/first/files/map.png", f"{COURSE_PAGES}/lessons/first/files/map.png"),
        ("/pt/author/translations", "/pt/author/courses/co-production/translations"),
        ("/en/author/quizzes", f"{COURSE_PAGES}/quizzes"),
    ]:
        moved = trainer.get(old)
        assert (moved.status_code, moved.location) == (301, new), old
    assert trainer.get("/en/author/lessons/first", follow_redirects=True).status_code == 200


PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def two_course_app(database_url, tmp_path):
    """A lessons folder with the test course (the default one) and the guide."""
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    write_course(test_course)
    guide.write("01-maps/pt.md", lesson_file("Mapas", body="![Um mapa](map.png)\n", draft="true"))
    (guide.root / "01-maps" / "map.png").write_bytes(PNG)
    app = make_app(database_url, tmp_path / "instance", LESSONS_DIR=str(root))
    yield app
    dispose(app)


def test_the_overview_lists_every_course_with_its_lessons_and_translations(two_course_app):
    trainer = sign_in_as(two_course_app, Role.TRAINER, "trainer@example.org")
    page = trainer.get("/en/author/").text
    test_course, guide = page.split('id="course-co-production"')[1].split('id="course-guia"')
    assert "First en" in test_course and "Borrador secreto" in test_course
    assert "(Source text: 1 · Missing: 2 · Not stamped: 2 · Draft: 1)" in test_course
    assert f'href="{COURSE_PAGES}/translations"' in test_course
    # The guide is not given in English: its pages open in Portuguese.
    assert '<a href="/pt/author/courses/guia/" lang="pt">Guia para formadores</a>' in guide
    assert "Mapas" in guide and "(Draft: 1)" in guide
    assert 'href="/pt/author/courses/guia/lessons/maps?show=pt"' in guide
    assert 'href="/pt/author/courses/guia/translations"' in guide
    assert "Mapas" not in trainer.get(f"{COURSE_PAGES}/").text

    own = trainer.get("/pt/author/courses/guia/").text
    assert "Mapas" in own and "Borrador secreto" not in own
    assert 'href="/pt/author/"' in own, "back to all courses"


def test_a_draft_of_the_second_course_is_previewed_with_its_pictures(two_course_app):
    trainer = sign_in_as(two_course_app, Role.TRAINER, "trainer@example.org")
    address = "/pt/author/courses/guia/lessons/maps"
    preview = trainer.get(address).text
    assert "Mapas" in preview and "This is a draft" not in preview
    assert "É um rascunho: os formandos não o veem." in preview
    picture = urljoin(address, re.search(r'<img src="([^"]+)"', preview)[1])
    assert picture == f"{address}/files/map.png"
    with trainer.get(picture) as served:
        assert served.status_code == 200 and served.get_data() == PNG
    # Not a lesson of the other course; trainers may work on the guide in English.
    assert trainer.get("/pt/author/courses/co-production/lessons/maps").status_code == 404
    in_english = trainer.get("/en/author/courses/guia/lessons/maps")
    assert in_english.status_code == 200 and "This is a draft" in in_english.text
    learner = sign_in_as(two_course_app, None, "learner@example.org")
    assert learner.get(picture).status_code == 403
    assert learner.get("/pt/courses/guia/lessons/maps").status_code == 404


def test_each_course_has_its_translation_page_in_its_own_languages(two_course_app):
    trainer = sign_in_as(two_course_app, Role.TRAINER, "trainer@example.org")
    columns = re.compile(r'<th scope="col" lang="(\w+)">')
    guide = trainer.get("/pt/author/courses/guia/translations").text
    assert columns.findall(guide) == ["pt"]
    assert '✎</span> <span class="wide-only">Rascunho</span></td>' in guide
    assert "Guia para formadores" in guide
    interface = guide.split("<h2>Interface</h2>")[1]
    assert 'lang="pt"' in interface and 'lang="es"' not in interface
    test_course = trainer.get(f"{COURSE_PAGES}/translations").text
    assert columns.findall(test_course) == ["es", "pt", "en"]
    spanish_interface = trainer.get("/es/author/courses/guia/translations").text
    assert columns.findall(spanish_interface) == ["pt"], "still the course's languages"


def test_the_reload_reads_every_course_and_names_each_ones_files(two_course_app, tmp_path):
    trainer = sign_in_as(two_course_app, Role.TRAINER, "trainer@example.org")
    root = tmp_path / "lessons"
    broken = lesson_file("Mapas", body="![Um mapa](map.png)\n", draft="true", autor="x")
    (root / "guide" / "01-maps" / "pt.md").write_text(broken, "utf-8")
    (root / "co-production" / "01-first" / "en.md").write_text(
        lesson_file("Broken", autor="x"), "utf-8"
    )
    (root / "third").mkdir()
    (root / "third" / "course.yml").write_text("slug: Third\n", "utf-8")
    failed = trainer.submit("/en/author/", "/en/author/reload")
    assert failed.status_code == 422
    page = failed.text
    general, test_course, guide = re.split(r'id="course-(?:co-production|guia)"', page)
    assert "<code>third/course.yml:1:1: error: " in general, "not a course being served"
    assert "<code>co-production/01-first/en.md:5:1: error: unknown key &#39;autor&#39;" in (
        test_course
    )
    assert "<code>guide/01-maps/pt.md:6:1: error: unknown key &#39;autor&#39;" in guide

    (root / "third" / "course.yml").unlink()
    (root / "third").rmdir()
    (root / "co-production" / "01-first" / "en.md").write_text(
        lesson_file("First, revised", body=QUIZ), "utf-8"
    )
    revised = lesson_file("Mapas revistos", body="![Um mapa](map.png)\n", draft="true")
    (root / "guide" / "01-maps" / "pt.md").write_text(revised, "utf-8")
    reloaded = trainer.submit("/en/author/", "/en/author/reload")
    assert reloaded.status_code == 200
    assert "First, revised" in reloaded.text and "Mapas revistos" in reloaded.text
    assert "Mapas revistos" in trainer.get("/pt/author/courses/guia/lessons/maps").text
