"""Extensions, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app import terminal
from app.content import (
    Catalogue,
    ContentError,
    Course,
    DataRegister,
    Problem,
    check_catalogue,
    directory_fingerprint,
    load_register,
)
from app.content.problems import Level


class Base(DeclarativeBase):
    # Named constraints, so Alembic can alter them later (SQLite batch mode needs names).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _made_for_another_command() -> bool:
    """Whether the app is made for a `flask` command other than `flask run` (`flask users
    create`, `flask db upgrade`): the lessons' warnings do not concern it, and would bury
    what it prints."""
    command = click.get_current_context(silent=True)
    return command is not None and command.command.name != "run"


# The last few lessons directories read, by what they held: reading the same files again
# gives the same catalogue, a pure result, so a reload that finds nothing changed, or
# another app of the same process, takes it at the cost of reading the files' bytes.
_CHECKED: OrderedDict[tuple[str, str, str, str | None], tuple[Catalogue | None, list[Problem]]] = (
    OrderedDict()
)
_CHECKED_KEPT = 4
_CHECKED_LOCK = threading.Lock()


def _checked_once(
    directory: str, register_file: str, register: DataRegister, default: str | None
) -> tuple[Catalogue | None, list[Problem]]:
    """`check_catalogue`, unless the directory and the register hold exactly what they held
    when it last ran: then its answer again."""
    # The folder too: what is read names its files by their full paths.
    key = (
        directory,
        directory_fingerprint(Path(directory)),
        hashlib.sha256(Path(register_file).read_bytes()).hexdigest(),
        default,
    )
    with _CHECKED_LOCK:
        if key in _CHECKED:
            _CHECKED.move_to_end(key)
            catalogue, problems = _CHECKED[key]
            return catalogue, list(problems)
    catalogue, problems = check_catalogue(directory, register, default)
    with _CHECKED_LOCK:
        _CHECKED[key] = (catalogue, list(problems))
        while len(_CHECKED) > _CHECKED_KEPT:
            _CHECKED.popitem(last=False)
    return catalogue, problems


class CourseContent:
    """Holds the app's data register and its loaded catalogue of courses.

    Each request works on the catalogue it started with (pinned in `g`), and a reload
    replaces it with a single reference swap, so no request ever sees half a course.
    Before it, `follow` (given by `create_app`) tells whether another process or host
    published lessons since, which this one must read again.
    """

    def init_app(self, app: Flask, follow: Callable[[Flask], bool] | None = None) -> None:
        register = load_register(app.config["DATA_REGISTER"])
        catalogue, problems = self._check(app, register)
        if catalogue is None:
            raise ContentError([p for p in problems if p.level is Level.ERROR])
        if problems and not _made_for_another_command():
            # One line, where whoever runs the server looks: the warnings themselves are
            # the trainers', who read them with the command (or on the trainers' pages).
            app.logger.warning(
                "%s",
                terminal.ngettext(
                    "%(num)d warning in the lessons of %(folder)s: run `flask --app app "
                    "lessons check` to read it",
                    "%(num)d warnings in the lessons of %(folder)s: run `flask --app app "
                    "lessons check` to read them",
                    len(problems),
                    folder=app.config["LESSONS_DIR"],
                ),
            )
        app.extensions["register"] = register
        # A signed-in session the person chose to keep lasts as long as the register says.
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
            days=register.cookie("session").days
        )
        app.extensions["catalogue"] = catalogue
        app.extensions["follow_publications"] = follow
        app.before_request(self._pin_catalogue)

    @staticmethod
    def _check(app: Flask, register: DataRegister) -> tuple[Catalogue | None, list[Problem]]:
        return _checked_once(
            app.config["LESSONS_DIR"],
            app.config["DATA_REGISTER"],
            register,
            app.config["DEFAULT_COURSE"],
        )

    def latest(self, app: Flask) -> Catalogue:
        """The courses to serve now: read again first if lessons were published since."""
        follow = app.extensions["follow_publications"]
        if follow is not None and follow(app):
            self.reload(app)
        return app.extensions["catalogue"]

    def _pin_catalogue(self) -> None:
        g.catalogue = self.latest(current_app._get_current_object())

    def reload(self, app: Flask) -> list[Problem]:
        """Re-read the lessons directory. On errors the courses being served stay; the
        problems found (errors and warnings) are returned either way."""
        catalogue, problems = self._check(app, app.extensions["register"])
        if catalogue is not None:
            app.extensions["catalogue"] = catalogue
            if has_request_context():
                # The request that reloads goes on with (and shows) the new courses.
                g.catalogue = catalogue
        return problems

    @property
    def catalogue(self) -> Catalogue:
        if has_request_context() and "catalogue" in g:
            return g.catalogue
        return current_app.extensions["catalogue"]

    @property
    def course(self) -> Course:
        """The course the request is about (its address names it), else the default one."""
        catalogue = self.catalogue
        if has_request_context() and (slug := g.get("course_slug")) is not None:
            return catalogue.course(slug) or catalogue.default
        return catalogue.default

    @property
    def register(self) -> DataRegister:
        return current_app.extensions["register"]


def counter_name(text: str) -> str:
    """What a rate-limit counter about `text` (an address, an email) is kept under: a keyed
    hash, so that the counters' store, Redis shared by every host, holds nobody's address
    or email, and the same on every host."""
    secret = current_app.secret_key
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def client_address() -> str:
    """Whom rate limits count a request against: the client's address (the proxy's
    X-Forwarded-For once TRUSTED_PROXIES is set), and for IPv6 its /64 network, which a
    single subscriber is given whole and could otherwise walk through; as `counter_name`
    names it."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return counter_name(address)
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return counter_name(str(ipaddress.ip_network((parsed, 64), strict=False)))
    return counter_name(address)


class _LoginManager(LoginManager):
    """Flask-Login's, less a 500 for a remember-me cookie with characters no cookie it makes
    has: it compares the cookie's signature with `hmac.compare_digest`, which raises for a
    text that is not ASCII, and anyone can send one."""

    def _load_user_from_remember_cookie(self, cookie: str):
        return super()._load_user_from_remember_cookie(cookie) if cookie.isascii() else None


db = SQLAlchemy(model_class=Base)
limiter = Limiter(key_func=client_address)
login_manager = _LoginManager()
babel = Babel()
csrf = CSRFProtect()
content = CourseContent()
