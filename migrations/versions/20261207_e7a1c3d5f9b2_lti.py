"""LTI 1.3: the learning platforms registered to launch the site, their logins under way,
the accounts and cohorts their users and courses sign in to, and where scores go back.

Revision ID: e7a1c3d5f9b2
Revises: e7a9c1d3f5b6
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e7a1c3d5f9b2"
down_revision = "e7a9c1d3f5b6"
branch_labels = None
depends_on = None

# Rows of a person's: they raise their state version as the other such tables' do (see the
# learner_state_version migration).
LEARNER_TABLES = ("lti_accounts", "lti_grade_targets")
SQLITE_TRIGGERS = {
    "INSERT": "UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;",
    "UPDATE": (
        "UPDATE users SET state_version = state_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);"
    ),
    "DELETE": "UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;",
}


def _platform_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["platform_id"],
        ["lti_platforms.id"],
        name=f"fk_{table}_platform_id_lti_platforms",
        ondelete="CASCADE",
    )


def _user_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("deployment_ids", sa.JSON(), nullable=False),
        sa.Column("key_set_url", sa.String(1000), nullable=False),
        sa.Column("auth_url", sa.String(1000), nullable=False),
        sa.Column("token_url", sa.String(1000), nullable=False),
        sa.Column("links_verified_email", sa.Boolean(), nullable=False),
        sa.Column("instructors_become_trainers", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lti_platforms"),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client_id"),
    )
    op.create_table(
        "lti_logins",
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("target_link_uri", sa.String(1000), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        _platform_key("lti_logins"),
        sa.PrimaryKeyConstraint("state", name="pk_lti_logins"),
        sa.UniqueConstraint("nonce", name="uq_lti_logins_nonce"),
    )
    op.create_index("ix_lti_logins_platform_id", "lti_logins", ["platform_id"])
    op.create_index("ix_lti_logins_expires_at", "lti_logins", ["expires_at"])
    op.create_table(
        "lti_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _platform_key("lti_accounts"),
        _user_key("lti_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_lti_accounts"),
        sa.UniqueConstraint("platform_id", "sub", name="uq_lti_accounts_platform_id_sub"),
    )
    op.create_index("ix_lti_accounts_user_id", "lti_accounts", ["user_id"])
    op.create_table(
        "lti_contexts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.String(255), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        _platform_key("lti_contexts"),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name="fk_lti_contexts_cohort_id_cohorts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lti_contexts"),
        sa.UniqueConstraint(
            "platform_id",
            "context_id",
            "course",
            name="uq_lti_contexts_platform_id_context_id_course",
        ),
    )
    op.create_index("ix_lti_contexts_cohort_id", "lti_contexts", ["cohort_id"])
    op.create_table(
        "lti_grade_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("lesson_slug", sa.String(100), nullable=True),
        sa.Column("lineitem", sa.String(1000), nullable=False),
        sa.Column("launched_at", sa.DateTime(), nullable=False),
        _platform_key("lti_grade_targets"),
        _user_key("lti_grade_targets"),
        sa.PrimaryKeyConstraint("id", name="pk_lti_grade_targets"),
        sa.UniqueConstraint("user_id", "lineitem", name="uq_lti_grade_targets_user_id_lineitem"),
    )
    op.create_index("ix_lti_grade_targets_platform_id", "lti_grade_targets", ["platform_id"])
    for table in LEARNER_TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_state_version AFTER INSERT OR UPDATE OR DELETE"
                f" ON {table} FOR EACH ROW EXECUTE FUNCTION raise_learner_state_version()"
            )
            continue
        for event, statement in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {table}_state_version_{event.lower()} AFTER {event}"
                f" ON {table} FOR EACH ROW BEGIN {statement} END"
            )


def downgrade() -> None:
    op.drop_table("lti_grade_targets")
    op.drop_table("lti_contexts")
    op.drop_table("lti_accounts")
    op.drop_table("lti_logins")
    op.drop_table("lti_platforms")
