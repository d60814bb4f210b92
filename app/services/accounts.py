"""Accounts: creating users, checking passwords, roles and language preference."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import ipaddress
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.database import LARGEST_ROW_ID, contains_text, read_at_once
from app.models import (
    PasswordResetToken,
    Role,
    SecurityEvent,
    TokenPurpose,
    User,
    utcnow,
)
from app.services import sessions

# The longest sign-in pause: a lockout goes on the record once per pause.
LOCKOUT_NOTED_AGAIN_AFTER = dt.timedelta(minutes=15)


# How passwords are hashed: werkzeug's scrypt, unless the app's PASSWORD_HASH_METHOD says
# otherwise (the tests choose a cheap one: their accounts guard nothing).
_hashing = {"method": "scrypt"}


def use_hash_method(method: str) -> None:
    _hashing["method"] = method


def _normalised(password: str) -> str:
    # NIST SP 800-63B 5.1.1.2: the same letters typed on another keyboard (a composed "ñ"
    # or an "n" with a combining tilde) are the same password.
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return generate_password_hash(_normalised(password), method=_hashing["method"])


def _password_is(stored_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash. Hashes made before passwords were
    normalised hold the password as it was typed."""
    normalised = _normalised(password)
    if check_password_hash(stored_hash, normalised):
        return True
    return normalised != password and check_password_hash(stored_hash, password)


@functools.cache
def _unused_hash(method: str) -> str:
    """Checked against when the email is unknown, so both failures cost the same time.
    Made at first use rather than at import, which it would slow by a tenth of a second."""
    return generate_password_hash("an unused password that never matches", method=method)


class SecurityEventKind(enum.StrEnum):
    ACCOUNT_CREATED = "account-created"
    SIGNED_IN = "signed-in"
    SIGN_IN_FAILED = "sign-in-failed"
    SIGNED_OUT = "signed-out"
    PASSWORD_RESET = "password-reset"
    PASSWORD_CHANGED = "password-changed"
    LOCKED_OUT = "locked-out"
    SECOND_STEP_FAILED = "second-step-failed"
    RECOVERY_CODE_USED = "recovery-code-used"
    TWO_STEP_ENABLED = "two-step-enabled"
    TWO_STEP_DISABLED = "two-step-disabled"
    TWO_STEP_RESET = "two-step-reset"
    RECOVERY_CODES_RENEWED = "recovery-codes-renewed"
    EMAIL_CHANGED = "email-changed"
    SESSION_ENDED = "session-ended"
    ROLE_CHANGED = "role-changed"


def shortened_address(address: str | None) -> str | None:
    """The network a client's address belongs to, not the address itself: an IPv4 address
    with its last octet zeroed (its /24, 203.0.113.0), an IPv6 address kept to its first 48
    bits (2001:db8:1::), an IPv4 address written as IPv6 (::ffff:203.0.113.7) as the IPv4
    address it is. Enough to tell a sign-in from another country or provider, not to name
    a subscriber. Anything that is not an address is None."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 24 if parsed.version == 4 else 48
    # The network drops an IPv6 zone (fe80::1%eth0) along with the host's bits.
    return str(ipaddress.ip_network((parsed, prefix), strict=False).network_address)


def record_security_event(
    session: Session, user_id: int, kind: SecurityEventKind, ip_address: str | None
) -> None:
    """Keep a security event on the account (purged after the register's retention), with
    the network the request came from rather than its full address."""
    session.add(
        SecurityEvent(
            user_id=user_id,
            kind=kind.value,
            ip_address=shortened_address(ip_address),
            occurred_at=utcnow(),
        )
    )
    session.commit()


def security_events(session: Session, user_id: int, *, limit: int) -> list[SecurityEvent]:
    """The account's security events, the newest first."""
    return list(
        session.scalars(
            sa.select(SecurityEvent)
            .where(SecurityEvent.user_id == user_id)
            .order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())
            .limit(limit)
        )
    )


def touch_activity(session: Session, user_id: int) -> None:
    """Note that the learner is active, at most once a day, and commit when that wrote:
    inactive accounts lapse after the register's retention period, counted from this."""
    if note_activity(session, user_id):
        session.commit()


def note_activity(session: Session, user_id: int) -> bool:
    """`touch_activity` in the current transaction, for the caller to commit with what it
    records: True if it wrote."""
    now = utcnow()
    a_day_ago = now - dt.timedelta(days=1)
    known = session.get(User, user_id)  # usually the signed-in user, already loaded
    if known is not None and known.last_active_at is not None and known.last_active_at >= a_day_ago:
        return False
    session.execute(
        sa.update(User)
        .where(
            User.id == user_id,
            sa.or_(User.last_active_at.is_(None), User.last_active_at < a_day_ago),
        )
        .values(last_active_at=now)
    )
    return True


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _issue_token(
    session: Session,
    user: User,
    purpose: TokenPurpose,
    valid_for: dt.timedelta,
    new_email: str | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + valid_for,
            new_email=new_email,
        )
    )
    session.commit()
    return token


def start_password_reset(
    session: Session, email: str, valid_for: dt.timedelta
) -> tuple[User, str] | None:
    """A new reset link's secret for the account with this email, or None if there is no
    active one. The caller answers the same either way, so nobody learns which it was."""
    user = find_user(session, email)
    if user is None or not user.is_active:
        secrets.token_urlsafe(32)
        return None
    return user, _issue_token(session, user, TokenPurpose.RESET_PASSWORD, valid_for)


def _usable_token(session: Session, token: str, purpose: TokenPurpose) -> PasswordResetToken | None:
    return session.scalar(
        sa.select(PasswordResetToken).where(
            PasswordResetToken.token_hash == _token_hash(token),
            PasswordResetToken.purpose == purpose.value,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > utcnow(),
        )
    )


def usable_link_owner(session: Session, token: str, purpose: TokenPurpose) -> int | None:
    """The account number of an emailed link that still works, or None; without spending
    it (opening a link only shows a page: mail scanners open links too)."""
    usable = _usable_token(session, token, purpose)
    return usable.user_id if usable is not None else None


def confirmed_by_link(session: Session, token: str) -> User | None:
    """The account a confirmation link belongs to, if that account is confirmed: the
    learner the link signed in may open it again (a reload, a second tap)."""
    return session.scalar(
        sa.select(User)
        .join(PasswordResetToken, PasswordResetToken.user_id == User.id)
        .where(
            PasswordResetToken.token_hash == _token_hash(token),
            PasswordResetToken.purpose == TokenPurpose.CONFIRM_EMAIL.value,
            User.email_confirmed_at.is_not(None),
        )
    )


def _spend_tokens(session: Session, user_id: int, purpose: TokenPurpose) -> None:
    session.execute(
        sa.update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user_id,
            PasswordResetToken.purpose == purpose.value,
            PasswordResetToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def _spend_sign_in_links(session: Session, user_id: int) -> None:
    """Spend every open link that could change how the account signs in: once its password
    or address changes, a link sent before (to an address that may no longer be the
    owner's) must not change it again."""
    _spend_tokens(session, user_id, TokenPurpose.RESET_PASSWORD)
    _spend_tokens(session, user_id, TokenPurpose.CHANGE_EMAIL)


def reset_password(
    session: Session, token: str, password: str, ip_address: str | None = None
) -> User | None:
    """Set a new password with a reset link, once: the link and every other open link of
    the account are spent, and every session of the account ends. Following the link also
    proves the address is the account owner's."""
    row = _usable_token(session, token, TokenPurpose.RESET_PASSWORD)
    if row is None:
        return None
    _spend_sign_in_links(session, row.user_id)
    user = session.get(User, row.user_id)
    user.password_hash = hash_password(password)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    sessions.end_all_but(session, user, None)
    record_security_event(session, user.id, SecurityEventKind.PASSWORD_RESET, ip_address)
    return user


class RegistrationOutcome(enum.Enum):
    # A link to confirm the address goes to it; the account exists unconfirmed until then.
    CONFIRM = "confirm"
    # The address already has a confirmed account: its owner is told someone tried.
    ALREADY_REGISTERED = "already-registered"


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    language: str | None,
    valid_for: dt.timedelta,
    ip_address: str | None = None,
) -> tuple[RegistrationOutcome, User, str | None]:
    """Start a registration. Nothing in the outcome is shown to the person registering: the
    page says "check your email" either way, so nobody learns which addresses have accounts.

    Registering again an address that is still unconfirmed replaces the first attempt's
    password and name, so nobody can prepare an account on someone else's address.
    """
    password_hash = hash_password(password)
    user = find_user(session, email)
    if user is not None and user.email_confirmed_at is not None:
        return RegistrationOutcome.ALREADY_REGISTERED, user, None
    if user is None:
        user = create_user(
            session,
            email=email,
            password=password,
            display_name=display_name,
            language=language,
            confirmed=False,
            ip_address=ip_address,
            password_hash=password_hash,
        )
    else:
        user.password_hash = password_hash
        user.display_name = display_name.strip()
        user.language = language
        # Nothing the first attempt was given carries over, a role included.
        user.role = Role.LEARNER
        _spend_tokens(session, user.id, TokenPurpose.CONFIRM_EMAIL)
        session.commit()
    return (
        RegistrationOutcome.CONFIRM,
        user,
        _issue_token(session, user, TokenPurpose.CONFIRM_EMAIL, valid_for),
    )


def confirm_email(session: Session, token: str) -> User | None:
    """Confirm an address with the link sent to it, once; the account can then sign in."""
    row = _usable_token(session, token, TokenPurpose.CONFIRM_EMAIL)
    if row is None:
        return None
    _spend_tokens(session, row.user_id, TokenPurpose.CONFIRM_EMAIL)
    user = session.get(User, row.user_id)
    user.email_confirmed_at = utcnow()
    session.commit()
    return user


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
    confirmed: bool = True,
    ip_address: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create and commit an account; raise EmailTaken if the email is in use. Accounts made
    by admins and the command line count as confirmed; sign-ups confirm by email."""
    now = utcnow()
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=password_hash or hash_password(password),
        role=role,
        language=language,
        last_active_at=now,
        email_confirmed_at=now if confirmed else None,
    )
    session.add(user)
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise EmailTaken(email) from None
    record_security_event(session, user.id, SecurityEventKind.ACCOUNT_CREATED, ip_address)
    return user


def invite(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    language: str | None,
    valid_for: dt.timedelta,
) -> tuple[User, str]:
    """An account the course team opens for someone, and the secret of the link to mail
    them: a password-reset link, which chooses the first password and so confirms the
    address. Until then nobody knows the password, and the account cannot sign in. Raises
    EmailTaken."""
    user = create_user(
        session,
        email=email,
        password=secrets.token_urlsafe(32),
        display_name=display_name,
        role=role,
        language=language,
        confirmed=False,
    )
    return user, _issue_token(session, user, TokenPurpose.RESET_PASSWORD, valid_for)


class AlreadyConfirmed(Exception):
    """The account's address is confirmed: there is no link to send again."""


def renew_link(
    session: Session, user: User, valid_for: dict[TokenPurpose, dt.timedelta]
) -> tuple[TokenPurpose, str]:
    """A new link for an account whose address is not confirmed, of the kind it was sent:
    an invited account (or one that asked for a new password) chooses its password, a
    sign-up confirms its address. The links sent before of that kind are spent."""
    if user.email_confirmed_at is not None:
        raise AlreadyConfirmed
    invited = session.scalar(
        sa.select(
            sa.exists().where(
                PasswordResetToken.user_id == user.id,
                PasswordResetToken.purpose == TokenPurpose.RESET_PASSWORD.value,
            )
        )
    )
    purpose = TokenPurpose.RESET_PASSWORD if invited else TokenPurpose.CONFIRM_EMAIL
    _spend_tokens(session, user.id, purpose)
    return purpose, _issue_token(session, user, purpose, valid_for[purpose])


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None, in the same time for an
    unknown email as for a wrong password. A failure is noted apart (`record_failed_sign_in`),
    after the answer: writing it first would make a known email answer later."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_unused_hash(_hashing["method"]), password)
        return None
    right = _password_is(user.password_hash, password)
    if not right or not user.is_active or user.email_confirmed_at is None:
        return None
    return user


def record_failed_sign_in(session: Session, email: str, ip_address: str | None) -> None:
    """A failed sign-in, as a security event on the account it names, if there is one."""
    user = find_user(session, email)
    if user is not None:
        record_security_event(session, user.id, SecurityEventKind.SIGN_IN_FAILED, ip_address)


def signed_in(session: Session, user: User, ip_address: str | None) -> None:
    """Note a sign-in completed (after the second step, where there is one)."""
    record_security_event(session, user.id, SecurityEventKind.SIGNED_IN, ip_address)
    touch_activity(session, user.id)


def change_password(session: Session, user: User, password: str) -> None:
    """Set a new password chosen by the signed-in owner; the caller ends the account's other
    sessions."""
    _spend_sign_in_links(session, user.id)
    user.password_hash = hash_password(password)
    session.commit()


def record_lockout(session: Session, email: str, ip_address: str | None) -> None:
    """Note that sign-in to the account is paused after too many failures: once per pause,
    not at every refused try."""
    user = find_user(session, email)
    if user is None:
        return
    latest = session.scalar(
        sa.select(sa.func.max(SecurityEvent.occurred_at)).where(
            SecurityEvent.user_id == user.id,
            SecurityEvent.kind == SecurityEventKind.LOCKED_OUT.value,
        )
    )
    if latest is None or utcnow() - latest > LOCKOUT_NOTED_AGAIN_AFTER:
        record_security_event(session, user.id, SecurityEventKind.LOCKED_OUT, ip_address)


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the user's, for confirming a sensitive action."""
    return _password_is(user.password_hash, password)


class LastAdmin(Exception):
    """The change would leave the platform without an active admin."""


class NotConfirmed(Exception):
    """A role for an address nobody has confirmed: whoever typed it may not own it."""


def set_role(session: Session, user: User, role: Role) -> None:
    """Give a user another role (no checks: for the command line and set-up)."""
    user.role = role
    session.commit()


def _is_last_active_admin(session: Session, user: User) -> bool:
    if user.role is not Role.ADMIN or not user.is_active or user.email_confirmed_at is None:
        return False
    # Only admins who can sign in count: an unconfirmed account cannot.
    admins = session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(
            User.role == Role.ADMIN,
            User.is_active.is_(True),
            User.email_confirmed_at.is_not(None),
        )
    )
    return admins <= 1


def change_role(session: Session, user: User, role: Role) -> None:
    """Change a role from the admin pages, in the current transaction (the caller commits
    it with its audit entry); the last active admin keeps theirs, and an unconfirmed
    sign-up can be made nothing but a learner."""
    if role is not Role.LEARNER and user.email_confirmed_at is None:
        raise NotConfirmed
    if role is not Role.ADMIN and _is_last_active_admin(session, user):
        raise LastAdmin
    user.role = role


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate an account (it can no longer sign in) or reactivate it, in the current
    transaction (the caller commits it with its audit entry)."""
    if not active and _is_last_active_admin(session, user):
        raise LastAdmin
    user.is_active = active


class UserOrder(enum.StrEnum):
    """What the admin list of accounts can be sorted by."""

    EMAIL = "email"
    NAME = "name"
    ROLE = "role"
    CREATED = "created"


# Each order ends on a unique column, so that pages neither repeat nor skip an account;
# each has its own index (the email's unique one, the others in the models).
_USER_ORDERS = {
    UserOrder.EMAIL: (User.email,),
    UserOrder.NAME: (User.display_name, User.id),
    UserOrder.ROLE: (User.role, User.email),
    UserOrder.CREATED: (User.created_at, User.id),
}


@dataclass(frozen=True)
class UserPage:
    """One page of the accounts found, and where it stands among them."""

    users: list[User]
    total: int
    page: int
    pages: int
    # The place of the page's first account among those found, counted from 1.
    first: int

    @property
    def last(self) -> int:
        return self.first + len(self.users) - 1


def search_users(
    session: Session,
    text: str,
    role: Role | None,
    *,
    per_page: int,
    page: int = 1,
    order: UserOrder = UserOrder.EMAIL,
    descending: bool = False,
    within: sa.Select | None = None,
) -> UserPage:
    """Accounts whose email or name contains `text`, optionally of one role, and among the
    ids `within` selects (a course's or a cohort's members) if given: the `page`-th
    `per_page` of them in `order` (the last page for one past it), and how many match in
    all."""
    condition = sa.true() if within is None else User.id.in_(within)
    # As typed on some keyboards, "ñ" is an n and a combining tilde: compose it as stored.
    text = unicodedata.normalize("NFC", text)
    if text:
        condition = sa.and_(
            condition,
            sa.or_(
                contains_text(User.email, text.lower()),
                contains_text(User.display_name, text.lower()),
            ),
        )
    if role is not None:
        condition = sa.and_(condition, User.role == role)
    columns = [column.desc() if descending else column for column in _USER_ORDERS[order]]

    def on_page(number: int) -> sa.Select:
        # The accounts before the page are skipped in the order's index alone: only the
        # page's own rows are read from the table, however far into the list it is.
        return (
            sa.select(User.id)
            .where(condition)
            .order_by(*columns)
            .limit(per_page)
            .offset((number - 1) * per_page)
        )

    # However far a page is asked for, its offset stays a number the database holds.
    page = min(max(page, 1), LARGEST_ROW_ID // per_page)
    # A search reads every account twice, to count and to find the page: at once.
    counted, ids = read_at_once(
        session, sa.select(sa.func.count()).select_from(User).where(condition), on_page(page)
    )
    total = counted[0][0]
    pages = max(1, -(-total // per_page))
    if page > pages:
        page = pages
        ids = session.execute(on_page(page)).all()
    found = list(
        session.scalars(
            sa.select(User).where(User.id.in_([row.id for row in ids])).order_by(*columns)
        )
    )
    first = (page - 1) * per_page + 1 if found else 0
    return UserPage(users=found, total=total, page=page, pages=pages, first=first)


def list_users(session: Session) -> list[User]:
    """Every user, oldest account first."""
    return list(session.scalars(sa.select(User).order_by(User.id)))


def remember_language(session: Session, user: User, language: str) -> None:
    """Keep the language the learner reads in, so the next visit to `/` opens in it."""
    user.language = language
    session.commit()


def rename(user: User, display_name: str) -> bool:
    """Change the name the account is shown under, in the current transaction (the caller
    commits it, with its audit entry when the course team corrected it); whether it
    changed. The name is checked by the form, with the rules of signing up."""
    display_name = display_name.strip()
    if display_name == user.display_name:
        return False
    user.display_name = display_name
    return True


def set_language(user: User, language: str) -> bool:
    """Choose the language the course opens in and emails are written in, in the current
    transaction (the caller commits it, and checks the course offers it); whether it
    changed. Reading a page in another language changes it too (`remember_language`)."""
    if language == user.language:
        return False
    user.language = language
    return True


class SameAddress(Exception):
    """The address given is the account's own already."""


def start_email_correction(
    session: Session, user: User, new_email: str, valid_for: dt.timedelta
) -> tuple[str, str]:
    """`start_email_change` for the course team correcting an account's address: the same
    link to the new address, which changes nothing until it is opened. The team, unlike
    someone signed in, is told why it cannot be: SameAddress, or EmailTaken."""
    started = start_email_change(session, user, new_email, valid_for)
    if started is None:
        raise SameAddress if normalise_email(new_email) == user.email else EmailTaken(new_email)
    return started


def start_email_change(
    session: Session, user: User, new_email: str, valid_for: dt.timedelta
) -> tuple[str, str] | None:
    """A link's secret that will make `new_email` the account's address, and that address;
    None when another account has it already (the caller answers the same either way)."""
    new_email = normalise_email(new_email)
    if new_email == user.email or find_user(session, new_email) is not None:
        return None
    _spend_tokens(session, user.id, TokenPurpose.CHANGE_EMAIL)
    token = _issue_token(session, user, TokenPurpose.CHANGE_EMAIL, valid_for, new_email=new_email)
    return new_email, token


def confirm_email_change(session: Session, token: str) -> tuple[User, str] | None:
    """Make the link's new address the account's, once; returns the account and its old
    address, or None for a link that no longer works. Raises EmailTaken (the link spent)
    if another account took the new address meanwhile."""
    row = _usable_token(session, token, TokenPurpose.CHANGE_EMAIL)
    if row is None:
        return None
    user_id, new_email = row.user_id, row.new_email
    # The links are spent with the change itself: no link asked for in between survives it.
    _spend_sign_in_links(session, user_id)
    user = session.get(User, user_id)
    old_email = user.email
    user.email = new_email
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        _spend_tokens(session, user_id, TokenPurpose.CHANGE_EMAIL)
        session.commit()
        raise EmailTaken(new_email) from None
    return user, old_email
