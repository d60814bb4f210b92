"""Audit log details: format, filters and row count of report exports.

Revision ID: a976464858b3
Revises: afde71c192ab
Create Date: 2026-11-25 21:34:23.662064
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a976464858b3"
down_revision = "afde71c192ab"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("details")
