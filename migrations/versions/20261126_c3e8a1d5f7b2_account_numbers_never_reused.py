"""Account numbers are never reused. SQLite gives a new row the highest id plus one, so
erasing the newest account handed its number to the next sign-up, and "Account #7" in the
audit log could name two people. AUTOINCREMENT makes SQLite remember the highest number
ever given; PostgreSQL's sequence already does.

Revision ID: c3e8a1d5f7b2
Revises: 7b3c9d2e1f40
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "c3e8a1d5f7b2"
down_revision = "7b3c9d2e1f40"
branch_labels = None
depends_on = None

# Dropped with the table it is on when the table is copied, so made again.
ACCOUNT_TRIGGER = (
    "CREATE TRIGGER users_state_version AFTER UPDATE ON users FOR EACH ROW"
    " WHEN NEW.state_version = OLD.state_version BEGIN"
    " UPDATE users SET state_version = OLD.state_version + 1 WHERE id = NEW.id; END"
)


def _copy_users(autoincrement: bool) -> None:
    # Other tables' triggers name `users`: the legacy rename leaves them be while the copy
    # takes the table's name.
    op.execute("PRAGMA legacy_alter_table=ON")
    with op.batch_alter_table(
        "users", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    op.execute("PRAGMA legacy_alter_table=OFF")
    op.execute(ACCOUNT_TRIGGER)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _copy_users(autoincrement=True)
    # Numbers given before and since erased are lost to SQLite, but not to the audit log,
    # which names accounts as "user #N": none of those is given again either.
    bind = op.get_bind()
    highest = bind.exec_driver_sql(
        "SELECT max(coalesce((SELECT max(id) FROM users), 0), coalesce((SELECT"
        " max(CAST(substr(subject_ref, 7) AS INTEGER)) FROM audit_log"
        " WHERE subject_ref LIKE 'user #%'), 0))"
    ).scalar()
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'users'")
    op.execute(f"INSERT INTO sqlite_sequence (name, seq) VALUES ('users', {int(highest)})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _copy_users(autoincrement=False)
