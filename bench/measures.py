"""The five measurements. Each returns rows for RESULTS.md: the app's figure, its baseline
measured in the same run, and their ratio."""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from app.content import load_course
from app.extensions import db
from app.guards import SESSION_SECRET, mark_authenticated
from app.models import User
from app.services import sessions
from bench.data import SECRET_KEY, SHIPPED, bench_app, seed, write_course
from bench.load import Load, get_load, gunicorn, threads
from config import ROOT
from tests.web.servers import app_environment

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


SIZES = {
    "full": Sizes(100_000, (15, 33, 66, 99), 10, 8, 30, 50, 3000, 5, 3),
    "smoke": Sizes(300, (15, 20), 1, 2, 2, 5, 60, 1, 1),
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


def startup(work: Path, sizes: Sizes) -> list[list[str]]:
    """Importing the app and loading the course, against importing a bare Flask app; then
    the loader alone on ever larger courses (a course holds at most 99 lessons)."""
    env = server_env(f"sqlite:///{work / 'startup.db'}", SHIPPED, work / "startup-instance")
    make_app = (
        "from app import create_app; from config import TestConfig; "
        "create_app(TestConfig, {'DATABASE_URL': %r, 'LESSONS_DIR': %r})"
    )
    course_15 = write_course(work / "course-15", 15)
    app_seconds = median_seconds_until_ready(
        make_app % (env["DATABASE_URL"], str(course_15)), env, 5
    )
    bare_seconds = median_seconds_until_ready("import flask; flask.Flask('bare')", env, 5)
    rows = [
        [
            "start-up: import and create the app with 15 lessons × 3 languages, until ready",
            f"{app_seconds * 1000:.0f} ms",
            f"{bare_seconds * 1000:.0f} ms (import a bare Flask app)",
            f"{app_seconds / bare_seconds:.1f}×",
        ]
    ]
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


def page_throughput(work: Path, sizes: Sizes) -> list[list[str]]:
    """Lesson 1 under gunicorn, anonymous and signed in, against the bare app serving the
    same bytes from memory."""
    instance = work / "pages-instance"
    database_url = f"sqlite:///{work / 'pages.db'}"
    env = server_env(database_url, SHIPPED, instance, AUTO_MIGRATE="1")
    lesson = load_course(SHIPPED).published_lessons[0]
    path = f"/es/lessons/{lesson.slug}"
    rows = []
    with gunicorn("app:create_app()", env, work / "pages.log") as base:
        app = bench_app(database_url, SHIPPED, instance)
        cookie, token = signed_in_cookie(app, _sign_up_learner(app, "reader@example.org"))
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
        assert b"Bench" in pages["signed in"] and b"Bench" not in pages["anonymous"]
        measured: dict[str, Load] = {
            "anonymous": get_load(base + path, {}, sizes.load_seconds, sizes.load_connections),
            "signed in": get_load(
                base + path, {"Cookie": cookie}, sizes.load_seconds, sizes.load_connections
            ),
        }
    for who, body in pages.items():
        page_file = work / f"page-{who.replace(' ', '-')}.html"
        page_file.write_bytes(body)
        bare_env = dict(env, BARE_PAGE=str(page_file))
        with gunicorn("bench.bare:app", bare_env, work / "bare.log") as bare:
            baseline = get_load(bare + path, {}, sizes.load_seconds, sizes.load_connections)
        app_load = measured[who]
        rows.append(
            [
                f"lesson 1 page, {who} ({app_load.tool}, {sizes.load_connections} connections)",
                f"{app_load.requests_per_second:.0f} req/s, p50 {app_load.p50_ms:.1f} ms, "
                f"p99 {app_load.p99_ms:.1f} ms, {app_load.errors} errors",
                f"{baseline.requests_per_second:.0f} req/s, p50 {baseline.p50_ms:.1f} ms, "
                f"p99 {baseline.p99_ms:.1f} ms",
                f"{app_load.requests_per_second / baseline.requests_per_second:.2f}×",
            ]
        )
    return rows


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


def progress_sql(lessons, registered_before: str | None) -> str:
    """The progress report as one SQL query, for the database's own CSV export."""
    values = ", ".join(f"({lesson.number}, '{lesson.slug}')" for lesson in lessons)
    where = f"WHERE u.created_at < '{registered_before}'" if registered_before else ""
    return (
        f"WITH lessons(number, slug) AS (VALUES {values}), "
        "scores AS (SELECT user_id, lesson_slug, round(max(100.0 * points / max_points), 1) "
        "AS best, count(*) AS attempts FROM quiz_attempts GROUP BY user_id, lesson_slug) "
        "SELECT u.id AS learner_id, u.email, u.display_name, u.language, "
        "l.number AS lesson_number, l.slug AS lesson_slug, p.started_at, p.completed_at, "
        "s.best AS best_quiz_score, coalesce(s.attempts, 0) AS quiz_attempts "
        "FROM users u CROSS JOIN lessons l "
        "LEFT JOIN lesson_progress p ON p.user_id = u.id AND p.lesson_slug = l.slug "
        "LEFT JOIN scores s ON s.user_id = u.id AND s.lesson_slug = l.slug "
        f"{where} ORDER BY u.id, l.number"
    )


def _lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for _ in file) - 1


def exports(work: Path, database_url: str, course: Path, seeded, sizes: Sizes) -> list[list[str]]:
    """The app's streaming export (`flask reports export`) against the database's own CSV
    export of the same query: sqlite3 -csv, or psql's \\copy. Each CSV export and its
    baseline run in turn, `sizes.export_runs` times: the medians are compared, so that a
    moment when the machine is slow weighs on neither side alone. The longer XLSX export
    runs once."""
    backend = sa.make_url(database_url).get_backend_name()
    env = server_env(database_url, course, work / f"export-{backend}-instance")
    lessons = load_course(course).published_lessons
    flask = [sys.executable, "-m", "flask", "--app", "app", "reports", "export"]
    before = seeded.tenth_signed_up_before
    cutoff = (before.fromordinal(before.toordinal() + 1)).isoformat()
    rows = []
    measured = {}
    runs = f", median of {sizes.export_runs}" if sizes.export_runs > 1 else ""
    for label, app_filter, sql_filter in (
        ("a tenth of the learners", ["--registered-to", before.isoformat()], cutoff),
        ("all learners", [], None),
    ):
        app_file = work / f"app-{backend}.csv"
        app_command = flask + ["--format", "csv", *app_filter]
        db_file = work / f"db-{backend}.csv"
        if backend == "sqlite":
            path = sa.make_url(database_url).database
            db_command = ["sqlite3", "-csv", "-header", path, progress_sql(lessons, sql_filter)]
            tool = "sqlite3 -csv"
        else:
            plain = sa.make_url(database_url).set(drivername="postgresql")
            copy = f"\\copy ({progress_sql(lessons, sql_filter)}) TO STDOUT CSV HEADER"
            db_command = ["psql", plain.render_as_string(hide_password=False), "-c", copy]
            tool = "psql \\copy"
        app_runs, db_runs = [], []
        for _ in range(sizes.export_runs):
            app_runs.append(_run_measured(app_command, env, app_file))
            db_runs.append(_run_measured(db_command, env, db_file))
        app_seconds, app_memory = _median_time_peak_memory(app_runs)
        db_seconds, db_memory = _median_time_peak_memory(db_runs)
        app_rows, db_rows = _lines(app_file), _lines(db_file)
        assert app_rows == db_rows, (app_rows, db_rows)
        measured[label] = (app_seconds, app_memory)
        rows.append(
            [
                f"{backend}: progress CSV, {label} ({app_rows:,} rows)",
                f"{app_seconds:.2f} s, peak {app_memory:.0f} MB{runs}",
                f"{db_seconds:.2f} s, peak {db_memory:.0f} MB ({tool}{runs})",
                f"{app_seconds / db_seconds:.2f}×",
            ]
        )
    small, large = measured["a tenth of the learners"][1], measured["all learners"][1]
    rows.append(
        [
            f"{backend}: peak memory, all learners against a tenth",
            f"{large:.0f} MB against {small:.0f} MB",
            "flat: within 20%",
            f"{large / small:.2f}×",
        ]
    )
    xlsx_file = work / f"app-{backend}.xlsx"
    xlsx_seconds, xlsx_memory = _run_measured(flask + ["--format", "xlsx"], env, xlsx_file)
    csv_seconds = measured["all learners"][0]
    rows.append(
        [
            f"{backend}: progress XLSX, all learners",
            f"{xlsx_seconds:.2f} s, peak {xlsx_memory:.0f} MB",
            f"{csv_seconds:.2f} s (the app's CSV)",
            f"{xlsx_seconds / csv_seconds:.2f}×",
        ]
    )
    return rows


def dashboard(work: Path, database_url: str, course: Path) -> list[list[str]]:
    """The admin dashboard on the seeded database, against the course page, in-process.
    The course page is made each time, as the dashboard is, rather than served kept."""
    app = bench_app(database_url, course, work / "dashboard-instance", KEPT_LEARNER_PAGES=0)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == 1).values(role="admin"))
        db.session.commit()
    client = app.test_client()
    name, value = signed_in_cookie(app, 1)[0].split("=", 1)
    client.set_cookie(name, value)
    timings = {}
    for path in ("/en/admin/", "/en/"):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        timings[path] = statistics.median(times)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == 1).values(role="learner"))
        db.session.commit()
        db.engine.dispose()
    backend = sa.make_url(database_url).get_backend_name()
    return [
        [
            f"{backend}: admin dashboard",
            f"{timings['/en/admin/'] * 1000:.0f} ms (median of 5)",
            f"{timings['/en/'] * 1000:.0f} ms (the course page)",
            f"{timings['/en/admin/'] / timings['/en/']:.1f}×",
        ]
    ]


def writes(work: Path, database_url: str, course: Path, sizes: Sizes) -> list[list[str]]:
    """Learners completing lessons at once (confirm the notice, pass the quiz), over HTTP,
    against the bare app doing one INSERT per request, with as many clients."""
    backend = sa.make_url(database_url).get_backend_name()
    instance = work / f"writes-{backend}-instance"
    app = bench_app(database_url, course, instance)
    seed(app, sizes.write_accounts, with_progress=False)
    cookies = [signed_in_cookie(app, user_id) for user_id in range(1, sizes.write_accounts + 1)]
    lessons = load_course(course).published_lessons
    quiz = lessons[0].quiz
    answers = [(f"q-{q.id}", option) for q in quiz.questions for option in sorted(q.correct_ids)]
    env = server_env(database_url, course, instance)
    with gunicorn("app:create_app()", env, work / f"writes-{backend}.log") as base:
        page = request(base, "GET", f"/es/lessons/{lessons[0].slug}", cookies[0][0])[1]
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
                f"/es/lessons/{lesson.slug}/{action}",
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
