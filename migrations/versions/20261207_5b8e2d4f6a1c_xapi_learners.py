"""The names learners go by in xAPI statements.

Revision ID: 5b8e2d4f6a1c
Revises: e7a1c3d5f9b2
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b8e2d4f6a1c"
down_revision = "e7a1c3d5f9b2"
branch_labels = None
depends_on = None

# A learner's xAPI name is one of their rows: it raises their state version as the other
# such tables' do (see the learner_state_version migration).
SQLITE_TRIGGERS = {
    "INSERT": "UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;",
    "UPDATE": (
        "UPDATE users SET state_version = state_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);"
    ),
    "DELETE": "UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;",
}


def upgrade() -> None:
    op.create_table(
        "xapi_learners",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_xapi_learners_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_xapi_learners"),
        sa.UniqueConstraint("name", name="uq_xapi_learners_name"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER xapi_learners_state_version AFTER INSERT OR UPDATE OR DELETE"
            " ON xapi_learners FOR EACH ROW EXECUTE FUNCTION raise_learner_state_version()"
        )
        return
    for event, statement in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER xapi_learners_state_version_{event.lower()} AFTER {event}"
            f" ON xapi_learners FOR EACH ROW BEGIN {statement} END"
        )


def downgrade() -> None:
    op.drop_table("xapi_learners")
