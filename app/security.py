"""The web surface: security headers on every response, and the proxy in front of us."""

from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response
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


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        # Behind a reverse proxy, trust its X-Forwarded-* headers (and only its): client
        # addresses for rate limits and security events, https for cookies and HSTS.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
