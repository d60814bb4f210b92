"""Indexes for the admin list of accounts: each of its orders (name, role, date created)
pages through an index instead of sorting every account.

Revision ID: b8d4f1a6c2e9
Revises: b8d2f4a6c1e3
Create Date: 2026-12-06 19:50:00
"""

from __future__ import annotations

from alembic import op

revision = "b8d4f1a6c2e9"
down_revision = "b8d2f4a6c1e3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_display_name_id", "users", ["display_name", "id"])
    op.create_index("ix_users_role_email", "users", ["role", "email"])
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_created_at_id", table_name="users")
    op.drop_index("ix_users_role_email", table_name="users")
    op.drop_index("ix_users_display_name_id", table_name="users")
