"""Who may open what: the one decorator every protected view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from app.extensions import login_manager
from app.models import Role


def role_required(*roles: Role) -> Callable:
    """Signed-in users with one of `roles` only: others are sent to sign in, or get a 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def signed_in(view: Callable) -> Callable:
    """Any signed-in user."""
    return role_required(*Role)(view)
