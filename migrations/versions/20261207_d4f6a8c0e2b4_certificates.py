"""Certificates of completion, the name learners want printed on them, and the keys the
site signs its credentials with.

Revision ID: d4f6a8c0e2b4
Revises: c3e5a7b9d1f2
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d4f6a8c0e2b4"
down_revision = "c3e5a7b9d1f2"
branch_labels = None
depends_on = None

# A certificate is one of the learner's rows: it raises their state version as the other
# such tables' do (see the learner_state_version migration).
SQLITE_TRIGGERS = {
    "INSERT": "UPDATE users SET state_version = state_version + 1 WHERE id = NEW.user_id;",
    "UPDATE": (
        "UPDATE users SET state_version = state_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);"
    ),
    "DELETE": "UPDATE users SET state_version = state_version + 1 WHERE id = OLD.user_id;",
}


def upgrade() -> None:
    # Added on its own rather than in batch mode: copying `users` on SQLite would drop the
    # state-version triggers of the tables that point at it.
    op.add_column("users", sa.Column("certificate_name", sa.String(200), nullable=True))
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("cohort_name", sa.String(120), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("course_title", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.JSON(), nullable=False),
        sa.Column("signatories", sa.JSON(), nullable=False),
        sa.Column("lessons", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("replaced_by_code", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_certificates_user_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name="fk_certificates_cohort_id_cohorts",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"],
            ["users.id"],
            name="fk_certificates_revoked_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.UniqueConstraint("code", name="uq_certificates_code"),
    )
    op.create_index("ix_certificates_user_id", "certificates", ["user_id"])
    op.create_index("ix_certificates_cohort_id", "certificates", ["cohort_id"])
    op.create_index("ix_certificates_revoked_by", "certificates", ["revoked_by"])
    op.create_index("ix_certificates_course_issued_at", "certificates", ["course", "issued_at"])
    op.create_index(
        "uq_certificates_user_id_course",
        "certificates",
        ["user_id", "course"],
        unique=True,
        sqlite_where=sa.text("replaced_by_code IS NULL"),
        postgresql_where=sa.text("replaced_by_code IS NULL"),
    )
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_signing_keys"),
        sa.UniqueConstraint("kid", name="uq_signing_keys_kid"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER certificates_state_version AFTER INSERT OR UPDATE OR DELETE"
            " ON certificates FOR EACH ROW EXECUTE FUNCTION raise_learner_state_version()"
        )
        return
    for event, statement in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER certificates_state_version_{event.lower()} AFTER {event}"
            f" ON certificates FOR EACH ROW BEGIN {statement} END"
        )


def downgrade() -> None:
    op.drop_table("signing_keys")
    op.drop_table("certificates")
    op.drop_column("users", "certificate_name")
