"""The schema is made only by Alembic, and the models agree with what it makes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from app import database
from app.extensions import content, db
from app.models import (
    Cohort,
    CohortTrainer,
    Invitation,
    LessonProgress,
    Membership,
    NoticeAcknowledgment,
    NoticeVersion,
    QuizAnswer,
    QuizAttempt,
    User,
    set_apart,
    utcnow,
)
from app.services import accounts, privacy
from config import ROOT
from tests.conftest import NO_POSTGRES, POSTGRES_URL
from tests.web.servers import app_environment


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_the_accounts_set_apart_are_read_from_their_own_index(app):
    """The index of the accounts set apart is partial, and each database uses it only for a
    query whose conditions include the index's: the migration must write it exactly as the
    models query it. On PostgreSQL, the unique keys of progress and attempts carry the
    columns a cohort's page counts (neither is something the models can say)."""
    query = set_apart(sa.true())
    with app.app_context(), db.engine.connect() as connection:
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            assert "ix_users_set_apart" in str(plan)
            return
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        assert "ix_users_set_apart" in str(connection.exec_driver_sql(f"EXPLAIN {sql}").all())
        definitions = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes"
            " WHERE tablename IN ('lesson_progress', 'quiz_attempts')"
        ).scalars()
        carried = {part.partition(" INCLUDE ")[2] for part in definitions} - {""}
        assert carried == {"(started_at, completed_at)", "(submitted_at, passed)"}


def test_migrations_go_down_to_base_and_up_again(app):
    database.bind_migrations(app)
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        flask_migrate.downgrade(directory=directory, revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(directory=directory)
        assert {"users", "lesson_progress"} <= set(sa.inspect(db.engine).get_table_names())


# What serving pages never needs, each imported only by the requests or commands that use
# it: together they took half of every start-up.
NOT_IMPORTED_TO_SERVE = (
    "alembic",  # migrating, when there is something to migrate
    "flask_migrate",
    "sqlalchemy.dialects.postgresql",  # the other database
    "xlsxwriter",  # XLSX exports
    "fpdf",  # certificates as PDF
    "fontTools",
    "segno",  # QR codes: certificates, setting up two-step sign-in
    "PIL",  # pictures trainers send
    "jwt",  # credentials and LTI launches
    "cryptography",
    "email_validator",  # a trainer's list of learners to enrol
    "app.content.gift",  # `flask lessons import-gift`
)


def _imported_when_serving(env: dict[str, str]) -> list[str]:
    serve = (
        "import sys; from app import create_app; create_app(); "
        f"print(*[name for name in {NOT_IMPORTED_TO_SERVE!r} if name in sys.modules])"
    )
    served = subprocess.run(
        [sys.executable, "-c", serve], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert served.returncode == 0, served.stderr
    return served.stdout.split()


def test_serving_imports_only_what_it_uses_and_the_command_line_migrates(tmp_path):
    """Alembic, the PostgreSQL dialect, PDF, QR code, picture and JWT libraries each add 10
    to 200 ms to start-up: a server process on SQLite goes without them, while `flask db
    upgrade` (a deployment step) still brings a new database to the latest migration."""
    env = app_environment(
        tmp_path / "instance", DATABASE_URL=f"sqlite:///{tmp_path / 'aula.db'}", AUTO_MIGRATE="0"
    )
    assert _imported_when_serving(env) == []

    flask = [sys.executable, "-m", "flask", "--app", "app", "db"]
    subprocess.run([*flask, "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    current = subprocess.run(
        [*flask, "current"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    assert "(head)" in current.stdout


def test_a_start_that_migrates_imports_alembic_only_when_there_is_something_to_migrate(
    tmp_path,
):
    """With AUTO_MIGRATE, the first start migrates a new database with Alembic; a start on a
    database already at the latest migration finds so without it."""
    database_file = tmp_path / "aula.db"
    env = app_environment(
        tmp_path / "instance", DATABASE_URL=f"sqlite:///{database_file}", AUTO_MIGRATE="1"
    )
    assert "alembic" in _imported_when_serving(env)
    with sa.create_engine(f"sqlite:///{database_file}").connect() as connection:
        assert "users" in sa.inspect(connection).get_table_names()
    assert _imported_when_serving(env) == []


def test_the_heads_read_without_alembic_are_alembics(app):
    """The start-up check reads the migrations' heads from their scripts' lines: they must be
    the heads Alembic finds, or a start would skip a migration."""
    directory = app.config["MIGRATIONS_DIR"]
    heads = set(ScriptDirectory(directory).get_heads())
    assert database.head_revisions(Path(directory) / "versions") == heads


def test_a_database_behind_the_latest_migration_is_brought_to_it_at_start(app):
    """A start with AUTO_MIGRATE on a database some migrations behind applies them: the
    check without Alembic does not take it for current."""
    database.bind_migrations(app)
    directory = app.config["MIGRATIONS_DIR"]
    with app.app_context():
        flask_migrate.downgrade(directory=directory, revision="-1")
        database.migrate_if_behind()
        applied = db.session.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert set(applied.scalars()) == set(ScriptDirectory(directory).get_heads())


def test_a_migration_written_otherwise_leaves_the_heads_to_alembic(tmp_path):
    """A script whose revision is not one plain line (computed, say) cannot be read without
    Alembic: the check then says it does not know, and Alembic decides."""
    (tmp_path / "20260101_a_first.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "20260102_b_second.py").write_text('revision = "b"\ndown_revision = "a"\n')
    assert database.head_revisions(tmp_path) == {"b"}
    (tmp_path / "20260103_c_third.py").write_text('revision = "c" + ""\ndown_revision = "b"\n')
    assert database.head_revisions(tmp_path) is None


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


# Courses and cohorts: what was recorded before is the default course's.
BEFORE_COURSES = "2a7d5e9c1b34"
COURSES_AND_COHORTS = "4c1d8e2b7a90"
DEFAULT_COURSE = "co-production"
COURSE_TABLES = ("lesson_progress", "quiz_attempts", "notice_acknowledgments", "notice_versions")
# The tables whose rows raise their learner's state version, and a statement of each kind.
TRIGGERED = {
    "lesson_progress": (
        "INSERT INTO lesson_progress (user_id, lesson_slug, started_at, extra_attempts)"
        " VALUES (:user, 'later', :at, 0)",
        "UPDATE lesson_progress SET completed_at = :at WHERE user_id = :user",
        "DELETE FROM lesson_progress WHERE user_id = :user AND lesson_slug = 'later'",
    ),
    "quiz_attempts": (
        "INSERT INTO quiz_attempts (user_id, lesson_slug, number, language, submitted_at,"
        " points, max_points, passed) VALUES (:user, 'later', 1, 'pt', :at, 0, 1, :no)",
        "UPDATE quiz_attempts SET points = 1 WHERE user_id = :user AND lesson_slug = 'later'",
        "DELETE FROM quiz_attempts WHERE user_id = :user AND lesson_slug = 'later'",
    ),
    "notice_acknowledgments": (
        "INSERT INTO notice_acknowledgments (user_id, lesson_slug, notice_version, language,"
        " acknowledged_at) VALUES (:user, 'later', 'v9', 'pt', :at)",
        "UPDATE notice_acknowledgments SET language = 'es' WHERE user_id = :user",
        "DELETE FROM notice_acknowledgments WHERE user_id = :user AND lesson_slug = 'later'",
    ),
}
# Naive UTC, as the columns keep it; a second apart, in the order the learners acted.
SEEDED_AT = [dt.datetime(2026, 11, 1, 9, 0, second) for second in range(10)]


def table_counts() -> dict[str, int]:
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    return {
        table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        for table in sorted(tables)
    }


def schema() -> dict[str, Any]:
    """Every table's columns, keys, indexes and foreign keys, and the triggers, as the
    database reports them."""
    inspector = sa.inspect(db.engine)
    tables = {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            inspector.get_pk_constraint(table)["constrained_columns"],
            sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            sorted(
                (i["name"], tuple(i["column_names"]), i["unique"])
                for i in inspector.get_indexes(table)
            ),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], f["options"].get("ondelete"))
                for f in inspector.get_foreign_keys(table)
            ),
        )
        for table in inspector.get_table_names()
    }
    return {"tables": tables, "triggers": sorted(triggers())}


def triggers() -> set[tuple[str, str]]:
    """(trigger, table) for every trigger in the database."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT DISTINCT trigger_name, event_object_table FROM information_schema.triggers"
    else:
        query = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    return {(name, table) for name, table in db.session.execute(sa.text(query))}


def insert(sql: str, **values) -> int:
    return db.session.execute(sa.text(f"{sql} RETURNING id"), values).scalar_one()


def seed_before_courses() -> dict[str, int]:
    """Accounts and what they did, written as the schema before courses keeps them: Ana
    read and started lessons and took a quiz, Bo only read a notice, Dora started a lesson
    before notices were asked for, Cy and the admin did nothing in the course."""
    users = {
        name: insert(
            "INSERT INTO users (email, display_name, password_hash, role, is_active,"
            " created_at, session_token) VALUES (:email, :name, 'x', :role, :yes, :at, :token)",
            email=f"{name}@example.org",
            name=name,
            role="admin" if name == "admin" else "learner",
            yes=True,
            at=SEEDED_AT[0],
            token=f"token {name}",
        )
        for name in ("ana", "bo", "cy", "dora", "admin")
    }
    acknowledged = [("ana", "first", 1), ("ana", "second", 3), ("bo", "first", 5)]
    for name, slug, at in acknowledged:
        insert(
            "INSERT INTO notice_acknowledgments (user_id, lesson_slug, notice_version,"
            " language, acknowledged_at) VALUES (:user, :slug, 'v1', 'pt', :at)",
            user=users[name],
            slug=slug,
            at=SEEDED_AT[at],
        )
    for name, slug, at in [("ana", "first", 2), ("ana", "second", 4), ("dora", "first", 6)]:
        insert(
            "INSERT INTO lesson_progress (user_id, lesson_slug, started_at, completed_at,"
            " extra_attempts) VALUES (:user, :slug, :at, :done, 1)",
            user=users[name],
            slug=slug,
            at=SEEDED_AT[at],
            done=SEEDED_AT[at + 1] if slug == "first" else None,
        )
    for number, passed in ((1, False), (2, True)):
        attempt = insert(
            "INSERT INTO quiz_attempts (user_id, lesson_slug, number, language, submitted_at,"
            " points, max_points, passed) VALUES (:user, 'first', :number, 'pt', :at, :points,"
            " 2, :passed)",
            user=users["ana"],
            number=number,
            at=SEEDED_AT[2 + number],
            points=2 if passed else 1,
            passed=passed,
        )
        for question in ("q1", "q2"):
            insert(
                "INSERT INTO quiz_answers (attempt_id, question_id, selected, is_correct)"
                " VALUES (:attempt, :question, :selected, :right)",
                attempt=attempt,
                question=question,
                selected='["a"]',
                right=passed,
            )
    db.session.execute(
        sa.text(
            "INSERT INTO notice_versions (lesson_slug, version, first_shown_at)"
            " VALUES ('first', 'v1', :at), ('second', 'v1', :at)"
        ),
        {"at": SEEDED_AT[0]},
    )
    insert(
        "INSERT INTO consent_events (user_id, purpose, granted, text_version, language,"
        " recorded_at) VALUES (:user, 'course-improvement', :yes, 'v', 'pt', :at)",
        user=users["ana"],
        yes=True,
        at=SEEDED_AT[2],
    )
    insert(
        "INSERT INTO audit_log (actor_id, action, subject_ref, details, recorded_at)"
        " VALUES (:admin, 'export', :about, :details, :at)",
        admin=users["admin"],
        about=f"user #{users['ana']}",
        details='{"by": "staff"}',
        at=SEEDED_AT[3],
    )
    db.session.commit()
    return users


def add_another_courses_records(users: dict[str, int]) -> None:
    """What a second course and its cohorts write, with the models of the new schema."""
    other = "writing-lessons"
    cohort = Cohort(course=other, name="Autumn", join_code="autumn")
    attempt = QuizAttempt(
        user_id=users["cy"],
        course=other,
        lesson_slug="first",  # the same slug as the default course's lesson
        number=1,
        language="en",
        submitted_at=utcnow(),
        points=1,
        max_points=1,
        passed=True,
    )
    db.session.add_all([cohort, attempt])
    db.session.flush()
    db.session.add_all(
        [
            QuizAnswer(attempt_id=attempt.id, question_id="q1", selected=["a"], is_correct=True),
            LessonProgress(
                user_id=users["ana"], course=other, lesson_slug="first", started_at=utcnow()
            ),
            NoticeAcknowledgment(
                user_id=users["ana"],
                course=other,
                lesson_slug="first",
                notice_version="v1",
                language="en",
                acknowledged_at=utcnow(),
            ),
            NoticeVersion(course=other, lesson_slug="first", version="v1", first_shown_at=utcnow()),
            Membership(user_id=users["cy"], course=other, cohort_id=cohort.id),
            CohortTrainer(cohort_id=cohort.id, user_id=users["admin"]),
            Invitation(
                cohort_id=cohort.id,
                email="new@example.org",
                token_hash="hash",
                invited_by=users["admin"],
                created_at=utcnow(),
                expires_at=utcnow(),
            ),
        ]
    )
    db.session.commit()


def state_version(user_id: int) -> int:
    db.session.commit()
    return db.session.scalar(
        sa.text("SELECT state_version FROM users WHERE id = :id"), {"id": user_id}
    )


def migrate_to(revision: str, *, down: bool = False) -> None:
    """Migrate once the session has let go of the tables (PostgreSQL's ALTER TABLE waits
    for every transaction that read them)."""
    db.session.rollback()
    db.session.close()
    directory = current_app.config["MIGRATIONS_DIR"]
    (flask_migrate.downgrade if down else flask_migrate.upgrade)(directory, revision)


def test_records_before_courses_move_to_the_default_course_and_back_unchanged(app):
    """Upgrading keeps every row, gives each the default course and makes everyone who
    started or read a lesson a member of its implicit cohort; downgrading keeps every row
    there was, and the schema and triggers there were (SQLite copies the altered tables)."""
    database.bind_migrations(app)
    with app.app_context():
        try:
            migrate_to(BEFORE_COURSES, down=True)
            users = seed_before_courses()
            counts, before = table_counts(), schema()
            assert all(counts[table] for table in COURSE_TABLES + ("quiz_answers",))

            migrate_to(COURSES_AND_COHORTS)
            upgraded = table_counts()
            new_tables = {"cohorts": 0, "cohort_trainers": 0, "invitations": 0, "memberships": 3}
            assert upgraded == {**counts, **new_tables}
            for table in COURSE_TABLES:
                courses = db.session.scalars(sa.text(f"SELECT DISTINCT course FROM {table}"))
                assert list(courses) == [DEFAULT_COURSE], table
            joined = db.session.execute(
                sa.select(
                    Membership.user_id,
                    Membership.course,
                    Membership.cohort_id,
                    Membership.joined_at,
                ).order_by(Membership.user_id)
            ).all()
            # Each from their first step: a notice read, or a lesson started without one.
            assert joined == [
                (users[name], DEFAULT_COURSE, None, SEEDED_AT[at].replace(tzinfo=dt.UTC))
                for name, at in (("ana", 1), ("bo", 5), ("dora", 6))
            ]
            migrate_to("head")
            # The latest of joining, a lesson started or completed and a quiz answered.
            active = db.session.execute(
                sa.select(Membership.user_id, Membership.active_at).order_by(Membership.user_id)
            ).all()
            assert active == [
                (users[name], SEEDED_AT[at].replace(tzinfo=dt.UTC))
                for name, at in (("ana", 4), ("bo", 5), ("dora", 7))
            ]
            ana = users["ana"]
            assert set(triggers()) >= {
                (f"{table}_state_version{suffix}", table)
                for table in ("memberships", "cohort_trainers", *TRIGGERED)
                for suffix in (
                    ("",)
                    if db.engine.dialect.name == "postgresql"
                    else ("_insert", "_update", "_delete")
                )
            }
            moved = state_version(ana)
            db.session.execute(sa.update(Membership).values(joined_at=utcnow()))
            assert state_version(ana) > moved, "a membership raises its learner's version"

            add_another_courses_records(users)
            migrate_to(BEFORE_COURSES, down=True)
            assert table_counts() == counts, "the other course's records, and only they, go"
            assert schema() == before

            for statements in TRIGGERED.values():
                for statement in statements:
                    version = state_version(ana)
                    db.session.execute(
                        sa.text(statement), {"user": ana, "at": utcnow(), "no": False}
                    )
                    assert state_version(ana) > version, statement
        finally:
            migrate_to("head")
