"""Extra quiz attempts: the course team can allow a learner who has used every attempt at a
lesson's quiz to try again.

Revision ID: e5a7c9b1d3f2
Revises: c3e8a1d5f7b2
Create Date: 2026-11-26 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5a7c9b1d3f2"
down_revision = "c3e8a1d5f7b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "lesson_progress",
        sa.Column("extra_attempts", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # Not in batch mode: copying the table on SQLite would drop its state-version triggers.
    op.drop_column("lesson_progress", "extra_attempts")
