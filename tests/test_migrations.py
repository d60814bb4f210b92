"""The schema is made only by Alembic, and the models agree with what it makes."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_go_down_to_base_and_up_again(app):
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        flask_migrate.downgrade(directory=directory, revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(directory=directory)
        assert {"users", "lesson_progress"} <= set(sa.inspect(db.engine).get_table_names())
