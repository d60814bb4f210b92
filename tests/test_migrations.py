"""The schema is made only by Alembic, and the models agree with what it makes."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import database
from app.extensions import content, db
from app.models import LessonProgress, User, utcnow
from app.services import accounts, privacy
from config import ROOT
from tests.conftest import NO_POSTGRES, POSTGRES_URL
from tests.web.servers import app_environment


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_go_down_to_base_and_up_again(app):
    database.bind_migrations(app)
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        flask_migrate.downgrade(directory=directory, revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(directory=directory)
        assert {"users", "lesson_progress"} <= set(sa.inspect(db.engine).get_table_names())


def test_serving_imports_only_what_it_uses_and_the_command_line_migrates(tmp_path):
    """Alembic and the PostgreSQL dialect each add 40 to 100 ms to start-up: a
    server process on SQLite goes without them, while `flask db upgrade` (a deployment
    step) still brings a new database to the latest migration."""
    env = app_environment(
        tmp_path / "instance", DATABASE_URL=f"sqlite:///{tmp_path / 'aula.db'}", AUTO_MIGRATE="0"
    )
    unused = ("alembic", "sqlalchemy.dialects.postgresql")
    serve = (
        "import sys; from app import create_app; create_app(); "
        f"print(*[name for name in {unused!r} if name in sys.modules])"
    )
    served = subprocess.run(
        [sys.executable, "-c", serve], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert served.returncode == 0 and served.stdout.strip() == "", served.stderr

    flask = [sys.executable, "-m", "flask", "--app", "app", "db"]
    subprocess.run([*flask, "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    current = subprocess.run(
        [*flask, "current"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    assert "(head)" in current.stdout


def test_an_erased_accounts_number_is_never_given_again(app):
    """Erasing the newest account once handed its number to the next sign-up on SQLite,
    and the audit log names accounts by number. Upgrading keeps every row and carries the
    numbers the log has seen."""
    database.bind_migrations(app)
    directory = app.config["MIGRATIONS_DIR"]
    with app.app_context():
        flask_migrate.downgrade(directory=directory, revision="7b3c9d2e1f40")
        lesson = content.course.published_lessons[0]
        # In SQL: the models have columns that this revision's tables have not.
        ids = [
            db.session.execute(
                sa.text(
                    "INSERT INTO users (email, display_name, password_hash, role, is_active,"
                    " created_at, session_token) VALUES (:email, 'N', 'x', 'learner', :yes,"
                    " :now, :token) RETURNING id"
                ),
                {"email": f"n{n}@example.org", "yes": True, "now": utcnow(), "token": f"t{n}"},
            ).scalar_one()
            for n in range(3)
        ]
        db.session.execute(
            sa.text(
                "INSERT INTO lesson_progress (user_id, lesson_slug, started_at)"
                " VALUES (:user_id, :slug, :now)"
            ),
            {"user_id": ids[0], "slug": lesson.slug, "now": utcnow()},
        )
        db.session.commit()
        db.session.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": ids[-1]})
        privacy.record_audit(db.session, None, "erase", privacy.user_ref(ids[-1]))
        flask_migrate.upgrade(directory=directory)

        assert list(db.session.scalars(sa.select(User.id).order_by(User.id))) == ids[:2]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 1
        newcomer = accounts.create_user(
            db.session, email="new@example.org", password="a passphrase", display_name="New"
        )
        newcomer_id = newcomer.id
        assert newcomer_id > ids[-1], "the erased account's number was given again"
        privacy.erase_account(db.session, content.register, newcomer_id)
        again = accounts.create_user(
            db.session, email="again@example.org", password="a passphrase", display_name="A"
        )
        assert again.id > newcomer_id


# Each process imports all it needs, says so, then starts the app when told: the two
# migrate at the same moment, as two hosts restarted together do.
START_WHEN_TOLD = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
import alembic.command, flask_migrate, psycopg, sqlalchemy.dialects.postgresql
from app import create_app
print("ready", flush=True)
sys.stdin.readline()
create_app()
print("up", flush=True)
"""


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A database of its own on TEST_DATABASE_URL's server, new and empty, dropped after."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"aula_fresh_{uuid.uuid4().hex}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()


def test_two_hosts_starting_at_once_on_a_new_database_both_come_up(
    empty_postgres_database, tmp_path
):
    """Each host has its own instance folder, so nothing on disk is shared: the two take
    turns through a lock in the database, and the second finds the schema made."""
    processes = []
    for host in ("a", "b"):
        env = app_environment(
            tmp_path / host, DATABASE_URL=empty_postgres_database, AUTO_MIGRATE="1"
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", START_WHEN_TOLD],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for process in processes:
            assert process.stdout.readline() == "ready\n", process.communicate()[1]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, (stdout, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0 and stdout == "up\n", stderr
    # Alembic names each migration it applies: one host applied them all, the other none.
    applied = sorted(stderr.count("Running upgrade") for _, stderr in results)
    assert applied[0] == 0 and applied[1] > 0, results

    engine = sa.create_engine(empty_postgres_database)
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert versions == [(ScriptDirectory(ROOT / "migrations").get_current_head(),)]


def test_security_events_recorded_before_keep_only_their_network(app):
    database.bind_migrations(app)
    directory = app.config["MIGRATIONS_DIR"]
    with app.app_context():
        flask_migrate.downgrade(directory=directory, revision="9f4b2c6d8e10")
        user_id = db.session.execute(
            sa.text(
                "INSERT INTO users (email, display_name, password_hash, role, is_active,"
                " created_at, session_token) VALUES ('a@example.org', 'A', 'x', 'learner',"
                " :yes, :now, 't') RETURNING id"
            ),
            {"yes": True, "now": utcnow()},
        ).scalar_one()
        stored = ["203.0.113.77", "2001:db8:abcd:12::7", "::ffff:198.51.100.9", "junk", None]
        for address in stored:
            db.session.execute(
                sa.text(
                    "INSERT INTO security_events (user_id, kind, ip_address, occurred_at)"
                    " VALUES (:user, 'signed-in', :address, :now)"
                ),
                {"user": user_id, "address": address, "now": utcnow()},
            )
        db.session.commit()
        flask_migrate.upgrade(directory=directory)
        kept = db.session.scalars(
            sa.text("SELECT ip_address FROM security_events ORDER BY id")
        ).all()
    assert kept == ["203.0.113.0", "2001:db8:abcd::", "198.51.100.0", None, None]
