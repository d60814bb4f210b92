"""Alembic environment: migrates the app's database with the app's own engine and models.

Logging is left to the application (no fileConfig here), so running migrations at start-up
or in tests does not reconfigure anyone's loggers.
"""

from __future__ import annotations

from alembic import context
from flask import current_app

from app.database import migration_lock
from app.models import UTCDateTime

database = current_app.extensions["migrate"].db
target_metadata = database.metadata


def render_item(type_: str, obj, autogen_context):
    """Write UTCDateTime as the plain DateTime it stores, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with database.engine.connect() as connection, migration_lock(connection):
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old copy: with foreign
            # keys enforced, that drop would delete every row pointing at the table. SQLite
            # takes this setting only outside a transaction. The keys are checked once the
            # migrations have run (SQLite's migrations commit one by one): rows left
            # pointing nowhere stop the start-up there, loudly.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite can only alter tables by copying them; batch mode does that for us.
                render_as_batch=True,
                compare_type=True,
                render_item=render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left rows pointing nowhere: {broken}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
