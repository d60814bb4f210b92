"""Notices taken as read: a lesson whose notice says word for word what one the learner
confirmed in another lesson of the course shows it folded, and the acknowledgment recorded
for it names the lesson where they confirmed it.

Revision ID: b8d2f4a6c1e3
Revises: 7e3a9c5d1f08
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b8d2f4a6c1e3"
down_revision = "7e3a9c5d1f08"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notice_acknowledgments", sa.Column("same_as", sa.String(100), nullable=True))


def downgrade() -> None:
    # Not in batch mode, as the other migrations drop a column: copying the table on
    # SQLite would drop the state-version triggers.
    op.drop_column("notice_acknowledgments", "same_as")
