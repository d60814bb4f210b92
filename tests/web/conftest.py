"""Apps on small lessons directories written by the test itself."""

from __future__ import annotations

import pytest

from tests.conftest import dispose, make_app
from tests.content.conftest import LessonsDir


@pytest.fixture
def course_app(database_url, tmp_path):
    """Build an app serving a LessonsDir that `write(lessons)` fills in; closed afterwards."""
    built = []

    def build(write, name: str = "custom"):
        lessons = LessonsDir(tmp_path / name)
        write(lessons)
        app = make_app(database_url, tmp_path / f"{name}-instance", LESSONS_DIR=str(lessons.root))
        built.append(app)
        return app

    yield build
    for app in built:
        dispose(app)


# A label longer than the 63 characters a host name may have: no address can be made for
# this host.
BAD_HOST = "a" * 64 + ".example.org"


@pytest.fixture
def proxied_app(database_url, tmp_path):
    """The app as deployed: behind one reverse proxy, whose X-Forwarded-* headers it trusts."""
    app = make_app(database_url, tmp_path / "proxied-instance", TRUSTED_PROXIES=1)
    yield app
    dispose(app)
