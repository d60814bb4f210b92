"""Lessons saved in the browser as revisions, published once they have no errors, and every
host's own lessons folder brought in step with what was published."""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from app.extensions import content, db
from app.models import ContentRevision, LessonProgress, PublishedFile, QuizAttempt, Role, User
from app.services import accounts, publishing
from tests.conftest import NOTICE_VERSION_FIELD, dispose, make_app, sign_in_as
from tests.content.conftest import lesson_file, two_courses

PATH = "01-first/es.md"
LINES = [f"Párrafo {number}.\n\n" for number in range(1, 13)]


def write_course(lessons):
    lessons.write(PATH, lesson_file("Primera", body="".join(LINES)))
    lessons.write("01-first/pt.md", lesson_file("Primeira", body="Texto."))
    lessons.write("02-second/es.md", lesson_file("Segunda", body="Texto."))


def trainer(name: str = "Ana"):
    return accounts.create_user(
        db.session,
        email=f"{name.lower()}@example.org",
        password="a long password",
        display_name=name,
        role=Role.TRAINER,
    )


def text_with(*replacements: tuple[int, str]) -> str:
    lines = list(LINES)
    for index, line in replacements:
        lines[index] = line
    return lesson_file("Primera", body="".join(lines))


def test_a_first_save_keeps_the_files_text_as_the_version_it_started_from(course_app):
    app = course_app(write_course, "first-save")
    with app.app_context():
        ana = trainer()
        course = content.course
        opened = publishing.open_text(db.session, course, PATH)
        assert opened.revision_id is None and opened.is_published and "Párrafo 12" in opened.text
        saved = publishing.save_text(
            db.session, course, content.register, PATH, text_with((0, "Nuevo.\n\n")), None, ana
        )
        assert isinstance(saved, publishing.Saved) and not saved.has_errors
        versions = publishing.history(db.session, course.slug, PATH)
        assert [(entry.origin, entry.author, entry.is_published) for entry in versions] == [
            ("browser", "Ana", False),
            ("files", None, False),
        ]
        reopened = publishing.open_text(db.session, course, PATH)
        assert reopened.revision_id == saved.revision_id and not reopened.is_published
        # Saved is not published: the files, and learners, still have the old text.
        assert "Nuevo." not in (course.directory / PATH).read_text("utf-8")


def test_a_save_from_an_older_version_saves_nothing_and_merges_both_changes(course_app):
    app = course_app(write_course, "two-trainers")
    with app.app_context():
        ana, rui = trainer("Ana"), trainer("Rui")
        course = content.course
        first = publishing.save_text(
            db.session, course, content.register, PATH, text_with(), None, ana
        )
        # Both open version `first`; Ana saves, then Rui, who changed another line.
        ana_saved = publishing.save_text(
            db.session,
            course,
            content.register,
            PATH,
            text_with((1, "Párrafo 2, de Ana.\n\n")),
            first.revision_id,
            ana,
        )
        rui_text = text_with((10, "Párrafo 11, de Rui.\n\n"))
        conflict = publishing.save_text(
            db.session, course, content.register, PATH, rui_text, first.revision_id, rui
        )
        assert isinstance(conflict, publishing.Conflict)
        assert conflict.latest_id == ana_saved.revision_id and conflict.latest_author == "Ana"
        assert conflict.is_clean
        assert "Párrafo 2, de Ana." in conflict.merged and "Párrafo 11, de Rui." in conflict.merged
        assert [(line.kind, line.text) for line in conflict.changes if line.kind in "+-"] == [
            ("-", "Párrafo 2."),
            ("+", "Párrafo 2, de Ana."),
        ]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContentRevision)) == 3
        # Saving the merge, from the newest version, keeps both.
        merged = publishing.save_text(
            db.session,
            course,
            content.register,
            PATH,
            conflict.merged,
            conflict.latest_id,
            rui,
        )
        assert isinstance(merged, publishing.Saved)


def test_changes_to_the_same_line_are_marked_and_cannot_be_published(course_app):
    app = course_app(write_course, "same-line")
    with app.app_context():
        ana, rui = trainer("Ana"), trainer("Rui")
        course = content.course
        publishing.save_text(
            db.session, course, content.register, PATH, text_with((4, "Ana.\n\n")), None, ana
        )
        conflict = publishing.save_text(
            db.session, course, content.register, PATH, text_with((4, "Rui.\n\n")), None, rui
        )
        assert isinstance(conflict, publishing.Conflict) and not conflict.is_clean
        assert "<<<<<<< Ana\nAna.\n" in conflict.merged and "=======\nRui.\n" in conflict.merged
        kept = publishing.save_text(
            db.session, course, content.register, PATH, conflict.merged, conflict.latest_id, rui
        )
        assert kept.has_errors
        assert any("delete the marker lines" in problem.message for problem in kept.problems)
        published = publishing.publish(db.session, course, content.register, rui)
        assert not published.is_done


def test_a_text_with_errors_is_kept_as_a_draft_and_never_published(course_app):
    app = course_app(write_course, "errors")
    with app.app_context():
        ana = trainer()
        course = content.course
        broken = lesson_file("Primera", body="[roto](../09-missing/es.md)\n")
        saved = publishing.save_text(db.session, course, content.register, PATH, broken, None, ana)
        assert saved.has_errors
        [problem] = [p for p in saved.problems if p.level.value == "error"]
        assert problem.path == course.directory / PATH and problem.line == 7
        published = publishing.publish(db.session, course, content.register, ana)
        assert not published.is_done and published.problems
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedFile)) == 0
        assert "roto" not in (course.directory / PATH).read_text("utf-8")


def test_a_publication_reaches_a_host_with_its_own_lessons_folder(course_app, tmp_path):
    here = course_app(write_course, "host-a")
    with another_host(here, tmp_path) as (there, there_folder):
        learner = there.test_client()
        lesson_page = "/es/courses/co-production/lessons/first"
        assert "Publicado hoy" not in learner.get(lesson_page).get_data(as_text=True)
        with here.app_context():
            ana = trainer()
            course = content.course
            publishing.save_text(
                db.session,
                course,
                content.register,
                PATH,
                text_with((0, "Publicado hoy.\n\n")),
                None,
                ana,
            )
            published = publishing.publish(db.session, course, content.register, ana)
            assert published.is_done and published.paths == [PATH]
        assert "Publicado hoy." in learner.get(lesson_page).get_data(as_text=True)
        assert "Publicado hoy." in (there_folder / PATH).read_text("utf-8")


@contextmanager
def another_host(here, tmp_path, **settings):
    """A second app on the same database, with a copy of `here`'s lessons folder as it is
    now and an instance folder of its own: another host, which asks for publications at
    each request unless told otherwise."""
    settings.setdefault("PUBLICATION_CHECK_SECONDS", 0)
    folder = Path(here.config["LESSONS_DIR"])
    copy = tmp_path / f"{folder.name}-other-host"
    shutil.copytree(folder, copy)
    there = make_app(
        db_url(here), tmp_path / f"{folder.name}-other-instance", LESSONS_DIR=str(copy), **settings
    )
    try:
        yield there, copy
    finally:
        dispose(there)


def db_url(app) -> str:
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=False)


def test_a_host_asks_for_publications_at_most_as_often_as_it_is_told(course_app, tmp_path):
    here = course_app(write_course, "patient")
    with another_host(here, tmp_path, PUBLICATION_CHECK_SECONDS=3) as (there, there_folder):
        learner = there.test_client()
        lesson_page = "/es/courses/co-production/lessons/first"
        learner.get(lesson_page)
        checked_at = time.monotonic()
        with here.app_context():
            ana = trainer()
            publishing.save_text(
                db.session,
                content.course,
                content.register,
                PATH,
                text_with((0, "Más tarde.\n\n")),
                None,
                ana,
            )
            assert publishing.publish(db.session, content.course, content.register, ana).is_done
        page = learner.get(lesson_page).get_data(as_text=True)
        assert "Más tarde." not in page or time.monotonic() - checked_at >= 3
        time.sleep(max(0.0, checked_at + 3.1 - time.monotonic()))
        assert "Más tarde." in learner.get(lesson_page).get_data(as_text=True)


def test_a_file_changed_on_a_host_is_left_alone_until_a_reload_takes_it_in(course_app, tmp_path):
    here = course_app(write_course, "local-change")
    with here.app_context():
        ana = trainer()
        course = content.course
        publishing.save_text(
            db.session,
            course,
            content.register,
            PATH,
            text_with((0, "Del navegador.\n\n")),
            None,
            ana,
        )
        # Meanwhile someone edits the file on this host by hand.
        hand_made = text_with((0, "A mano.\n\n"))
        (course.directory / PATH).write_text(hand_made, "utf-8")
        publication = publishing.publish(db.session, course, content.register, ana)
        written = publishing.write_published(
            db.session, course.directory, publication.publication_id - 1
        )
        assert written == [] and "A mano." in (course.directory / PATH).read_text("utf-8")
        # A reload takes the hand-made text in as the newest, published, version.
        taken = publishing.take_in_files(db.session, content.catalogue, ana)
        assert len(taken) == 1
        [newest, *_older] = publishing.history(db.session, course.slug, PATH)
        assert newest.origin == "files" and newest.is_published
        assert publishing.take_in_files(db.session, content.catalogue, ana) == []


def test_an_earlier_version_comes_back_as_the_newest(course_app):
    app = course_app(write_course, "restore")
    with app.app_context():
        ana = trainer()
        course = content.course
        first = publishing.save_text(
            db.session, course, content.register, PATH, text_with((0, "Uno.\n\n")), None, ana
        )
        publishing.save_text(
            db.session,
            course,
            content.register,
            PATH,
            text_with((0, "Dos.\n\n")),
            first.revision_id,
            ana,
        )
        restored = publishing.restore(
            db.session, course, content.register, PATH, first.revision_id, ana
        )
        assert restored is not None
        opened = publishing.open_text(db.session, course, PATH)
        assert opened.revision_id == restored.revision_id and "Uno." in opened.text
        versions = publishing.history(db.session, course.slug, PATH)
        assert [(entry.number, entry.origin) for entry in versions] == [
            (4, "restored"),
            (3, "browser"),
            (2, "browser"),
            (1, "files"),
        ]
        # A version of another file is not this file's.
        assert (
            publishing.restore(
                db.session, course, content.register, "02-second/es.md", first.revision_id, ana
            )
            is None
        )


def test_differences_are_listed_with_their_line_numbers():
    old = "uno\ndos\ntres\ncuatro\ncinco\nseis\nsiete\nocho\nnueve\ndiez\n"
    new = old.replace("dos", "DOS").replace("nueve\n", "nueve\nnueve y medio\n")
    lines = publishing.compare(old, new, context=1)
    assert [(line.kind, line.text, line.old_number, line.new_number) for line in lines] == [
        (" ", "uno", 1, 1),
        ("-", "dos", 2, None),
        ("+", "DOS", None, 2),
        (" ", "tres", 3, 3),
        ("@", "", None, None),
        (" ", "nueve", 9, 9),
        ("+", "nueve y medio", None, 10),
        (" ", "diez", 10, 11),
    ]


def test_a_lesson_taken_out_of_the_files_is_taken_out_on_every_host_and_stays_out(
    course_app, tmp_path
):
    here = course_app(write_course, "taken-out")
    with another_host(here, tmp_path) as (there, there_folder):
        learner = there.test_client()
        second = "/es/courses/co-production/lessons/second"
        assert learner.get(second).status_code == 200
        with here.app_context():
            ana = trainer()
            course = content.course
            # Every file is recorded once, then the second lesson's folder is deleted.
            assert publishing.take_in_files(db.session, content.catalogue, ana)
            shutil.rmtree(course.directory / "02-second")
            content.reload(here)
            assert publishing.take_in_files(db.session, content.catalogue, ana)
            [removal, *_older] = publishing.history(db.session, course.slug, "02-second/es.md")
            assert removal.origin == "removed" and removal.is_published
            assert "second" not in publishing.lesson_folders(db.session, content.course)
            # Publishing the course gives nothing back.
            assert not publishing.publish(db.session, content.course, content.register, ana).is_done
        assert learner.get(second).status_code == 404
        assert not (there_folder / "02-second").exists()
        assert (there_folder / PATH).exists()


QUIZ = "```quiz\n? capital: ¿Qué ciudad?\n(x) lisbon: Lisboa\n( ) porto: Oporto\n```\n"


def test_publishing_keeps_what_learners_did_and_asks_again_for_a_changed_notice(course_app):
    def write(lessons):
        lessons.write(PATH, lesson_file("Primera", body="Texto.\n\n" + QUIZ))

    app = course_app(write, "learners-kept")
    # Published below as another process would: seen at the next request.
    app.config["PUBLICATION_CHECK_SECONDS"] = 0
    learner = sign_in_as(app, None, "learner@example.org")
    learner.acknowledge("es", "first")
    with app.app_context():
        lesson = content.course.lessons[0]
    assert learner.take_quiz("es", lesson, [("q-capital", "lisbon")]).status_code == 303
    page = "/es/courses/co-production/lessons/first"

    def publish(text: str) -> None:
        with app.app_context():
            course = content.course
            ana = db.session.scalar(sa.select(User).where(User.email == "ana@example.org"))
            opened = publishing.open_text(db.session, course, PATH)
            saved = publishing.save_text(
                db.session, course, content.register, PATH, text, opened.revision_id, ana
            )
            assert isinstance(saved, publishing.Saved)
            assert publishing.publish(db.session, course, content.register, ana).is_done

    with app.app_context():
        trainer()
    publish(lesson_file("Primera", body="Texto nuevo.\n\n" + QUIZ))
    shown = learner.get(page).get_data(as_text=True)
    assert "Texto nuevo." in shown
    # Completed, its attempt kept, and the same notice: nothing asked again.
    assert NOTICE_VERSION_FIELD.search(shown) is None
    with app.app_context():
        assert completed(app) == ["first"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 1

    # Without its quiz the lesson records no answers: a new notice, to confirm again.
    publish(lesson_file("Primera", body="Texto sin cuestionario.\n"))
    shown = learner.get(page).get_data(as_text=True)
    assert "Texto sin cuestionario." in shown and NOTICE_VERSION_FIELD.search(shown)
    with app.app_context():
        assert completed(app) == ["first"]


def completed(app) -> list[str]:
    """The lessons the learner completed, as the database keeps them."""
    return list(
        db.session.scalars(
            sa.select(LessonProgress.lesson_slug)
            .join(User, User.id == LessonProgress.user_id)
            .where(User.email == "learner@example.org", LessonProgress.completed_at.is_not(None))
        )
    )


def test_a_lesson_deleted_after_a_reload_of_two_courses_stays_deleted(database_url, tmp_path):
    """A reload publishes each changed course apart: the process that made those
    publications does not take them for another's, and write the deleted lesson back."""
    course, guide = two_courses(tmp_path / "two")
    course.write(PATH, lesson_file("Primera"))
    course.write("03-third/es.md", lesson_file("Tercera"))
    guide.write("01-um/pt.md", lesson_file("Um"))
    app = make_app(database_url, tmp_path / "two-instance", LESSONS_DIR=str(tmp_path / "two"))
    try:
        trainer_browser = sign_in_as(app, Role.TRAINER, "trainer@example.org")
        trainer_browser.submit("/en/author/", "/en/author/reload")
        shutil.rmtree(course.root / "03-third")
        trainer_browser.submit("/en/author/", "/en/author/reload")
        assert not (course.root / "03-third").exists()
        learner = app.test_client()
        assert learner.get("/es/courses/co-production/lessons/third").status_code == 404
    finally:
        dispose(app)
