"""Two hosts of one deployment, sharing nothing but the PostgreSQL database: a lesson
published on one reaches the learners of the other, and its lessons folder, within seconds.
Real servers (gunicorn) over real HTTP."""

from __future__ import annotations

import html
import http.cookiejar
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Role
from app.services import accounts
from tests.conftest import CSRF_FIELD, dispose, make_app
from tests.content.conftest import LessonsDir, lesson_file
from tests.web.servers import app_environment, free_port, serving

SECRET_KEY = "two-hosts-secret"
TRAINER = "trainer@example.org"
PASSWORD = "a long passphrase"
LESSON = "/en/courses/co-production/lessons/first"
EDITOR = "/en/author/courses/co-production/lessons/first/edit/en"
PUBLISH = "/en/author/courses/co-production/lessons/first/publish"
NEW_SENTENCE = "The river rose in the night and nobody was ready."
BASE_FIELD = re.compile(r'name="base" value="([^"]*)"')
TEXT_FIELD = re.compile(r'<textarea id="lesson-text"[^>]*>(.*?)</textarea>', re.DOTALL)


@contextmanager
def host(database_url: str, root: Path, name: str) -> Iterator[str]:
    """One host: a gunicorn with one worker, its own instance folder and lessons folder."""
    port = free_port()
    env = app_environment(
        root / name / "instance",
        DATABASE_URL=database_url,
        LESSONS_DIR=str(root / name / "lessons"),
        SECRET_KEY=SECRET_KEY,
        AUTO_MIGRATE="0",
        RATELIMIT_ENABLED="0",
    )
    command = [sys.executable, "-m", "gunicorn", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "app:create_app()"]
    with serving(command, env, port, root / f"{name}.log") as (base, _process):
        yield base


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser on one host: its cookies, and no following of redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str) -> None:
        _, page = self.request("/en/login")
        token = CSRF_FIELD.search(page)[1]
        status, _ = self.request(
            "/en/login", {"csrf_token": token, "email": email, "password": PASSWORD}
        )
        assert status in (302, 303), f"signing in answered {status}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_lesson_published_on_one_host_reaches_the_other_within_seconds(database_url, tmp_path):
    lessons = LessonsDir(tmp_path / "host-a" / "lessons")
    for language in ("es", "pt", "en"):
        lessons.write(f"01-first/{language}.md", lesson_file(f"First {language}", "The old text."))
    shutil.copytree(tmp_path / "host-a" / "lessons", tmp_path / "host-b" / "lessons")
    accounts_app = make_app(database_url, tmp_path / "accounts-instance")
    with accounts_app.app_context():
        accounts.create_user(
            db.session, email=TRAINER, password=PASSWORD, display_name="Trainer", role=Role.TRAINER
        )
    dispose(accounts_app)

    with ExitStack() as hosts:
        host_a = hosts.enter_context(host(database_url, tmp_path, "host-a"))
        host_b = hosts.enter_context(host(database_url, tmp_path, "host-b"))
        visitor_on_b = Browser(host_b)
        status, before = visitor_on_b.request(LESSON)
        assert status == 200 and "The old text." in before and NEW_SENTENCE not in before

        trainer = Browser(host_a)
        trainer.sign_in(TRAINER)
        status, editor = trainer.request(EDITOR)
        assert status == 200, f"the editor answered {status}"
        text = html.unescape(TEXT_FIELD.search(editor)[1]).lstrip("\n")
        saved, _ = trainer.request(
            EDITOR,
            {
                "csrf_token": CSRF_FIELD.search(editor)[1],
                "base": BASE_FIELD.search(editor)[1],
                "text": text.rstrip("\n") + f"\n\n{NEW_SENTENCE}\n",
            },
        )
        assert saved in (302, 303), f"saving answered {saved}"
        _, editor = trainer.request(EDITOR)
        published, _ = trainer.request(PUBLISH, {"csrf_token": CSRF_FIELD.search(editor)[1]})
        published_at = time.monotonic()
        assert published == 303, f"publishing answered {published}"

        while NEW_SENTENCE not in visitor_on_b.request(LESSON)[1]:
            assert time.monotonic() - published_at < 5, "host B still shows the old lesson"
            time.sleep(0.2)
        delay = time.monotonic() - published_at
        print(f"host B showed the published lesson {delay:.2f} s after publishing")
        for name in ("host-a", "host-b"):
            lesson = (tmp_path / name / "lessons" / "01-first" / "en.md").read_text("utf-8")
            assert NEW_SENTENCE in lesson, f"{name}'s lessons folder still has the old text"
