"""The development database and outbox hold people's names, addresses and answers: only
their owner may read them, whatever the umask the server was started with."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.mail import send_mail
from config import TestConfig
from tests.conftest import dispose, migrate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=oct)
def umask(request) -> Iterator[int]:
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def test_a_fresh_apps_database_and_outbox_are_its_owners_alone(tmp_path, umask):
    instance = tmp_path / "instance"
    # The development default: a SQLite file in the instance folder.
    app = create_app(TestConfig, {"INSTANCE_PATH": str(instance), "DATABASE_URL": None})
    try:
        migrate(app)
        with app.app_context():
            with db.engine.connect() as connection:
                connection.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
                connection.commit()
                made = {path.name: mode(path) for path in instance.iterdir()}
                assert {"aula.db-wal", "aula.db-shm"} <= made.keys(), "in WAL mode, open"
            send_mail("ana@example.org", "Hello", "A message with a name in it.")
        outbox = instance / "outbox"
        made |= {f"outbox/{path.name}": mode(path) for path in outbox.iterdir()}
    finally:
        dispose(app)
    assert mode(instance) == 0o700 and mode(outbox) == 0o700
    assert {"aula.db", "aula.db-migrate.lock"} <= made.keys()
    assert [name for name in made if name.startswith("outbox/")], "a message was written"
    assert {name: mode for name, mode in made.items() if mode != 0o600} == {}


def test_a_database_named_elsewhere_is_made_for_its_owner_and_its_folder_left_alone(
    tmp_path, umask
):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    app = create_app(
        TestConfig,
        {"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{folder}/x.db"},
    )
    try:
        migrate(app)
    finally:
        dispose(app)
    assert mode(folder) == 0o755
    assert {path.name: mode(path) for path in folder.iterdir()} == {
        "x.db": 0o600,
        "x.db-migrate.lock": 0o600,
    }
