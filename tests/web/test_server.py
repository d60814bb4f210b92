"""The real server over real HTTP: a fresh start needs no set-up, and a restart loses nothing."""

from __future__ import annotations

import fcntl
import http.client
import http.cookiejar
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.content import load_course
from config import ROOT
from tests.conftest import (
    ATTEMPT_FIELD,
    CSRF_FIELD,
    NOTICE_VERSION_FIELD,
    latest_link,
    right_answers,
)
from tests.web.conftest import BAD_HOST
from tests.web.servers import app_environment, free_port, serving

QUIZ_1 = load_course(ROOT / "lessons" / "co-production").published_lessons[0].quiz

LESSON_1 = "/en/courses/co-production/lessons/what-is-co-production"


@contextmanager
def running_server(instance: Path, port: int) -> Iterator[str]:
    """`flask --app app run` as on a fresh clone: only the instance folder is chosen."""
    env = app_environment(instance)
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    with serving(command, env, port, instance.parent / f"server-{port}.log") as (base, _):
        yield base


class Visitor:
    """A browser-like HTTP client with a cookie jar that outlives server restarts."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=10) as response:
            return response.read().decode()

    def submit(self, page: str, action: str, data: list[tuple[str, str]]) -> str:
        html = self.get(page)
        hidden = [("csrf_token", CSRF_FIELD.search(html).group(1))]
        for field, pattern in (("attempt", ATTEMPT_FIELD), ("version", NOTICE_VERSION_FIELD)):
            if found := pattern.search(html):
                hidden.append((field, found.group(1)))
        body = urllib.parse.urlencode([*hidden, *data]).encode()
        with self.opener.open(action, data=body, timeout=10) as response:
            return response.read().decode()


def test_a_fresh_start_serves_the_course_and_a_restart_keeps_progress_and_session(tmp_path):
    instance = tmp_path / "instance"
    visitor = Visitor()
    port = free_port()
    with running_server(instance, port) as base:
        assert "0 of 15 lessons completed" in visitor.get(f"{base}/en/courses/co-production/")
        visitor.submit(
            f"{base}/en/register",
            f"{base}/en/register",
            [
                ("email", "eva@example.org"),
                ("password", "a long passphrase"),
                ("display_name", "Eva"),
            ],
        )
        confirmation = base + latest_link(instance, "eva@example.org", "/register/confirm/")
        visitor.submit(confirmation, confirmation, [])
        visitor.submit(f"{base}{LESSON_1}", f"{base}{LESSON_1}/acknowledge", [])
        page = visitor.submit(f"{base}{LESSON_1}", f"{base}{LESSON_1}/quiz", right_answers(QUIZ_1))
        assert "You completed this lesson" in page
    assert (instance / "aula.db").exists() and (instance / "secret_key").exists()

    with running_server(instance, port) as base:
        course_page = visitor.get(f"{base}/en/courses/co-production/")
        assert "1 of 15 lessons completed" in course_page
        assert re.search(r'class="who">Eva<', course_page), "the session did not survive"


def test_a_process_starting_while_another_migrates_waits_its_turn(tmp_path):
    """gunicorn's workers all start at once on a new database: each migrates in turn, under
    a lock beside the SQLite file (whatever their instance folders), so none applies a
    migration another has just applied."""
    instance = tmp_path / "instance"
    instance.mkdir()
    env = app_environment(instance, DATABASE_URL=f"sqlite:///{tmp_path / 'shared.db'}")
    command = [sys.executable, "-m", "flask", "--app", "app", "users", "list"]
    with (tmp_path / "shared.db-migrate.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=3)
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert finished.returncode == 0, finished.stderr


def test_gunicorn_answers_a_host_no_address_can_be_made_for_with_a_400_and_no_traceback(
    tmp_path,
):
    """As deployed behind a proxy whose X-Forwarded-* headers are trusted: the host comes
    in the Host header, or in X-Forwarded-Host. Each traceback would be a dozen lines of
    log, for anyone to write."""
    port = free_port()
    env = app_environment(tmp_path / "instance", TRUSTED_PROXIES="1")
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
    log = tmp_path / "gunicorn.log"
    with serving(command, env, port, log):
        for path in ("/en/login", "/healthz", "/en/?x=1"):
            for header in ("Host", "X-Forwarded-Host"):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                headers = {header: BAD_HOST, "Accept-Language": "en"}
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read().decode()
                connection.close()
                assert response.status == 400, (path, header, body)
                assert body.startswith("Bad request\n"), (path, header, body)
    assert "Traceback" not in log.read_text()
