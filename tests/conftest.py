"""Fixtures: a migrated database per test (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), the app, and a client that fills in CSRF tokens like a browser."""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from werkzeug.datastructures import MultiDict

from app import create_app, database
from app.extensions import db
from app.mail import wait_for_mail
from app.models import Role
from app.services import accounts
from app.services.outbox import wait_for_deliveries
from config import ROOT, TestConfig
from tests.lrs import LearningRecordStore, running_store

# The command line speaks the terminal's language: the tests read English unless they ask.
os.environ["LANGUAGE"] = "en"

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
NO_POSTGRES = (
    "PostgreSQL tests need TEST_DATABASE_URL "
    "(.ci/run sets it when a server answers on 127.0.0.1:5432)"
)
LESSONS_DIR = ROOT / "lessons"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ATTEMPT_FIELD = re.compile(r'name="attempt" value="(\d+)"')
NOTICE_VERSION_FIELD = re.compile(r'name="version" value="([0-9a-f]+)"')


def right_answers(quiz) -> list[tuple[str, str]]:
    """A quiz form's answers with every question right."""
    return [(f"q-{q.id}", option) for q in quiz.questions for option in sorted(q.correct_ids)]


def wrong_answers(quiz) -> list[tuple[str, str]]:
    """A quiz form's answers with every question answered, and every one wrong."""
    return [
        (f"q-{q.id}", next(option.id for option in q.options if not option.is_correct))
        for q in quiz.questions
    ]


def run_at_once(app: Flask, workers: int, action: Callable[[], Any]) -> list[Any]:
    """Run `action` in `workers` threads released together, each in its own app context
    (so its own database connection), as concurrent requests would; re-raise any error."""
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(action())
            except BaseException as error:  # noqa: BLE001  (re-raised below)
                errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@contextmanager
def statements_run(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement `engine` runs inside the block, in order."""
    statements: list[str] = []

    def note(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


class _TemplatesCompiledOnce(BytecodeCache):
    """Templates compiled by an earlier test's app, for the next one's: a test makes its
    own app, whose templates Jinja would compile again (a tenth of a second a test). Kept
    by template and source checksum, so a changed template is compiled anew."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def load_bytecode(self, bucket) -> None:
        with self.lock:
            code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        code = bucket.bytecode_to_string()
        with self.lock:
            self.compiled[bucket.key] = code


TEMPLATES_COMPILED_ONCE = _TemplatesCompiledOnce()


def make_app(database_url: str, instance: Path, **overrides) -> Flask:
    """An app on the given database, with its own instance folder."""
    settings = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), **overrides}
    app = create_app(TestConfig, settings)
    app.test_client_class = Browser
    app.jinja_env.bytecode_cache = TEMPLATES_COMPILED_ONCE
    return app


def migrate(app: Flask, revision: str = "head") -> None:
    with app.app_context():
        database.upgrade_to_latest(revision)


def dispose(app: Flask) -> None:
    # A mail job or a delivery still running would find its database gone.
    wait_for_mail(app)
    wait_for_deliveries(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file brought to the latest migration once; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    app = make_app(f"sqlite:///{path}", folder / "instance")
    migrate(app)
    dispose(app)
    return path


@pytest.fixture(scope="session")
def postgres_database(worker_id) -> str:
    """A database of TEST_DATABASE_URL's server for this pytest-xdist worker (the named one
    itself when tests run in one process), emptied once per run."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    url = sa.make_url(POSTGRES_URL)
    if worker_id != "master":
        url = url.set(database=f"{url.database}_{worker_id}")
        server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            found = "SELECT 1 FROM pg_database WHERE datname = :name"
            if connection.scalar(sa.text(found), {"name": url.database}) is None:
                connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
        server.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url.render_as_string(hide_password=False)


@functools.cache
def _head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(ROOT / "migrations")).get_heads())


def _at_head(url: str) -> bool:
    """Whether the database's schema is at the latest migration: a test may have moved it
    (a migration's own test), or none has made it yet."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return False
            found = connection.scalars(sa.text("SELECT version_num FROM alembic_version"))
            return frozenset(found) == _head_revisions()
    finally:
        engine.dispose()


def _empty_all_tables(url: str) -> None:
    """Delete every row, children first, and start every id again from 1. DELETE, not
    TRUNCATE: on tables of a few rows it takes a hundredth of the time (TRUNCATE makes
    new files for each table and its indexes), half a second a test otherwise."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            used = connection.scalars(
                sa.text(
                    "SELECT sequencename FROM pg_sequences"
                    " WHERE schemaname = 'public' AND last_value IS NOT NULL"
                )
            )
            for sequence in used.all():
                connection.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "aula.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        # Migrated once for the worker, and again only after a test moved the schema: an
        # app made and migrated for each test was a third of a PostgreSQL test's time.
        if not _at_head(url):
            app = make_app(url, tmp_path / "migrate-instance")
            migrate(app)
            dispose(app)
        yield url
        _empty_all_tables(url)


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    application = make_app(database_url, tmp_path / "instance")
    yield application
    dispose(application)


@pytest.fixture(scope="session")
def lrs(request, tmp_path_factory) -> Iterator[LearningRecordStore]:
    """A real learning record store (Ralph), started once per run (per pytest-xdist
    worker): tests tell their statements apart by their learners' tokens."""
    cache = Path(request.config.cache.mkdir("ralph"))
    with running_store(cache, tmp_path_factory.mktemp("lrs")) as store:
        yield store


# What the statements name the site by, in tests that make them outside a page.
XAPI_SITE_URL = "https://aula.example.org/"


@pytest.fixture
def xapi_app(database_url, tmp_path, lrs) -> Iterator[Flask]:
    """An app that sends xAPI statements to the test run's learning record store."""
    application = make_app(
        database_url, tmp_path / "instance", **lrs.settings, XAPI_SITE_URL=XAPI_SITE_URL
    )
    yield application
    dispose(application)


@pytest.fixture
def app_context(app) -> Iterator[None]:
    with app.app_context():
        yield


def outbox(app: Flask | Path) -> list[EmailMessage]:
    """The emails an app (or the instance folder of a server) wrote to its development
    outbox, oldest first. Pages queue their mail (`app.mail.send_later`): an app's queue is
    waited for first; a server's outbox may still be missing what it is writing (see
    `latest_link`)."""
    if isinstance(app, Flask):
        wait_for_mail(app)
    folder = Path(app.instance_path if isinstance(app, Flask) else app) / "outbox"
    return [
        message_from_bytes(path.read_bytes(), policy=email_policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def latest_link(app: Flask | Path, address: str, marker: str, wait: float = 10.0) -> str | None:
    """The path of the newest link containing `marker` emailed to `address`, if any. A
    server in another process is given `wait` seconds to write it."""
    pattern = re.compile(rf"https?://[^/\s]+(\S*{re.escape(marker)}\S*)")
    deadline = time.monotonic() + (0 if isinstance(app, Flask) else wait)
    while True:
        for message in reversed(outbox(app)):
            found = pattern.search(message.get_content()) if message["To"] == address else None
            if found:
                return found.group(1)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


class Browser(FlaskClient):
    """A test client that, like a browser, posts forms with the CSRF token of the page."""

    def csrf_token(self, page: str) -> str:
        response = self.get(page)
        match = CSRF_FIELD.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, page: str, action: str | None = None, data: dict | None = None, **kwargs):
        """Open `page`, then post `data` to `action` (default: the page) with its token."""
        form = {"csrf_token": self.csrf_token(page), **(data or {})}
        return self.post(action or page, data=form, **kwargs)

    def acknowledge(self, lang: str, slug: str):
        """Confirm reading a lesson's data notice, with the version its page shows. A notice
        that says the same as one confirmed in another lesson asks for nothing: it is taken
        as read by opening the page, which is returned."""
        opened = self.get(f"/{lang}/courses/co-production/lessons/{slug}")
        page = opened.get_data(as_text=True)
        version = NOTICE_VERSION_FIELD.search(page)
        if version is None and 'class="notice-same"' in page:
            return opened
        assert version, f"no notice to acknowledge on /{lang}/courses/co-production/lessons/{slug}"
        data = {"csrf_token": CSRF_FIELD.search(page).group(1), "version": version.group(1)}
        return self.post(f"/{lang}/courses/co-production/lessons/{slug}/acknowledge", data=data)

    def take_quiz(self, lang: str, lesson, answers, attempt: str | None = None):
        """Answer the lesson's quiz as shown on its page (attempt number included)."""
        page = self.get(f"/{lang}/courses/co-production/lessons/{lesson.slug}").get_data(
            as_text=True
        )
        number = attempt if attempt is not None else ATTEMPT_FIELD.search(page).group(1)
        form = [("csrf_token", CSRF_FIELD.search(page).group(1)), ("attempt", number), *answers]
        return self.post(
            f"/{lang}/courses/co-production/lessons/{lesson.slug}/quiz", data=MultiDict(form)
        )

    def register(self, lang: str = "en", email: str = "ana@example.org", **fields):
        """Sign up, then open the confirmation link the app emailed (to its outbox) and
        press its button: the response is the confirmation's redirect, or the form's answer
        if there is no link."""
        data = {"email": email, "password": "correct horse battery", "display_name": "Ana"}
        data.update(fields)
        response = self.submit(f"/{lang}/register", data=data)
        link = latest_link(self.application, email, "/register/confirm/")
        if response.status_code != 200 or link is None:
            return response
        return self.submit(link)

    def login(self, lang: str = "en", email: str = "ana@example.org", password=None, **kwargs):
        data = {"email": email, "password": password or "correct horse battery"}
        return self.submit(f"/{lang}/login", data=data, **kwargs)


@pytest.fixture
def client(app) -> Browser:
    return app.test_client()


@pytest.fixture
def learner(client) -> Browser:
    """A client signed in as a freshly registered learner."""
    response = client.register()
    assert response.status_code == 303
    return client


def sign_in_as(app, role: Role | None, email: str) -> Browser:
    """A client signed in as a newly registered account, given `role` if one is named."""
    client = app.test_client()
    client.register("en", email=email)
    if role is not None:
        with app.app_context():
            accounts.set_role(db.session, accounts.find_user(db.session, email), role)
    return client


def report(request, line: str) -> None:
    """Keep a line for the end of the run's output (counts a test is asked to report). It
    travels in the test's report, so it reaches the terminal from any pytest-xdist worker."""
    request.node.user_properties.append(("reported", f"{request.node.name}: {line}"))


class ReportedLines:
    """Shows the lines that tests reported, in a section at the end of the run."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_runtest_logreport(self, report) -> None:
        # The teardown report carries every line, those of fixtures' teardowns included.
        if report.when == "teardown":
            self.lines.extend(value for key, value in report.user_properties if key == "reported")

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.lines:
            terminalreporter.section("reported by the tests")
            for line in self.lines:
                terminalreporter.write_line(line)


def pytest_configure(config) -> None:
    config.pluginmanager.register(ReportedLines(), "reported-lines")


# Tests that take more than a minute on their own. Run first, they occupy one worker while
# the other takes the rest, and the first done takes from the other's queue (worksteal);
# run last, they would leave a core idle for their whole length.
LONGEST_FIRST = ("tests/test_bench.py::test_the_benchmark_runs_at_smoke_size_and_reports",)


def pytest_collection_modifyitems(session, config, items) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))


def assert_gone_from_database_files(database_url: str, traces: list[str]) -> None:
    """On SQLite, that none of `traces` is left in the database file or its write-ahead
    log, in free pages included: erased means no bytes behind."""
    if not database_url.startswith("sqlite"):
        return
    path = database_url.removeprefix("sqlite:///")
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as file:
                stored = file.read()
        except FileNotFoundError:
            continue
        for trace in traces:
            assert trace.encode() not in stored, f"{trace} left in {path + suffix}"
