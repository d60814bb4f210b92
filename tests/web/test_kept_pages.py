"""A signed-in learner's pages, kept in memory and served again before Flask, only while
nothing about the learner has changed, and only to the same session, address and browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, request, request_started

from app.extensions import content, db
from app.services import accounts, privacy, progress, sessions
from tests.conftest import dispose, make_app, migrate

LESSON = "/en/courses/co-production/lessons/{slug}"


@contextmanager
def paths_reaching_flask(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests that reach Flask meanwhile."""
    paths: list[str] = []

    def note(sender, **extra) -> None:
        paths.append(request.path)

    with request_started.connected_to(note, app):
        yield paths


@pytest.fixture
def reached_flask(app) -> Iterator[list[str]]:
    with paths_reaching_flask(app) as paths:
        yield paths


@pytest.fixture
def first_lesson(app):
    with app.app_context():
        return content.course.published_lessons[0]


@pytest.fixture
def reader(learner, first_lesson):
    """A learner who has confirmed the first lesson's data notice."""
    learner.acknowledge("en", first_lesson.slug)
    return learner


def learner_id(app, email: str = "ana@example.org") -> int:
    with app.app_context():
        return accounts.find_user(db.session, email).id


def cookie_of(client) -> str:
    return f"session={client.get_cookie('session').value}"


def test_reading_a_page_again_is_served_from_memory(app, reader, first_lesson, reached_flask):
    path = LESSON.format(slug=first_lesson.slug)
    first = reader.get(path)
    again = reader.get(path)
    assert reached_flask == [path], "the second reading never reached Flask"
    assert again.status_code == 200 and again.get_data() == first.get_data()
    # The same headers, and how long ago it was made (Age): a browser's tools, or a load
    # test, can tell a kept page from one made for the request.
    assert "Age" not in first.headers and int(again.headers["Age"]) >= 0
    assert [h for h in again.headers if h[0] != "Age"] == list(first.headers)
    assert "Ana" in again.get_data(as_text=True)


def test_the_page_is_made_again_once_anything_about_the_learner_changes(
    app, reader, first_lesson, reached_flask
):
    path = LESSON.format(slug=first_lesson.slug)
    assert "You completed this lesson" not in reader.get(path).get_data(as_text=True)
    # Written by another worker, or the command line: nothing in this process knows.
    with app.app_context():
        progress.record_completion(db.session, learner_id(app), first_lesson)
    assert "You completed this lesson" in reader.get(path).get_data(as_text=True)
    assert reached_flask == [path, path]
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        user.display_name = "Ana Sousa"
        db.session.commit()
    assert "Ana Sousa" in reader.get(path).get_data(as_text=True)


def test_another_learners_change_leaves_the_kept_page_in_place(
    app, reader, first_lesson, reached_flask
):
    path = LESSON.format(slug=first_lesson.slug)
    reader.get(path)
    with app.app_context():
        other = accounts.create_user(
            db.session, email="rui@example.org", password="a long password", display_name="Rui"
        )
        progress.record_start(db.session, other.id, first_lesson)
    reader.get(path)
    assert reached_flask == [path]


def test_a_message_is_shown_once_and_never_kept(app, reader, first_lesson):
    path = LESSON.format(slug=first_lesson.slug)
    reader.get(path)
    reader.submit("/en/", "/en/logout")
    with_message = reader.get("/en/").get_data(as_text=True)
    assert "You have signed out." in with_message
    assert "You have signed out." not in reader.get("/en/").get_data(as_text=True)


def test_a_copied_cookie_gets_nothing_after_signing_out_everywhere(app, reader, first_lesson):
    path = LESSON.format(slug=first_lesson.slug)
    cookie = cookie_of(reader)
    assert "Ana" in reader.get(path).get_data(as_text=True)
    copy = app.test_client(use_cookies=False)
    assert "Ana" in copy.get(path, headers={"Cookie": cookie}).get_data(as_text=True)

    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        sessions.end_all_but(db.session, user, None)
    page = copy.get(path, headers={"Cookie": cookie}).get_data(as_text=True)
    assert "Ana" not in page and "Sign in to save your progress" in page


def test_an_erased_learners_page_is_gone_at_once(app, reader, first_lesson):
    path = LESSON.format(slug=first_lesson.slug)
    cookie = cookie_of(reader)
    copy = app.test_client(use_cookies=False)
    assert "Ana" in copy.get(path, headers={"Cookie": cookie}).get_data(as_text=True)
    with app.app_context():
        privacy.erase_account(db.session, content.register, learner_id(app))
    page = copy.get(path, headers={"Cookie": cookie}).get_data(as_text=True)
    assert "Ana" not in page and "Sign in to save your progress" in page


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"headers": {"User-Agent": "another browser"}},
        {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}},
        {"headers": {"Accept-Language": "pt-PT"}},
    ],
    ids=["browser", "address", "languages"],
)
def test_the_same_cookie_from_another_browser_or_address_reaches_flask(
    app, reader, first_lesson, reached_flask, elsewhere
):
    path = LESSON.format(slug=first_lesson.slug)
    reader.get(path)
    reader.get(path, **elsewhere)
    assert reached_flask == [path, path]


def reading(database_url, tmp_path, paths: list[str], **settings) -> tuple[Flask, list[str]]:
    """An app with `settings`, a new learner reading `paths` in turn ("{lesson}" stands for
    the first lesson), and the paths that reached Flask."""
    app = make_app(database_url, tmp_path / "instance", **settings)
    migrate(app)
    reader = app.test_client()
    reader.register()
    with app.app_context():
        lesson = LESSON.format(slug=content.course.published_lessons[0].slug)
    with paths_reaching_flask(app) as reached_flask:
        for path in paths:
            reader.get(path.format(lesson=lesson))
    dispose(app)
    return app, reached_flask


def test_each_worker_keeps_only_so_many_pages(database_url, tmp_path):
    paths = [
        "/en/courses/co-production/",
        "{lesson}",
        "/en/courses/co-production/",
        "{lesson}",
        "{lesson}",
    ]
    app, reached_flask = reading(database_url, tmp_path, paths, KEPT_LEARNER_PAGES=1)
    assert len(reached_flask) == 4, "one page kept at most: only the last reading is kept"
    kept = app.extensions["kept_pages"]
    assert len(kept.learner_pages) == 1
    # Pages pushed out are not held on to until they expire: memory stays bounded.
    assert len(kept.learner_pages_made) <= 2


def test_kept_pages_expire_and_then_leave_memory(database_url, tmp_path):
    paths = [
        "/en/courses/co-production/",
        "{lesson}",
        "{lesson}",
        "/en/courses/co-production/",
        "/en/courses/co-production/",
    ]
    app, reached_flask = reading(database_url, tmp_path, paths, KEPT_LEARNER_PAGE_SECONDS=0)
    assert len(reached_flask) == 5, "each page expired at once"
    kept = app.extensions["kept_pages"].learner_pages
    assert len(kept) == 1, "expired pages leave memory when the next one is kept"


def test_a_visitor_with_cookies_that_sign_no_one_in_gets_the_kept_page_before_flask(
    app, first_lesson, reached_flask
):
    path = LESSON.format(slug=first_lesson.slug)
    made = app.test_client(use_cookies=False).get(path)
    # Another site's analytics on this domain, and a visitor who opened the sign-in page
    # and went no further (its form left a token in the session).
    browser = app.test_client()
    browser.get("/en/login")
    assert browser.get_cookie("session") is not None
    reached_flask.clear()
    for cookie in ("_ga=GA1.2.1234567890.1765000000", cookie_of(browser)):
        served = app.test_client(use_cookies=False).get(path, headers={"Cookie": cookie})
        assert served.get_data() == made.get_data()
        assert "Age" in served.headers and "Set-Cookie" not in served.headers
    assert reached_flask == [], "served before Flask"


@pytest.mark.parametrize(
    "why",
    ["signed in", "a message waits", "remember-me cookie", "forged session"],
)
def test_cookies_that_may_change_the_page_always_reach_flask(
    app, reader, first_lesson, reached_flask, why
):
    path = LESSON.format(slug=first_lesson.slug)
    app.test_client(use_cookies=False).get(path)
    if why == "signed in":
        cookie = cookie_of(reader)
    elif why == "a message waits":
        browser = app.test_client()
        with browser.session_transaction() as stored:
            stored["_flashes"] = [("info", "Please sign in to continue.")]
        cookie = cookie_of(browser)
    elif why == "remember-me cookie":
        cookie = "remember_token=1|abc"
    else:
        cookie = cookie_of(reader)[:-4] + "AAAA"
    reached_flask.clear()
    page = app.test_client(use_cookies=False).get(path, headers={"Cookie": cookie})
    assert reached_flask == [path]
    assert "Age" not in page.headers
    if why == "signed in":
        assert "Ana" in page.get_data(as_text=True)
    if why == "a message waits":
        assert "Please sign in to continue." in page.get_data(as_text=True)
