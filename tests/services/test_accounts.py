"""Accounts: one account per email whatever its case, and passwords that are checked."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role, SecurityEvent, TokenPurpose, User
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


def add_accounts(*pairs: tuple[str, str]) -> None:
    db.session.add_all(
        User(email=email, display_name=name, password_hash="unused") for email, name in pairs
    )
    db.session.commit()


@pytest.mark.parametrize("order", list(accounts.UserOrder))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_of_accounts_of_equal_names_neither_repeat_nor_skip_one(
    app_context, order, descending
):
    add_accounts(*((f"same{number}@example.org", "Same") for number in range(7)))
    seen = []
    for page in (1, 2, 3, 4):
        found = accounts.search_users(
            db.session, "", None, per_page=2, page=page, order=order, descending=descending
        )
        assert (found.total, found.pages, found.page) == (7, 4, page)
        assert (found.first, found.last) == (page * 2 - 1, min(page * 2, 7))
        seen += [user.email for user in found.users]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 7
    past = accounts.search_users(db.session, "", None, per_page=2, page=9, order=order)
    assert past.page == 4 and len(past.users) == 1


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("a_b", ["a_b@example.org"]),
        ("%", ["per%cent@example.org"]),
        ("/", ["sla/sh@example.org"]),
        ("ÑANDÚ", ["x1@example.org"]),
        ("ñandú", ["x1@example.org"]),
        ("andú", ["x1@example.org"]),
        ("ñ", ["x1@example.org"]),
        ("NDU", []),
        ("SOFÍA", ["x2@example.org"]),
        ("ofi", []),
        ("EXAMPLE.ORG", 6),
    ],
)
def test_the_search_finds_text_in_any_letter_case_and_wildcards_as_they_are(
    app_context, text, found
):
    add_accounts(
        ("a_b@example.org", "A"),
        ("axb@example.org", "B"),
        ("per%cent@example.org", "C"),
        ("sla/sh@example.org", "D"),
        ("x1@example.org", "Ñandú"),
        ("x2@example.org", "Sofía"),
    )
    result = accounts.search_users(db.session, text, None, per_page=10)
    if isinstance(found, int):
        assert result.total == found
    else:
        assert [user.email for user in result.users] == found and result.total == len(found)


VALID_FOR = {
    TokenPurpose.RESET_PASSWORD: dt.timedelta(days=30),
    TokenPurpose.CONFIRM_EMAIL: dt.timedelta(hours=2),
}


def test_an_invited_account_signs_in_once_its_link_chose_a_password(app_context):
    user, token = accounts.invite(
        db.session,
        email=" Rui@Example.org",
        display_name="Rui ",
        role=Role.TRAINER,
        language="pt",
        valid_for=VALID_FOR[TokenPurpose.RESET_PASSWORD],
    )
    assert (user.email, user.display_name, user.role) == ("rui@example.org", "Rui", Role.TRAINER)
    assert user.email_confirmed_at is None
    with pytest.raises(accounts.EmailTaken):
        accounts.invite(
            db.session,
            email="RUI@example.org",
            display_name="Other",
            role=Role.ADMIN,
            language=None,
            valid_for=VALID_FOR[TokenPurpose.RESET_PASSWORD],
        )
    purpose, again = accounts.renew_link(db.session, user, VALID_FOR)
    assert purpose is TokenPurpose.RESET_PASSWORD
    assert accounts.reset_password(db.session, token, "a long passphrase") is None, "spent"
    assert accounts.reset_password(db.session, again, "a long passphrase") == user
    assert accounts.authenticate(db.session, "rui@example.org", "a long passphrase") == user
    with pytest.raises(accounts.AlreadyConfirmed):
        accounts.renew_link(db.session, user, VALID_FOR)


def test_a_sign_up_not_confirmed_gets_a_new_confirmation_link(app_context):
    _outcome, user, token = accounts.register(
        db.session,
        email="eva@example.org",
        password="correct horse battery",
        display_name="Eva",
        language="es",
        valid_for=VALID_FOR[TokenPurpose.CONFIRM_EMAIL],
    )
    purpose, again = accounts.renew_link(db.session, user, VALID_FOR)
    assert purpose is TokenPurpose.CONFIRM_EMAIL
    assert accounts.confirm_email(db.session, token) is None, "spent"
    assert accounts.confirm_email(db.session, again) == user
