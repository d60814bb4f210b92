"""Joining a cohort: with its invitation link or code, which its trainers share, or with the
invitation mailed to one address. Opening either only shows a page; joining takes a press
of its button (mail scanners open links too), signed in: visitors sign in or create their
account first, and come back."""

from __future__ import annotations

from typing import NoReturn

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from app.account import bp
from app.account.views import KEPT_FIELDS
from app.content import Course
from app.errors import refuse
from app.extensions import content, db, login_manager
from app.models import Cohort, Enrolment, Invitation, Role
from app.services import accounts, cohorts, enrolment


def _refuse(status: int, message: str) -> NoReturn:
    refuse(status, message, [(url_for("account.join_by_code"), _("Type a cohort’s code"))])


def _joinable(cohort: Cohort | None) -> tuple[Cohort, Course]:
    """The cohort and its course, if its link lets people join now; else the page that
    says why not."""
    course = content.catalogue.course(cohort.course) if cohort is not None else None
    if cohort is None or course is None:
        _refuse(
            404,
            _(
                "There is no cohort with this code. Please check the link or the code, or ask "
                "the course team for it."
            ),
        )
    if cohort.enrolment is Enrolment.CLOSED:
        _refuse(
            403,
            _(
                "This cohort is closed: nobody joins it with its link. The course team can "
                "enrol you: please ask them."
            ),
        )
    _refuse_if_ended(cohort)
    return cohort, course


def _refuse_if_ended(cohort: Cohort) -> None:
    if cohorts.has_ended(cohort):
        _refuse(
            403,
            _(
                "This cohort ended on %(date)s: nobody joins it any more.",
                date=format_date(cohort.ends_on, "long"),
            ),
        )


def _in_course_language(course: Course):
    """The same page in a language of the course, when it is not given in the page's: a
    redirect, or None where the page's language will do."""
    if course.offers(g.lang) or request.method != "GET":
        g.course_slug = course.slug
        return None
    return redirect(
        url_for(request.endpoint, **{**(request.view_args or {}), "lang": course.default_language})
    )


def _course_page(course: Course):
    language = g.lang if course.offers(g.lang) else course.default_language
    return redirect(url_for("learn.course", lang=language, course=course.slug), code=303)


@bp.get("/<lang:lang>/join")
def join_by_code():
    """Type the code of a cohort's invitation link; it leads to the link's page."""
    typed = request.args.get("code")
    code = cohorts.normalise_join_code(typed or "")
    if code:
        return redirect(url_for("account.join", token=code), code=303)
    return render_template("account/join_code.html", empty=typed is not None), (
        422 if typed is not None else 200
    )


@bp.route("/<lang:lang>/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """A cohort's invitation link: signed in, a button joins the cohort (moving from
    another of its course, progress kept); visitors sign in or sign up first."""
    cohort, course = _joinable(cohorts.by_join_code(db.session, token))
    if (switched := _in_course_language(course)) is not None:
        return switched
    if not current_user.is_authenticated:
        if request.method == "POST":
            return login_manager.unauthorized()
        return render_template("account/join.html", cohort=cohort, course=course, here=request.path)
    staff = current_user.role is not Role.LEARNER
    place = cohorts.membership(db.session, current_user.id, course.slug)
    if request.method == "GET":
        current = None
        if place is not None and place.cohort_id is not None:
            current = cohorts.get(db.session, place.cohort_id)
        return render_template(
            "account/join.html",
            cohort=cohort,
            course=course,
            staff=staff,
            place=place,
            current=current,
        )
    if staff:
        _refuse(409, _("The course team sees every course without joining a cohort."))
    if place is not None and place.cohort_id == cohort.id:
        flash(_("You are already in “%(cohort)s”.", cohort=cohort.name), "info")
    else:
        cohorts.join(db.session, current_user.id, cohort)
        flash(_("Welcome to “%(cohort)s”!", cohort=cohort.name), "success")
    return _course_page(course)


def _invitation_or_410(token: str) -> Invitation:
    invited = enrolment.invitation(db.session, token)
    if invited is None:
        refuse(
            410,
            _(
                "This invitation has already been used, or a newer one replaced it. If you "
                "joined with it, sign in to find the course; if not, please ask the course "
                "team for a new one."
            ),
            [(url_for("account.login"), _("Sign in"))],
        )
    if enrolment.is_expired(invited):
        refuse(
            410,
            _(
                "This invitation expired on %(date)s. Please ask the course team for a new one.",
                date=format_date(invited.expires_at, "long"),
            ),
        )
    return invited


@bp.route("/<lang:lang>/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The invitation mailed to one address: its owner creates their account with it (the
    address filled in), or signs in with it, and is a member of the cohort once the address
    is confirmed. Only that address's account can use it."""
    invited = _invitation_or_410(token)
    cohort = cohorts.get(db.session, invited.cohort_id)
    course = content.catalogue.course(cohort.course) if cohort is not None else None
    if cohort is None or course is None:
        _refuse(404, _("The course of this invitation is no longer on the site."))
    _refuse_if_ended(cohort)
    if (switched := _in_course_language(course)) is not None:
        return switched
    if current_user.is_authenticated:
        if current_user.email != invited.email:
            refuse(
                403,
                _(
                    "This invitation was sent to another email address than your account’s. "
                    "Please sign out, then sign in or create an account with the address it "
                    "was sent to."
                ),
            )
        if request.method == "GET":
            return render_template(
                "account/invitation.html", cohort=cohort, course=course, step="accept"
            )
        enrolment.accept(db.session, invited, current_user.id)
        flash(_("Welcome to “%(cohort)s”!", cohort=cohort.name), "success")
        return _course_page(course)
    if request.method == "POST":
        return login_manager.unauthorized()
    owner = accounts.find_user(db.session, invited.email)
    if owner is not None and owner.email_confirmed_at is not None:
        # Signing in brings the owner back here, to accept it.
        _fill_in("account.login", {"email": invited.email})
        return render_template(
            "account/invitation.html",
            cohort=cohort,
            course=course,
            step="sign-in",
            next=request.path,
        )
    # Confirming the address of the new account makes it a member (the sign-up's link
    # leads to the course page then): `enrolment.accept_invitations_for`.
    _fill_in("account.register", {"email": invited.email, "display_name": invited.display_name})
    language = g.lang if course.offers(g.lang) else course.default_language
    return render_template(
        "account/invitation.html",
        cohort=cohort,
        course=course,
        step="sign-up",
        next=url_for("learn.course", lang=language, course=course.slug),
    )


def _fill_in(endpoint: str, fields: dict[str, str | None]) -> None:
    """Have the sign-up or sign-in form filled in with the invitation's address (and name),
    as it is after a switch of language (app/account/views.py `_typed_before`)."""
    session[KEPT_FIELDS] = {
        "endpoint": endpoint,
        "fields": {name: value for name, value in fields.items() if value},
    }
