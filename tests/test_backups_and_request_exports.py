"""Erasure reaches a restored backup, and an admin's copy of an export made for a request
says by when it must be deleted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import AuditLogEntry, User
from app.services import accounts, privacy
from tests.conftest import sign_in_as


def _user(email: str) -> int:
    return accounts.create_user(
        db.session, email=email, password="a long password", display_name="X"
    ).id


def test_an_export_for_a_request_says_by_when_the_copy_must_be_deleted(app):
    admin = sign_in_as(app, accounts.Role.ADMIN, "admin@example.org")
    sign_in_as(app, None, "ana@example.org")
    response = admin.submit(
        "/en/admin/privacy", "/en/admin/privacy/export", data={"email": "ana@example.org"}
    )
    data = json.loads(response.get_data(as_text=True))
    exported = dt.datetime.fromisoformat(data["exported_at"])
    with app.app_context():
        days = next(e for e in content.register.elsewhere if e.id == "request-exports")
    assert days.retention_days == 30
    assert dt.datetime.fromisoformat(data["delete_by"]) - exported == dt.timedelta(days=30)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "export", "ana@example.org"])
    assert "delete_by" in json.loads(result.output)


def test_the_learners_own_download_has_no_deletion_date(app):
    learner = sign_in_as(app, None, "ana@example.org")
    data = json.loads(learner.get("/account/data.json").get_data(as_text=True))
    assert "delete_by" not in data


def test_accounts_erased_since_a_backup_are_erased_again_after_restoring_it(app, tmp_path):
    runner = app.test_cli_runner()
    with app.app_context():
        before, kept, after = _user("old@example.org"), _user("kept@example.org"), 0
        privacy.erase_account(db.session, content.register, before)
        privacy.record_audit(db.session, None, "erase", privacy.user_ref(before))
        old_entry = db.session.scalars(sa.select(AuditLogEntry)).one()
        old_entry.recorded_at = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        db.session.commit()
        after = _user("new@example.org")
    # The erasure after the backup was taken...
    erased = runner.invoke(args=["privacy", "erase", "new@example.org", "--yes"])
    assert erased.exit_code == 0
    listing = runner.invoke(args=["privacy", "erasures", "--since", "2026-11-01"])
    assert listing.output.split() == [str(after)]
    # ...and the backup brings the account back, with an account number nobody reuses.
    with app.app_context():
        db.session.add(
            User(
                id=after,
                email="new@example.org",
                display_name="X",
                password_hash="x",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        db.session.commit()
    saved = tmp_path / "erasures.txt"
    saved.write_text(listing.output + "\n" + str(before) + "\n", encoding="utf-8")
    refused = runner.invoke(args=["privacy", "erase-again", str(saved)], input="n\n")
    assert refused.exit_code == 1
    assert f"Erase again these accounts and all their data: #{after}?" in refused.output
    with app.app_context():
        assert db.session.get(User, after) is not None
    again = runner.invoke(args=["privacy", "erase-again", str(saved)], input="y\n")
    assert again.exit_code == 0, again.output
    assert "1 account erased again." in again.output
    with app.app_context():
        assert db.session.get(User, after) is None
        assert db.session.get(User, kept) is not None
        entries = db.session.scalars(
            sa.select(AuditLogEntry.details).where(
                AuditLogEntry.subject_ref == privacy.user_ref(after)
            )
        ).all()
    assert {"again": "backup restored", "by": "command line"} in entries


def test_a_listing_that_is_not_account_numbers_is_refused_before_erasing_anything(app, tmp_path):
    with app.app_context():
        kept = _user("kept@example.org")
    saved = tmp_path / "erasures.txt"
    saved.write_text(f"{kept}\nuser@example.org\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["privacy", "erase-again", str(saved)])
    assert result.exit_code == 1
    assert "Line 2 is not an account number: user@example.org" in result.output
    with app.app_context():
        assert db.session.get(User, kept) is not None


def test_accounts_erased_by_the_retention_purge_are_listed_too(app):
    runner = app.test_cli_runner()
    with app.app_context():
        lapsed = _user("lapsed@example.org")
        user = db.session.get(User, lapsed)
        user.created_at = user.last_active_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        db.session.commit()
    assert "account: purged 1" in runner.invoke(args=["privacy", "purge"]).output
    listing = runner.invoke(args=["privacy", "erasures", "--since", "2026-01-01"])
    assert listing.output.split() == [str(lapsed)]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [("{n}\n", "utf-8-sig"), ("{n}\r\n", "utf-16"), ("\n{n}\n\n", "utf-8")],
)
def test_a_listing_is_read_in_utf8_with_or_without_its_mark_or_in_utf16(
    app, tmp_path, content, encoding
):
    with app.app_context():
        number = _user("back@example.org")
    saved = tmp_path / "erasures.txt"
    saved.write_bytes(content.format(n=number).encode(encoding))
    result = app.test_cli_runner().invoke(args=["privacy", "erase-again", str(saved), "--yes"])
    assert result.exit_code == 0, result.output
    assert "1 account erased again." in result.output


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\x00\xc3(", "The listing is not text"),
        (b"99999999999999999999999\n", "Line 1 is not an account number"),
        (b"-3\n", "Line 1 is not an account number"),
    ],
)
def test_a_listing_that_cannot_be_read_is_refused_clearly(app, tmp_path, raw, message):
    saved = tmp_path / "erasures.txt"
    saved.write_bytes(raw)
    result = app.test_cli_runner().invoke(args=["privacy", "erase-again", str(saved), "--yes"])
    assert result.exit_code == 1
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_address_pasted_with_spaces_around_it_is_found(app):
    admin = sign_in_as(app, accounts.Role.ADMIN, "admin@example.org")
    sign_in_as(app, None, "ana@example.org")
    response = admin.submit(
        "/en/admin/privacy", "/en/admin/privacy/export", data={"email": " ANA@example.org \n"}
    )
    assert response.status_code == 200
    assert json.loads(response.get_data(as_text=True))["delete_by"]
