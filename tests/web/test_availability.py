"""A locked or missing SQLite database: a translated 503 and a failing health check, never
a traceback, and service again as soon as the database is back, without a restart."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from app.extensions import db
from tests.conftest import CSRF_FIELD, NOTICE_VERSION_FIELD, dispose, make_app

LESSON = "what-is-co-production"


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    path = tmp_path / "aula.db"
    shutil.copyfile(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", tmp_path / "instance", SQLITE_BUSY_TIMEOUT_MS=300)
    yield app, path
    dispose(app)


def test_a_locked_database_gives_a_translated_503_and_recovers(sqlite_app):
    app, path = sqlite_app
    client = app.test_client()
    client.register("pt")
    assert client.get("/healthz").status_code == 200
    page = client.get(f"/pt/courses/co-production/lessons/{LESSON}").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    version = NOTICE_VERSION_FIELD.search(page).group(1)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
        response = client.post(
            f"/pt/courses/co-production/lessons/{LESSON}/acknowledge",
            data={"csrf_token": token, "version": version},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "Temporariamente indisponível" in html and "Traceback" not in html
        assert (
            client.get(f"/pt/courses/co-production/lessons/{LESSON}").status_code == 200
        )  # reading still works
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert client.get("/healthz").status_code == 200
    assert client.acknowledge("pt", LESSON).status_code == 303


def test_a_missing_database_file_gives_503_then_recovers_without_a_restart(sqlite_app):
    app, path = sqlite_app
    client = app.test_client()
    client.register("es")
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()
    moved = path.with_suffix(".away")
    path.rename(moved)
    path.mkdir()  # where the file was, something SQLite cannot open
    try:
        assert client.get("/healthz").status_code == 503
        page = client.get("/es/account/data")
        assert page.status_code in (302, 503)
        assert "Traceback" not in page.get_data(as_text=True)
        data = client.get("/es/privacy")
        assert data.status_code == 200  # pages that need no database still work
    finally:
        path.rmdir()
        moved.rename(path)
    assert client.get("/healthz").status_code == 200
    assert client.get("/es/account/data").status_code == 200
