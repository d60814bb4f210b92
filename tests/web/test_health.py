"""`/healthz` for the load balancer."""

from __future__ import annotations

from tests.conftest import dispose, make_app


def test_healthz_reports_the_database_and_the_lessons_loaded(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "lessons": 2}


def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'aula.db'}"
    app = make_app(unreachable, tmp_path / "instance")
    response = app.test_client().get("/healthz")
    dispose(app)
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
