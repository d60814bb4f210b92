"""Pages that every visitor who is not signed in sees alike, rendered once and then served
from memory."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request, session
from flask_login import current_user

from app.extensions import content

Page = str | tuple[str, int]


def for_visitors(render: Callable[[], Page]) -> Page:
    """The page `render` makes, for a visitor who is not signed in: rendered once per loaded
    course and path, as nothing else shapes it, then kept until the lessons are reloaded.
    Signed-in learners, addresses with a query string and pages with a message to show are
    rendered each time (so the cache holds at most one page per lesson and language)."""
    if current_user.is_authenticated or request.query_string or "_flashes" in session:
        return render()
    course = content.course
    kept = current_app.extensions.get("visitor_pages")
    if kept is None or kept[0] is not course:
        kept = current_app.extensions["visitor_pages"] = (course, {})
    pages = kept[1]
    page = pages.get(request.path)
    if page is None:
        page = pages[request.path] = render()
    return page
