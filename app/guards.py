"""Who may open what: the one decorator every protected view uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import login_manager
from app.models import Role

# In the session: the secret of this browser's row in user_sessions, when every step of
# signing in (or of confirming it is still the owner) was last passed, and whether the
# password must be changed before anything else.
SESSION_SECRET = "sid"
AUTHENTICATED_AT = "authenticated_at"
MUST_CHANGE_PASSWORD = "must_change_password"
# ASVS 3.7.1: how long ago the password (and second step) may have been given before a
# sensitive action asks for them again.
RECENT_AUTHENTICATION_SECONDS = 15 * 60
# Whether it was a learning platform (LTI) that last signed the person in: it vouched for
# them, and they may have no password of this site's to give.
SIGNED_IN_BY_PLATFORM = "signed_in_by_platform"


def page_to_return_to() -> str:
    """Where to come back to after a detour (signing in, confirming it is you): the page
    itself, or, for a form, the page the form was on (the form's own address answers only
    POST)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return f"{referrer.path}?{referrer.query}" if referrer.query else referrer.path
    return url_for("learn.home")


def mark_authenticated(*, by_platform: bool = False) -> None:
    session[AUTHENTICATED_AT] = int(time.time())
    session[SIGNED_IN_BY_PLATFORM] = by_platform


def signed_in_by_platform() -> bool:
    return bool(session.get(SIGNED_IN_BY_PLATFORM))


def recently_authenticated() -> bool:
    return time.time() - session.get(AUTHENTICATED_AT, 0) < RECENT_AUTHENTICATION_SECONDS


def two_step_required(user) -> bool:
    """Whether the site requires two-step sign-in of this account: of admins, where
    REQUIRE_TWO_STEP_FOR_ADMINS says so."""
    return user.role is Role.ADMIN and current_app.config.get("REQUIRE_TWO_STEP_FOR_ADMINS", False)


def needs_two_step_first() -> bool:
    """An admin without two-step sign-in where the site requires it of admins."""
    return two_step_required(current_user) and not current_user.has_two_step


def role_required(*roles: Role) -> Callable:
    """Signed-in users with one of `roles` only: others are sent to sign in, or get a 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            if set(roles) != set(Role) and needs_two_step_first():
                flash(_("Please turn on two-step sign-in before using the staff pages."), "info")
                return redirect(url_for("account.two_step_setup", next=page_to_return_to()))
            return view(*args, **kwargs)

        return guarded

    return decorate


def signed_in(view: Callable) -> Callable:
    """Any signed-in user."""
    return role_required(*Role)(view)


def recent_authentication(view: Callable) -> Callable:
    """Signed-in users who gave their password (and second step) in the last 15 minutes:
    others confirm it is them first, and come back to the page."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not recently_authenticated():
            flash(_("For your security, please confirm it is you."), "info")
            return redirect(url_for("account.confirm_identity", next=page_to_return_to()))
        return view(*args, **kwargs)

    return guarded
