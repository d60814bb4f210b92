"""Accounts: one account per email whatever its case, and passwords that are checked."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Role
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
