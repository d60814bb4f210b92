"""Learner state versions: every change to an account, or to any row of its learner's, raises
the account's `state_version`, so a page kept for the learner can tell it still holds.

Triggers do it, rather than the code that writes, so that no writer can forget: the web
app, the command line, the retention purge and bulk statements alike.

Revision ID: 7b3c9d2e1f40
Revises: 5d1e2f3a4b6c
Create Date: 2026-11-26 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7b3c9d2e1f40"
down_revision = "5d1e2f3a4b6c"
branch_labels = None
depends_on = None

# Every table with a `user_id`: a test checks that none is left out.
LEARNER_TABLES = (
    "lesson_progress",
    "quiz_attempts",
    "notice_acknowledgments",
    "password_reset_tokens",
    "consent_events",
    "security_events",
)

SQLITE_TRIGGERS = {
    "INSERT": "UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;",
    "UPDATE": (
        "UPDATE users SET state_version = state_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);"
    ),
    "DELETE": "UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;",
}

POSTGRESQL_FUNCTIONS = """
CREATE FUNCTION raise_learner_state_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id <> OLD.user_id) THEN
        UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION next_account_state_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.state_version := OLD.state_version + 1;
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("state_version", sa.Integer(), nullable=False, server_default="0")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTIONS)
        # An update that sets the version itself (a learner's row changing) is not counted twice.
        op.execute(
            "CREATE TRIGGER users_state_version BEFORE UPDATE ON users FOR EACH ROW"
            " WHEN (NEW.state_version = OLD.state_version)"
            " EXECUTE FUNCTION next_account_state_version()"
        )
        for table in LEARNER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_state_version AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} FOR EACH ROW EXECUTE FUNCTION raise_learner_state_version()"
            )
        return
    op.execute(
        "CREATE TRIGGER users_state_version AFTER UPDATE ON users FOR EACH ROW"
        " WHEN NEW.state_version = OLD.state_version BEGIN"
        " UPDATE users SET state_version = OLD.state_version + 1 WHERE id = NEW.id; END"
    )
    for table in LEARNER_TABLES:
        for event, statement in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {table}_state_version_{event.lower()} AFTER {event}"
                f" ON {table} FOR EACH ROW BEGIN {statement} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LEARNER_TABLES:
            op.execute(f"DROP TRIGGER {table}_state_version ON {table}")
        op.execute("DROP TRIGGER users_state_version ON users")
        op.execute("DROP FUNCTION raise_learner_state_version()")
        op.execute("DROP FUNCTION next_account_state_version()")
    else:
        for table in LEARNER_TABLES:
            for event in SQLITE_TRIGGERS:
                op.execute(f"DROP TRIGGER {table}_state_version_{event.lower()}")
        op.execute("DROP TRIGGER users_state_version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("state_version")
