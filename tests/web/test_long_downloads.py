"""Report downloads that outlast gunicorn's --timeout, over real HTTP, under the worker
settings of deploy/aula.service: they arrive whole, and one that the server cannot finish
arrives as an incomplete download, never as a shorter file that looks complete."""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import shlex
import shutil
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from app.extensions import content, db
from app.models import Role
from app.services import accounts
from bench.data import seed
from config import ROOT
from tests.conftest import dispose, make_app
from tests.web.servers import app_environment, free_port, serving

DEPLOY = ROOT / "deploy"
# Short, so that a download held back for twice as long would have been killed by it.
TIMEOUT_SECONDS = 2
HELD_BACK_SECONDS = 2 * TIMEOUT_SECONDS
SECRET_KEY = "long-downloads-secret"
# Enough learners for more batches than the report reads ahead (app/services/reports.py),
# and for every format to outgrow what the sockets between server and client hold.
LEARNERS = 5000


def deploy_command(port: int, timeout: int) -> list[str]:
    """gunicorn as deploy/aula.service starts it (workers, worker class, threads, the
    app), listening on `port`, with --timeout set to `timeout`."""
    unit = (DEPLOY / "aula.service").read_text(encoding="utf-8")
    start = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert start, "deploy/aula.service has no ExecStart line"
    program, *arguments = shlex.split(start.group(1))
    assert Path(program).name == "gunicorn", program
    chosen = {("--bind", "-b"): f"127.0.0.1:{port}", ("--timeout", "-t"): str(timeout)}
    command = [sys.executable, "-m", "gunicorn"]
    words = iter(arguments)
    for word in words:
        name = word.split("=", 1)[0]
        option = next((names for names in chosen if name in names), None)
        if option is None:
            command.append(word)
            continue
        if "=" not in word:
            next(words)
        command += [option[0], chosen.pop(option)]
    for (name, _), value in chosen.items():
        command[-1:-1] = [name, value]  # before the app, which comes last
    return command


@pytest.fixture(scope="module")
def seeded(sqlite_template, tmp_path_factory) -> tuple[Path, str, int]:
    """A SQLite database of LEARNERS learners and an admin: its file, the admin's session
    cookie (signed with the key the server is given), and how many rows the progress
    report has."""
    folder = tmp_path_factory.mktemp("long-downloads")
    path = folder / "seeded.db"
    shutil.copyfile(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", folder / "instance", SECRET_KEY=SECRET_KEY)
    seed(app, LEARNERS)
    client = app.test_client()
    client.register("en", email="admin@example.org")
    with app.app_context():
        admin = accounts.find_user(db.session, "admin@example.org")
        accounts.set_role(db.session, admin, Role.ADMIN)
        rows = (LEARNERS + 1) * len(content.course.published_lessons)
    cookie = f"session={client.get_cookie('session').value}"
    dispose(app)
    return path, cookie, rows


@pytest.fixture(scope="module")
def server(seeded, tmp_path_factory) -> Iterator[tuple[int, Path, Path]]:
    """The app under the deploy's gunicorn settings, on a copy of the seeded database: its
    port, the copy, and the server's log."""
    folder = tmp_path_factory.mktemp("deployed")
    database = folder / "aula.db"
    shutil.copyfile(seeded[0], database)
    port = free_port()
    env = app_environment(
        folder / "instance",
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY=SECRET_KEY,
        AUTO_MIGRATE="0",
    )
    command = deploy_command(port, TIMEOUT_SECONDS)
    log = folder / f"gunicorn-{port}.log"
    with serving(command, env, port, log):
        yield port, database, log


def held_back_download(
    server: tuple[int, Path, Path],
    path: str,
    cookie: str,
    meanwhile: Callable[[], None] = lambda: None,
) -> bytes:
    """The body of GET `path`, read as over a slow connection: the first bytes, then nothing
    for HELD_BACK_SECONDS, then (once `meanwhile` has run) the rest. http.client raises
    IncompleteRead for a body that ends short of its end."""
    port, _, log = server
    sock = socket.socket()
    # The kernel sizes the server's send buffer by the segment size the client announces:
    # at loopback's 64 KiB it takes in megabytes, and the server would have written the
    # whole report before the client stopped reading. Small segments and a small receive
    # buffer leave about a hundred kilobytes in between, so the server waits for the client.
    if hasattr(socket, "TCP_MAXSEG"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.sock = sock
    logged_before = log.stat().st_size
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        assert response.status == 200, response.read()[:500]
        body = response.read(1024)
        time.sleep(HELD_BACK_SECONDS)
        logged = log.read_bytes()[logged_before:].decode(errors="replace")
        assert "WORKER TIMEOUT" not in logged, "gunicorn's timeout killed a worker mid-download"
        # gunicorn logs a request once its response is written: one logged by now went
        # into the sockets whole, and was never held back.
        assert f'"GET {path} ' not in logged, "the server was never held back"
        meanwhile()
        return body + response.read()
    finally:
        connection.close()


def test_every_report_format_arrives_whole_however_long_past_the_timeout(seeded, server):
    _, cookie, rows = seeded
    formats = ("csv", "xlsx", "json")
    with ThreadPoolExecutor(len(formats)) as pool:
        bodies = pool.map(
            lambda output: held_back_download(server, f"/admin/reports/progress.{output}", cookie),
            formats,
        )
        files = dict(zip(formats, bodies, strict=True))
    assert len(list(csv.reader(io.StringIO(files["csv"].decode())))) == rows + 1
    assert len(json.loads(files["json"])) == rows
    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    assert sum(1 for _ in workbook["report"].iter_rows(values_only=True)) == rows + 1
    workbook.close()


def test_a_report_the_database_fails_half_way_through_ends_as_an_incomplete_download(
    seeded, server
):
    """An error while the rows are written must cut the download short: the server then
    closes the connection without the last chunk of the body, which HTTP clients (and
    nginx, speaking HTTP/1.1 to the app) report as a failed download. CSV has no end of
    its own to tell a complete file by."""
    _, cookie, rows = seeded
    _, database, _ = server

    gone = "lesson_progress_gone"
    renamed = []

    def fail_the_database() -> None:
        with sqlite3.connect(database) as connection:
            connection.execute(f"ALTER TABLE lesson_progress RENAME TO {gone}")
        renamed.append(gone)

    try:
        with pytest.raises(http.client.IncompleteRead) as cut:
            held_back_download(server, "/admin/reports/progress.csv", cookie, fail_the_database)
    finally:
        # The server goes on serving the module's other tests.
        if renamed:
            with sqlite3.connect(database) as connection:
                connection.execute(f"ALTER TABLE {gone} RENAME TO lesson_progress")
    assert 0 < cut.value.partial.count(b"\r\n") < rows
    with sqlite3.connect(database) as connection:
        (details,) = connection.execute(
            "SELECT details FROM audit_log WHERE action = 'report' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert json.loads(details)["complete"] is False


def test_the_proxy_speaks_http_1_1_to_the_app_so_a_cut_off_download_shows():
    """Over nginx's default HTTP/1.0 to the app, a response body ends where the connection
    closes, so a report cut off half-way reaches the browser as a complete file."""
    config = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    proxied = [
        block
        for block in re.findall(r"location\s[^{]*\{([^}]*)\}", config)
        if "proxy_pass" in block
    ]
    assert proxied, "deploy/nginx.conf passes nothing to the app"
    for block in proxied:
        directives = {" ".join(line.split()) for line in re.sub("#.*", "", block).split(";")}
        assert "proxy_http_version 1.1" in directives
        assert 'proxy_set_header Connection ""' in directives
