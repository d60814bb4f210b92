"""The site as an LTI 1.3 tool (1EdTech Learning Tools Interoperability Core 1.3, with the
Security Framework 1.0 and Assignment and Grade Services 2.0): learning platforms an admin
registered launch people into a course or a lesson, and get their scores back.

Written on PyJWT (its PyJWKClient fetches and caches each platform's key set) rather than
pylti1p3, whose last release is from 2022: a launch is a few checks of one signed token,
and these are each tested here against a platform of the test suite's own.

The login's state and nonce live in the database, not in a process's memory: a platform's
launch may reach another host than its login initiation did."""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.content import Catalogue, Course
from app.database import insert_or_update, insert_unless_present, unicode_lower
from app.extensions import content, db
from app.models import (
    Cohort,
    CohortTrainer,
    Enrolment,
    LessonProgress,
    LtiAccount,
    LtiContext,
    LtiGradeTarget,
    LtiLogin,
    LtiPlatform,
    OutboxMessage,
    QuizAttempt,
    Role,
    User,
    utcnow,
)
from app.services import accounts, cohorts, credentials, learning_events, outbox
from app.services.learning_events import LearningEvent, LessonCompleted, QuizGraded

# PyJWT (and cryptography under it) is imported by launches, which few requests are: at
# import it added about 25 ms to every start-up.
if TYPE_CHECKING:
    import jwt

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
# Long enough to pass the platform's own sign-in page, short enough that a state or nonce
# left behind is soon of no use to anyone.
LOGIN_LIFETIME = dt.timedelta(minutes=10)
# Clocks of the platform and the site may differ a little.
CLOCK_LEEWAY = dt.timedelta(seconds=60)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
LAUNCH_PRESENTATION = CLAIM + "launch_presentation"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

# Context roles (LIS vocabulary) that lead the platform's course: they become trainers of
# its cohort here. An institution's roles (a platform's site administrator) make nobody
# staff of this site.
MEMBERSHIP_ROLES = "http://purl.imsglobal.org/vocab/lis/v2/membership"
LEADING_ROLES = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"})

# The addresses a launch may target: the course, or one of its lessons. The registration
# page gives them to paste into the platform.
TARGET_PATH = re.compile(r"^/lti/courses/(?P<course>[^/]+)(?:/lessons/(?P<lesson>[^/]+))?/?$")
TARGET_LENGTH = 1000

LOCAL_HOSTS = frozenset({"localhost"})


class Refusal(enum.StrEnum):
    """Why a login or launch was refused: what the log records and the page explains."""

    INCOMPLETE = "incomplete"
    UNKNOWN_ISSUER = "unknown-issuer"
    WRONG_AUDIENCE = "wrong-audience"
    BAD_SIGNATURE = "bad-signature"
    UNKNOWN_KEY = "unknown-key"
    KEYS_UNREACHABLE = "keys-unreachable"
    EXPIRED = "expired"
    STATE_UNKNOWN = "state-unknown"
    NONCE_REUSED = "nonce-reused"
    OTHER_BROWSER = "other-browser"
    WRONG_DEPLOYMENT = "wrong-deployment"
    NOT_A_LAUNCH = "not-a-launch"
    UNKNOWN_TARGET = "unknown-target"
    TARGET_CHANGED = "target-changed"
    BAD_ADDRESS = "bad-address"
    ACCOUNT_DISABLED = "account-disabled"
    # An admin's account, or one guarded by two-step sign-in: a launch would pass its
    # second step by, whenever it was linked.
    ACCOUNT_GUARDED = "account-guarded"


class LaunchRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _refuse(
    reason: Refusal,
    ip_address: str | None,
    *,
    issuer: object = None,
    client_id: object = None,
    deployment_id: object = None,
) -> LaunchRefused:
    """Log a refusal for the admins, as a security event: why, from which platform and
    network; never who (the platform's user id, name or address)."""
    log.warning(
        "LTI launch refused: %s (issuer=%r, client_id=%r, deployment_id=%r, from %s)",
        reason.value,
        _short(issuer),
        _short(client_id),
        _short(deployment_id),
        accounts.shortened_address(ip_address),
    )
    return LaunchRefused(reason)


def _short(value: object) -> object:
    # Whatever a request claims is logged, but never at any length it likes.
    return value[:200] if isinstance(value, str) else value


# --- Registrations ---------------------------------------------------------------------


def well_formed(url: str) -> SplitResult | None:
    """The parts of an absolute address, or None where it cannot be read (such as an
    unclosed IPv6 bracket, or a port out of range), which anyone may send or type."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (read only to check it: it raises when out of range)
    except ValueError:
        return None
    return parts if parts.hostname else None


def has_credentials(url: str) -> bool:
    """Whether an address carries a user name or password, which would be sent to, and
    logged by, whoever serves it."""
    parts = well_formed(url)
    return parts is not None and (parts.username is not None or parts.password is not None)


def is_acceptable_url(url: str) -> bool:
    """Whether a platform's address may be registered, or a line item used: well formed,
    without credentials, https, or http on this very machine (localhost, 127.0.0.1, ::1),
    where a platform under test runs without a certificate."""
    parts = well_formed(url)
    if parts is None or has_credentials(url):
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class PlatformDetails:
    name: str
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    key_set_url: str
    auth_url: str
    token_url: str
    links_verified_email: bool = False
    instructors_become_trainers: bool = False


class RegistrationTaken(Exception):
    """Another registration has this issuer and client id: a launch could not tell them
    apart."""


FIELDS = (
    "name",
    "issuer",
    "client_id",
    "deployment_ids",
    "key_set_url",
    "auth_url",
    "token_url",
    "links_verified_email",
    "instructors_become_trainers",
)


def registrations(session: Session) -> list[LtiPlatform]:
    return list(session.scalars(sa.select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


def registration(session: Session, platform_id: int) -> LtiPlatform | None:
    return session.get(LtiPlatform, platform_id)


def _check_unique(session: Session, details: PlatformDetails, platform_id: int | None) -> None:
    same = session.scalar(
        sa.select(LtiPlatform.id).where(
            LtiPlatform.issuer == details.issuer,
            LtiPlatform.client_id == details.client_id,
            LtiPlatform.id != (platform_id or 0),
        )
    )
    if same is not None:
        raise RegistrationTaken


def register(session: Session, details: PlatformDetails) -> LtiPlatform:
    """Register a platform; raises RegistrationTaken."""
    _check_unique(session, details, None)
    platform = LtiPlatform(**{name: _stored(getattr(details, name)) for name in FIELDS})
    session.add(platform)
    session.commit()
    return platform


def update(session: Session, platform: LtiPlatform, details: PlatformDetails) -> list[str]:
    """Change a registration; the names of the fields that changed. Raises
    RegistrationTaken."""
    _check_unique(session, details, platform.id)
    changed = []
    for name in FIELDS:
        value = _stored(getattr(details, name))
        if getattr(platform, name) != value:
            setattr(platform, name, value)
            changed.append(name)
    session.commit()
    return changed


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def remove(session: Session, platform: LtiPlatform) -> None:
    """Remove a registration: its launches stop working, and the links of its users to
    their accounts, its logins under way and where scores went go with it (the database
    cascades). The accounts, their progress and the cohorts stay."""
    session.delete(platform)
    session.commit()


# --- Login initiation ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginStarted:
    # Where to send the browser: the platform's authorisation endpoint, with the request.
    redirect_to: str
    # The state, which the browser also keeps in a cookie until the launch.
    state: str


def start_login(
    session: Session,
    params: Mapping[str, str],
    *,
    launch_url: str,
    site_url: str,
    ip_address: str | None,
) -> LoginStarted:
    """Answer a platform's third-party login initiation (OIDC): note a new state and
    nonce, and send the browser to the platform's authorisation endpoint to come back to
    `launch_url` with a signed id_token. Raises LaunchRefused."""
    issuer = params.get("iss")
    login_hint = params.get("login_hint")
    target = params.get("target_link_uri")
    client_id = params.get("client_id")
    if not issuer or not login_hint or not target:
        raise _refuse(Refusal.INCOMPLETE, ip_address, issuer=issuer, client_id=client_id)
    query = sa.select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    found = list(session.scalars(query.limit(2)))
    if len(found) != 1:
        # None, or several registrations of one issuer and no client id to choose.
        raise _refuse(Refusal.UNKNOWN_ISSUER, ip_address, issuer=issuer, client_id=client_id)
    platform = found[0]
    if len(target) > TARGET_LENGTH or not _on_site(target, site_url):
        raise _refuse(Refusal.UNKNOWN_TARGET, ip_address, issuer=issuer, client_id=client_id)
    now = utcnow()
    # Logins never finished are of no use after their lifetime: purged as new ones come.
    session.execute(sa.delete(LtiLogin).where(LtiLogin.expires_at < now))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        LtiLogin(
            state=state,
            nonce=nonce,
            platform_id=platform.id,
            target_link_uri=target,
            expires_at=now + LOGIN_LIFETIME,
        )
    )
    session.commit()
    request = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        request["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(platform.auth_url).query else "?"
    return LoginStarted(f"{platform.auth_url}{separator}{urlencode(request)}", state)


# --- Launch ----------------------------------------------------------------------------

_key_sets: dict[str, jwt.PyJWKClient] = {}
_key_sets_lock = threading.Lock()


# How long a platform's key set is kept before it is fetched again: a key the platform
# withdraws, or replaces under the same kid, stops verifying launches after this.
KEY_SET_LIFESPAN = 300


def _key_set(url: str) -> jwt.PyJWKClient:
    """The platform's key set, fetched when a key it names is not known yet, and again
    once it is a few minutes old: one client per address for the process (a cache, the
    same on every host). No key is kept apart from its set, which would outlive it."""
    import jwt

    with _key_sets_lock:
        client = _key_sets.get(url)
        if client is None:
            client = _key_sets[url] = jwt.PyJWKClient(
                url, cache_keys=False, lifespan=KEY_SET_LIFESPAN, timeout=10
            )
        return client


@dataclass(frozen=True, slots=True)
class Launch:
    """A launch that passed every check: the platform and what its id_token claims."""

    platform: LtiPlatform
    claims: Mapping[str, Any]
    course: Course
    lesson_slug: str | None


def _audiences(claims: Mapping[str, Any]) -> list[str]:
    audience = claims.get("aud")
    if isinstance(audience, str):
        return [audience]
    if isinstance(audience, list):
        return [value for value in audience if isinstance(value, str)]
    return []


def _platform_of(session: Session, claims: Mapping[str, Any], ip: str | None) -> LtiPlatform:
    issuer = claims.get("iss")
    audiences = _audiences(claims)
    platforms = list(
        session.scalars(sa.select(LtiPlatform).where(LtiPlatform.issuer == str(issuer)))
    )
    if not isinstance(issuer, str) or not platforms:
        raise _refuse(Refusal.UNKNOWN_ISSUER, ip, issuer=issuer, client_id=audiences)
    for platform in platforms:
        if platform.client_id in audiences:
            # The authorised party, when named (as it must be with several audiences), is
            # the one the token is for (Security Framework 5.1.3).
            if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != platform.client_id:
                break
            return platform
    raise _refuse(Refusal.WRONG_AUDIENCE, ip, issuer=issuer, client_id=audiences)


def verify_launch(
    session: Session,
    catalogue: Catalogue,
    *,
    id_token: str | None,
    state: str | None,
    state_kept: str | None,
    site_url: str,
    ip_address: str | None,
) -> Launch:
    """The launch an id_token brings, once it passes every check of the LTI Security
    Framework: a platform registered here (issuer and client id), its key and signature,
    its times, a state and nonce this site issued and that are used once, a deployment
    registered, a resource link launch targeting a course or lesson of the site (under
    `site_url`), the one its login started for. The state is spent. Raises LaunchRefused,
    logged."""
    import jwt

    ip = ip_address
    if not id_token or not state:
        raise _refuse(Refusal.INCOMPLETE, ip)
    try:
        header = jwt.get_unverified_header(id_token)
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise _refuse(Refusal.INCOMPLETE, ip) from None
    platform = _platform_of(session, unverified, ip)
    seen = {
        "issuer": platform.issuer,
        "client_id": platform.client_id,
        "deployment_id": unverified.get(DEPLOYMENT_ID),
    }
    login = session.get(LtiLogin, state)
    if login is None or login.expires_at < utcnow() or login.platform_id != platform.id:
        raise _refuse(Refusal.STATE_UNKNOWN, ip, **seen)
    if not state_kept or not _same(state_kept, state):
        # The browser that sends the launch is not the one the login started in (or it
        # does not keep the tool's cookies in the platform's frame).
        raise _refuse(Refusal.OTHER_BROWSER, ip, **seen)
    if header.get("alg") != ALGORITHM:
        raise _refuse(Refusal.BAD_SIGNATURE, ip, **seen)
    try:
        key = _key_set(platform.key_set_url).get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError:
        raise _refuse(Refusal.KEYS_UNREACHABLE, ip, **seen) from None
    except (jwt.PyJWKClientError, jwt.InvalidTokenError):
        raise _refuse(Refusal.UNKNOWN_KEY, ip, **seen) from None
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=[ALGORITHM],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=CLOCK_LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse(Refusal.EXPIRED, ip, **seen) from None
    except jwt.InvalidSignatureError:
        raise _refuse(Refusal.BAD_SIGNATURE, ip, **seen) from None
    except jwt.InvalidTokenError:
        raise _refuse(Refusal.INCOMPLETE, ip, **seen) from None
    if not _same(str(claims["nonce"]), login.nonce):
        raise _refuse(Refusal.NONCE_REUSED, ip, **seen)
    if claims.get(DEPLOYMENT_ID) not in platform.deployment_ids:
        raise _refuse(Refusal.WRONG_DEPLOYMENT, ip, **seen)
    if (
        claims.get(MESSAGE_TYPE) != "LtiResourceLinkRequest"
        or claims.get(VERSION) != "1.3.0"
        or not isinstance(claims.get(RESOURCE_LINK), dict)
        or not str(claims.get("sub") or "").strip()
    ):
        raise _refuse(Refusal.NOT_A_LAUNCH, ip, **seen)
    target = claims.get(TARGET_LINK_URI)
    course, lesson_slug = _target(catalogue, target, site_url)
    if course is None:
        raise _refuse(Refusal.UNKNOWN_TARGET, ip, **seen)
    if target != login.target_link_uri:
        # The login asked for one page, the signed launch claims another.
        raise _refuse(Refusal.TARGET_CHANGED, ip, **seen)
    if not _readable_lineitem(claims.get(AGS_ENDPOINT)):
        raise _refuse(Refusal.BAD_ADDRESS, ip, **seen)
    # Spent once every check passed, and before anyone is signed in: a state and its nonce
    # are used once. A launch refused above leaves it to expire, unusable all the same.
    spent = session.execute(sa.delete(LtiLogin).where(LtiLogin.state == state))
    session.commit()
    if spent.rowcount != 1:
        # Another request spent it in the meantime.
        raise _refuse(Refusal.STATE_UNKNOWN, ip, **seen)
    return Launch(platform, claims, course, lesson_slug)


def _same(given: str, kept: str) -> bool:
    # Compared as bytes: compare_digest refuses text that is not ASCII, which anyone may send.
    return secrets.compare_digest(given.encode(), kept.encode())


def _on_site(uri: str, site_url: str) -> bool:
    """Whether an address is on this site: its scheme, host and port, under its path."""
    parts, site = well_formed(uri), well_formed(site_url)
    if parts is None or site is None:
        return False
    return (
        _origin(parts) == _origin(site)
        and (parts.path or "/").startswith(site.path.rstrip("/") + "/")
        and not has_credentials(uri)
    )


def _origin(parts: SplitResult) -> tuple[str, str | None, int | None]:
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), parts.hostname, parts.port or default


def _target(catalogue: Catalogue, uri: object, site_url: str) -> tuple[Course | None, str | None]:
    """The course, and lesson if any, a target link URI of this site names."""
    on_site = isinstance(uri, str) and _on_site(uri, site_url)
    found = TARGET_PATH.match(urlsplit(uri).path) if on_site else None
    course = catalogue.course(found["course"]) if found else None
    if course is None or found is None:
        return None, None
    lesson = found["lesson"]
    if lesson is not None and course.published_lesson(lesson) is None:
        return None, None
    return course, lesson


def _readable_lineitem(endpoint: object) -> bool:
    """Whether the line item a launch's AGS claim names, if any, is an address that can be
    read: one that cannot be could never be sent a score, only tried again forever."""
    lineitem = endpoint.get("lineitem") if isinstance(endpoint, dict) else None
    return not isinstance(lineitem, str) or well_formed(lineitem) is not None


# --- Admission: account, enrolment, language -------------------------------------------


@dataclass(frozen=True, slots=True)
class Admission:
    """Whom a launch signs in, and where to: the course or lesson, in which language."""

    user: User
    course: str
    lesson_slug: str | None
    language: str


def launch(
    session: Session,
    catalogue: Catalogue,
    *,
    id_token: str | None,
    state: str | None,
    state_kept: str | None,
    site_url: str,
    ip_address: str | None,
    browser_language: Iterable[str] | None = None,
    unnamed: str = "",
) -> Admission:
    """Verify a launch (see `verify_launch`), then admit its person: the account linked to
    their platform user, made on their first launch; enrolled in the course, in the cohort
    of the platform's course when the launch names one, as a learner or as one of its
    trainers; where their scores go noted. `browser_language` is what the browser prefers,
    best first, for when the launch asks for no language the course is given in;
    `unnamed` the name of an account whose platform gives none. Committed."""
    verified = verify_launch(
        session,
        catalogue,
        id_token=id_token,
        state=state,
        state_kept=state_kept,
        site_url=site_url,
        ip_address=ip_address,
    )
    platform, claims, course = verified.platform, verified.claims, verified.course
    now = utcnow()
    user = _account(session, platform, claims, ip_address, unnamed)
    if not user.is_active:
        raise _refuse(Refusal.ACCOUNT_DISABLED, ip_address, issuer=platform.issuer)
    cohort = _context_cohort(session, platform, claims, course.slug)
    leads = _leads(claims.get(ROLES))
    # A trainer of this site writes and publishes every course's lessons: a platform, where
    # anyone may be made an Instructor, makes one only where the admin allowed it. Never
    # taken back by a later launch as a learner: the site's role is the admins' to change.
    made_trainer = leads and user.role is Role.LEARNER and platform.instructors_become_trainers
    if leads:
        # One of the trainers of the platform's course's cohort: they lead it once they are
        # a trainer of the site.
        if made_trainer:
            user.role = Role.TRAINER
        if cohort is not None:
            insert_unless_present(
                session,
                CohortTrainer,
                {"cohort_id": cohort.id, "user_id": user.id},
                ["cohort_id", "user_id"],
            )
    elif cohort is not None:
        cohorts.place(session, user.id, cohort, now)
    else:
        cohorts.note_taking_part(session, user.id, course.slug, now)
    _note_grade_target(session, platform, claims, user.id, verified, now)
    language = _language(claims, course, browser_language or ())
    user.language = language
    session.commit()
    if made_trainer:
        # Noted as an admin's change of role is: the account's owner sees it in their events.
        accounts.record_security_event(
            session, user.id, accounts.SecurityEventKind.ROLE_CHANGED, ip_address
        )
    return Admission(user, course.slug, verified.lesson_slug, language)


def _leads(roles: object) -> bool:
    """Whether the launch's context roles lead the course: full LIS role URIs, or the
    simple names the specification still accepts."""
    if not isinstance(roles, list):
        return False
    for role in roles:
        if not isinstance(role, str):
            continue
        if role.startswith(MEMBERSHIP_ROLES):
            name = role.rpartition("#")[2]
        elif "/" not in role and "#" not in role:
            name = role
        else:
            continue
        if name in LEADING_ROLES:
            return True
    return False


def _display_name(claims: Mapping[str, Any], unnamed: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return (name or unnamed).strip()[:100] or "?"


def _verified_email(claims: Mapping[str, Any]) -> str | None:
    email = claims.get("email")
    if claims.get("email_verified") is True and isinstance(email, str) and "@" in email:
        return accounts.normalise_email(email)
    return None


def _account(
    session: Session, platform: LtiPlatform, claims: Mapping[str, Any], ip: str | None, unnamed: str
) -> User:
    """The account linked to the platform's user: found by their `sub`, never by a name or
    address; on a first launch, an existing account with the address the platform verified
    where the admin allowed it (never a staff account, nor one with two-step sign-in), or
    else a new one. Raises LaunchRefused for an account a launch never signs in to."""
    sub = str(claims["sub"])[:255]
    linked = session.scalar(
        sa.select(User)
        .join(LtiAccount, LtiAccount.user_id == User.id)
        .where(LtiAccount.platform_id == platform.id, LtiAccount.sub == sub)
    )
    if linked is not None:
        # Checked on every launch: the account may have become an admin's, or its owner
        # may have turned on two-step sign-in, since it was linked.
        if _guarded(linked):
            raise _refuse(Refusal.ACCOUNT_GUARDED, ip, issuer=platform.issuer)
        return linked
    email = _verified_email(claims)
    user = accounts.find_user(session, email) if email else None
    # Never a staff account (what a trainer may do goes well beyond a course), nor one its
    # owner guards with a second step, which a launch would pass by.
    if user is not None and (
        not platform.links_verified_email or user.role is not Role.LEARNER or _guarded(user)
    ):
        user = None
        # The address is another account's, which this one cannot have too.
        email = None
    if user is None:
        user = accounts.create_user(
            session,
            # Without an address the platform vouches for, one that reaches nobody: the
            # person signs in through their platform, and never by password.
            email=email or f"lti-{secrets.token_hex(12)}@invalid",
            password=secrets.token_urlsafe(32),
            display_name=_display_name(claims, unnamed),
            ip_address=ip,
        )
    insert_unless_present(
        session,
        LtiAccount,
        {"platform_id": platform.id, "sub": sub, "user_id": user.id, "created_at": utcnow()},
        ["platform_id", "sub"],
    )
    session.flush()
    return user


def _guarded(user: User) -> bool:
    """Whether the account is one a launch never signs in to: its owner signs in here."""
    return user.role is Role.ADMIN or user.has_two_step


def _context_cohort(
    session: Session, platform: LtiPlatform, claims: Mapping[str, Any], course: str
) -> Cohort | None:
    """The cohort of the platform's course (the launch's context) in this course: made on
    its first launch, named after the context's title, closed to anyone the platform does
    not launch."""
    context = claims.get(CONTEXT)
    context_id = context.get("id") if isinstance(context, dict) else None
    if not isinstance(context_id, str) or not context_id:
        return None
    context_id = context_id[:255]
    found = _cohort_of_context(session, platform.id, context_id, course)
    if found is not None:
        return found
    title = next(
        (
            value.strip()
            for value in (context.get("title"), context.get("label"), context_id)
            if isinstance(value, str) and value.strip()
        ),
        context_id,
    )
    cohort = Cohort(
        course=course,
        name=_free_name(session, course, title[:110]),
        enrolment=Enrolment.CLOSED,
        join_code=cohorts.new_join_code(),
    )
    session.add(cohort)
    session.flush()
    insert_unless_present(
        session,
        LtiContext,
        {
            "platform_id": platform.id,
            "context_id": context_id,
            "course": course,
            "cohort_id": cohort.id,
        },
        ["platform_id", "context_id", "course"],
    )
    kept = _cohort_of_context(session, platform.id, context_id, course)
    if kept is not None and kept.id != cohort.id:
        # Another launch of the same context made its cohort at the same moment.
        session.delete(cohort)
    return kept


def _cohort_of_context(
    session: Session, platform_id: int, context_id: str, course: str
) -> Cohort | None:
    return session.scalar(
        sa.select(Cohort)
        .join(LtiContext, LtiContext.cohort_id == Cohort.id)
        .where(
            LtiContext.platform_id == platform_id,
            LtiContext.context_id == context_id,
            LtiContext.course == course,
        )
    )


def _free_name(session: Session, course: str, title: str) -> str:
    """The title, or with a number after it where a cohort of the course already has it."""
    taken = set(
        session.scalars(
            sa.select(unicode_lower(Cohort.name)).where(
                Cohort.course == course, unicode_lower(Cohort.name).like(f"{title.lower()}%")
            )
        )
    )
    name, number = title, 1
    while name.lower() in taken:
        number += 1
        name = f"{title} ({number})"
    return name


def _note_grade_target(
    session: Session,
    platform: LtiPlatform,
    claims: Mapping[str, Any],
    user_id: int,
    launched: Launch,
    now: dt.datetime,
) -> None:
    """Where the launch's results go: the line item its AGS claim names, when the platform
    lets the tool send scores to it. Noted for the first time, it is sent the score the
    person already has."""
    endpoint = claims.get(AGS_ENDPOINT)
    if not isinstance(endpoint, dict):
        return
    lineitem, scopes = endpoint.get("lineitem"), endpoint.get("scope")
    if not isinstance(lineitem, str) or not isinstance(scopes, list) or SCORE_SCOPE not in scopes:
        return
    if not is_acceptable_url(lineitem) or len(lineitem) > 1000:
        return
    # Plain http only for a platform that is itself on this machine, under test: no
    # platform may have the site post its tokens to a service of this machine's.
    if urlsplit(lineitem).scheme == "http" and urlsplit(platform.token_url).scheme != "http":
        return
    noted = sa.and_(LtiGradeTarget.user_id == user_id, LtiGradeTarget.lineitem == lineitem)
    first = session.scalar(sa.select(LtiGradeTarget.id).where(noted)) is None
    insert_or_update(
        session,
        LtiGradeTarget,
        {
            "user_id": user_id,
            "platform_id": platform.id,
            "course": launched.course.slug,
            "lesson_slug": launched.lesson_slug,
            "lineitem": lineitem,
            "launched_at": now,
        },
        ["user_id", "lineitem"],
        changes={
            "platform_id": platform.id,
            "course": launched.course.slug,
            "lesson_slug": launched.lesson_slug,
            "launched_at": now,
        },
        where=sa.true(),
    )
    if first:
        target = session.scalar(sa.select(LtiGradeTarget).where(noted))
        if target is not None:
            _queue_current_score(session, target, str(claims["sub"])[:255])


def requested_language(id_token: str | None, languages: Sequence[str]) -> str | None:
    """The language of the site the launch asks for, read before it is checked: only to
    say in that language why it is refused, should it be."""
    import jwt

    try:
        claims = jwt.decode(id_token or "", options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    presentation = claims.get(LAUNCH_PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    language = _primary(locale) if isinstance(locale, str) else None
    return language if language in languages else None


def _primary(tag: str) -> str:
    """The language of a tag such as pt-PT, pt_BR or es."""
    return tag.replace("_", "-").split("-", 1)[0].lower()


def _language(claims: Mapping[str, Any], course: Course, browser: Iterable[str]) -> str:
    """The language the person chose on their platform, when the course is given in it;
    else the first of their browser's the course is given in; else the course's own."""
    presentation = claims.get(LAUNCH_PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    wanted: Sequence[str] = [locale] if isinstance(locale, str) else []
    for tag in [*wanted, *browser]:
        language = _primary(tag)
        if language in course.languages:
            return language
    return course.default_language


# --- Assignment and Grade Services ----------------------------------------------------

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300


def client_assertion(
    session: Session, secret_key: str | bytes, client_id: str, token_url: str
) -> str:
    """The JWT the tool proves itself with at a platform's token endpoint (RFC 7523),
    signed with the site's current key, which its key set publishes."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
        "jti": secrets.token_urlsafe(16),
    }
    return credentials.sign_jwt(session, secret_key, claims)


SCORE_KIND = "lti-score"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
# A platform that answers slower than this is taken as down: the score is tried again.
HTTP_TIMEOUT = 15
# The most one score's sending may take, token and all, however the platform trickles its
# answers.
SEND_DEADLINE = outbox.SEND_DEADLINE


def init_app(app: Flask) -> None:
    """Send scores back to the platforms people were launched from."""
    learning_events.subscribe(app, queue_scores, LessonCompleted, QuizGraded)
    outbox.register_sender(app, SCORE_KIND, send_score)


@dataclass(frozen=True, slots=True)
class _Score:
    given: float
    maximum: float
    progress: str
    # What the score reports, unique for its line item: a message is queued once per event.
    about: str


def _score_for(session: Session, target: LtiGradeTarget, event: LearningEvent) -> _Score | None:
    """What a line item is sent for an event: for a lesson's, its quiz's points on each
    graded attempt, or full marks once it is completed where it has no quiz; for a
    course's, the share of its published lessons completed, on each completion."""
    course = content.catalogue.course(event.course)
    if course is None:
        return None
    if target.lesson_slug is not None:
        if isinstance(event, QuizGraded) and event.lesson == target.lesson_slug:
            progress = "Completed" if event.passed else "Submitted"
            return _Score(event.points, event.max_points, progress, f"attempt-{event.attempt_id}")
        lesson = course.published_lesson(target.lesson_slug)
        if (
            isinstance(event, LessonCompleted)
            and event.lesson == target.lesson_slug
            and lesson is not None
            and lesson.quiz is None
        ):
            return _Score(1, 1, "Completed", "completed")
        return None
    if not isinstance(event, LessonCompleted):
        return None
    published = [lesson.slug for lesson in course.published_lessons]
    completed = session.scalar(
        sa.select(sa.func.count()).where(
            LessonProgress.user_id == event.user_id,
            LessonProgress.course == course.slug,
            LessonProgress.lesson_slug.in_(published),
            LessonProgress.completed_at.is_not(None),
        )
    )
    done = completed or 0
    progress = "Completed" if done >= len(published) else "InProgress"
    return _Score(done, len(published), progress, f"completed-{event.lesson}")


# Built once: every answer and completion asks it.
_GRADE_TARGETS = (
    sa.select(LtiGradeTarget, LtiAccount.sub)
    .join(
        LtiAccount,
        sa.and_(
            LtiAccount.user_id == LtiGradeTarget.user_id,
            LtiAccount.platform_id == LtiGradeTarget.platform_id,
        ),
    )
    .where(
        LtiGradeTarget.user_id == sa.bindparam("user_id"),
        LtiGradeTarget.course == sa.bindparam("course"),
    )
    .order_by(LtiGradeTarget.id, LtiAccount.id.desc())
)


def _grade_targets(session: Session, user_id: int, course: str) -> list:
    """The line items the person was launched from in the course, with their user id on
    each platform: read once per transaction, as a passed quiz completes its lesson and
    both events ask."""
    # A transaction's connection is its own: a new transaction reads afresh.
    transaction = session.connection()
    read_in, found = session.info.get(GRADE_TARGETS_READ, (None, {}))
    if read_in is not transaction:
        found = {}
        session.info[GRADE_TARGETS_READ] = (transaction, found)
    if (user_id, course) not in found:
        found[(user_id, course)] = session.execute(
            _GRADE_TARGETS, {"user_id": user_id, "course": course}
        ).all()
    return found[(user_id, course)]


# Where `_grade_targets` keeps what it read, with the transaction it read it in.
GRADE_TARGETS_READ = "lti grade targets read"


def queue_scores(session: Session, event: LearningEvent) -> None:
    """Queue, in the transaction recording the event, the score it gives each line item
    the person was launched from in its course: sent after the commit, and again until
    the platform takes it."""
    queued: set[int] = set()
    for target, sub in _grade_targets(session, event.user_id, event.course):
        score = _score_for(session, target, event) if target.id not in queued else None
        if score is None:
            continue
        queued.add(target.id)
        _queue_score(session, target, sub, score, event)


def _queue_score(
    session: Session, target: LtiGradeTarget, sub: str, score: _Score, event: LearningEvent
) -> None:
    outbox.enqueue(
        session,
        kind=SCORE_KIND,
        key=f"{SCORE_KIND}:{target.id}:{score.about}",
        payload={
            "platform_id": target.platform_id,
            "lineitem": target.lineitem,
            "score": {
                "userId": sub,
                "scoreGiven": score.given,
                "scoreMaximum": score.maximum,
                "activityProgress": score.progress,
                "gradingProgress": "FullyGraded",
                # The event's own time: a score sent late never replaces a newer one.
                "timestamp": event.at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
            },
        },
        user_id=event.user_id,
    )


def _queue_current_score(session: Session, target: LtiGradeTarget, sub: str) -> None:
    """Queue the score the person already has for a line item first launched from: work
    done before (the lesson completed, or its quiz graded, from the site itself or
    another link) reaches the gradebook too, as its event's own score would have."""
    event = _latest_event(session, target)
    score = _score_for(session, target, event) if event is not None else None
    if event is not None and score is not None:
        _queue_score(session, target, sub, score, event)


def _latest_event(session: Session, target: LtiGradeTarget) -> LearningEvent | None:
    """The event that gave the line item's current score: the last graded attempt at the
    lesson's quiz, else the last completion of the lesson (or of a lesson of the course)."""
    if target.lesson_slug is not None:
        attempt = session.scalar(
            sa.select(QuizAttempt)
            .where(
                QuizAttempt.user_id == target.user_id,
                QuizAttempt.course == target.course,
                QuizAttempt.lesson_slug == target.lesson_slug,
            )
            .order_by(QuizAttempt.number.desc())
            .limit(1)
        )
        if attempt is not None:
            return QuizGraded(
                user_id=target.user_id,
                course=target.course,
                at=attempt.submitted_at,
                lesson=attempt.lesson_slug,
                language=attempt.language,
                attempt_id=attempt.id,
                attempt_number=attempt.number,
                points=attempt.points,
                max_points=attempt.max_points,
                passed=attempt.passed,
                # Not part of a score: what the quiz's settings say is of no matter here.
                required=False,
            )
        lessons = [target.lesson_slug]
    else:
        course = content.catalogue.course(target.course)
        lessons = [lesson.slug for lesson in course.published_lessons] if course else []
    completed = session.execute(
        sa.select(LessonProgress.lesson_slug, LessonProgress.completed_at)
        .where(
            LessonProgress.user_id == target.user_id,
            LessonProgress.course == target.course,
            LessonProgress.lesson_slug.in_(lessons),
            LessonProgress.completed_at.is_not(None),
        )
        .order_by(LessonProgress.completed_at.desc())
        .limit(1)
    ).first()
    if completed is None:
        return None
    lesson, at = completed
    return LessonCompleted(
        user_id=target.user_id, course=target.course, at=at, lesson=lesson, language=None
    )


def scores_url(lineitem: str) -> str:
    """The line item's scores service: its address with /scores after the path, before any
    query (AGS 2.0, 3.4)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _post(url: str, body: bytes, headers: Mapping[str, str], deadline: float) -> tuple[int, bytes]:
    """Post to a platform: its answer's status and body, by `deadline` or never."""
    try:
        return outbox.request_within(
            "POST", url, body, headers, deadline=deadline, read_timeout=HTTP_TIMEOUT
        )
    except outbox.TooSlow:
        raise _too_slow() from None


def _too_slow() -> outbox.DeliveryFailed:
    return outbox.DeliveryFailed(f"the platform took more than {SEND_DEADLINE} s to answer")


def _access_token(platform: LtiPlatform, deadline: float) -> str:
    """A token to send scores with: OAuth 2 client credentials, the tool proving itself
    with a JWT signed by the site's key (RFC 7523)."""
    assertion = client_assertion(
        db.session, current_app.secret_key, platform.client_id, platform.token_url
    )
    form = urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": SCORE_SCOPE,
        }
    ).encode()
    status, answer = _post(
        platform.token_url,
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        deadline,
    )
    if status >= 300:
        # Refused: the registration may be wrong, which an admin can mend; tried again.
        raise outbox.DeliveryFailed(f"token endpoint answered {status}")
    token = json.loads(answer).get("access_token")
    if not isinstance(token, str) or not token:
        raise outbox.DeliveryFailed("token endpoint gave no access token")
    return token


def send_score(message: OutboxMessage) -> None:
    """Send one queued score to its line item. A platform that is down, or slow, gets it
    later; one that finds it malformed or has no such line item any more keeps it out."""
    payload = message.payload
    platform = db.session.get(LtiPlatform, payload["platform_id"])
    if platform is None:
        raise outbox.DeliveryFailed("the platform is no longer registered", retry=False)
    deadline = time.monotonic() + SEND_DEADLINE
    token = _access_token(platform, deadline)
    status, _answer = _post(
        scores_url(payload["lineitem"]),
        json.dumps(payload["score"]).encode(),
        {"Content-Type": SCORE_TYPE, "Authorization": f"Bearer {token}"},
        deadline,
    )
    if status >= 300:
        mendable = status in (401, 403, 408, 409, 429) or status >= 500
        raise outbox.DeliveryFailed(f"scores service answered {status}", retry=mendable)
