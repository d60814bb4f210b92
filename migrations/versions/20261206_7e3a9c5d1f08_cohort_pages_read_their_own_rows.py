"""The pages of a cohort and its quiz statistics read its members' rows, not everyone's.

Each membership keeps when the member last took part in the course (joined it, started or
completed a lesson, answered a quiz), so that a cohort's page tells who has gone quiet
without reading every row of its learners; it starts as what those rows say. The few
accounts that are not simply learners counted in everything (staff, sign-ups never
confirmed, accounts restricted or objecting to the figures) get an index of their own, so
that leaving them out reads them alone rather than every account. On PostgreSQL, the
unique keys of progress and quiz attempts, which find one learner's rows, also carry the
times and results those pages count, which PostgreSQL then reads from the index alone.

Revision ID: 7e3a9c5d1f08
Revises: 4c1d8e2b7a90
Create Date: 2026-12-06 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7e3a9c5d1f08"
down_revision = "4c1d8e2b7a90"
branch_labels = None
depends_on = None

SET_APART = sa.text(
    "role != 'learner' OR email_confirmed_at IS NULL OR restricted_at IS NOT NULL"
    " OR statistics_objection_at IS NOT NULL"
)
# Each unique key, its columns, and the columns it carries on PostgreSQL.
COVERING = {
    "lesson_progress": (
        "uq_lesson_progress_user_id_course_lesson_slug",
        ["user_id", "course", "lesson_slug"],
        ["started_at", "completed_at"],
    ),
    "quiz_attempts": (
        "uq_quiz_attempts_user_id_course_lesson_slug_number",
        ["user_id", "course", "lesson_slug", "number"],
        ["submitted_at", "passed"],
    ),
}


def _unique_keys(carrying: bool) -> None:
    for table, (name, columns, carried) in COVERING.items():
        include = f" INCLUDE ({', '.join(carried)})" if carrying else ""
        # One statement: the table is never without its unique key.
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {name},"
            f" ADD CONSTRAINT {name} UNIQUE ({', '.join(columns)}){include}"
        )


# The latest of joining and what the member did in the course, for each membership.
LATEST = {
    "postgresql": "GREATEST(joined_at, ({progress}), ({attempts}))",
    # SQLite's max() of several values is NULL if any is: a member may have done nothing.
    "sqlite": (
        "max(joined_at, coalesce(({progress}), joined_at), coalesce(({attempts}), joined_at))"
    ),
}
PROGRESS = (
    "SELECT max(coalesce(completed_at, started_at)) FROM lesson_progress"
    " WHERE lesson_progress.user_id = memberships.user_id"
    " AND lesson_progress.course = memberships.course"
)
ATTEMPTS = (
    "SELECT max(submitted_at) FROM quiz_attempts"
    " WHERE quiz_attempts.user_id = memberships.user_id"
    " AND quiz_attempts.course = memberships.course"
)
# Only while the column is filled: every membership is given its own just after.
PLACEHOLDER = "1970-01-01 00:00:00"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "memberships",
        sa.Column("active_at", sa.DateTime(), nullable=False, server_default=PLACEHOLDER),
    )
    latest = LATEST[dialect].format(progress=PROGRESS, attempts=ATTEMPTS)
    op.execute(f"UPDATE memberships SET active_at = {latest}")
    if dialect == "postgresql":
        op.alter_column("memberships", "active_at", server_default=None)
    op.create_index(
        "ix_users_set_apart",
        "users",
        ["id"],
        sqlite_where=SET_APART,
        postgresql_where=SET_APART,
    )
    if op.get_bind().dialect.name == "postgresql":
        _unique_keys(carrying=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unique_keys(carrying=False)
    op.drop_index("ix_users_set_apart", table_name="users")
    # SQLite drops a column by copying its table, which would leave its triggers behind.
    with op.batch_alter_table("memberships", recreate="never") as batch:
        batch.drop_column("active_at")
