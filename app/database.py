"""Database set-up that is not a model: SQLite pragmas, migrations at start-up, health, and
the SQL that differs between SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import fcntl
import importlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from app.extensions import db
from app.files import create_private_file

log = logging.getLogger(__name__)


# The largest number an id column holds, on SQLite and PostgreSQL alike.
LARGEST_ROW_ID = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """A row's id in a URL (`<id:user_id>`): a number larger than any id column can hold
    matches no page, a 404, instead of reaching the database and failing there."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=LARGEST_ROW_ID)


def row_id(text: str) -> int | None:
    """A row's id as a form sends it, or None for text that cannot be one (a number
    larger than any id column can hold would fail in the database, not find nothing)."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= LARGEST_ROW_ID else None


def init_app(app: Flask) -> None:
    """Register the `id` URL converter, and give every SQLite connection WAL, foreign keys
    and a busy timeout."""
    app.url_map.converters["id"] = RowIdConverter
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    _create_private_database(engine.url)
    busy_timeout_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    def set_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets learners read while another request writes; NORMAL is safe with WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        # Erased data is overwritten with zeros, not left readable in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        # SQLite's own lower() leaves every letter outside ASCII as it is (Ñ, Á, Ç).
        dbapi_connection.create_function(
            "unicode_lower", 1, lambda text: text and text.lower(), deterministic=True
        )

    sa.event.listen(engine, "connect", set_pragmas)


def _create_private_database(url: sa.URL) -> None:
    """Create a SQLite database file that does not exist yet, empty (SQLite takes an empty
    file for a new database) and readable by its owner only, before SQLite makes it with
    the umask's 0644. Its -wal and -shm files then follow: SQLite creates them with the
    mode of their database file ("WAL and journal files are created using the same
    permissions as the associated database file", os_unix.c), whatever the umask."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a URI whose options SQLite reads itself
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite refuses it as it would have
    descriptor = create_private_file(path)
    if descriptor is not None:
        os.close(descriptor)


def built_once(session: Session, key: tuple, build: Callable[[], sa.Executable]) -> sa.Executable:
    """The statement `build` makes for the session's database, built the first time `key`
    is asked for on that database: learners' every start and answer asks a few, and
    building one costs more than the database takes to run it."""
    kept_as = (session.get_bind().dialect.name, *key)
    statement = _BUILT.get(kept_as)
    if statement is None:
        statement = _BUILT[kept_as] = build()
    return statement


_BUILT: dict[tuple, sa.Executable] = {}


def insert_unless_present(session: Session, model: type, values: dict, keys: list[str]) -> None:
    """INSERT a row unless one with the same `keys` exists, atomically, on SQLite and
    PostgreSQL alike: concurrent requests cannot create two."""
    statement = built_once(
        session,
        ("insert unless present", model, tuple(keys)),
        lambda: dialect_insert(session, model).on_conflict_do_nothing(index_elements=keys),
    )
    # The columns are those of the values given, as for any INSERT given its rows apart.
    session.execute(statement, values)


def insert_or_update(
    session: Session,
    model: type,
    values: dict,
    keys: list[str],
    changes: dict,
    where: sa.ColumnElement[bool],
) -> None:
    """INSERT a row, or if one with the same `keys` exists, make `changes` to it where it
    meets `where`; atomically, as `insert_unless_present`."""
    statement = dialect_insert(session, model).values(**values)
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes, where=where))


def dialect_insert(session: Session, model: type):
    """An INSERT of the session's database's own dialect, which knows ON CONFLICT."""
    # The engine's own dialect, already imported with it: importing the other one as well
    # would add 50 ms to every start-up.
    dialect = importlib.import_module(f"sqlalchemy.dialects.{session.get_bind().dialect.name}")
    return dialect.insert(model)


def bind_migrations(app: Flask) -> None:
    """Give the app Flask-Migrate and its `flask db` commands. Alembic, which it imports,
    adds about 0.1 s to start-up and serving pages never uses it: only migrating does."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=app.config["MIGRATIONS_DIR"])


class utc_text(sa.sql.functions.FunctionElement[str]):  # noqa: N801  (used as an SQL function)
    """A time column as ISO 8601 UTC text to the second, such as 2026-03-02T09:30:00Z, made
    by the database itself: reports write every time this way, and converting there is
    several times cheaper than making a Python datetime of each value and formatting it."""

    type = sa.String()
    name = "utc_text"
    inherit_cache = True


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element: utc_text, compiler, **kw) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler, **kw) -> str:
    # Times are stored as UTC without a zone (see UTCDateTime), so no conversion is needed.
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


class unicode_lower(sa.sql.functions.FunctionElement[str]):  # noqa: N801  (an SQL function)
    """Text in lower case, every alphabet's letters included, as Python's `str.lower` makes
    it: what finding "Ñandú" by "ñandú" needs."""

    type = sa.String()
    name = "unicode_lower"
    inherit_cache = True


@compiles(unicode_lower, "sqlite")
def _unicode_lower_sqlite(element: unicode_lower, compiler, **kw) -> str:
    # Registered on each connection by `init_app`.
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "postgresql")
def _unicode_lower_postgresql(element: unicode_lower, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


class _like_in_any_case(sa.sql.functions.FunctionElement[bool]):  # noqa: N801  (SQL)
    """`column LIKE pattern` (escaped with /), for a pattern in lower-case ASCII, ASCII
    letters matching in either case. SQLite's LIKE does that itself: the text of each row
    is not lowered first, which would take twice as long."""

    type = sa.Boolean()
    name = "like_in_any_case"
    inherit_cache = True


@compiles(_like_in_any_case, "sqlite")
def _like_in_any_case_sqlite(element: _like_in_any_case, compiler, **kw) -> str:
    column, pattern = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} LIKE {pattern} ESCAPE '/'"


@compiles(_like_in_any_case, "postgresql")
def _like_in_any_case_postgresql(element: _like_in_any_case, compiler, **kw) -> str:
    column, pattern = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"lower({column}) LIKE {pattern} ESCAPE '/'"


def _holding(text: str) -> str:
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def contains_text(column: sa.ColumnElement[str], text: str) -> sa.ColumnElement[bool]:
    """Whether `column` contains `text` (given in lower case), in any letter case, every
    alphabet's letters included. On SQLite, only ASCII letters are compared in either case
    without calling Python on each row, several times as fast on a large table: a text of
    ASCII alone needs no more, and for another only the rows that hold its longest run of
    ASCII are lowered by Python. (A letter outside ASCII whose lower case is in it, such as
    the kelvin sign, is all this misses.)"""
    runs = re.findall(r"[\x00-\x7f]+", text)
    if runs == [text]:
        return _like_in_any_case(column, _holding(text))
    exactly = unicode_lower(column).contains(text, autoescape=True)
    if not runs:
        return exactly
    return sa.and_(_like_in_any_case(column, _holding(max(runs, key=len))), exactly)


def upgrade_to_latest(revision: str = "head") -> None:
    """Apply every pending Alembic migration (the only way the schema is made). Processes
    that start together take turns (see `migration_lock`)."""
    import flask_migrate

    bind_migrations(current_app._get_current_object())
    flask_migrate.upgrade(directory=current_app.config["MIGRATIONS_DIR"], revision=revision)


def migrate_if_behind() -> None:
    """`upgrade_to_latest`, unless the database is already at the migrations' heads: then
    nothing is imported or locked. Importing Alembic and reading its scripts took about
    100 ms of every start, and at most starts there is nothing to migrate."""
    heads = head_revisions(Path(current_app.config["MIGRATIONS_DIR"]) / "versions")
    if heads is None or heads != _applied_revisions():
        upgrade_to_latest()


# A migration's own `revision = "…"` and `down_revision = …` lines, as Alembic writes them.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=(.*)$", re.MULTILINE)


def head_revisions(versions: Path) -> frozenset[str] | None:
    """The revisions no migration revises, read from the scripts' lines without Alembic;
    None when a script is written in a way only Alembic can tell, which then decides."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in versions.glob("*.py"):
        if script.name == "__init__.py" or script.name.startswith(".#"):
            continue  # Alembic skips them too
        found = _REVISION_LINE.findall(script.read_text(encoding="utf-8"))
        if sorted(name for name, _ in found) != ["down_revision", "revision"]:
            return None
        try:
            values = {name: ast.literal_eval(value.strip()) for name, value in found}
        except (ValueError, SyntaxError):
            return None
        revision, down = values["revision"], values["down_revision"]
        downs = () if down is None else (down,) if isinstance(down, str) else down
        if not isinstance(revision, str) or not (
            isinstance(downs, tuple | list) and all(isinstance(each, str) for each in downs)
        ):
            return None
        revisions.add(revision)
        revised.update(downs)
    return frozenset(revisions - revised) or None


def _applied_revisions() -> frozenset[str] | None:
    """The revisions the database records as applied; None before the first migration."""
    try:
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return frozenset(rows.scalars())
    except sa.exc.DBAPIError:
        return None


# Any fixed number will do: PostgreSQL keeps advisory locks per database. This one is
# "Aula" in ASCII.
MIGRATION_LOCK_KEY = 0x41756C61


@contextmanager
def migration_lock(connection: sa.Connection) -> Iterator[None]:
    """Held while migrations run on `connection` (migrations/env.py takes it, for start-up
    and `flask db` alike), so that processes migrating at once take turns: the next one
    reads the schema's revision only once the previous one has committed, and applies
    nothing already applied.

    On PostgreSQL the lock is the database's own, so it holds between hosts, whatever their
    instance folders. A SQLite file is only ever shared by processes of one machine: they
    lock a file beside it, which no instance folder setting can split."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
        # Alembic commits only a transaction it begins itself, so this one ends here; the
        # lock, taken for the session, stays until unlocked.
        connection.commit()
        try:
            yield
        finally:
            # A failed migration's transaction must end before the connection is used again.
            connection.rollback()
            connection.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
            connection.commit()
        return
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or not database or database == ":memory:":
        # A database in memory belongs to this process alone.
        yield
        return
    lock_path = Path(database).with_name(f"{Path(database).name}-migrate.lock")
    # Empty, but owner-only like the database beside it.
    descriptor = create_private_file(lock_path)
    if descriptor is None:
        descriptor = os.open(lock_path, os.O_WRONLY)
    with os.fdopen(descriptor, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read_at_once(session: Session, *statements: sa.Executable) -> list[list[sa.Row]]:
    """The rows of independent read-only statements, run at the same time, each on a
    connection of its own: two scans of large indexes then take as long as the longer one
    rather than both (the drivers let other threads run while the database works)."""
    engine = session.get_bind()

    def rows(statement: sa.Executable) -> list[sa.Row]:
        with engine.connect() as connection:
            return list(connection.execute(statement).all())

    with ThreadPoolExecutor(max_workers=len(statements)) as pool:
        return list(pool.map(rows, statements))


def flush_erased_pages(session: Session) -> None:
    """After an erasure on SQLite, copy the write-ahead log into the database file and empty
    it, so erased values survive in neither file."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))


def is_reachable() -> bool:
    """Whether the database answers and accepts writes right now. On SQLite a held write
    lock counts as unavailable, checked with a short wait so the probe stays quick."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            if connection.dialect.name == "sqlite":
                timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                connection.exec_driver_sql("PRAGMA busy_timeout=200")
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    connection.exec_driver_sql("ROLLBACK")
                finally:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout)}")
    except sa.exc.SQLAlchemyError:
        log.exception("database unreachable")
        return False
    return True
