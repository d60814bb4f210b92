"""Counting tries at a secret (a password, a second-step code), so that guessing stays slow
while the owner keeps a way in.

Each try is counted before the secret is checked, so that tries sent at the same moment
cannot slip past a limit, and given back when the secret was right: only failures count,
and a class signing in together from one school network is no guessing.

- From a browser that has not signed in to the account before: per address (20 a minute,
  200 an hour), per account and address (10 per 15 minutes) and per account from all
  addresses together (100 an hour, ASVS 2.2.1).
- From a browser that has (OWASP's device cookies): per account and browser alone (10 per
  15 minutes), so that guessing from anywhere, the owner's own network included, cannot
  lock the owner out of the browsers they use. The cookie holds a random name for the
  browser and, for each account, a fingerprint of its password: a new password ends the
  trust, and no cookie can be made without the app's key.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable, Sequence

from flask import abort, current_app, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse, parse_many

from app.errors import too_many_tries
from app.extensions import client_address, content, db, limiter
from app.models import User
from app.services import accounts
from app.services.privacy import accounts_present

PER_ADDRESS = parse_many("20 per minute; 200 per hour")
PER_ACCOUNT = parse("10 per 15 minutes")
PER_ACCOUNT_HOURLY = parse("100 per hour")

COOKIE = "aula_signed_in_before"
# A shared computer may remember a few accounts; more would only grow the cookie.
ACCOUNTS_REMEMBERED = 5

# What one try is counted against: a limit, and whose count it is.
Counted = tuple[RateLimitItem, str]


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="trusted-browser")


def password_fingerprint(user: User) -> str:
    """Names the account's password without telling it: it changes with the password."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _remembered() -> tuple[str, dict[int, str]]:
    """This browser's random name and the accounts it signed in to, with the fingerprint
    of each one's password then; nothing for a cookie the app did not make."""
    try:
        found = _signer().loads(request.cookies.get(COOKIE, ""))
        browser, accounts = found["browser"], {int(n): str(f) for n, f in found["accounts"]}
    except (BadSignature, KeyError, TypeError, ValueError):
        return "", {}
    return (browser, accounts) if isinstance(browser, str) else ("", {})


def trusted_browser(user: User | None) -> str | None:
    """This browser's name, if it signed in to the account with the password it has now."""
    if user is None or COOKIE not in request.cookies:
        return None
    browser, accounts = _remembered()
    return browser if browser and accounts.get(user.id) == password_fingerprint(user) else None


def trust_this_browser(response, user: User) -> None:
    """Remember that this browser signed in to the account, in a cookie sent only to the
    sign-in pages: the pages learners read get no cookie more (a visitor's page kept whole
    is served only to browsers that send none)."""
    browser, accounts = _remembered()
    # Accounts erased since are forgotten (the cookie is sent to the sign-in page alone, so
    # erasing cannot reach it): their numbers name nobody, and are never given again.
    existing = accounts_present(db.session, accounts) if accounts else []
    remembered = [[user.id, password_fingerprint(user)]]
    remembered += [[n, accounts[n]] for n in existing if n != user.id]
    value = _signer().dumps(
        {
            "browser": browser or secrets.token_urlsafe(16),
            "accounts": remembered[:ACCOUNTS_REMEMBERED],
        }
    )
    for language in content.catalogue.languages:
        response.set_cookie(
            COOKIE,
            value,
            max_age=content.register.cookie(COOKIE).days * 24 * 3600,
            path=url_for("account.login", lang=language),
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            httponly=True,
            samesite="Lax",
        )


def sign_in_counts(account: str, user: User | None) -> list[Counted]:
    """What a try at the account's password counts against. `account` names the account
    and its password, so that choosing a new one (by an emailed link) starts afresh."""
    browser = trusted_browser(user)
    if browser:
        return [(PER_ACCOUNT, f"sign-in:{account}:browser:{browser}")]
    address = client_address()
    return [
        *((limit, f"sign-in:{address}") for limit in PER_ADDRESS),
        (PER_ACCOUNT, f"sign-in:{account}@{address}"),
        (PER_ACCOUNT_HOURLY, f"sign-in:{account}"),
    ]


def second_step_counts(user: User) -> list[Counted]:
    """What a try at a second-step code counts against: the password was right, so the
    account alone, and the address for good measure."""
    address = client_address()
    return [
        *((limit, f"second-step:{address}") for limit in PER_ADDRESS),
        (PER_ACCOUNT, f"second-step:{user.id}"),
    ]


def password_check_counts(user: User) -> list[Counted]:
    """What a signed-in person's try at their password counts against (confirming it is
    them, changing it, erasing the account): a session on a shared computer, or a stolen
    cookie, must not guess it faster than the sign-in page allows."""
    return [(PER_ACCOUNT, f"password-check:{user.id}")]


def take_a_try(counted: Sequence[Counted]) -> int | None:
    """Count one try against each limit, or, if any is already used up, none: then the
    seconds to wait. Counted before the secret is checked, tries sent at the same moment
    cannot all find a limit not yet reached."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy = limiter.limiter
    refused = [(limit, key) for limit, key in counted if not strategy.hit(limit, key)]
    if not refused:
        return None
    # Refused, the try is not made: it uses up nothing more.
    give_back(counted)
    now = time.time()
    return max(
        min(
            max(1, math.ceil(strategy.get_window_stats(limit, key).reset_time - now)),
            limit.get_expiry(),
        )
        for limit, key in refused
    )


def give_back(counted: Sequence[Counted]) -> None:
    """The secret was right: the try was no guess."""
    if current_app.config.get("RATELIMIT_ENABLED", True):
        for limit, key in counted:
            limiter.limiter.hit(limit, key, cost=-1)


def checked(counted: Sequence[Counted], check: Callable[[], bool]) -> bool:
    """Whether `check` finds the secret right, as one counted try; a 429 when the tries
    are used up. A right secret gives its try back."""
    wait = take_a_try(counted)
    if wait is not None:
        abort(too_many_tries(wait))
    right = check()
    if right:
        give_back(counted)
    return right


def password_is_right(user: User, password: str) -> bool:
    """Whether a signed-in person typed their password, counted like a sign-in."""
    return checked(password_check_counts(user), lambda: accounts.password_matches(user, password))
