"""Objection to the course team's figures and restriction of an account, the wording of
each consent as shown, and the breach register.

Revision ID: 2a7d5e9c1b34
Revises: 9f4b2c6d8e10
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import ipaddress

import sqlalchemy as sa
from alembic import op

revision = "2a7d5e9c1b34"
down_revision = "9f4b2c6d8e10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added one by one rather than in batch mode: copying `users` on SQLite would drop the
    # state-version triggers of the tables that point at it.
    op.add_column("users", sa.Column("statistics_objection_at", sa.DateTime(), nullable=True))
    op.add_column("users", sa.Column("restricted_at", sa.DateTime(), nullable=True))
    op.add_column("users", sa.Column("restriction_lift_told_at", sa.DateTime(), nullable=True))
    op.create_table(
        "consent_texts",
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("first_shown_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", "version", "language", name=op.f("pk_consent_texts")),
    )
    op.create_table(
        "breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("discovered_at", sa.DateTime(), nullable=False),
        sa.Column("data_affected", sa.Text(), nullable=False),
        sa.Column("people_affected", sa.Text(), nullable=False),
        sa.Column("people_count", sa.Integer(), nullable=True),
        sa.Column("likely_consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("authority_notified_at", sa.DateTime(), nullable=True),
        sa.Column("people_told_at", sa.DateTime(), nullable=True),
        sa.Column("not_notified_because", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
    )

    _shorten_stored_addresses()


def _network(address: str) -> str | None:
    """An address's /24 (IPv4) or /48 (IPv6) network, as the app keeps it from now on.
    Written out here: a migration must do tomorrow what it does today, whatever the app's
    code becomes."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network((parsed, prefix), strict=False).network_address)


def _shorten_stored_addresses() -> None:
    events = sa.table("security_events", sa.column("id"), sa.column("ip_address"))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(events.c.id, events.c.ip_address).where(events.c.ip_address.is_not(None))
    ).all()
    for event_id, address in rows:
        network = _network(address)
        if network != address:
            bind.execute(
                sa.update(events).where(events.c.id == event_id).values(ip_address=network)
            )


def downgrade() -> None:
    op.drop_table("breaches")
    op.drop_table("consent_texts")
    op.drop_column("users", "restriction_lift_told_at")
    op.drop_column("users", "restricted_at")
    op.drop_column("users", "statistics_objection_at")
