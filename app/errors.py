"""Error pages for people: translated HTML (or JSON when asked for, or plain text when no
address on the site can be made), never a traceback."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import NoReturn

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    abort,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadHost, HTTPException, InternalServerError

from app.content import Lesson
from app.content.lint import APP_LESSON_LINK
from app.extensions import content, db, limiter

log = logging.getLogger(__name__)

_UNAVAILABLE_MESSAGE = _l(
    "The course is briefly unavailable. Please try again in a moment: nothing you saved "
    "has been lost."
)

# What a reader is told for each status; anything else falls back to the generic text.
_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    401: (_l("Not signed in"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. It may have moved, or the link may be wrong."),
    ),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Not possible"), _l("This cannot be done at the moment.")),
    410: (_l("Link no longer valid"), _l("This link has expired or has already been used.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    422: (_l("Please check the form"), _l("Some of what you entered could not be accepted.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    503: (_l("Briefly unavailable"), _UNAVAILABLE_MESSAGE),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred on our side. Nothing you saved has been lost."),
    ),
}
# A host no address can be made for (a label longer than the 63 characters DNS allows,
# say): no browser sends one to a site it has reached.
BAD_HOST_MESSAGE = _l("The name of the site in the address is not valid. Please check the address.")
CSRF_MESSAGE = _l(
    "The form has expired or was sent from another page. Please go back, reload the page "
    "and try again."
)


# A way on from an error page: an address and what it leads to.
HelpLink = tuple[str, str]


def _respond(status: int, message: str | None = None, help_links: Sequence[HelpLink] = ()):
    title, default_message = _MESSAGES.get(status, (_l("Error"), _l("The request failed.")))
    message = message or str(default_message)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ):
        return jsonify(error=str(title), message=message, status=status), status
    if request_ctx.url_adapter is None:
        # Werkzeug could not read the request's host, so no address on the site can be
        # made for it: the page's stylesheet and links would each need one.
        text = f"{title}\n\n{message}\n"
        return Response(text, mimetype="text/plain"), status
    g.error_page = True
    return render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        lesson=_lesson_of_path(),
        help_links=help_links,
    ), status


def _lesson_of_path() -> Lesson | None:
    """The lesson an address belongs to, even one that matches no page: its error page then
    leads back to the lesson rather than only to the course."""
    found = APP_LESSON_LINK.match(request.path)
    if g.get("course_hidden"):
        return None
    course = content.catalogue.course(found["course"]) if found else None
    return course.published_lesson(found["slug"]) if course else None


def refuse(status: int, message: str, help_links: Sequence[HelpLink] = ()) -> NoReturn:
    """Stop the request with a translated error page (or JSON) carrying a specific message,
    and the ways on from it that the page offers besides the course."""
    response, _status = _respond(status, message, help_links)
    abort(make_response(response, status))


def _handle_http_error(error: HTTPException):
    response = make_response(_respond(error.code or 500))
    # What the error itself says to clients, such as a 405's Allow.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_rate_limit(error: RateLimitExceeded):
    current = limiter.current_limit
    wait = 60
    if current is not None:
        # The reset time is rounded up to the next second: never more than the window.
        wait = min(max(1, math.ceil(current.reset_at - time.time())), current.limit.get_expiry())
    return too_many_tries(wait)


def too_many_tries(wait: int):
    """Too many tries: say for how long, and, at sign-in, the way round a forgotten
    password."""
    minutes = math.ceil(wait / 60)
    message = ngettext(
        "Too many tries in a short time. Please try again in %(num)d minute.",
        "Too many tries in a short time. Please try again in %(num)d minutes.",
        minutes,
    )
    help_links = []
    if request.endpoint == "account.login":
        help_links.append((url_for("account.forgot_password"), _("Forgotten your password?")))
    response = make_response(_respond(429, message, help_links))
    response.headers["Retry-After"] = str(wait)
    return response


def _handle_bad_host(error: BadHost):
    return _respond(400, str(BAD_HOST_MESSAGE))


def _handle_csrf_error(error: CSRFError):
    return _respond(400, str(CSRF_MESSAGE))


def _handle_server_error(error: InternalServerError):
    db.session.rollback()
    log.error("unhandled error", exc_info=error.original_exception or error)
    return _respond(500)


def _handle_database_unavailable(error: sa.exc.OperationalError):
    # Locked, or unreachable: the request did not happen; the learner may simply retry.
    db.session.rollback()
    log.warning("database unavailable: %s", type(error.orig).__name__)
    return _respond(503)


def init_app(app: Flask) -> None:
    """Register the handlers for every HTTP error on the app."""
    app.register_error_handler(BadHost, _handle_bad_host)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(RateLimitExceeded, _handle_rate_limit)
    app.register_error_handler(sa.exc.OperationalError, _handle_database_unavailable)
    app.register_error_handler(InternalServerError, _handle_server_error)
    app.register_error_handler(HTTPException, _handle_http_error)
