"""Session tokens: every session cookie names one; replacing it signs the account out.

Revision ID: ac47efaaed8d
Revises: a976464858b3
Create Date: 2026-11-25 21:39:59.959446
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "ac47efaaed8d"
down_revision = "a976464858b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_token")
