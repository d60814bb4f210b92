"""The trainer's writing pages in the browser: saving a lesson (every save a version), two
trainers saving the same text, drafts with errors, history and restore, starting a lesson
or a translation, uploading pictures and publishing, as the trainer and learners see them."""

from __future__ import annotations

import html
import io
import random
import re

import pytest
from PIL import Image

from app.extensions import content, db
from app.models import Role
from app.services import accounts, publishing
from tests.conftest import dispose, make_app, sign_in_as
from tests.content.conftest import LessonsDir, lesson_file

COURSE_PAGES = "/en/author/courses/co-production"
LESSON = f"{COURSE_PAGES}/lessons/first"
EDITOR = f"{LESSON}/edit/es"
HISTORY = f"{LESSON}/history/es"
LEARNER_PAGE = "/es/courses/co-production/lessons/first"
LINES = [f"Párrafo {number}.\n\n" for number in range(1, 13)]
BASE_FIELD = re.compile(r'name="base" value="(\d*)"')
TEXTAREA = re.compile(r"<textarea[^>]*>(.*?)</textarea>", re.S)


def write_course(lessons):
    lessons.write("01-first/es.md", lesson_file("Primera", body="".join(LINES)))
    lessons.write("01-first/pt.md", lesson_file("Primeira", body="Texto."))
    lessons.write("02-second/es.md", lesson_file("Segunda", body="Texto."))


def text_with(*replacements: tuple[int, str]) -> str:
    lines = list(LINES)
    for index, line in replacements:
        lines[index] = line
    return lesson_file("Primera", body="".join(lines))


@pytest.fixture
def course(course_app):
    return course_app(write_course)


def trainer(app, name: str):
    """A trainer signed in, whose versions the history says are saved by `name`."""
    client = app.test_client()
    email = f"{name.lower()}@example.org"
    client.register("en", email=email, display_name=name)
    with app.app_context():
        accounts.set_role(db.session, accounts.find_user(db.session, email), Role.TRAINER)
    return client


def base_of(page: str) -> str:
    match = BASE_FIELD.search(page)
    assert match, "no base field in the editor"
    return match.group(1)


def text_of(page: str) -> str:
    match = TEXTAREA.search(page)
    assert match, "no textarea in the editor"
    return html.unescape(match.group(1))


def newest_revision(app, path: str = "01-first/es.md") -> int:
    with app.app_context():
        return publishing.open_text(db.session, content.course, path).revision_id


def save(client, text: str, base: str = "", editor: str = EDITOR):
    return client.submit(editor, editor, {"text": text, "base": base})


def publish(client, slug: str = "first"):
    return client.submit(EDITOR, f"{COURSE_PAGES}/lessons/{slug}/publish")


def learner_sees(app, page: str = LEARNER_PAGE) -> str:
    return app.test_client().get(page).get_data(as_text=True)


def test_a_saved_text_is_in_the_editor_and_reaches_learners_once_published(course):
    ana = trainer(course, "Ana")
    saved = save(ana, text_with((0, "Recién escrito.\n\n")))
    assert saved.status_code == 303 and saved.location.endswith(EDITOR)
    editor = ana.get(EDITOR).get_data(as_text=True)
    assert "Saved. Learners see it once you publish the lesson." in editor
    assert "Recién escrito." in text_of(editor)
    assert base_of(editor) == str(newest_revision(course))
    assert "Saved, not published" in editor
    assert "Recién escrito." not in learner_sees(course)

    published = publish(ana)
    assert published.status_code == 303
    assert "Published: learners see" in ana.get(published.location).get_data(as_text=True)
    assert "Recién escrito." in learner_sees(course)
    assert "Learners see this text." in ana.get(EDITOR).get_data(as_text=True)


def test_a_trainer_who_saves_after_another_sees_their_changes_merged_with_hers(course):
    ana, rui = trainer(course, "Ana"), trainer(course, "Rui")
    first = save(ana, text_with())
    assert first.status_code == 303
    # Both open the same version; Ana saves first, Rui then saves another change.
    opened = base_of(ana.get(EDITOR).get_data(as_text=True))
    assert base_of(rui.get(EDITOR).get_data(as_text=True)) == opened
    assert save(ana, text_with((1, "Párrafo 2, de Ana.\n\n")), opened).status_code == 303
    refused = save(rui, text_with((10, "Párrafo 11, de Rui.\n\n")), opened)

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Not saved: someone else saved this text after you opened it." in page
    assert "What Ana changed since you opened the text" in page
    changes = page.split('class="conflict problems"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'class="diff-removed">.*?Párrafo 2\.</code>', changes, re.S)
    assert re.search(r'class="diff-added">.*?Párrafo 2, de Ana\.</code>', changes, re.S)
    merged = text_of(page)
    assert "Párrafo 2, de Ana." in merged and "Párrafo 11, de Rui." in merged
    assert base_of(page) == str(newest_revision(course))

    again = rui.submit(EDITOR, EDITOR, {"text": merged, "base": base_of(page)})
    assert again.status_code == 303
    kept = text_of(rui.get(EDITOR).get_data(as_text=True))
    assert "Párrafo 2, de Ana." in kept and "Párrafo 11, de Rui." in kept


def test_a_text_with_a_broken_link_is_kept_as_a_draft_learners_never_get(course):
    ana = trainer(course, "Ana")
    saved = save(ana, lesson_file("Primera", body="[roto](../09-missing/es.md)\n"))
    assert saved.status_code == 303
    editor = ana.get(EDITOR).get_data(as_text=True)
    assert "Saved as a draft with errors: it cannot be published until they are fixed." in editor

    refused = publish(ana)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Not published: fix the errors first." in page
    assert "01-first/es.md:7:" in page and "09-missing" in page
    learner = learner_sees(course)
    assert "Párrafo 12." in learner and "roto" not in learner


def test_the_history_lists_who_saved_what_and_brings_an_earlier_version_back(course):
    ana = trainer(course, "Ana")
    save(ana, text_with((0, "Uno.\n\n")))
    uno = newest_revision(course)
    assert publish(ana).status_code == 303
    save(ana, text_with((0, "Dos.\n\n")), str(uno))

    listed = ana.get(HISTORY).get_data(as_text=True)
    assert "saved by Ana" in listed and "found in the lesson files" in listed
    published_entry = listed.split(f"Version {uno}</span>", 1)[1].split("</li>", 1)[0]
    assert "Published" in published_entry

    compared = ana.get(f"{HISTORY}?compare={uno}")
    assert compared.status_code == 200
    shown = compared.get_data(as_text=True)
    assert f"Version {uno} compared with the newest" in shown
    assert re.search(r'class="diff-removed">.*?Uno\.</code>', shown, re.S)
    assert re.search(r'class="diff-added">.*?Dos\.</code>', shown, re.S)

    restored = ana.submit(f"{HISTORY}?compare={uno}", f"{HISTORY}/restore", {"revision": uno})
    assert restored.status_code == 303 and restored.location.endswith(EDITOR)
    editor = ana.get(EDITOR).get_data(as_text=True)
    assert "The earlier version is back, as the newest." in editor
    assert "Uno." in text_of(editor) and "Dos." not in text_of(editor)
    assert "an earlier version brought back by Ana" in ana.get(HISTORY).get_data(as_text=True)


@pytest.mark.parametrize(("revision", "status"), [("999999", 404), ("abc", 400), ("", 400)])
def test_restoring_a_version_the_text_does_not_have_is_refused(course, revision, status):
    ana = trainer(course, "Ana")
    save(ana, text_with((0, "Uno.\n\n")))
    refused = ana.submit(HISTORY, f"{HISTORY}/restore", {"revision": revision})
    assert refused.status_code == status
    assert "Uno." in text_of(ana.get(EDITOR).get_data(as_text=True))


def test_comparing_with_a_version_the_text_does_not_have_is_refused(course):
    ana = trainer(course, "Ana")
    save(ana, text_with((0, "Uno.\n\n")))
    assert ana.get(f"{HISTORY}?compare=999999").status_code == 404
    assert ana.get(f"{HISTORY}?compare=abc").status_code == 400
    # Another file's version is not this one's.
    other = newest_revision(course)
    assert ana.get(f"{COURSE_PAGES}/lessons/second/history/es?compare={other}").status_code == 404


def test_a_new_lesson_opens_in_the_editor_and_is_served_once_published(course):
    ana = trainer(course, "Ana")
    form = ana.get(f"{COURSE_PAGES}/lessons/new").get_data(as_text=True)
    assert 'name="number" type="number" min="1" max="99" value="3"' in form
    started = ana.submit(
        f"{COURSE_PAGES}/lessons/new",
        data={"number": "3", "slug": "third", "title": "Tercera"},
    )
    assert started.status_code == 303
    assert started.location.endswith(f"{COURSE_PAGES}/lessons/third/edit/es")
    editor_url = f"{COURSE_PAGES}/lessons/third/edit/es"
    editor = ana.get(editor_url).get_data(as_text=True)
    assert "Lesson started." in editor
    text = text_of(editor)
    assert 'title: "Tercera"' in text and "draft: true" in text

    course_page = ana.get(f"{COURSE_PAGES}/").get_data(as_text=True)
    started_line = course_page.split("Started, never published:", 1)[1].split("</p>", 1)[0]
    assert "<code>third</code>" in started_line
    learner_page = "/es/courses/co-production/lessons/third"
    assert course.test_client().get(learner_page).status_code == 404

    finished = text.replace("draft: true\n", "author: Ana\ndate: 2024-05-15\n") + "Texto nuevo."
    saved = save(ana, finished, base_of(editor), editor=editor_url)
    assert saved.status_code == 303
    assert "Saved. Learners see it" in ana.get(editor_url).get_data(as_text=True)
    assert publish(ana, "third").status_code == 303
    assert "Texto nuevo." in learner_sees(course, learner_page)


@pytest.mark.parametrize(
    ("number", "slug", "title", "message"),
    [
        ("3", "first", "Otra", "The course already has a lesson with this short name."),
        (
            "3",
            "Bad Slug",
            "Otra",
            "The short name may hold only lower-case letters, digits and single hyphens.",
        ),
        ("0", "zero", "Otra", "The number must be between 1 and 99."),
        ("3", "untitled", "", "Give the lesson a title."),
    ],
)
def test_a_new_lesson_with_a_wrong_field_is_not_started(course, number, slug, title, message):
    ana = trainer(course, "Ana")
    data = {"number": number, "slug": slug, "title": title}
    refused = ana.submit(f"{COURSE_PAGES}/lessons/new", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert html.escape(message) in page
    # What the trainer typed stays in the form.
    assert f'value="{html.escape(slug)}"' in page
    assert "Started, never published" not in ana.get(f"{COURSE_PAGES}/").get_data(as_text=True)


def test_a_slug_only_saved_so_far_is_taken_for_a_new_lesson(course):
    ana = trainer(course, "Ana")
    data = {"number": "3", "slug": "third", "title": "Tercera"}
    assert ana.submit(f"{COURSE_PAGES}/lessons/new", data=data).status_code == 303
    again = ana.submit(f"{COURSE_PAGES}/lessons/new", data={**data, "number": "4"})
    assert again.status_code == 422
    assert "The course already has a lesson with this short name." in again.get_data(as_text=True)


def test_a_translation_starts_from_the_source_text_stamped(course):
    ana = trainer(course, "Ana")
    editor = ana.get(EDITOR).get_data(as_text=True)
    assert "Start the translation into English" in editor
    started = ana.submit(EDITOR, f"{LESSON}/translate/en")
    assert started.status_code == 303 and started.location.endswith(f"{LESSON}/edit/en")
    page = ana.get(f"{LESSON}/edit/en").get_data(as_text=True)
    assert "Translation started from the source text" in page
    text = text_of(page)
    assert re.search(r"^translated_from: es@\S+$", text, re.M)
    assert "Párrafo 12." in text
    # Once started, the translation is opened, not started again.
    with course.app_context():
        before = len(publishing.history(db.session, "co-production", "01-first/en.md"))
    assert ana.submit(EDITOR, f"{LESSON}/translate/en").location.endswith(f"{LESSON}/edit/en")
    with course.app_context():
        assert len(publishing.history(db.session, "co-production", "01-first/en.md")) == before


def png(size: tuple[int, int] = (4, 3), noise: bool = False) -> bytes:
    image = Image.new("RGB", size, "navy")
    if noise:
        pixels = random.Random(1).randbytes(size[0] * size[1] * 3)
        image = Image.frombytes("RGB", size, pixels)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload(client, data: bytes, filename: str, lang: str = "en", **headers):
    page = f"/{lang}/author/courses/co-production/lessons/first/edit/es"
    form = {"picture": (io.BytesIO(data), filename), "alt": "Un  diagrama", "language": "es"}
    return client.submit(
        page,
        f"/{lang}/author/courses/co-production/lessons/first/pictures",
        form,
        content_type="multipart/form-data",
        headers=headers,
    )


def test_an_uploaded_picture_is_previewed_at_once_and_served_to_learners_once_published(course):
    ana = trainer(course, "Ana")
    uploaded = upload(ana, png(), "Diagrama Uno.PNG")
    assert uploaded.status_code == 303 and uploaded.location.endswith(EDITOR)
    editor = ana.get(EDITOR).get_data(as_text=True)
    assert "Put this where it goes in the text: ![Un diagrama](diagrama-uno.png)" in editor

    with ana.get(f"{LESSON}/files/diagrama-uno.png") as preview:
        assert preview.status_code == 200 and preview.data.startswith(b"\x89PNG")
    learner_file = "/es/courses/co-production/lessons/first/files/diagrama-uno.png"
    assert course.test_client().get(learner_file).status_code == 404

    save(ana, text_with((0, "![Un diagrama](diagrama-uno.png)\n\n")))
    assert publish(ana).status_code == 303
    with course.test_client().get(learner_file) as served:
        assert served.status_code == 200 and served.data == preview.data
    shown = f'<img src="{learner_file}" alt="Un diagrama"'
    assert shown in learner_sees(course)


def test_the_editors_script_is_given_the_pictures_markdown_as_json(course):
    ana = trainer(course, "Ana")
    answered = upload(ana, png(), "plano.png", Accept="application/json")
    assert answered.status_code == 200
    assert answered.get_json() == {"markdown": "![Un diagrama](plano.png)", "name": "plano.png"}
    refused = upload(ana, b"GIF89a" + bytes(20), "anim.gif", Accept="application/json")
    assert refused.status_code == 422
    assert "send a PNG, JPEG, WebP or SVG file" in refused.get_json()["error"]


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anim.gif"), (b"just words\n", "notes.txt")],
)
def test_a_file_that_is_not_an_accepted_picture_is_refused_in_the_pages_language(
    course, data, filename
):
    ana = trainer(course, "Ana")
    refused = upload(ana, data, filename, lang="es")
    assert refused.status_code == 422
    assert "El archivo no es una imagen que el sitio acepte" in refused.get_data(as_text=True)
    with course.app_context():
        assert "notes" not in str(publishing.lesson_folders(db.session, content.course))
        assert publishing.pending(db.session, "co-production") == []


@pytest.fixture
def app_with(database_url, tmp_path):
    """The test course served by an app with some settings of its own."""
    built = []

    def build(**settings):
        lessons = LessonsDir(tmp_path / f"lessons-{len(built)}")
        write_course(lessons)
        instance = tmp_path / f"instance-{len(built)}"
        app = make_app(database_url, instance, LESSONS_DIR=str(lessons.root), **settings)
        built.append(app)
        return app

    yield build
    for app in built:
        dispose(app)


def test_a_picture_over_the_sites_limit_is_refused(app_with):
    app = app_with(MAX_PICTURE_BYTES=1000)
    ana = trainer(app, "Ana")
    large = png((64, 64), noise=True)
    assert len(large) > 1000
    refused = upload(ana, large, "large.png")
    assert refused.status_code == 422
    assert "a picture may take up to" in refused.get_data(as_text=True)
    assert ana.get(f"{LESSON}/files/large.png").status_code == 404
    assert upload(ana, png(), "small.png").status_code == 303


def test_a_picture_larger_than_other_forms_but_within_the_picture_limit_is_accepted(app_with):
    # Smaller than the site's limits, to stay fast and in memory, but in the same proportion.
    app = app_with(MAX_CONTENT_LENGTH=50_000, MAX_PICTURE_BYTES=400_000)
    ana = trainer(app, "Ana")
    photo = png((150, 150), noise=True)
    assert app.config["MAX_CONTENT_LENGTH"] < len(photo) < app.config["MAX_PICTURE_BYTES"]
    assert upload(ana, photo, "photo.png").status_code == 303


LEARNER_FORBIDDEN = [
    f"{EDITOR}",
    f"{EDITOR}/check",
    f"{HISTORY}/restore",
    f"{LESSON}/publish",
    f"{COURSE_PAGES}/publish",
    f"{COURSE_PAGES}/lessons/new",
    f"{LESSON}/translate/en",
    f"{LESSON}/pictures",
]


@pytest.mark.parametrize("path", LEARNER_FORBIDDEN)
def test_learners_cannot_write_publish_or_upload(course, path):
    learner = sign_in_as(course, None, "learner@example.org")
    data = {"text": "x", "base": "", "revision": "1", "number": "3", "slug": "x", "title": "x"}
    assert learner.submit("/en/", path, data).status_code == 403
    with course.app_context():
        assert publishing.pending(db.session, "co-production") == []
