"""Pages kept in memory, so that reading them again costs next to nothing.

- What every reader sees alike, rendered once per loaded course: the pages of visitors who
  are not signed in (served by the view to a browser that sends cookies, and before Flask
  does any work at all to one that sends none), and the parts of signed-in learners' pages
  that do not depend on the learner.
- A signed-in learner's own pages, served again before Flask to the same session (the same
  cookies, address and browser) for as long as the learner's state version, which database
  triggers raise on every change to the account or its rows, stays the one the page was
  made from.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app, request, session
from flask_login import COOKIE_NAME as REMEMBER_COOKIE
from flask_login import current_user
from markupsafe import Markup
from werkzeug.http import parse_cookie

from app.content import Catalogue
from app.extensions import content, db
from app.models import User
from app.security import SESSION_READ, read_session_cookie

Page = str | tuple[str, int]
Response = tuple[str, list[tuple[str, str]], bytes]
# Set in the WSGI environment by the views: the response may be kept for every visitor
# (True), or for the signed-in learner it was made for (their id and state version).
FOR_VISITORS = "aula.visitor_page"
FOR_LEARNER = "aula.learner_page"
# What a learner's kept page is kept by, besides the path: everything in the request
# that the session, the sign-in checks and the page itself read.
LEARNER_KEY_HEADERS = (
    "HTTP_COOKIE",
    "REMOTE_ADDR",
    "HTTP_USER_AGENT",
    "HTTP_HOST",
    "HTTP_ACCEPT_LANGUAGE",
)
# What a session may hold for the kept visitor page to be the one its page would be: the
# form token that opening a page with a form (the sign-in page) leaves, and the marks the
# sign-in manager leaves on any session it sees (see `KeptPages._visitor`).
VISITOR_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id"})
STATE_VERSION = sa.select(User.state_version).where(User.id == sa.bindparam("user_id"))


class _KeptResponse(NamedTuple):
    expires: float
    made: float  # time.monotonic() when it was made
    response: Response


class _LearnerPage(NamedTuple):
    user_id: int
    state_version: int
    expires: float
    made: float
    response: Response


@dataclass
class _Kept:
    """What is kept for one loaded catalogue of courses."""

    catalogue: Catalogue | None = None
    # Rendered pages, by path, with when they expire.
    pages: dict[str, tuple[float, Page]] = field(default_factory=dict)
    # Parts of pages, by what they depend on.
    fragments: dict[tuple, Markup] = field(default_factory=dict)
    # Visitors' whole responses (status, headers, body), by scheme, mount point and path,
    # with when they expire.
    responses: dict[tuple[str, ...], _KeptResponse] = field(default_factory=dict)
    # Learners' whole responses, by the same and LEARNER_KEY_HEADERS; least recently
    # served first.
    learner_pages: OrderedDict[tuple[str, ...], _LearnerPage] = field(default_factory=OrderedDict)
    # The same pages (and those since replaced or dropped), in the order they were made.
    learner_pages_made: deque[tuple[tuple[str, ...], _LearnerPage]] = field(default_factory=deque)


def _kept_for(app: Flask, catalogue: Catalogue) -> _Kept:
    """What is kept for `catalogue`: after a reload, a fresh store replaces the old one in
    a single swap, so that no thread ever finds the new courses with the old pages."""
    kept = app.extensions["kept_pages"]
    if kept.catalogue is not catalogue:
        kept = app.extensions["kept_pages"] = _Kept(catalogue)
    return kept


def for_visitors(render: Callable[[], Page]) -> Page:
    """The page `render` makes, for a visitor who is not signed in: rendered once per loaded
    course and path, as nothing else shapes it, then kept until the lessons are reloaded.
    Signed-in learners, addresses with a query string and pages with a message to show are
    rendered each time (so at most one page per lesson and language is kept)."""
    if current_user.is_authenticated or request.query_string or "_flashes" in session:
        return render()
    request.environ[FOR_VISITORS] = True
    kept = _kept_for(current_app, content.catalogue)
    found = kept.pages.get(request.path)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    page = render()
    kept.pages[request.path] = (_visitor_page_expiry(current_app), page)
    return page


def _visitor_page_expiry(app: Flask) -> float:
    """When a page kept for visitors is made again: a course that becomes open to its
    members only, on any host, is no longer shown to visitors from then on."""
    return time.monotonic() + app.config["KEPT_VISITOR_PAGE_SECONDS"]


def for_learner() -> None:
    """Let the page being made for the signed-in learner, if there is one, be served again
    from memory, before Flask, while their state version stays the one they were loaded
    with. Call it before the view reads anything the page shows: a change made after that
    version was read raises it, so the kept page is never newer than the version it is
    kept under, at worst older, and then it is not served."""
    if current_user.is_authenticated:
        request.environ[FOR_LEARNER] = (current_user.id, current_user.state_version)


def kept_fragment(key: tuple, render: Callable[..., str], *arguments: Any) -> Markup:
    """The part of a page `render(*arguments)` makes (a template macro, say), rendered once
    per loaded course and `key`, which must name everything the part depends on (the lesson
    and the page's language, usually)."""
    kept = _kept_for(current_app, content.catalogue)
    fragment = kept.fragments.get(key)
    if fragment is None:
        fragment = kept.fragments[key] = Markup(render(*arguments))
    return fragment


class KeptPages:
    """WSGI middleware in front of the app, serving kept responses to GETs without a query
    string before the app does any work: no request context, session or template.

    Without cookies, the request comes from a visitor who is not signed in and has no
    message waiting, and gets the page the view marked as the same for all. With cookies,
    it gets the page kept for exactly these cookies, address and browser, if the view
    marked it as the learner's and their state version has not moved since (one indexed
    read). Only plain 200 responses that set no cookie are kept."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]], engine: sa.Engine):
        self.app = app
        self.wsgi_app = wsgi_app
        self.engine = engine
        app.extensions["kept_pages"] = _Kept()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return self.wsgi_app(environ, start_response)
        kept = _kept_for(self.app, content.latest(self.app))
        key: tuple[str, ...] = (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )
        cookies = environ.get("HTTP_COOKIE")
        signed_in = bool(cookies) and not self._visitor(environ, cookies)
        if signed_in:
            key += tuple(environ.get(name, "") for name in LEARNER_KEY_HEADERS)
            found = self._learner_page(kept, key)
        else:
            found = kept.responses.get(key)
            if found is not None and found.expires <= time.monotonic():
                found = None
        if found is not None:
            status, headers, body = found.response
            # Age (RFC 9111): the response comes from memory, made that many seconds ago.
            start_response(status, [*headers, ("Age", str(int(time.monotonic() - found.made)))])
            return [body]

        started: list = []

        def note_start(status: str, headers: list[tuple[str, str]], exc_info=None):
            started[:] = [status, headers]
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, note_start)
        learner = environ.get(FOR_LEARNER) if signed_in else None
        if not (learner or (environ.get(FOR_VISITORS) and not signed_in)):
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
            made = (status, list(headers), body)
            if learner:
                self._keep_learner_page(kept, key, learner, made)
            else:
                kept.responses[key] = _KeptResponse(
                    _visitor_page_expiry(self.app), time.monotonic(), made
                )
        return [body]

    def _visitor(self, environ: dict[str, Any], cookies: str) -> bool:
        """Whether a request with these cookies is a visitor's the page kept for all would
        be made for anyway: none of them can sign anyone in (no remember-me cookie, and a
        session naming no account), and the session holds nothing a page shows (a message
        waiting, say): only what opening the sign-in page, or any other, leaves in it. Other
        sites' cookies on this domain (analytics, say) make no difference."""
        config = self.app.config
        try:
            jar = parse_cookie(cookies)
        except ValueError:
            return False  # the app answers what it cannot read
        if config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) in jar:
            return False
        stored = jar.get(config["SESSION_COOKIE_NAME"])
        if stored is None:
            return True
        values = read_session_cookie(self.app, stored)
        if values is None:
            return False
        # Read once: the app's session opens from it rather than checking it again.
        environ[SESSION_READ] = (stored, values)
        return values.keys() <= VISITOR_SESSION_KEYS

    def _learner_page(self, kept: _Kept, key: tuple[str, ...]) -> _LearnerPage | None:
        page = kept.learner_pages.get(key)
        if page is None:
            return None
        if page.expires > time.monotonic() and self._state_version(page.user_id) == (
            page.state_version
        ):
            # Dropped meanwhile by another thread, it is still right to serve.
            with contextlib.suppress(KeyError):
                kept.learner_pages.move_to_end(key)
            return page
        kept.learner_pages.pop(key, None)
        return None

    def _state_version(self, user_id: int) -> int | None:
        """The learner's current state version; None when the account is gone, or the
        database cannot say (the app then makes the page, and deals with the database)."""
        try:
            with self.engine.connect() as connection:
                return connection.execute(STATE_VERSION, {"user_id": user_id}).scalar()
        except sa.exc.SQLAlchemyError:
            return None

    def _keep_learner_page(
        self, kept: _Kept, key: tuple[str, ...], learner: tuple[int, int], made: Response
    ) -> None:
        config = self.app.config
        now = time.monotonic()
        user_id, state_version = learner
        expires = now + config["KEPT_LEARNER_PAGE_SECONDS"]
        page = _LearnerPage(user_id, state_version, expires, now, made)
        kept.learner_pages[key] = page
        made_order = kept.learner_pages_made
        made_order.append((key, page))
        most = config["KEPT_LEARNER_PAGES"]
        # Expired pages leave memory here, whether or not anyone asks for them again: the
        # pages of an erased account, say, which are never served again, hold personal data.
        # Every page lives as long, so the order they were made in is the order they expire
        # in, and the sweep stops at the first one still fresh. Pages replaced or dropped
        # meanwhile stay in that order until then, but never more than as many again as
        # are kept: past that, the oldest made go first, kept or not. (Emptied by another
        # thread meanwhile, the order has nothing left to sweep.)
        with contextlib.suppress(IndexError):
            while len(made_order) > 2 * most or (
                made_order[0][1].expires <= now and made_order[0][1] is not page
            ):
                old_key, old_page = made_order.popleft()
                if kept.learner_pages.get(old_key) is old_page:
                    kept.learner_pages.pop(old_key, None)
        while len(kept.learner_pages) > most:
            try:
                kept.learner_pages.popitem(last=False)
            except KeyError:
                break


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    app.wsgi_app = KeptPages(app, app.wsgi_app, engine)  # type: ignore[method-assign]
    app.add_template_global(kept_fragment)
