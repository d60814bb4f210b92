"""Nothing a learner did is lost: many learners at once against the real server (gunicorn,
several workers, real HTTP), and a worker killed in the middle of requests."""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from app.content import load_course
from app.extensions import db
from app.models import ConsentEvent, LessonProgress, NoticeAcknowledgment, QuizAttempt
from app.services import accounts
from config import ROOT
from tests.conftest import (
    ATTEMPT_FIELD,
    CSRF_FIELD,
    NOTICE_VERSION_FIELD,
    report,
    right_answers,
    wrong_answers,
)
from tests.web.servers import free_port, serving

LESSON = load_course(ROOT / "lessons" / "co-production").published_lessons[0]
PASSWORD = "a long passphrase"
PURPOSE = "course-improvement"
GRANTED = re.compile(rf'name="purpose" value="{PURPOSE}" checked')


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "load-test-secret",
        "AUTO_MIGRATE": "0",
        # Every simulated learner comes from 127.0.0.1.
        "RATELIMIT_ENABLED": "0",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "app:create_app()",
    ]
    with serving(command, env, port, instance.parent / f"gunicorn-{port}.log") as running:
        yield running


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Learner:
    """One learner's browser: cookies, CSRF tokens, and every status code received."""

    def __init__(self, base: str, email: str) -> None:
        self.base, self.email = base, email
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )
        self.statuses: list[int] = []
        self.page = ""

    def request(self, path: str, data: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        self.statuses.append(status)
        return status, text

    def form(self, path: str) -> dict[str, str]:
        _, page = self.request(path)
        self.page = page
        fields = {"csrf_token": CSRF_FIELD.search(page).group(1)}
        for name, pattern in (("attempt", ATTEMPT_FIELD), ("version", NOTICE_VERSION_FIELD)):
            if found := pattern.search(page):
                fields[name] = found.group(1)
        return fields

    def sign_in(self) -> int:
        token = self.form("/en/login")["csrf_token"]
        status, _ = self.request(
            "/en/login", [("csrf_token", token), ("email", self.email), ("password", PASSWORD)]
        )
        return status

    def acknowledge(self) -> int:
        fields = self.form(f"/en/courses/co-production/lessons/{LESSON.slug}")
        status, _ = self.request(
            f"/en/courses/co-production/lessons/{LESSON.slug}/acknowledge",
            [("csrf_token", fields["csrf_token"]), ("version", fields["version"])],
        )
        return status

    def attempt(self, answers, number: str | None = None) -> tuple[str, int]:
        fields = self.form(f"/en/courses/co-production/lessons/{LESSON.slug}")
        number = number or fields["attempt"]
        data = [("csrf_token", fields["csrf_token"]), ("attempt", number), *answers]
        status, _ = self.request(f"/en/courses/co-production/lessons/{LESSON.slug}/quiz", data)
        return number, status


def make_learners(app, count: int) -> list[str]:
    emails = [f"learner{n}@example.org" for n in range(count)]
    with app.app_context():
        for email in emails:
            accounts.create_user(db.session, email=email, password=PASSWORD, display_name="L")
    return emails


def run_all(work, items) -> None:
    threads = [threading.Thread(target=work, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_fifty_learners_at_once_lose_nothing_and_complete_once(
    app, database_url, tmp_path, request
):
    emails = make_learners(app, 50)
    acknowledged: dict[str, set[str]] = {}
    learners: list[Learner] = []
    with gunicorn(database_url, tmp_path / "instance", workers=3) as (base, _):

        def follow_the_lesson(email: str) -> None:
            learner = Learner(base, email)
            learners.append(learner)
            assert learner.sign_in() == 303
            assert learner.acknowledge() == 303
            done = set()
            number, status = learner.attempt(wrong_answers(LESSON.quiz))
            if status == 303:
                done.add(number)
            # The passing attempt is sent twice at once, as from two tabs.
            fields = learner.form(f"/en/courses/co-production/lessons/{LESSON.slug}")
            twice = []
            run_all(
                lambda _: twice.append(
                    learner.attempt(right_answers(LESSON.quiz), fields["attempt"])
                ),
                range(2),
            )
            done.update(number for number, status in twice if status == 303)
            acknowledged[email] = done

        run_all(follow_the_lesson, emails)

    statuses = Counter(status for learner in learners for status in learner.statuses)
    report(request, f"nothing lost: {sum(statuses.values())} requests, statuses {dict(statuses)}")
    assert not [status for status in statuses if status >= 500]
    with app.app_context():
        attempts = db.session.execute(
            sa.select(QuizAttempt.user_id, QuizAttempt.number, QuizAttempt.passed)
        ).all()
        completions = db.session.scalars(
            sa.select(LessonProgress).where(LessonProgress.completed_at.is_not(None))
        ).all()
        ids = {email: accounts.find_user(db.session, email).id for email in emails}
        acks = db.session.scalar(sa.select(sa.func.count()).select_from(NoticeAcknowledgment))
    stored = Counter((user_id, str(number)) for user_id, number, _ in attempts)
    assert all(count == 1 for count in stored.values())
    for email, numbers in acknowledged.items():
        for number in numbers:
            assert (ids[email], number) in stored, (email, number)
    assert len(completions) == 50 and len({row.user_id for row in completions}) == 50
    assert acks == 50
    report(
        request, f"nothing lost: {len(attempts)} attempts and {len(completions)} completions stored"
    )


def test_a_worker_killed_mid_request_loses_no_acknowledged_write(
    app, database_url, tmp_path, request
):
    emails = make_learners(app, 6)
    acknowledged: Counter[str] = Counter()
    errors: Counter = Counter()
    with gunicorn(database_url, tmp_path / "instance", workers=2) as (base, master):
        stop = time.monotonic() + 6

        def keep_writing(email: str) -> None:
            """Give and withdraw consent over and over: each 303 is a ledger row written.
            The page says what is stored now, so a change whose answer the killed worker
            never sent is not asked for twice."""
            learner = Learner(base, email)
            while time.monotonic() < stop:
                try:
                    if not learner.statuses or learner.statuses[-1] == 302:
                        learner.sign_in()
                    token = learner.form("/en/account/data")["csrf_token"]
                    choice = [] if GRANTED.search(learner.page) else [("purpose", PURPOSE)]
                    status, _ = learner.request(
                        "/en/account/consents", [("csrf_token", token), *choice]
                    )
                # A worker killed mid-answer resets the connection or cuts the body short.
                except (OSError, http.client.HTTPException, AttributeError):
                    errors["interrupted"] += 1
                    continue
                if status == 303:
                    acknowledged[email] += 1
                elif status >= 500:
                    errors[status] += 1

        threads = [threading.Thread(target=keep_writing, args=(e,)) for e in emails]
        for thread in threads:
            thread.start()
        time.sleep(2)
        workers = subprocess.run(
            ["pgrep", "-P", str(master.pid)], capture_output=True, text=True, check=True
        ).stdout.split()
        os.kill(int(workers[0]), signal.SIGKILL)
        for thread in threads:
            thread.join()
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
            assert response.status == 200
    report(
        request,
        f"worker killed: {sum(acknowledged.values())} acknowledged writes, "
        f"interrupted requests: {errors['interrupted']}",
    )
    assert not [code for code in errors if code != "interrupted"]
    with app.app_context():
        for email, count in acknowledged.items():
            user_id = accounts.find_user(db.session, email).id
            stored = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(ConsentEvent)
                .where(ConsentEvent.user_id == user_id)
            )
            assert stored >= count, email
        if database_url.startswith("sqlite"):
            assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    assert sum(acknowledged.values()) > 0
