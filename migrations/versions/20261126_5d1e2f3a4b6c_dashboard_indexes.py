"""Indexes for the admin dashboard: its funnel, pass rates and weekly completions are read
from indexes instead of whole tables.

Revision ID: 5d1e2f3a4b6c
Revises: 4eca7d098619
Create Date: 2026-11-26 00:45:00
"""

from __future__ import annotations

from alembic import op

revision = "5d1e2f3a4b6c"
down_revision = "4eca7d098619"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_lesson_progress_lesson_slug_completed_at",
        "lesson_progress",
        ["lesson_slug", "completed_at"],
    )
    op.create_index("ix_lesson_progress_completed_at", "lesson_progress", ["completed_at"])
    op.create_index(
        "ix_quiz_attempts_lesson_slug_user_id_passed",
        "quiz_attempts",
        ["lesson_slug", "user_id", "passed"],
    )


def downgrade() -> None:
    op.drop_index("ix_quiz_attempts_lesson_slug_user_id_passed", table_name="quiz_attempts")
    op.drop_index("ix_lesson_progress_completed_at", table_name="lesson_progress")
    op.drop_index("ix_lesson_progress_lesson_slug_completed_at", table_name="lesson_progress")
