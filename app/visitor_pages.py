"""What every reader sees alike, rendered once per loaded course and then kept in memory:
the pages of visitors who are not signed in (served by the view to a browser that sends
cookies, and before Flask does any work at all to one that sends none), and the parts of
signed-in learners' pages that do not depend on the learner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request, session
from flask_login import current_user
from markupsafe import Markup

from app.content import Course
from app.extensions import content

Page = str | tuple[str, int]
# Set in the WSGI environment by `for_visitors`: the response may be kept for others.
KEEPABLE = "aula.visitor_page"


@dataclass
class _Kept:
    """What is kept for one loaded course."""

    course: Course | None = None
    # Rendered pages, by path.
    pages: dict[str, Page] = field(default_factory=dict)
    # Parts of pages, by what they depend on.
    fragments: dict[tuple, Markup] = field(default_factory=dict)
    # Whole responses (status, headers, body), by scheme, mount point and path.
    responses: dict[tuple[str, str, str], tuple[str, list[tuple[str, str]], bytes]] = field(
        default_factory=dict
    )


def _kept_for(app: Flask, course: Course) -> _Kept:
    """What is kept for `course`: after a reload, a fresh store replaces the old one in a
    single swap, so that no thread ever finds the new course with the old pages."""
    kept = app.extensions["visitor_pages"]
    if kept.course is not course:
        kept = app.extensions["visitor_pages"] = _Kept(course)
    return kept


def for_visitors(render: Callable[[], Page]) -> Page:
    """The page `render` makes, for a visitor who is not signed in: rendered once per loaded
    course and path, as nothing else shapes it, then kept until the lessons are reloaded.
    Signed-in learners, addresses with a query string and pages with a message to show are
    rendered each time (so at most one page per lesson and language is kept)."""
    if current_user.is_authenticated or request.query_string or "_flashes" in session:
        return render()
    request.environ[KEEPABLE] = True
    kept = _kept_for(current_app, content.course)
    page = kept.pages.get(request.path)
    if page is None:
        page = kept.pages[request.path] = render()
    return page


def kept_fragment(key: tuple, render: Callable[[], str]) -> Markup:
    """The part of a page `render` makes (a template macro, say), rendered once per loaded
    course and `key`, which must name everything the part depends on (the lesson and the
    page's language, usually)."""
    kept = _kept_for(current_app, content.course)
    fragment = kept.fragments.get(key)
    if fragment is None:
        fragment = kept.fragments[key] = Markup(render())
    return fragment


class VisitorPages:
    """WSGI middleware in front of the app. A GET without cookies or query string comes from
    a visitor who is not signed in and has no message waiting; if the view marked the page
    it made for such a visitor as the same for all, the whole response is kept and the next
    such request gets it straight from memory: no request context, session or template."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.wsgi_app = wsgi_app
        app.extensions["visitor_pages"] = _Kept()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("HTTP_COOKIE")
            or environ.get("QUERY_STRING")
        ):
            return self.wsgi_app(environ, start_response)
        kept = _kept_for(self.app, content.latest(self.app))
        key = (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )
        response = kept.responses.get(key)
        if response is not None:
            status, headers, body = response
            start_response(status, list(headers))
            return [body]

        started: list = []

        def note_start(status: str, headers: list[tuple[str, str]], exc_info=None):
            started[:] = [status, headers]
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, note_start)
        if not environ.get(KEEPABLE):
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = started
        if status.startswith("200 ") and not any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            kept.responses[key] = (status, list(headers), body)
        return [body]


def init_app(app: Flask) -> None:
    app.wsgi_app = VisitorPages(app, app.wsgi_app)  # type: ignore[method-assign]
    app.add_template_global(kept_fragment)
