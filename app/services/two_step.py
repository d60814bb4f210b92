"""Two-step sign-in: a code from an authenticator app (TOTP, RFC 6238) after the password,
or one of ten single-use recovery codes when the app is out of reach."""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import RecoveryCode, User, utcnow

RECOVERY_CODES = 10
# A code stays good for the step before and after its own: phones' clocks drift, and
# typing one takes a while.
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing read as another (0/o, 1/l)


def new_secret() -> str:
    return pyotp.random_base32()


def setup_address(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code_svg(address: str) -> str:
    """The address as an SVG QR code to put in the page, dark on light whatever the theme
    (a scanner needs the contrast)."""
    # Imported by the page that sets the app up, the only one showing a QR code.
    import segno

    return segno.make(address, error="m").svg_inline(
        border=4, dark="#000", light="#fff", omitsize=True
    )


def _digits(code: str) -> str:
    return "".join(code.split())


def _accepted_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The time step whose code this is, within the drift allowed and later than the last
    accepted one, or None."""
    code = _digits(code)
    if not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(time.time())
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(session: Session, user: User, code: str) -> bool:
    """Whether the code is the account's current one, used for the first time: once a code
    signs in, neither it nor an earlier one works again (ASVS 2.8.4)."""
    if user.two_step_secret is None:
        return False
    step = _accepted_step(user.two_step_secret, code, user.two_step_last_step)
    if step is None:
        return False
    # In one statement: of two requests sent at once with the same code, one alone wins.
    taken = session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.two_step_last_step.is_(None), User.two_step_last_step < step),
        )
        .values(two_step_last_step=step)
    )
    session.commit()
    return taken.rowcount == 1


def _code_hash(code: str) -> str:
    normalised = "".join(character for character in code.lower() if character.isalnum())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _new_recovery_code() -> str:
    characters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{characters[:5]}-{characters[5:]}"


def renew_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new recovery codes, which replace any earlier ones. Shown once: only their
    hashes are kept."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    now = utcnow()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_code_hash(code), created_at=now) for code in codes
    )
    session.commit()
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one of the account's recovery codes, if this is one not used yet."""
    spent = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    session.commit()
    return spent.rowcount == 1


def recovery_codes_left(session: Session, user_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )


def enable(session: Session, user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-step sign-in on with the secret the app was given, once a code from the app
    proves it was set up; returns the recovery codes, or None for a wrong code."""
    step = _accepted_step(secret, code, None)
    if step is None:
        return None
    user.two_step_secret = secret
    user.two_step_last_step = step
    session.commit()
    return renew_recovery_codes(session, user)


def disable(session: Session, user: User) -> None:
    """Turn two-step sign-in off (by the person, or by an admin for a lost device)."""
    user.two_step_secret = None
    user.two_step_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.commit()
