"""The web surface: security headers on every response, and the proxy in front of us."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, abort, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Request, Response
from flask_login import current_user
from itsdangerous import BadSignature
from werkzeug.middleware.proxy_fix import ProxyFix

# Everything comes from this origin, no inline script or style, and no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Until when (Unix time) a session kept after the browser closes lasts: the days the data
# register gives the session cookie, counted from signing in, not from the last change.
KEPT_UNTIL = "kept_until"

# Files that are the same whoever asks: the app's own, and the lessons' pictures.
SAME_FOR_EVERYONE = {"static", "learn.lesson_file"}

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint not in SAME_FOR_EVERYONE and current_user.is_authenticated:
        # A signed-in page shows someone's data: no browser or proxy cache keeps a copy
        # for the next person at a shared computer.
        headers.setdefault("Cache-Control", "no-store")
    return response


# Forms that carry a file, by endpoint, with the setting that gives their limit: larger than
# every other form's (MAX_CONTENT_LENGTH), and a little over the file's own limit, so that a
# file just over it is refused in words by the view rather than by a bare 413.
UPLOAD_LIMITS = {"author.upload_picture": "MAX_PICTURE_BYTES"}
UPLOAD_ROOM = 64 * 1024


def _allow_larger_uploads() -> None:
    setting = UPLOAD_LIMITS.get(request.endpoint or "")
    if setting is not None:
        request.max_content_length = current_app.config[setting] + UPLOAD_ROOM


def _refuse_nul_characters() -> None:
    """No person types a NUL character, and databases refuse to store one (PostgreSQL
    raises): a request carrying one anywhere is bad input, answered with a 400."""
    values = [request.path, *request.args.values()]
    if request.method == "POST" and request.mimetype in FORM_TYPES:
        values.extend(request.form.values())
    if any("\x00" in value for value in values):
        abort(400)


def _refuse_forwarded_addresses_that_are_none() -> None:
    """The proxy forwards the address the client reached it from. A forwarded one that is
    no address at all (any text, too long for where security events keep it, say) was sent
    by the client: round the proxy, or through one that passes on what it is sent. It is
    bad input, answered with a 400, never recorded."""
    address = request.remote_addr
    if address == request.environ["werkzeug.proxy_fix.orig"]["REMOTE_ADDR"]:
        return
    try:
        forwarded = ipaddress.ip_address(address or "")
    except ValueError:
        abort(400)
    # A zone ("fe80::1%eth0") names a link of the proxy's own, never a client's, and may be
    # any length.
    if getattr(forwarded, "scope_id", None):
        abort(400)


SCHEMES = {"http", "https"}


class _ForwardedSchemeChecked:
    """Leaves out an X-Forwarded-Proto that names no web scheme. The proxy only ever sends
    http or https; anything else came from a client round it, and would make a scheme of
    its own, with pages kept for it (app/kept_pages.py keeps visitors' pages by scheme)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
        if forwarded is not None and {p.strip() for p in forwarded.split(",")} - SCHEMES:
            del environ["HTTP_X_FORWARDED_PROTO"]
        return self.wsgi_app(environ, start_response)


# Set in the WSGI environment by the kept pages' middleware: the session cookie it read and
# checked (`read_session_cookie`), with its values, which the session then opens from.
SESSION_READ = "aula.session_read"


def read_session_cookie(app: Flask, stored: str) -> dict | None:
    """The values of a session cookie; None for one this site did not sign, or that has
    expired."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    if serializer is None:
        return None
    try:
        values = serializer.loads(
            stored, max_age=int(app.permanent_session_lifetime.total_seconds())
        )
    except BadSignature:
        return None
    return values if isinstance(values, dict) else None


class _SessionsKeptFromSignIn(SecureCookieSessionInterface):
    """A session the person chose to keep expires when the notice says, counted from
    signing in: Flask would count it again from every change made to the session."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # The kept pages' middleware has read and checked this very cookie already.
        read = request.environ.get(SESSION_READ)
        if read is not None and read[0] == request.cookies.get(self.get_cookie_name(app)):
            return self.session_class(read[1])
        return super().open_session(app, request)

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> dt.datetime | None:
        kept_until = session.get(KEPT_UNTIL) if session.permanent else None
        if isinstance(kept_until, int):
            return dt.datetime.fromtimestamp(kept_until, dt.UTC)
        return super().get_expiration_time(app, session)


def init_app(app: Flask) -> None:
    app.session_interface = _SessionsKeptFromSignIn()
    app.before_request(_allow_larger_uploads)
    app.before_request(_refuse_nul_characters)
    app.after_request(_add_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        # Behind a reverse proxy, trust its X-Forwarded-* headers (and only its): client
        # addresses for rate limits and security events, https for cookies and HSTS. Not
        # X-Forwarded-Prefix: the site is served at the root, and a prefix a client sent
        # would be built into the links of pages kept for every visitor.
        app.wsgi_app = _ForwardedSchemeChecked(  # type: ignore[method-assign]
            ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=0)
        )
        app.before_request(_refuse_forwarded_addresses_that_are_none)
