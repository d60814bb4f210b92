"""Lessons written in the browser: every saved version of a course's files, and which of
them learners are given.

Revision ID: c3e5a7b9d1f2
Revises: b8d4f1a6c2e9
Create Date: 2026-12-06 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3e5a7b9d1f2"
down_revision = "b8d4f1a6c2e9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("has_errors", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name="fk_content_revisions_author_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["content_revisions.id"],
            name="fk_content_revisions_based_on_id_content_revisions",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_revisions"),
    )
    op.create_index(
        "ix_content_revisions_course_path_id", "content_revisions", ["course", "path", "id"]
    )
    op.create_index("ix_content_revisions_digest", "content_revisions", ["digest"])
    op.create_index("ix_content_revisions_author_id", "content_revisions", ["author_id"])
    op.create_table(
        "content_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            name="fk_content_publications_published_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_content_publications"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_content_publications_published_by", "content_publications", ["published_by"]
    )
    op.create_table(
        "published_files",
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["content_revisions.id"],
            name="fk_published_files_revision_id_content_revisions",
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["content_publications.id"],
            name="fk_published_files_publication_id_content_publications",
        ),
        sa.PrimaryKeyConstraint("course", "path", name="pk_published_files"),
    )
    op.create_index("ix_published_files_publication_id", "published_files", ["publication_id"])


def downgrade() -> None:
    op.drop_table("published_files")
    op.drop_table("content_publications")
    op.drop_table("content_revisions")
