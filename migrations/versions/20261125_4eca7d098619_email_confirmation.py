"""Email confirmation at registration: a confirmation time on accounts, a purpose on tokens.

Revision ID: 4eca7d098619
Revises: 108bc7c1f1d6
Create Date: 2026-11-25 21:59:19.682178
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4eca7d098619"
down_revision = "108bc7c1f1d6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="reset")
        )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.alter_column("purpose", server_default=None)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(), nullable=True))
    # Accounts made before confirmation existed count as confirmed when they were made.
    op.execute("UPDATE users SET email_confirmed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_column("purpose")
