"""Configuration read from the environment.

`create_app()` picks a class by `APP_ENV` (development by default, or production);
tests pass `TestConfig` or a mapping of overrides.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _per_language(name: str) -> dict[str, str]:
    """A setting given in several languages: NAME for any language, NAME_ES, NAME_PT or
    NAME_EN for one; keyed "*", "es", "pt", "en", only those set."""
    values = {"*": os.environ.get(name)}
    values |= {lang: os.environ.get(f"{name}_{lang.upper()}") for lang in ("es", "pt", "en")}
    return {key: value.strip() for key, value in values.items() if value and value.strip()}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Development defaults: a SQLite file and a secret key kept in the instance folder."""

    ENV_NAME = "development"
    INSTANCE_PATH: str | None = os.environ.get("INSTANCE_PATH")
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # None means "a SQLite file in the instance folder"; resolved by create_app.
    DATABASE_URL: str | None = os.environ.get("DATABASE_URL")
    LESSONS_DIR: str = os.environ.get("LESSONS_DIR", str(ROOT / "lessons"))
    # The slug of the course that `/` and the addresses of single-course Aula lead to, when
    # LESSONS_DIR holds several (by default the first folder's, in alphabetical order).
    DEFAULT_COURSE: str | None = os.environ.get("DEFAULT_COURSE") or None
    TRANSLATIONS_DIR: str = str(ROOT / "translations")
    # How often, at most, each process asks the database whether lessons were published
    # (on this host or another) since it last read them: learners everywhere see a
    # publication within about this long.
    PUBLICATION_CHECK_SECONDS: float = float(os.environ.get("PUBLICATION_CHECK_SECONDS", "1"))
    # Whether a learner's certificate offers a link that adds it to their profile on a
    # professional network (LinkedIn's "add to profile" address: no script of theirs runs).
    CERTIFICATE_PROFILE_LINK: bool = _flag("CERTIFICATE_PROFILE_LINK", True)
    # The largest picture a trainer may upload into a lesson, in bytes.
    MAX_PICTURE_BYTES: int = int(os.environ.get("MAX_PICTURE_BYTES", "5000000"))
    DATA_REGISTER: str = os.environ.get("DATA_REGISTER", str(ROOT / "app" / "data_register.yml"))
    MIGRATIONS_DIR: str = str(ROOT / "migrations")
    # Bring the schema to the latest Alembic revision when the app starts, so that
    # `flask run` on a fresh clone just works. Off where a deploy step runs migrations.
    AUTO_MIGRATE: bool = _flag("AUTO_MIGRATE", True)
    SQLITE_BUSY_TIMEOUT_MS: int = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Not sent again with every page: a page that sets a cookie cannot be kept for the
    # learner (app/kept_pages.py). A session kept after the browser closes lasts the days
    # the data register gives its cookie (set when the register is loaded), from sign-in.
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT: int | None = None
    # Signed-in learners' pages kept in memory by each worker (app/kept_pages.py): how many
    # at most, and for how long.
    KEPT_LEARNER_PAGES: int = int(os.environ.get("KEPT_LEARNER_PAGES", "500"))
    KEPT_LEARNER_PAGE_SECONDS: int = int(os.environ.get("KEPT_LEARNER_PAGE_SECONDS", "300"))
    # Visitors' pages are made again after this long: a course becoming open to members
    # only is then hidden from visitors, whichever host made their page.
    KEPT_VISITOR_PAGE_SECONDS: int = int(os.environ.get("KEPT_VISITOR_PAGE_SECONDS", "10"))
    # Requests larger than this are refused with a 413 before they are read.
    MAX_CONTENT_LENGTH: int = 1024 * 1024
    # How many reverse proxies stand in front of the app (their X-Forwarded-* are trusted).
    TRUSTED_PROXIES: int = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # The site's host names (Flask refuses any other Host with a 400): links in emails are
    # built from the request's host, which must then be the site's own.
    TRUSTED_HOSTS: list[str] | None = [
        host.strip() for host in os.environ.get("TRUSTED_HOSTS", "").split(",") if host.strip()
    ] or None
    # Rate limits on sign-in, registration and password reset: in memory by default,
    # shared between workers with e.g. redis://127.0.0.1:6379.
    RATELIMIT_STORAGE_URI: str = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED: bool = _flag("RATELIMIT_ENABLED", True)
    # Production refuses memory:// (each worker would count apart) unless this promises that
    # a single process serves the app: the alternative, turning the limits off, is worse.
    RATELIMIT_SINGLE_PROCESS: bool = _flag("RATELIMIT_SINGLE_PROCESS", False)
    # Email (password reset). Without MAIL_SERVER, messages go to instance/outbox/.
    MAIL_SERVER: str | None = os.environ.get("MAIL_SERVER")
    MAIL_PORT: int = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS: bool = _flag("MAIL_USE_TLS", True)
    MAIL_USERNAME: str | None = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD: str | None = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM: str = os.environ.get("MAIL_FROM", "aula@localhost")
    PASSWORD_RESET_MINUTES: int = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
    CONFIRMATION_HOURS: int = int(os.environ.get("CONFIRMATION_HOURS", "48"))
    # The data controller named in every personal-data notice (GDPR Art. 13(1)(a)). By
    # default in development: the course's organisation, and a contact to be configured.
    PRIVACY_CONTROLLER: str | None = os.environ.get("PRIVACY_CONTROLLER")
    PRIVACY_CONTACT: str = os.environ.get("PRIVACY_CONTACT", "privacy@localhost")
    # The data protection officer's contact, where the controller has one (Art. 13(1)(b)).
    PRIVACY_DPO_CONTACT: str | None = os.environ.get("PRIVACY_DPO_CONTACT")
    # The supervisory authority learners may complain to, its name and address per language
    # (e.g. PRIVACY_AUTHORITY_ES="Agencia Española de Protección de Datos, C/ Jorge Juan 6,
    # 28001 Madrid, www.aepd.es"); unset, the notice names the right in general terms.
    PRIVACY_AUTHORITY: dict[str, str] = _per_language("PRIVACY_AUTHORITY")
    # Transfers outside the European Economic Area and their safeguards, per language;
    # unset means there are none.
    PRIVACY_TRANSFERS: dict[str, str] = _per_language("PRIVACY_TRANSFERS")
    # The processors that handle personal data for the controller (Art. 28), by name.
    HOSTING_PROVIDER: str | None = os.environ.get("HOSTING_PROVIDER")
    MAIL_PROVIDER: str | None = os.environ.get("MAIL_PROVIDER")
    # Admins must turn on two-step sign-in before using the staff pages.
    REQUIRE_TWO_STEP_FOR_ADMINS: bool = _flag("REQUIRE_TWO_STEP_FOR_ADMINS", False)
    # werkzeug's password hashing method; its default, scrypt, costs about 0.1 s a password.
    PASSWORD_HASH_METHOD: str = "scrypt"
    # The trainers' quiz statistics show no figure about fewer learners than this: a share
    # of two or three people's answers tells who answered what.
    QUIZ_STATISTICS_MIN_LEARNERS: int = int(os.environ.get("QUIZ_STATISTICS_MIN_LEARNERS", "5"))
    # Messages for outside services are sent by the process that queued them, right after
    # the commit, besides `flask outbox work`, which retries what could not be sent then.
    OUTBOX_IN_BACKGROUND: bool = _flag("OUTBOX_IN_BACKGROUND", True)
    # The learning record store that learning events are sent to as xAPI statements (its
    # xAPI address, ending in /xAPI/ or the like, and the account the site sends with);
    # none is sent while XAPI_ENDPOINT is unset. The notices name the store by
    # XAPI_LRS_NAME.
    XAPI_ENDPOINT: str | None = os.environ.get("XAPI_ENDPOINT") or None
    XAPI_USERNAME: str | None = os.environ.get("XAPI_USERNAME")
    XAPI_PASSWORD: str | None = os.environ.get("XAPI_PASSWORD")
    XAPI_LRS_NAME: str | None = os.environ.get("XAPI_LRS_NAME")
    # The site's address as statements give it (learners' accounts and activities are named
    # under it); by default the address of the page the event happened on. Set it when the
    # site answers to several names, or events come from the command line.
    XAPI_SITE_URL: str | None = os.environ.get("XAPI_SITE_URL") or None


class ProductionConfig(Config):
    """Production refuses to start without an explicit SECRET_KEY, privacy contact, mail
    server and, for rate limits, a storage the workers share (see create_app)."""

    ENV_NAME = "production"
    PRIVACY_CONTACT: str = os.environ.get("PRIVACY_CONTACT", "")
    AUTO_MIGRATE: bool = _flag("AUTO_MIGRATE", False)
    REQUIRE_TWO_STEP_FOR_ADMINS: bool = _flag("REQUIRE_TWO_STEP_FOR_ADMINS", True)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestConfig(Config):
    """Tests set DATABASE_URL and the paths themselves; nothing is migrated implicitly."""

    ENV_NAME = "test"
    TESTING = True
    AUTO_MIGRATE = False
    SECRET_KEY = "test-secret-key"
    # Every test signs in from 127.0.0.1; the rate-limit tests turn limits back on.
    RATELIMIT_ENABLED = False
    # Tests deliver the outbox themselves, when they mean to.
    OUTBOX_IN_BACKGROUND = False
    LESSONS_DIR = str(ROOT / "lessons")
    # Test accounts guard nothing: a cheap hash keeps the hundreds of sign-ins quick.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    """The config class named by APP_ENV; an unknown name is an error, not a silent default."""
    name = os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"APP_ENV={name!r} is not one of: {', '.join(sorted(CONFIGS))}"
        ) from None
