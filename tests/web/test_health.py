"""`/healthz` for the load balancer."""

from __future__ import annotations

from app.content import load_course
from tests.conftest import ROOT, dispose, make_app


def test_healthz_reports_the_database_and_the_lessons_loaded(client):
    shipped = [load_course(folder.parent) for folder in (ROOT / "lessons").glob("*/course.yml")]
    response = client.get("/healthz")
    assert response.status_code == 200
    published = sum(len(course.published_lessons) for course in shipped)
    assert len(shipped) == 2 and published > 2, "the lessons of every course"
    assert response.get_json() == {"status": "ok", "database": "ok", "lessons": published}


def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'aula.db'}"
    app = make_app(unreachable, tmp_path / "instance")
    response = app.test_client().get("/healthz")
    dispose(app)
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
