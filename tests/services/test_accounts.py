"""Accounts: one account per email whatever its case, and passwords that are checked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role, SecurityEvent
from app.services import accounts


def test_emails_are_unique_regardless_of_case(app_context):
    accounts.create_user(db.session, email="Ana@Example.org", password="x" * 10, display_name="Ana")
    with pytest.raises(accounts.EmailTaken):
        accounts.create_user(
            db.session, email=" ana@example.ORG ", password="y" * 10, display_name="Other"
        )
    assert [user.email for user in accounts.list_users(db.session)] == ["ana@example.org"]


def test_passwords_are_hashed_and_checked(app_context):
    user = accounts.create_user(
        db.session, email="bo@example.org", password="secret words", display_name="Bo"
    )
    assert "secret words" not in user.password_hash
    assert accounts.authenticate(db.session, "BO@example.org", "secret words") == user
    assert accounts.authenticate(db.session, "bo@example.org", "wrong words") is None
    assert accounts.authenticate(db.session, "nobody@example.org", "secret words") is None


def test_a_deactivated_account_cannot_sign_in(app_context):
    user = accounts.create_user(
        db.session, email="cy@example.org", password="secret words", display_name="Cy"
    )
    user.is_active = False
    db.session.commit()
    assert accounts.authenticate(db.session, "cy@example.org", "secret words") is None


def test_new_accounts_are_learners_and_roles_can_change(app_context):
    user = accounts.create_user(
        db.session, email="di@example.org", password="secret words", display_name="Di"
    )
    assert user.role is Role.LEARNER
    accounts.set_role(db.session, user, Role.TRAINER)
    db.session.expire_all()
    assert accounts.find_user(db.session, "di@example.org").role is Role.TRAINER


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("fe80::1%eth0", "fe80::"),
        ("not an address", None),
        ("203.0.113.77, 198.51.100.1", None),
        ("", None),
        (None, None),
    ],
    ids=["IPv4", "IPv6", "IPv4-mapped", "IPv6 zone", "garbage", "a list", "empty", "none"],
)
def test_security_events_keep_the_network_not_the_address(app_context, address, kept):
    assert accounts.shortened_address(address) == kept
    user = accounts.create_user(
        db.session, email="di@example.org", password="secret words", display_name="Di"
    )
    accounts.signed_in(db.session, user, address)
    recorded = db.session.scalars(
        sa.select(SecurityEvent.ip_address)
        .where(SecurityEvent.user_id == user.id)
        .order_by(SecurityEvent.id)
    ).all()
    assert recorded == [None, kept], "the account's creation came with no address"
