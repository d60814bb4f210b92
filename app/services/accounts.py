"""Accounts: creating users, checking passwords, roles and language preference."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import Role, User

MIN_PASSWORD_LENGTH = 8
# Checked against when the email is unknown, so both failures cost the same time.
_UNUSED_HASH = generate_password_hash("an unused password that never matches")


class EmailTaken(Exception):
    """An account with this email address already exists."""


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces: one person, one account."""
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    """The user with this email (in any case), or None."""
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role = Role.LEARNER,
    language: str | None = None,
) -> User:
    """Create and commit an account; raise EmailTaken if the email is in use."""
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=generate_password_hash(password),
        role=role,
        language=language,
    )
    session.add(user)
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise EmailTaken(email) from None
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_UNUSED_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def set_role(session: Session, user: User, role: Role) -> None:
    """Give a user another role."""
    user.role = role
    session.commit()


def list_users(session: Session) -> list[User]:
    """Every user, oldest account first."""
    return list(session.scalars(sa.select(User).order_by(User.id)))


def remember_language(session: Session, user: User, language: str) -> None:
    """Keep the language the learner reads in, so the next visit to `/` opens in it."""
    user.language = language
    session.commit()
