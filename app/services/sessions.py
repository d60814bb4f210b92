"""Signed-in sessions, one per browser: started at sign-in, listed for their owner, ended
one at a time or all but the current one. A session cookie carries the secret; only its
hash is stored, so the table alone signs nobody in."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import User, UserSession, new_session_token, utcnow

# Noting every request would write on every page: once in a while is enough to tell a
# device in use from one forgotten.
LAST_USED_PRECISION = dt.timedelta(minutes=5)

# Checked in order: Edge and Opera also name Chrome, and Chrome names Safari.
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Chromium", "Chromium"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str | None) -> str | None:
    """A browser and system a person recognises ("Firefox · Android") from a User-Agent, or
    None when it names neither: the raw header says more about a person than they need."""
    agent = user_agent or ""
    # Products are named "Name/version"; "HeadlessChrome/…" is Chrome too.
    browser = next((name for token, name in _BROWSERS if f"{token}/" in agent), None)
    system = next((name for token, name in _SYSTEMS if token in agent), None)
    found = [part for part in (browser, system) if part]
    return " · ".join(found) if found else None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start(session: Session, user: User, user_agent: str | None) -> str:
    """A new session for the account; returns the secret its cookie keeps."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(secret),
            device=describe_device(user_agent),
            created_at=now,
            last_used_at=now,
        )
    )
    session.commit()
    return secret


# Built once: every signed-in request asks them.
_SESSION = sa.select(UserSession).where(
    UserSession.user_id == sa.bindparam("user_id"),
    UserSession.token_hash == sa.bindparam("token_hash"),
)
_ACCOUNT_AND_SESSION = (
    sa.select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(User.id == sa.bindparam("user_id"), UserSession.token_hash == sa.bindparam("token_hash"))
)


def find(session: Session, user_id: int, secret: str | None) -> UserSession | None:
    """The account's session with this secret, still open; its use is noted now and then."""
    if not secret:
        return None
    found = session.scalar(_SESSION, {"user_id": user_id, "token_hash": _hash(secret)})
    _note_use(session, found)
    return found


def account_of(session: Session, user_id: int, token: str, secret: str | None) -> User | None:
    """The active account of a session cookie: its token still the account's current one,
    and the session of its browser (`secret`) still open. The account and that session are
    read at once: every signed-in request asks."""
    if not secret:
        return None
    found = session.execute(
        _ACCOUNT_AND_SESSION, {"user_id": user_id, "token_hash": _hash(secret)}
    ).first()
    if found is None:
        return None
    user, browser_session = found
    if not user.is_active or not secrets.compare_digest(user.session_token, token):
        return None
    _note_use(session, browser_session)
    return user


def _note_use(session: Session, found: UserSession | None) -> None:
    if found is not None and utcnow() - found.last_used_at >= LAST_USED_PRECISION:
        found.last_used_at = utcnow()
        session.commit()


def of_account(session: Session, user_id: int) -> list[UserSession]:
    """The account's open sessions, the most recently used first."""
    return list(
        session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user_id)
            .order_by(UserSession.last_used_at.desc(), UserSession.id.desc())
        )
    )


def end(session: Session, user_id: int, session_id: int) -> bool:
    """End one of the account's sessions; False if it has no such session (any more)."""
    ended = session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user_id, UserSession.id == session_id)
    )
    session.commit()
    return ended.rowcount > 0


def end_by_secret(session: Session, user_id: int, secret: str | None) -> None:
    """End the session a cookie names (signing out of this browser)."""
    if secret:
        session.execute(
            sa.delete(UserSession).where(
                UserSession.user_id == user_id, UserSession.token_hash == _hash(secret)
            )
        )
        session.commit()


def end_all_but(session: Session, user: User, keep_secret: str | None) -> int:
    """End every session of the account but the one kept (none when None), and replace the
    account's session key, so that no cookie made before (a remember-me one included)
    still signs in. Returns how many ended."""
    condition = UserSession.user_id == user.id
    if keep_secret:
        condition = sa.and_(condition, UserSession.token_hash != _hash(keep_secret))
    ended = session.execute(sa.delete(UserSession).where(condition))
    user.session_token = new_session_token()
    session.commit()
    return ended.rowcount
