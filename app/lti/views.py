"""What a learning platform sends a browser to: the third-party login initiation, the
launch with its signed id_token, and the course's and lessons' target link URIs."""

from __future__ import annotations

import hashlib
from typing import NoReturn

from flask import g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from app.errors import refuse
from app.extensions import content, csrf, db, limiter
from app.guards import SESSION_SECRET, mark_authenticated
from app.i18n import preferred_language
from app.lti import bp
from app.models import User
from app.services import accounts, lti, sessions
from app.services.lti import Refusal

# Ties the login to the launch in one browser (see `lti.verify_launch`); sent only to the
# launch, and across sites, since the launch is a form the platform's page posts. The name
# the register gives it, which each login's cookie starts with.
STATE_COOKIE = "aula_lti_state"


def state_cookie(state: str) -> str:
    """The cookie of one login: named after its state, so that logins started at once in
    one browser (two links, two tabs, two frames of a page) each keep their own."""
    return f"{STATE_COOKIE}_{hashlib.sha256(state.encode()).hexdigest()[:16]}"


_AGAIN = _l("Please open the course again from your learning platform.")
_ASK_ADMINS = _l("Please ask this site's administrators to check the platform's registration.")

# What a refused login or launch tells the person, and with which status.
REFUSALS: dict[Refusal, tuple[int, object, object | None]] = {
    Refusal.INCOMPLETE: (
        400,
        _l("The sign-in from your learning platform was incomplete."),
        _AGAIN,
    ),
    Refusal.UNKNOWN_ISSUER: (
        403,
        _l("This learning platform is not registered with this site."),
        _ASK_ADMINS,
    ),
    Refusal.WRONG_AUDIENCE: (
        403,
        _l("The sign-in from your learning platform was meant for another tool."),
        _ASK_ADMINS,
    ),
    Refusal.BAD_SIGNATURE: (
        403,
        _l(
            "The sign-in from your learning platform could not be verified: its signature "
            "is not valid."
        ),
        _AGAIN,
    ),
    Refusal.UNKNOWN_KEY: (
        403,
        _l(
            "The sign-in from your learning platform was signed with a key the platform "
            "does not publish."
        ),
        _ASK_ADMINS,
    ),
    Refusal.KEYS_UNREACHABLE: (
        503,
        _l("Your learning platform's keys could not be fetched to check the sign-in."),
        _l("Please try again in a moment."),
    ),
    Refusal.EXPIRED: (403, _l("The sign-in from your learning platform has expired."), _AGAIN),
    Refusal.STATE_UNKNOWN: (
        403,
        _l("This sign-in from your learning platform has already been used, or has expired."),
        _AGAIN,
    ),
    Refusal.NONCE_REUSED: (
        403,
        _l("This sign-in from your learning platform has already been used."),
        _AGAIN,
    ),
    Refusal.OTHER_BROWSER: (
        403,
        _l("Your browser did not keep the start of the sign-in from your learning platform."),
        _l("Please open the course in a new window from your learning platform."),
    ),
    Refusal.WRONG_DEPLOYMENT: (
        403,
        _l(
            "This deployment of the tool on your learning platform is not registered with "
            "this site."
        ),
        _ASK_ADMINS,
    ),
    Refusal.NOT_A_LAUNCH: (
        400,
        _l("Your learning platform sent a kind of launch this site does not take."),
        _ASK_ADMINS,
    ),
    Refusal.UNKNOWN_TARGET: (
        404,
        _l("The link on your learning platform leads to no course or lesson of this site."),
        _ASK_ADMINS,
    ),
    Refusal.TARGET_CHANGED: (
        403,
        _l("The sign-in from your learning platform did not lead where it started to."),
        _AGAIN,
    ),
    Refusal.BAD_ADDRESS: (
        400,
        _l("Your learning platform sent an address that cannot be read."),
        _ASK_ADMINS,
    ),
    Refusal.ACCOUNT_DISABLED: (
        403,
        _l("Your account on this site is disabled."),
        _l("Please contact the course team."),
    ),
    Refusal.ACCOUNT_GUARDED: (
        403,
        _l(
            "Your account on this site is an administrator's, or is protected by two-step "
            "sign-in: your learning platform cannot sign you in to it."
        ),
        _l("Please sign in on this site itself."),
    ),
}


def _refused(refusal: lti.LaunchRefused) -> NoReturn:
    status, message, then = REFUSALS[refusal.reason]
    refuse(status, f"{message} {then}" if then else str(message))


# Each login writes a row: enough for a classroom behind one address opening a course at
# once, not for filling the table.
LOGIN_LIMIT = "120 per minute"


def _launch_url() -> str:
    return url_for("lti.launch", _external=True)


def _site_url() -> str:
    return url_for("learn.root", _external=True)


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt  # a platform's page starts it; the state it issues protects the launch
@limiter.limit(LOGIN_LIMIT)
def login():
    """The platform's third-party login initiation: on to its authorisation endpoint."""
    params = request.form if request.method == "POST" else request.args
    try:
        started = lti.start_login(
            db.session,
            params,
            launch_url=_launch_url(),
            site_url=_site_url(),
            ip_address=request.remote_addr,
        )
    except lti.LaunchRefused as refusal:
        _refused(refusal)
    response = redirect(started.redirect_to, 302)
    days = content.register.cookie(STATE_COOKIE).days
    response.set_cookie(
        state_cookie(started.state),
        started.state,
        max_age=days * 24 * 3600,
        path=url_for("lti.launch"),
        httponly=True,
        # The launch is posted from the platform's site: only a cross-site cookie goes with
        # it, and browsers keep those only when secure. Without https (a local test), the
        # platform must be on this machine too.
        secure=request.is_secure,
        samesite="None" if request.is_secure else "Lax",
    )
    return response


@bp.post("/lti/launch")
@csrf.exempt  # posted by the platform's page; the id_token's signature and state protect it
def launch():
    """The launch: check the id_token, sign its person in, and take them to the course or
    lesson, in the language they chose on the platform."""
    id_token, state = request.form.get("id_token"), request.form.get("state")
    g.lang = lti.requested_language(id_token, content.catalogue.languages) or preferred_language()
    try:
        admitted = lti.launch(
            db.session,
            content.catalogue,
            id_token=id_token,
            state=state,
            state_kept=request.cookies.get(state_cookie(state)) if state else None,
            site_url=_site_url(),
            ip_address=request.remote_addr,
            browser_language=[tag for tag, _quality in request.accept_languages],
            unnamed=_("Learner"),
        )
    except lti.LaunchRefused as refusal:
        _refused(refusal)
    _start_session(admitted.user)
    g.lang = admitted.language
    if admitted.lesson_slug is None:
        target = url_for("learn.course", lang=admitted.language, course=admitted.course)
    else:
        target = url_for(
            "learn.lesson",
            lang=admitted.language,
            course=admitted.course,
            slug=admitted.lesson_slug,
        )
    response = redirect(target, 303)
    response.delete_cookie(state_cookie(state or ""), path=url_for("lti.launch"))
    return response


def _start_session(user: User) -> None:
    """Sign the person in in this browser, as signing in with a password does, until the
    browser closes: their platform vouched for who they are."""
    session.clear()
    session[SESSION_SECRET] = sessions.start(db.session, user, request.user_agent.string)
    login_user(user, remember=False)
    # Their platform has just signed them in: as recent a sign-in as a password is, for
    # what asks for one (downloading or erasing their data), which they never had here.
    mark_authenticated(by_platform=True)
    accounts.signed_in(db.session, user, request.remote_addr)


@bp.get("/lti/courses/<course>")
@bp.get("/lti/courses/<course>/lessons/<slug>")
def target(slug: str | None = None):
    """A target link URI opened without a launch: the course or lesson page itself, in a
    language the course is given in."""
    course = content.course
    language = preferred_language()
    if language not in course.languages:
        language = request.accept_languages.best_match(course.languages) or (
            course.default_language
        )
    if slug is None:
        return redirect(url_for("learn.course", lang=language))
    return redirect(url_for("learn.lesson", lang=language, slug=slug))
