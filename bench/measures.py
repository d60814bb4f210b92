"""The five measurements. Each returns rows for RESULTS.md: the app's figure, its baseline
measured in the same run, and their ratio."""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask, session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from app import database
from app.content import load_course
from app.extensions import db
from app.guards import SESSION_SECRET, mark_authenticated
from app.models import User
from app.notices import notice_for
from app.services import privacy, progress, sessions
from bench.data import (
    LAB_COURSE,
    LAB_SLUG,
    SECRET_KEY,
    SHIPPED,
    Site,
    bench_app,
    seed,
    write_course,
)
from bench.load import WORKERS, Load, each_once, get_load, gunicorn, rotating_load, threads
from config import ROOT
from tests.web.servers import app_environment, free_port

NOTICE_VERSION = re.compile(r'name="version" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class Sizes:
    learners: int
    course_sizes: tuple[int, ...]
    load_seconds: float
    load_connections: int
    write_seconds: float
    writers: int
    write_accounts: int
    repeats: int
    export_runs: int  # each CSV export and its baseline, taken turn about: the median counts
    # The site of several courses: its courses (each with COHORTS_PER_COURSE cohorts), the
    # lessons of each, and its learners.
    site_courses: int
    site_lessons: int
    site_learners: int
    # Signed-in learners taking turns at the pages, and learners answering a quiz once each.
    page_learners: int
    quiz_learners: int


SIZES = {
    "full": Sizes(
        100_000, (15, 33, 66, 99), 10, 8, 30, 50, 3000, 5, 3, 10, 15, 100_000, 3000, 2000
    ),
    "smoke": Sizes(300, (15, 20), 1, 2, 2, 5, 60, 1, 1, 3, 3, 300, 12, 12),
}


def server_env(database_url: str, lessons: Path, instance: Path, **extra: str) -> dict[str, str]:
    return app_environment(
        instance,
        DATABASE_URL=database_url,
        LESSONS_DIR=str(lessons),
        SECRET_KEY=SECRET_KEY,
        RATELIMIT_ENABLED="0",
        PYTHONPATH=str(ROOT),
        **extra,
    )


def signed_in_cookie(app, user_id: int) -> tuple[str, str]:
    """A session cookie of a signed-in learner and its CSRF token, made with the app's own
    secret key, as if the learner had signed in (hashing passwords is not what we measure)."""
    with app.test_request_context():
        user = db.session.get(User, user_id)
        session[SESSION_SECRET] = sessions.start(db.session, user, None)
        mark_authenticated()
        login_user(user)
        token = generate_csrf()
        response = app.make_response("")
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        db.session.remove()
    return cookie, token


def request(
    base: str, method: str, path: str, cookie: str = "", body: dict | None = None
) -> tuple[int, bytes, str]:
    """The response's status and body, and the cookie a browser would send next: the
    session cookie the response set, or else `cookie` unchanged."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urlencode(body, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    for set_cookie in response.headers.get_all("Set-Cookie") or []:
        if set_cookie.startswith("session="):
            cookie = set_cookie.split(";", 1)[0]
    connection.close()
    return response.status, payload, cookie


def median_seconds_until_ready(code: str, env: dict[str, str], repeats: int) -> float:
    """How long a new Python process running `code` takes until it says it is ready (its
    first line of output): start-up as a server sees it, leaving out the interpreter's
    shutdown, which for SQLAlchemy's many objects takes a fifth of a second."""
    command = [sys.executable, "-c", f"{code}\nprint('ready', flush=True)"]
    # Compiled modules are cached and the files are in memory, as on a server that restarts.
    env = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for run in range(repeats + 1):
        started = time.perf_counter()
        with subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as process:
            line = process.stdout.readline()
            seconds = time.perf_counter() - started
            _, errors = process.communicate()
        if run:
            times.append(seconds)
        if line.strip() != b"ready" or process.returncode != 0:
            raise RuntimeError(f"did not start: {errors.decode(errors='replace')}")
    return statistics.median(times)


def _seconds_until_answered(command: list[str], env: dict[str, str], port: int, path: str):
    """From launching `command` (a server on `port`) until it first answers `path` with
    200; the server is stopped after."""
    started = time.perf_counter()
    with subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        try:
            while True:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    connection.request("GET", path)
                    if connection.getresponse().status == 200:
                        return time.perf_counter() - started
                except OSError:
                    if process.poll() is not None or time.perf_counter() - started > 60:
                        raise RuntimeError(
                            f"did not start: {process.stderr.read().decode(errors='replace')}"
                        ) from None
                    time.sleep(0.01)
                finally:
                    connection.close()
        finally:
            process.terminate()
            process.wait(timeout=15)


def production_startup(work: Path, repeats: int) -> list[str]:
    """gunicorn started as in production (APP_ENV=production, 2 workers, the migrations
    checked at start-up, the shipped courses) until it answers lesson 1, against gunicorn
    starting the bare app, in turn; medians."""
    database_url = f"sqlite:///{work / 'production.db'}"
    env = server_env(
        database_url,
        SHIPPED,
        work / "production-instance",
        APP_ENV="production",
        AUTO_MIGRATE="1",
        PRIVACY_CONTACT="privacy@example.org",
        MAIL_SERVER="127.0.0.1",
        RATELIMIT_SINGLE_PROCESS="1",
    )
    env = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    course = load_course(LAB_COURSE)
    path = f"/es/courses/{course.slug}/lessons/{course.published_lessons[0].slug}"
    times: dict[str, list[float]] = {"app": [], "bare": []}
    # A first, unmeasured run fills the caches of compiled modules; the smoke size, which
    # measures once, counts on the start-up measure before it having filled them.
    first = 1 if repeats > 1 else 0
    for run in range(first + repeats):
        for side, spec in (("app", "app:create_app()"), ("bare", "bench.bare:app")):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS)]
            command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", spec]
            seconds = _seconds_until_answered(command, env, port, path)
            if run >= first:
                times[side].append(seconds)
    app_seconds, bare_seconds = (statistics.median(times[side]) for side in ("app", "bare"))
    return [
        f"start-up in production: gunicorn, {WORKERS} workers, migrations checked, "
        "until lesson 1 is answered",
        f"{app_seconds * 1000:.0f} ms (median of {repeats})",
        f"{bare_seconds * 1000:.0f} ms (gunicorn serving the bare app)",
        f"{app_seconds / bare_seconds:.1f}×",
    ]


def startup(work: Path, sizes: Sizes) -> list[list[str]]:
    """Importing the app and loading the shipped courses, against importing a bare Flask
    app; gunicorn started as in production; then the loader alone on ever larger courses
    (a course holds at most 99 lessons)."""
    env = server_env(f"sqlite:///{work / 'startup.db'}", SHIPPED, work / "startup-instance")
    make_app = (
        "from app import create_app; from config import TestConfig; "
        "create_app(TestConfig, {'DATABASE_URL': %r, 'LESSONS_DIR': %r})"
    )
    repeats = sizes.repeats
    app_seconds = median_seconds_until_ready(
        make_app % (env["DATABASE_URL"], str(SHIPPED)), env, repeats
    )
    bare_seconds = median_seconds_until_ready("import flask; flask.Flask('bare')", env, repeats)
    shipped = sum(
        len(load_course(folder).published_lessons)
        for folder in SHIPPED.iterdir()
        if (folder / "course.yml").exists()
    )
    rows = [
        [
            f"start-up: import and create the app with the shipped courses ({shipped} lessons "
            "× 3 languages), until ready",
            f"{app_seconds * 1000:.0f} ms",
            f"{bare_seconds * 1000:.0f} ms (import a bare Flask app)",
            f"{app_seconds / bare_seconds:.1f}×",
        ],
        production_startup(work, repeats),
    ]
    largest = max(sizes.course_sizes)
    course_largest = write_course(work / f"course-{largest}", largest)
    largest_seconds = median_seconds_until_ready(
        make_app % (env["DATABASE_URL"], str(course_largest)), env, repeats
    )
    rows.append(
        [
            f"start-up: import and create the app with {largest} lessons × 3 languages "
            f"({largest * 3} files), until ready",
            f"{largest_seconds * 1000:.0f} ms",
            f"{bare_seconds * 1000:.0f} ms (import a bare Flask app)",
            f"{largest_seconds / bare_seconds:.1f}×",
        ]
    )
    per_text = []
    for lessons in sizes.course_sizes:
        folder = write_course(work / f"course-{lessons}", lessons)
        started = time.perf_counter()
        load_course(folder)
        seconds = time.perf_counter() - started
        per_text.append(seconds / (lessons * 3))
        rows.append(
            [
                f"load {lessons} lessons × 3 languages ({lessons * 3} files)",
                f"{seconds * 1000:.0f} ms",
                f"{per_text[0] * lessons * 3 * 1000:.0f} ms (15 lessons' time per file, scaled)",
                f"{seconds / (per_text[0] * lessons * 3):.2f}×",
            ]
        )
    return rows


def _sign_up_learner(app, email: str) -> int:
    with app.app_context():
        user = User(email=email, display_name="Bench", password_hash="x", role="learner")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


def _lesson_page_loads(
    work: Path,
    name: str,
    env: dict[str, str],
    lessons: Path,
    path: str,
    learner: Callable[[Flask], int],
    sizes: Sizes,
    what: str,
) -> list[list[str]]:
    """A lesson page under gunicorn, anonymous and signed in as `learner(app)`, against the
    bare app serving the same bytes from memory."""
    rows = []
    with gunicorn("app:create_app()", env, work / f"{name}.log") as base:
        app = bench_app(env["DATABASE_URL"], lessons, Path(env["INSTANCE_PATH"]))
        user_id = learner(app)
        with app.app_context():
            shown_name = db.session.get(User, user_id).display_name.encode()
            db.session.remove()
        cookie, token = signed_in_cookie(app, user_id)
        _, page, cookie = request(base, "GET", path, cookie)
        version = NOTICE_VERSION.search(page.decode()).group(1)
        status, _, cookie = request(
            base,
            "POST",
            f"{path}/acknowledge",
            cookie,
            {"csrf_token": token, "version": version},
        )
        assert status == 303, status
        # Reading the page after confirming shows (and spends) a message: the learner
        # reads on with the cookie their browser keeps from then on.
        _, _, cookie = request(base, "GET", path, cookie)
        pages = {"anonymous": request(base, "GET", path)[1]}
        _, pages["signed in"], kept_cookie = request(base, "GET", path, cookie)
        assert kept_cookie == cookie, "the session settles after one reading"
        assert shown_name in pages["signed in"] and shown_name not in pages["anonymous"]
        measured: dict[str, Load] = {
            "anonymous": get_load(base + path, {}, sizes.load_seconds, sizes.load_connections),
            "signed in": get_load(
                base + path, {"Cookie": cookie}, sizes.load_seconds, sizes.load_connections
            ),
        }
        with app.app_context():
            db.engine.dispose()
    for who, body in pages.items():
        page_file = work / f"{name}-{who.replace(' ', '-')}.html"
        page_file.write_bytes(body)
        bare_env = dict(env, BARE_PAGE=str(page_file))
        with gunicorn("bench.bare:app", bare_env, work / f"{name}-bare.log") as bare:
            baseline = get_load(bare + path, {}, sizes.load_seconds, sizes.load_connections)
        app_load = measured[who]
        rows.append(
            [
                f"{what}, {who} ({app_load.tool}, {sizes.load_connections} connections)",
                f"{app_load.requests_per_second:.0f} req/s, p50 {app_load.p50_ms:.1f} ms, "
                f"p99 {app_load.p99_ms:.1f} ms, {app_load.errors} errors",
                f"{baseline.requests_per_second:.0f} req/s, p50 {baseline.p50_ms:.1f} ms, "
                f"p99 {baseline.p99_ms:.1f} ms",
                f"{app_load.requests_per_second / baseline.requests_per_second:.2f}×",
            ]
        )
    return rows


ANONYMOUS_COOKIES = {
    "no cookie": "",
    "a browser with an unrelated cookie (_ga)": "_ga=GA1.2.123.456",
}
SIGN_IN_PATH = "/es/login"


def _new_learners(app, count: int) -> list[int]:
    """`count` new learners, signed up in one go."""
    with app.app_context():
        users = [
            User(
                email=f"page-reader{index}@example.org",
                display_name=f"Reader {index}",
                password_hash="x",
                role="learner",
            )
            for index in range(count)
        ]
        db.session.add_all(users)
        db.session.commit()
        ids = [user.id for user in users]
        db.session.remove()
    return ids


def _settled_cookie(base: str, path: str, cookie: str, token: str) -> str:
    """The cookie a learner's browser sends from the moment they have opened the lesson,
    confirmed its data notice and read the page once (which shows, and spends, a
    message)."""
    _, page, cookie = request(base, "GET", path, cookie)
    version = NOTICE_VERSION.search(page.decode()).group(1)
    status, _, cookie = request(
        base, "POST", f"{path}/acknowledge", cookie, {"csrf_token": token, "version": version}
    )
    assert status == 303, status
    return request(base, "GET", path, cookie)[2]


def _settled_cookies(base: str, app, learners: list[int], path: str) -> list[str]:
    signed_in = [signed_in_cookie(app, user_id) for user_id in learners]
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda pair: _settled_cookie(base, path, *pair), signed_in))


def _warm_up(base: str, paths: dict[str, str], cookies: list[str]) -> None:
    """A few requests for each page, so that neither side is measured warming up (both
    workers loading templates, say)."""
    for path in paths.values():
        for cookie in [*cookies[:10], ""] * 2:
            request(base, "GET", path, cookie)


def _load_cells(load: Load) -> str:
    return (
        f"{load.requests_per_second:.0f} req/s, p50 {load.p50_ms:.1f} ms, "
        f"p99 {load.p99_ms:.1f} ms, {load.errors} errors"
    )


def _page_row(what: str, load: Load, baseline: Load, kept: str | None = None) -> list[str]:
    return [
        what,
        _load_cells(load) + (f"; {kept}" if kept else ""),
        _load_cells(baseline).rsplit(",", 1)[0] + " (bare route, same bytes, same client)",
        f"{load.requests_per_second / baseline.requests_per_second:.2f}×",
    ]


def learner_pages(work: Path, sizes: Sizes) -> tuple[list[list[str]], list[list[str]]]:
    """Lesson 1 of the lab's course and the course's page as shipped (beside the other
    shipped course), on a database of their learners, under gunicorn: signed in as many
    learners taking turns (each with the settled cookie of their browser), kept pages on
    and off, and one learner again and again; and the lesson page for visitors who are not
    signed in, with no cookie, an unrelated one, or the session cookie of the sign-in page.
    Each against the bare app serving the same bytes to the same client (the same wrk
    script and cookies)."""
    instance = work / "pages-instance"
    database_url = f"sqlite:///{work / 'pages.db'}"
    env = server_env(database_url, SHIPPED, instance, AUTO_MIGRATE="1")
    course = load_course(LAB_COURSE)
    course_path = f"/es/courses/{course.slug}/"
    lesson_path = f"{course_path}lessons/{course.published_lessons[0].slug}"
    paths = {"lesson": lesson_path, "course": course_path}
    seconds, connections = sizes.load_seconds, sizes.load_connections
    script = work / "rotate.lua"
    loads: dict[tuple[str, ...], Load] = {}
    with gunicorn("app:create_app()", env, work / "pages.log") as base:
        app = bench_app(database_url, SHIPPED, instance)
        learners = _new_learners(app, sizes.page_learners)
        cookies = _settled_cookies(base, app, learners, lesson_path)
        with app.app_context():
            shown_name = db.session.get(User, learners[0]).display_name.encode()
            db.session.remove()
        pages = {"anonymous": request(base, "GET", lesson_path)[1]}
        for page, path in paths.items():
            _, pages[page], settled = request(base, "GET", path, cookies[0])
            assert settled == cookies[0], f"the session settles after one reading ({page})"
            assert shown_name in pages[page]
        assert shown_name not in pages["anonymous"]
        status, _, visitor = request(base, "GET", SIGN_IN_PATH)
        assert status == 200 and visitor, "the sign-in page sets a session cookie"
        _warm_up(base, paths, cookies)
        anonymous = dict(ANONYMOUS_COOKIES)
        anonymous["a visitor who opened the sign-in page (its session cookie)"] = visitor
        for page, path in paths.items():
            loads["on", page] = rotating_load(base + path, cookies, seconds, connections, script)
            loads["one", page] = rotating_load(
                base + path, cookies[:1], seconds, connections, script
            )
        for who, cookie in anonymous.items():
            headers = {"Cookie": cookie} if cookie else {}
            loads["anonymous", who] = get_load(base + lesson_path, headers, seconds, connections)
        with app.app_context():
            db.engine.dispose()
    without_kept = dict(env, KEPT_LEARNER_PAGES="0")
    with gunicorn("app:create_app()", without_kept, work / "pages-unkept.log") as base:
        _warm_up(base, paths, cookies)
        for page, path in paths.items():
            loads["off", page] = rotating_load(base + path, cookies, seconds, connections, script)
    files = []
    for page, body in pages.items():
        (work / f"page-{page}.html").write_bytes(body)
        files.append(f"{page}={work / f'page-{page}.html'}")
    bare_env = dict(env, BARE_PAGES=os.pathsep.join(files))
    baselines: dict[tuple[str, ...], Load] = {}
    with gunicorn("bench.bare:app", bare_env, work / "pages-bare.log") as bare:
        _warm_up(bare, {page: f"/{page}{path}" for page, path in paths.items()}, cookies)
        for page, path in paths.items():
            url = f"{bare}/{page}{path}"
            baselines["many", page] = rotating_load(url, cookies, seconds, connections, script)
            baselines["one", page] = rotating_load(url, cookies[:1], seconds, connections, script)
        baselines["uncounted"] = rotating_load(
            f"{bare}/lesson{lesson_path}", cookies, seconds, connections, script, False
        )
        for who, cookie in anonymous.items():
            headers = {"Cookie": cookie} if cookie else {}
            baselines["anonymous", who] = get_load(
                f"{bare}/anonymous{lesson_path}", headers, seconds, connections
            )
    # The app says which responses came from its kept pages by an Age header: an app
    # that sends none does not say, and its share is unknown rather than nothing.
    age_sent = any(loads["one", page].kept for page in paths)
    tool = f"{loads['on', 'lesson'].tool}, {connections} connections"
    signed_in = []
    for page in paths:
        name = "lesson 1 page" if page == "lesson" else "course page"
        for kept, label in (
            ("on", "kept pages on"),
            ("off", "kept pages off (KEPT_LEARNER_PAGES=0)"),
        ):
            load = loads[kept, page]
            signed_in.append(
                _page_row(
                    f"{name}, signed in, {len(cookies):,} learners taking turns, {label} ({tool})",
                    load,
                    baselines["many", page],
                    load.kept_share if age_sent else "kept share not known (no Age header)",
                )
            )
        one = loads["one", page]
        signed_in.append(
            _page_row(
                f"{name}, signed in, one learner's cookie again and again (extra line)",
                one,
                baselines["one", page],
                one.kept_share if age_sent else "kept share not known (no Age header)",
            )
        )
    counted, uncounted = baselines["many", "lesson"], baselines["uncounted"]
    signed_in.append(
        [
            "cost of counting Age headers in wrk's response callback, on the bare route",
            f"{counted.requests_per_second:.0f} req/s counting",
            f"{uncounted.requests_per_second:.0f} req/s, the same script without the callback",
            f"{counted.requests_per_second / uncounted.requests_per_second:.2f}×",
        ]
    )
    anonymous_rows = [
        _page_row(
            f"lesson 1 page, anonymous, {who} ({tool})",
            loads["anonymous", who],
            baselines["anonymous", who],
        )
        for who in anonymous
    ]
    return signed_in, anonymous_rows


def quiz_answers(work: Path, database_url: str, sizes: Sizes) -> list[list[str]]:
    """Learners answering lesson 1's quiz over HTTP, each once (a first attempt, graded,
    passed, the lesson completed: a 303 to the lesson), against the bare app storing the
    same rows (the attempt, its answers, the progress completed) with a statement per
    table, in the same database, for as many learners and clients."""
    backend = sa.make_url(database_url).get_backend_name()
    instance = work / f"quiz-{backend}-instance"
    app = bench_app(database_url, SHIPPED, instance)
    with app.app_context():
        database.upgrade_to_latest()
        lesson = app.extensions["catalogue"].course(LAB_SLUG).published_lessons[0]
    learners = _new_learners(app, sizes.quiz_learners)
    # The notice confirmed and the lesson started through the app's services, as the
    # learner's confirming it would: the answers are what is measured.
    with app.test_request_context("/es/"):
        version = notice_for(lesson).version
        for user_id in learners:
            privacy.acknowledge(db.session, user_id, lesson, version, "es")
            progress.record_start(db.session, user_id, lesson)
        db.session.remove()
    cookies = [signed_in_cookie(app, user_id) for user_id in learners]
    with app.app_context():
        db.engine.dispose()
    quiz = lesson.quiz
    chosen = {f"q-{q.id}": sorted(q.correct_ids) for q in quiz.questions}
    path = f"/es/courses/{lesson.course}/lessons/{lesson.slug}/quiz"
    env = server_env(database_url, SHIPPED, instance)
    clients = sizes.load_connections

    def answer(connection: http.client.HTTPConnection, job: int) -> int:
        cookie, token = cookies[job]
        body = [("csrf_token", token), ("attempt", "1")]
        body += [(name, option) for name, options in chosen.items() for option in options]
        connection.request(
            "POST",
            path,
            body=urlencode(body),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        return 200 if response.status == 303 else max(response.status, 400)

    with gunicorn("app:create_app()", env, work / f"quiz-{backend}.log") as base:
        app_load, app_seconds = each_once(base, answer, len(learners), clients)
    with app.app_context():
        stored = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM quiz_attempts a JOIN lesson_progress p "
                "ON p.user_id = a.user_id AND p.course = a.course "
                "AND p.lesson_slug = a.lesson_slug WHERE p.completed_at IS NOT NULL"
            )
        )
        db.engine.dispose()
    bare_answers = json.dumps(
        {
            question.id: options
            for question, options in zip(quiz.questions, chosen.values(), strict=True)
        }
    )

    def store(connection: http.client.HTTPConnection, job: int) -> int:
        body = {"course": lesson.course, "lesson": lesson.slug, "number": "2"}
        connection.request(
            "POST",
            f"/quiz/{learners[job]}",
            body=urlencode({**body, "answers": bare_answers}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        return 200 if response.status == 303 else max(response.status, 400)

    bare_env = dict(env, BARE_DATABASE_URL=database_url)
    with gunicorn("bench.bare:app", bare_env, work / f"quiz-bare-{backend}.log") as bare:
        baseline, bare_seconds = each_once(bare, store, len(learners), clients)
    return [
        [
            f"{backend}: quiz answers, {len(learners):,} learners each once, a first attempt "
            f"graded and passed ({clients} clients)",
            f"{app_load.requests_per_second:.0f} req/s, p50 {app_load.p50_ms:.0f} ms, "
            f"p99 {app_load.p99_ms:.0f} ms, {app_load.errors} errors "
            f"({stored:,} attempts stored, lessons completed)",
            f"{baseline.requests_per_second:.0f} req/s, p99 {baseline.p99_ms:.0f} ms, "
            f"{baseline.errors} errors (the same rows, a statement per table)",
            f"{app_load.requests_per_second / baseline.requests_per_second:.2f}×",
        ]
    ]


def _peak_megabytes(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), None once it has exited. Read
    from /proc: a forked child's own rusage would count the parent's memory too."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def _run_measured(command: list[str], env: dict[str, str], output: Path) -> tuple[float, float]:
    """Wall time and peak memory (MB) of a command writing to `output`."""
    peak = 0.0
    errors = output.with_suffix(".errors")
    with output.open("wb") as sink, errors.open("wb") as complaints:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=sink, stderr=complaints)
        while process.poll() is None:
            peak = max(peak, _peak_megabytes(process.pid) or 0.0)
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {errors.read_text(errors='replace')}")
    return seconds, peak


def _median_time_peak_memory(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(seconds for seconds, _ in runs), max(peak for _, peak in runs)


def _utc_text(backend: str, column: str) -> str:
    """A time as the app's reports write it, ISO 8601 UTC to the second, made by the
    database (as `app.database.utc_text` does)."""
    if backend == "sqlite":
        return f"strftime('%Y-%m-%dT%H:%M:%SZ', {column})"
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def progress_sql(
    course,
    backend: str,
    registered_before: str | None = None,
    cohort: int | None = None,
) -> str:
    """The progress report of `course` as one SQL query, for the database's own CSV export:
    every account (each with their cohort's name in the course, if any), or the members of
    one cohort; times written as the app writes them."""
    slug = course.slug
    values = ", ".join(f"({lesson.number}, '{lesson.slug}')" for lesson in course.published_lessons)
    where = f"WHERE u.created_at < '{registered_before}'" if registered_before else ""
    if cohort is None:
        members = f"LEFT JOIN memberships m ON m.user_id = u.id AND m.course = '{slug}'"
        scored = ""
    else:
        members = (
            f"JOIN memberships m ON m.user_id = u.id AND m.course = '{slug}' "
            f"AND m.cohort_id = {cohort}"
        )
        scored = (
            f" AND user_id IN (SELECT user_id FROM memberships WHERE course = '{slug}' "
            f"AND cohort_id = {cohort})"
        )
    return (
        f"WITH lessons(number, slug) AS (VALUES {values}), "
        "scores AS (SELECT user_id, lesson_slug, round(max(100.0 * points / max_points), 1) "
        f"AS best, count(*) AS attempts FROM quiz_attempts WHERE course = '{slug}'{scored} "
        "GROUP BY user_id, lesson_slug) "
        "SELECT u.id AS learner_id, u.email, u.display_name, u.language, c.name AS cohort, "
        "l.number AS lesson_number, l.slug AS lesson_slug, "
        f"{_utc_text(backend, 'p.started_at')} AS started_at, "
        f"{_utc_text(backend, 'p.completed_at')} AS completed_at, "
        "s.best AS best_quiz_score, coalesce(s.attempts, 0) AS quiz_attempts "
        f"FROM users u {members} LEFT JOIN cohorts c ON c.id = m.cohort_id "
        "CROSS JOIN lessons l "
        "LEFT JOIN lesson_progress p ON p.user_id = u.id "
        f"AND p.course = '{slug}' AND p.lesson_slug = l.slug "
        "LEFT JOIN scores s ON s.user_id = u.id AND s.lesson_slug = l.slug "
        f"{where} ORDER BY u.id, l.number"
    )


def _lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for _ in file) - 1


def _first_row(path: Path) -> list[str]:
    """The first row under the header, as values: the tools quote differently."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file)
        next(rows)
        return next(rows)


def _database_csv(database_url: str, sql: str) -> tuple[list[str], str]:
    """The command that has the database itself write the query's rows as CSV, and its
    name."""
    if sa.make_url(database_url).get_backend_name() == "sqlite":
        path = sa.make_url(database_url).database
        return ["sqlite3", "-csv", "-header", path, sql], "sqlite3 -csv"
    plain = sa.make_url(database_url).set(drivername="postgresql")
    copy = f"\\copy ({sql}) TO STDOUT CSV HEADER"
    return ["psql", plain.render_as_string(hide_password=False), "-c", copy], "psql \\copy"


@dataclass(frozen=True)
class CsvExport:
    row: list[str]
    seconds: float
    peak_megabytes: float


def _csv_against_database(
    work: Path,
    env: dict[str, str],
    label: str,
    app_options: list[str],
    database_url: str,
    sql: str,
    sizes: Sizes,
) -> CsvExport:
    """`flask reports export` to CSV with `app_options`, against the database's own CSV of
    `sql`, run in turn `sizes.export_runs` times: the medians are compared, so that a
    moment when the machine is slow weighs on neither side alone."""
    backend = sa.make_url(database_url).get_backend_name()
    app_file, db_file = work / f"app-{backend}.csv", work / f"db-{backend}.csv"
    app_command = [*FLASK_EXPORT, "--format", "csv", *app_options]
    db_command, tool = _database_csv(database_url, sql)
    app_runs, db_runs = [], []
    for _ in range(sizes.export_runs):
        app_runs.append(_run_measured(app_command, env, app_file))
        db_runs.append(_run_measured(db_command, env, db_file))
    app_seconds, app_memory = _median_time_peak_memory(app_runs)
    db_seconds, db_memory = _median_time_peak_memory(db_runs)
    app_rows, db_rows = _lines(app_file), _lines(db_file)
    assert app_rows == db_rows, (label, app_rows, db_rows)
    first_rows = [_first_row(file) for file in (app_file, db_file)]
    assert first_rows[0] == first_rows[1], ("the same text, times included", *first_rows)
    runs = f", median of {sizes.export_runs}" if sizes.export_runs > 1 else ""
    row = [
        f"{backend}: {label} ({app_rows:,} rows)",
        f"{app_seconds:.2f} s, peak {app_memory:.0f} MB{runs}",
        f"{db_seconds:.2f} s, peak {db_memory:.0f} MB ({tool}{runs})",
        f"{app_seconds / db_seconds:.2f}×",
    ]
    return CsvExport(row, app_seconds, app_memory)


def _flat_memory(label: str, large: CsvExport, small: CsvExport) -> list[str]:
    return [
        label,
        f"{large.peak_megabytes:.0f} MB against {small.peak_megabytes:.0f} MB",
        "flat: within 20%",
        f"{large.peak_megabytes / small.peak_megabytes:.2f}×",
    ]


FLASK_EXPORT = [sys.executable, "-m", "flask", "--app", "app", "reports", "export"]


def exports(work: Path, database_url: str, course: Path, seeded, sizes: Sizes) -> list[list[str]]:
    """The app's streaming export (`flask reports export`) against the database's own CSV
    export of the same query: sqlite3 -csv, or psql's \\copy, for a tenth of the learners
    and for all of them. The longer XLSX export runs once."""
    backend = sa.make_url(database_url).get_backend_name()
    env = server_env(database_url, course, work / f"export-{backend}-instance")
    loaded = load_course(course)
    before = seeded.tenth_signed_up_before
    cutoff = (before.fromordinal(before.toordinal() + 1)).isoformat()
    tenth = _csv_against_database(
        work,
        env,
        "progress CSV, a tenth of the learners",
        ["--registered-to", before.isoformat()],
        database_url,
        progress_sql(loaded, backend, cutoff),
        sizes,
    )
    every = _csv_against_database(
        work,
        env,
        "progress CSV, all learners",
        [],
        database_url,
        progress_sql(loaded, backend),
        sizes,
    )
    rows = [
        tenth.row,
        every.row,
        _flat_memory(f"{backend}: peak memory, all learners against a tenth", every, tenth),
    ]
    xlsx_file = work / f"app-{backend}.xlsx"
    xlsx_seconds, xlsx_memory = _run_measured([*FLASK_EXPORT, "--format", "xlsx"], env, xlsx_file)
    rows.append(
        [
            f"{backend}: progress XLSX, all learners",
            f"{xlsx_seconds:.2f} s, peak {xlsx_memory:.0f} MB",
            f"{every.seconds:.2f} s (the app's CSV)",
            f"{xlsx_seconds / every.seconds:.2f}×",
        ]
    )
    return rows


def last_30_days() -> str:
    """The dashboard's query for learners who signed up in the 30 days up to the run."""
    today = dt.date.today()
    return f"registered_from={today - dt.timedelta(days=30)}&registered_to={today}"


def dashboard_filters(seeded) -> list[tuple[str, str]]:
    """Every filter of the admin dashboard on the seeded database, one at a time, then all
    at once: each is (what, query string)."""
    dates = last_30_days()
    return [
        ("unfiltered", ""),
        ("language es", "language=es"),
        ("role learner", "role=learner"),
        ("signed up in the last 30 days", dates),
        ("signed up before the first tenth", f"registered_to={seeded.tenth_signed_up_before}"),
        ("course", f"course={LAB_SLUG}"),
        ("course, in no cohort", f"course={LAB_SLUG}&cohort=none"),
        ("every filter at once", f"course={LAB_SLUG}&language=es&role=learner&{dates}"),
    ]


def dashboard(work: Path, database_url: str, course: Path, seeded) -> list[list[str]]:
    """The admin dashboard on the seeded database, unfiltered and with each filter, against
    the course page, in-process. The course page is made each time, as the dashboard is,
    rather than served kept. Target: under 150 ms, or 20 times the course page."""
    app = bench_app(database_url, course, work / "dashboard-instance", KEPT_LEARNER_PAGES=0)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == 1).values(role="admin"))
        db.session.commit()
    client = _signed_in_client(app, 1)
    backend = sa.make_url(database_url).get_backend_name()
    baseline = _median_page_time(client, "/en/", 5)
    rows = []
    for what, query in dashboard_filters(seeded):
        seconds = _median_page_time(client, f"/en/admin/?{query}" if query else "/en/admin/", 5)
        rows.append(
            [
                f"{backend}: admin dashboard, {what}" + (f" (`?{query}`)" if query else ""),
                f"{seconds * 1000:.0f} ms (median of 5)",
                f"{baseline * 1000:.0f} ms (the course page)",
                f"{seconds / baseline:.1f}×",
            ]
        )
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == 1).values(role="learner"))
        db.session.commit()
        db.engine.dispose()
    return rows


def _median_page_time(client, path: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def _signed_in_client(app, user_id: int):
    client = app.test_client()
    name, value = signed_in_cookie(app, user_id)[0].split("=", 1)
    client.set_cookie(name, value)
    return client


def site_pages(work: Path, database_url: str, lessons: Path, site: Site, sizes: Sizes):
    """On the seeded site, in-process: the admin dashboard, as it opens and filtered by the
    largest course and by its largest cohort, the admin list of accounts, the page of a
    cohort for its trainer (the largest cohort, and one of median size) and the largest
    cohort's quiz statistics. Each against the course page, made each time rather than
    served kept. Target: under 300 ms each; the admin list of accounts, paged, sorted and
    searched, under 200 ms."""
    backend = sa.make_url(database_url).get_backend_name()
    app = bench_app(database_url, lessons, work / "site-pages-instance", KEPT_LEARNER_PAGES=0)
    course = site.largest_course
    cohort = next(cohort for cohort in site.cohorts if cohort.course == course)
    admin = _signed_in_client(app, site.admin_id)
    repeats = max(sizes.repeats, 1)
    baseline = _median_page_time(admin, f"/en/courses/{course}/", repeats)
    pages = [
        ("admin dashboard", admin, "/en/admin/"),
        (
            f"admin dashboard, one course ({site.members[course]:,} learners)",
            admin,
            f"/en/admin/?course={course}",
        ),
        (
            f"admin dashboard, one cohort ({cohort.members:,} learners)",
            admin,
            f"/en/admin/?cohort={cohort.id}",
        ),
        (
            "admin dashboard, one course, in no cohort",
            admin,
            f"/en/admin/?course={course}&cohort=none",
        ),
        ("admin dashboard, language es", admin, "/en/admin/?language=es"),
        ("admin dashboard, role learner", admin, "/en/admin/?role=learner"),
        ("admin dashboard, signed up in the last 30 days", admin, f"/en/admin/?{last_30_days()}"),
        (
            "admin dashboard, one cohort, language es, role learner, last 30 days",
            admin,
            f"/en/admin/?course={course}&cohort={cohort.id}&language=es&role=learner"
            f"&{last_30_days()}",
        ),
    ]
    for which, led in (("largest", site.cohorts[0]), ("median", site.median_cohort)):
        trainer = _signed_in_client(app, led.trainer_id)
        pages.append(
            (
                f"trainer's cohort page, the {which} cohort ({led.members:,} learners)",
                trainer,
                f"/en/author/cohorts/{led.id}",
            )
        )
    # The admin list of accounts, as an admin pages, sorts and searches it (target: under
    # 200 ms each): its first page, a page far in sorted by name backwards, a search by
    # part of an address, and one that matches nearly every account, far in.
    pages += [
        ("admin list of accounts, first page", admin, "/en/admin/users"),
        (
            "admin list of accounts, by name backwards, page 1,000",
            admin,
            "/en/admin/users?sort=name&order=desc&page=1000",
        ),
        ("admin list of accounts, search 'learner4242'", admin, "/en/admin/users?q=learner4242"),
        (
            "admin list of accounts, search 'example' (every account), page 1,000",
            admin,
            "/en/admin/users?q=example&page=1000",
        ),
    ]
    largest = site.cohorts[0]
    pages.append(
        (
            f"trainer's quiz statistics, the largest cohort ({largest.members:,} learners)",
            _signed_in_client(app, largest.trainer_id),
            f"/en/author/cohorts/{largest.id}/quizzes",
        )
    )
    rows = []
    for what, client, path in pages:
        seconds = _median_page_time(client, path, repeats)
        rows.append(
            [
                f"{backend}: {what}",
                f"{seconds * 1000:.0f} ms (median of {repeats})",
                f"{baseline * 1000:.0f} ms (the course page)",
                f"{seconds / baseline:.1f}×",
            ]
        )
    with app.app_context():
        db.engine.dispose()
    return rows


def site_lesson_page(work: Path, database_url: str, lessons: Path, site: Site, sizes: Sizes):
    """Lesson 1 of the site's largest course under gunicorn, anonymous and signed in as a
    member of one of its cohorts, against the bare app serving the same bytes."""
    course = load_course(lessons / site.largest_course)
    member = next(c for c in site.cohorts if c.course == course.slug).member_id
    path = f"/es/courses/{course.slug}/lessons/{course.published_lessons[0].slug}"
    env = server_env(database_url, lessons, work / "site-lesson-instance")
    return _lesson_page_loads(
        work,
        "site-pages",
        env,
        lessons,
        path,
        lambda _app: member,
        sizes,
        f"lesson 1 page of {site.learners:,} learners' site",
    )


def cohort_exports(
    work: Path, database_url: str, lessons: Path, site: Site, sizes: Sizes
) -> list[list[str]]:
    """`flask reports export --cohort`, the largest cohort and the smallest, each against
    the database's own CSV of the same rows: the app's peak memory stays the same."""
    backend = sa.make_url(database_url).get_backend_name()
    env = server_env(database_url, lessons, work / f"cohort-export-{backend}-instance")
    measured = {}
    for which, cohort in (("largest", site.cohorts[0]), ("smallest", site.cohorts[-1])):
        course = load_course(lessons / cohort.course)
        measured[which] = _csv_against_database(
            work,
            env,
            f"progress CSV, the {which} cohort, {cohort.members:,} learners",
            ["--cohort", str(cohort.id)],
            database_url,
            progress_sql(course, backend, cohort=cohort.id),
            sizes,
        )
    return [
        measured["largest"].row,
        measured["smallest"].row,
        _flat_memory(
            f"{backend}: peak memory, the largest cohort against the smallest",
            measured["largest"],
            measured["smallest"],
        ),
    ]


def writes(work: Path, database_url: str, course: Path, sizes: Sizes) -> list[list[str]]:
    """Learners completing lessons at once (confirm the notice, pass the quiz), over HTTP,
    against the bare app doing one INSERT per request, with as many clients."""
    backend = sa.make_url(database_url).get_backend_name()
    instance = work / f"writes-{backend}-instance"
    app = bench_app(database_url, course, instance)
    seed(app, sizes.write_accounts, with_progress=False)
    cookies = [signed_in_cookie(app, user_id) for user_id in range(1, sizes.write_accounts + 1)]
    loaded = load_course(course)
    lessons = loaded.published_lessons
    lesson_path = f"/es/courses/{loaded.slug}/lessons"
    quiz = lessons[0].quiz
    answers = [(f"q-{q.id}", option) for q in quiz.questions for option in sorted(q.correct_ids)]
    env = server_env(database_url, course, instance)
    with gunicorn("app:create_app()", env, work / f"writes-{backend}.log") as base:
        page = request(base, "GET", f"{lesson_path}/{lessons[0].slug}", cookies[0][0])[1]
        version = NOTICE_VERSION.search(page.decode()).group(1)
        # Each client takes the next fresh account whenever its learner has done every lesson.
        state = [{"account": index, "step": 0} for index in range(sizes.writers)]
        completed = [0] * sizes.writers

        def learn(connection: http.client.HTTPConnection, client: int) -> int:
            mine = state[client]
            lesson = lessons[(mine["step"] // 2) % len(lessons)]
            cookie, token = cookies[mine["account"] % len(cookies)]
            if mine["step"] % 2 == 0:
                body = [("csrf_token", token), ("version", version)]
                action = "acknowledge"
            else:
                body = [("csrf_token", token), ("attempt", "1"), *answers]
                action = "quiz"
            connection.request(
                "POST",
                f"{lesson_path}/{lesson.slug}/{action}",
                body=urlencode(body),
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            response.read()
            if action == "quiz" and response.status == 303:
                completed[client] += 1
            mine["step"] += 1
            if mine["step"] == 2 * len(lessons):
                mine["account"] += sizes.writers
                mine["step"] = 0
            return response.status if response.status != 303 else 200

        app_load, calls = threads(base, learn, sizes.write_seconds, sizes.writers)
        used = max(mine["account"] for mine in state) + 1
        assert used <= len(cookies), f"{used} accounts needed: raise write_accounts"
    with app.app_context():
        stored = db.session.scalar(
            sa.text("SELECT count(*) FROM lesson_progress WHERE completed_at IS NOT NULL")
        )
        db.session.execute(
            sa.text("CREATE TABLE IF NOT EXISTS bench_writes (client TEXT, written_at TIMESTAMP)")
        )
        db.session.commit()
        db.engine.dispose()
    bare_env = dict(env, BARE_DATABASE_URL=database_url)
    with gunicorn("bench.bare:app", bare_env, work / f"bare-writes-{backend}.log") as bare:

        def insert(connection: http.client.HTTPConnection, client: int) -> int:
            connection.request("POST", f"/write/{client}", body=b"")
            response = connection.getresponse()
            response.read()
            return response.status

        baseline, _ = threads(bare, insert, sizes.write_seconds, sizes.writers)
    return [
        [
            f"{backend}: {sizes.writers} learners completing lessons, {sizes.write_seconds:.0f} s",
            f"{app_load.requests_per_second:.0f} req/s "
            f"({sum(completed) / sizes.write_seconds:.0f} lessons completed/s, "
            f"{stored:,} stored), p50 {app_load.p50_ms:.0f} ms, "
            f"p99 {app_load.p99_ms:.0f} ms, {app_load.errors} errors in {calls:,} requests",
            f"{baseline.requests_per_second:.0f} req/s, p99 {baseline.p99_ms:.0f} ms "
            "(one INSERT per request)",
            f"{app_load.requests_per_second / baseline.requests_per_second:.2f}×",
        ]
    ]
