"""Signed-in sessions listed per device, two-step sign-in with an authenticator app and
recovery codes, and the new address an email change waits to confirm.

Revision ID: 9f4b2c6d8e10
Revises: e5a7c9b1d3f2
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9f4b2c6d8e10"
down_revision = "e5a7c9b1d3f2"
branch_labels = None
depends_on = None

# Both hold a learner's rows: their changes raise the account's state version, as every
# such table's do (see the learner_state_version migration).
NEW_LEARNER_TABLES = ("user_sessions", "recovery_codes")

SQLITE_TRIGGERS = {
    "INSERT": "UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;",
    "UPDATE": (
        "UPDATE users SET state_version = state_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);"
    ),
    "DELETE": "UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;",
}


def upgrade() -> None:
    # Added one by one rather than in batch mode: copying `users` on SQLite would drop the
    # state-version triggers of the tables that point at it.
    op.add_column("users", sa.Column("two_step_secret", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("two_step_last_step", sa.BigInteger(), nullable=True))
    op.add_column("password_reset_tokens", sa.Column("new_email", sa.String(254), nullable=True))
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("device", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_LEARNER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_state_version AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} FOR EACH ROW EXECUTE FUNCTION raise_learner_state_version()"
            )
        return
    for table in NEW_LEARNER_TABLES:
        for event, statement in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {table}_state_version_{event.lower()} AFTER {event}"
                f" ON {table} FOR EACH ROW BEGIN {statement} END"
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_column("password_reset_tokens", "new_email")
    op.drop_column("users", "two_step_last_step")
    op.drop_column("users", "two_step_secret")
