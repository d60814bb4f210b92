"""Several courses and their cohorts: every learner record names its course, and learners
belong to cohorts led by trainers, joined openly, by invitation or not at all.

What was recorded before belongs to the default course, the one the lessons directory
leads to (its first course, or DEFAULT_COURSE), and its learners to that course's implicit
cohort (a membership without a cohort).

Revision ID: 4c1d8e2b7a90
Revises: 2a7d5e9c1b34
Create Date: 2026-12-06 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app

from app.content import default_course_slug

revision = "4c1d8e2b7a90"
down_revision = "2a7d5e9c1b34"
branch_labels = None
depends_on = None

# Their changes raise the account's state version, as every learner table's do (see the
# learner_state_version migration).
NEW_LEARNER_TABLES = ("memberships", "cohort_trainers")
# Copied whole by SQLite's batch mode, which leaves their triggers behind with the old copy.
COPIED_LEARNER_TABLES = ("lesson_progress", "quiz_attempts", "notice_acknowledgments")

SQLITE_TRIGGERS = {
    "INSERT": "UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;",
    "UPDATE": (
        "UPDATE users SET state_version = state_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);"
    ),
    "DELETE": "UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;",
}

# Each table's unique key, before and after the course joins it.
UNIQUE_KEYS = {
    "lesson_progress": ("user_id", "lesson_slug"),
    "quiz_attempts": ("user_id", "lesson_slug", "number"),
    "notice_acknowledgments": ("user_id", "lesson_slug", "notice_version"),
}


def _default_course() -> str:
    return default_course_slug(
        current_app.config["LESSONS_DIR"], current_app.config.get("DEFAULT_COURSE")
    )


def _unique_name(table: str, columns: tuple[str, ...]) -> str:
    # Named by the models' convention, which shortens a name past PostgreSQL's 63
    # characters (notice_acknowledgments' new key) as the models' own is.
    return op.f(f"uq_{table}_{'_'.join(columns)}")


def _sqlite_triggers(tables: tuple[str, ...]) -> None:
    for table in tables:
        for event, statement in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_state_version_{event.lower()} AFTER"
                f" {event} ON {table} FOR EACH ROW BEGIN {statement} END"
            )


def _postgresql_triggers(tables: tuple[str, ...]) -> None:
    for table in tables:
        op.execute(
            f"CREATE TRIGGER {table}_state_version AFTER INSERT OR UPDATE OR DELETE"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION raise_learner_state_version()"
        )


def upgrade() -> None:
    course = _default_course()
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, key in UNIQUE_KEYS.items():
        op.add_column(table, sa.Column("course", sa.String(100), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET course = :course").bindparams(course=course))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("course", existing_type=sa.String(100), nullable=False)
            batch_op.drop_constraint(_unique_name(table, key), type_="unique")
            new_key = (key[0], "course", *key[1:])
            batch_op.create_unique_constraint(_unique_name(table, new_key), list(new_key))
    with op.batch_alter_table("lesson_progress") as batch_op:
        batch_op.drop_index("ix_lesson_progress_lesson_slug_completed_at")
        batch_op.create_index(
            "ix_lesson_progress_course_lesson_slug_completed_at",
            ["course", "lesson_slug", "completed_at"],
        )
    with op.batch_alter_table("quiz_attempts") as batch_op:
        batch_op.drop_index("ix_quiz_attempts_lesson_slug_user_id_passed")
        batch_op.create_index(
            "ix_quiz_attempts_course_lesson_slug_user_id_passed",
            ["course", "lesson_slug", "user_id", "passed"],
        )
    op.add_column("notice_versions", sa.Column("course", sa.String(100), nullable=True))
    op.execute(sa.text("UPDATE notice_versions SET course = :course").bindparams(course=course))
    with op.batch_alter_table("notice_versions") as batch_op:
        batch_op.alter_column("course", existing_type=sa.String(100), nullable=False)
        batch_op.drop_constraint("pk_notice_versions", type_="primary")
        batch_op.create_primary_key("pk_notice_versions", ["course", "lesson_slug", "version"])

    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column(
            "enrolment",
            sa.Enum(
                "open",
                "invitation",
                "closed",
                name="cohort_enrolment",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("join_code", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("join_code", name=op.f("uq_cohorts_join_code")),
    )
    op.create_index(op.f("ix_cohorts_course"), "cohorts", ["course"])
    op.create_table(
        "cohort_trainers",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_trainers_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_cohort_trainers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", "user_id", name=op.f("pk_cohort_trainers")),
    )
    op.create_index(op.f("ix_cohort_trainers_user_id"), "cohort_trainers", ["user_id"])
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_memberships_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("user_id", "course", name=op.f("uq_memberships_user_id_course")),
    )
    op.create_index(op.f("ix_memberships_cohort_id"), "memberships", ["cohort_id"])
    op.create_index("ix_memberships_course_cohort_id", "memberships", ["course", "cohort_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_invitations_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("cohort_id", "email", name=op.f("uq_invitations_cohort_id_email")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_email"), "invitations", ["email"])
    # Everyone who has started, or acknowledged the notice of, a lesson of the course takes
    # part in it, in its implicit cohort.
    op.execute(
        sa.text(
            "INSERT INTO memberships (user_id, course, cohort_id, joined_at)"
            " SELECT user_id, :course, NULL, MIN(at) FROM ("
            " SELECT user_id, started_at AS at FROM lesson_progress"
            " UNION ALL SELECT user_id, acknowledged_at AS at FROM notice_acknowledgments"
            " ) AS taking_part GROUP BY user_id"
        ).bindparams(course=course)
    )
    if postgresql:
        _postgresql_triggers(NEW_LEARNER_TABLES)
    else:
        _sqlite_triggers(COPIED_LEARNER_TABLES + NEW_LEARNER_TABLES)


def downgrade() -> None:
    course = _default_course()
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for table in NEW_LEARNER_TABLES:
            op.execute(f"DROP TRIGGER {table}_state_version ON {table}")
    op.drop_index(op.f("ix_invitations_email"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_memberships_course_cohort_id", table_name="memberships")
    op.drop_index(op.f("ix_memberships_cohort_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_index(op.f("ix_cohort_trainers_user_id"), table_name="cohort_trainers")
    op.drop_table("cohort_trainers")
    op.drop_index(op.f("ix_cohorts_course"), table_name="cohorts")
    op.drop_table("cohorts")
    # One course was all there was: the other courses' records have nowhere to go. Their
    # attempts' answers first: SQLite migrates without enforcing foreign keys, so deleting
    # an attempt would not take its answers with it.
    op.execute(
        sa.text(
            "DELETE FROM quiz_answers WHERE attempt_id IN"
            " (SELECT id FROM quiz_attempts WHERE course <> :course)"
        ).bindparams(course=course)
    )
    for table in ("quiz_attempts", "lesson_progress", "notice_acknowledgments", "notice_versions"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE course <> :course").bindparams(course=course)
        )
    with op.batch_alter_table("notice_versions") as batch_op:
        batch_op.drop_constraint("pk_notice_versions", type_="primary")
        batch_op.create_primary_key("pk_notice_versions", ["lesson_slug", "version"])
        batch_op.drop_column("course")
    with op.batch_alter_table("quiz_attempts") as batch_op:
        batch_op.drop_index("ix_quiz_attempts_course_lesson_slug_user_id_passed")
        batch_op.create_index(
            "ix_quiz_attempts_lesson_slug_user_id_passed", ["lesson_slug", "user_id", "passed"]
        )
    with op.batch_alter_table("lesson_progress") as batch_op:
        batch_op.drop_index("ix_lesson_progress_course_lesson_slug_completed_at")
        batch_op.create_index(
            "ix_lesson_progress_lesson_slug_completed_at", ["lesson_slug", "completed_at"]
        )
    for table, key in UNIQUE_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            new_key = (key[0], "course", *key[1:])
            batch_op.drop_constraint(_unique_name(table, new_key), type_="unique")
            batch_op.create_unique_constraint(_unique_name(table, key), list(key))
            batch_op.drop_column("course")
    if not postgresql:
        _sqlite_triggers(COPIED_LEARNER_TABLES)
