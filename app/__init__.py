"""The application factory: the one place that wires configuration, extensions and blueprints."""

from __future__ import annotations

import gc
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask

from app.content import SUPPORTED_LANGUAGES, ContentError
from app.files import make_private_folder
from config import Config, config_from_environment

# Settings the notices show in the reader's language (see config's `_per_language`).
PER_LANGUAGE_SETTINGS = ("PRIVACY_AUTHORITY", "PRIVACY_TRANSFERS")


def _refuse_settings_missing_a_language(app: Flask) -> None:
    """A notice must say the same in every language: a setting given for some languages
    only would leave the others saying something else (that there are no transfers, say)."""
    for name in PER_LANGUAGE_SETTINGS:
        given = app.config.get(name) or {}
        missing = [lang for lang in SUPPORTED_LANGUAGES if lang not in given]
        if given and "*" not in given and missing:
            wanted = ", ".join(f"{name}_{lang.upper()}" for lang in missing)
            raise RuntimeError(
                f"{name} is given for some languages only: set {wanted} too, or {name} for all"
            )


def create_app(
    config_class: type[Config] | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the app from a Config class (by default the one APP_ENV names), with optional
    overrides on top (tests use them for their own database and folders)."""
    # Start-up makes some 170,000 objects that live as long as the process (modules, models,
    # the courses): the cyclic garbage collector walked them again and again as they piled
    # up, a sixth of a start-up, and found a few hundred to free. It is off meanwhile, and
    # the first app's objects are then set apart from its later rounds for good (those of
    # a request stay theirs): every page would otherwise pay for walking them now and then.
    collecting = gc.isenabled()
    gc.disable()
    try:
        app = _create_app(config_class, overrides)
    finally:
        if collecting:
            gc.enable()
    if gc.get_freeze_count() == 0:
        gc.freeze()
    return app


def _create_app(config_class: type[Config] | None, overrides: Mapping[str, Any] | None) -> Flask:
    base = config_class or config_from_environment()
    overrides = dict(overrides or {})
    instance_path = overrides.get("INSTANCE_PATH") or base.INSTANCE_PATH
    app = Flask(
        __name__, instance_path=str(Path(instance_path).resolve()) if instance_path else None
    )
    app.config.from_object(base)
    app.config.update(overrides)
    # A relative folder would be found from wherever the server was started: the trainers'
    # pages then name the lesson files, in the commands they suggest, from the project.
    app.config["LESSONS_DIR"] = str(Path(app.config["LESSONS_DIR"]).absolute())
    # Owner-only when made here: the development database, outbox and secret key live in it.
    Path(app.instance_path).parent.mkdir(parents=True, exist_ok=True)
    make_private_folder(Path(app.instance_path))
    _configure_secret_key(app)
    _configure_database(app)
    _refuse_settings_missing_a_language(app)
    if app.config["ENV_NAME"] == "production":
        if not app.config.get("PRIVACY_CONTACT"):
            raise RuntimeError("PRIVACY_CONTACT must be set in production: notices must name it")
        if not app.config.get("MAIL_SERVER"):
            # Without it, sign-up and password emails would pile up on the server, unread,
            # with people's addresses and names in them.
            raise RuntimeError("MAIL_SERVER must be set in production: emails must reach people")
        if _rate_limits_counted_per_process(app):
            # Each worker would count apart: with 4 workers, up to 40 guesses per account, not
            # the 10 promised.
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI must be set in production to a storage the workers "
                "share, such as redis://127.0.0.1:6379: with memory:// every worker counts "
                "apart and the rate limits multiply (RATELIMIT_SINGLE_PROCESS=1 if the app "
                "only ever runs as one process)"
            )

    from app import (
        courses,
        database,
        errors,
        i18n,
        kept_pages,
        logs,
        security,
        templating,
        terminal,
    )
    from app.account import bp as account_bp
    from app.admin import bp as admin_bp
    from app.author import bp as author_bp
    from app.certificates import bp as certificates_bp
    from app.cli import register_commands
    from app.extensions import babel, content, csrf, db, limiter, login_manager
    from app.health import bp as health_bp
    from app.learn import bp as learn_bp
    from app.lti import bp as lti_bp
    from app.services import accounts, lti, outbox, publishing, xapi

    accounts.use_hash_method(app.config["PASSWORD_HASH_METHOD"])
    db.init_app(app)
    database.init_app(app)
    outbox.init_app(app)
    lti.init_app(app)
    xapi.init_app(app)
    if click.get_current_context(silent=True) is not None:
        # Made for the `flask` command line: `flask db …` must be there.
        database.bind_migrations(app)
    follower = app.extensions["publications"] = publishing.Follower()

    def follow_publications(app: Flask) -> bool:
        # Asked before any request context exists (kept pages answer without one), so in an
        # application context of its own, once the check is due.
        if not follower.is_due(app):
            return False
        with app.app_context():
            return follower.catch_up(app, db.session)

    try:
        content.init_app(app, follow=follow_publications)
    except ContentError as error:
        # The trainer's view of what is wrong, not a traceback: the same lines as
        # `flask lessons check`, then the server does not start.
        print(terminal.described(error.problems), file=sys.stderr)
        count = terminal.ngettext(
            "%(num)d error in %(folder)s",
            "%(num)d errors in %(folder)s",
            len(error.problems),
            folder=app.config["LESSONS_DIR"],
        )
        print(count, file=sys.stderr)
        raise SystemExit(1) from None
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.current_language,
        default_translation_directories=app.config["TRANSLATIONS_DIR"],
    )
    i18n.init_app(app)
    courses.init_app(app)
    errors.init_app(app)
    # Inside the proxy fix that security sets up, so it sees the client's scheme and path.
    kept_pages.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(author_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(lti_bp)
    register_commands(app)
    # Once every route is known: the filter finds the emailed links' secrets by them.
    logs.init_app(app)

    if app.config["AUTO_MIGRATE"]:
        with app.app_context():
            database.migrate_if_behind()
    return app


def _configure_secret_key(app: Flask) -> None:
    """Production must be given a key; development generates one and keeps it, so that
    sessions survive a restart of the server."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV_NAME"] == "production":
        raise RuntimeError("SECRET_KEY must be set in production (APP_ENV=production)")
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        # Written whole to a private temporary file, then linked into place: when several
        # processes start at once, the first link wins and every process reads that key.
        descriptor, temporary = tempfile.mkstemp(dir=app.instance_path)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    app.config["SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()


def _rate_limits_counted_per_process(app: Flask) -> bool:
    """Whether rate limits are on and counted in each process's memory (Flask-Limiter's
    storage when none is named), without a promise that only one process runs."""
    if not app.config.get("RATELIMIT_ENABLED") or app.config.get("RATELIMIT_SINGLE_PROCESS"):
        return False
    scheme = (app.config.get("RATELIMIT_STORAGE_URI") or "").partition("://")[0]
    return scheme in {"", "memory"}


def _configure_database(app: Flask) -> None:
    default = f"sqlite:///{Path(app.instance_path) / 'aula.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config.get("DATABASE_URL") or default
    options = {"hide_parameters": True}  # parameters (emails among them) stay out of logs
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # PostgreSQL compiles a query it expects to take long before running it: 15 to 80 ms
        # more for the counts of a dashboard or a cohort's page, which take 100 to 300 ms.
        # The site runs no query long enough for that to pay.
        options["connect_args"] = {"options": "-c jit=off"}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
