"""Admin pages: dashboard, reports, users, and the record of processing with privacy requests."""

from __future__ import annotations

from typing import NoReturn

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import downloads
from app.account import tries
from app.admin import bp
from app.admin.forms import ErasureRequestForm, ExportRequestForm
from app.content import Course
from app.database import row_id
from app.errors import refuse
from app.extensions import content, db
from app.guards import recent_authentication, role_required
from app.i18n import current_language
from app.labels import AUDIT_ACTIONS, FILTERS, ROLES, SWITCHES
from app.mail import send_course_mail, send_later, tell_of_change
from app.models import NoticeVersion, Role, User
from app.services import accounts, privacy, quizzes, reports, two_step
from app.services import dashboard as dashboard_figures
from app.services.reports import ReportFilters

AUDIT_ROWS_SHOWN = 200
EXPORTS_SHOWN = 20


def _privacy_page(
    export_form: ExportRequestForm | None = None,
    erasure_form: ErasureRequestForm | None = None,
    status: int = 200,
):
    versions = db.session.scalars(
        sa.select(NoticeVersion).order_by(
            NoticeVersion.course, NoticeVersion.lesson_slug, NoticeVersion.first_shown_at
        )
    )
    return render_template(
        "admin/privacy.html",
        register=content.register,
        versions=list(versions),
        # Requests from people about their data; report downloads have their own log.
        # Every entry about accounts, also those of accounts since erased, whose own admin
        # page is gone. Report downloads have their log on the dashboard.
        audit=privacy.audit_log(
            db.session, limit=AUDIT_ROWS_SHOWN, actions=AUDIT_ACTIONS.keys() - {"report"}
        ),
        export_form=export_form or ExportRequestForm(),
        erasure_form=erasure_form or ErasureRequestForm(),
    ), status


@bp.get("/<lang:lang>/admin/privacy")
@role_required(Role.ADMIN)
def privacy_record():
    """The data register as a record of processing (GDPR Art. 30), notice versions, and the
    log of requests handled."""
    return _privacy_page()


@bp.post("/<lang:lang>/admin/privacy/export")
@role_required(Role.ADMIN)
@recent_authentication
def export_for_request():
    """Export a learner's data for a request received by email; the export is logged."""
    form = ExportRequestForm()
    if not form.validate():
        return _privacy_page(export_form=form, status=422)
    user = accounts.find_user(db.session, form.email.data)
    if user is None:
        form.email.errors.append(_("There is no account with this email."))
        return _privacy_page(export_form=form, status=404)
    # The file goes to the learner: in their language, not the admin's.
    data = privacy.export_for_request(
        db.session, content.register, user.id, privacy.language_of(user, content.course)
    )
    privacy.record_audit(db.session, current_user.id, "export", privacy.user_ref(user.id))
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="user-{user.id}-data.json"'
    return response


@bp.post("/<lang:lang>/admin/privacy/erase")
@role_required(Role.ADMIN)
@recent_authentication
def erase_for_request():
    """Erase a learner's account for a request received by email, after the admin's
    password; the log keeps who did it and when, not whose data it was beyond a number."""
    form = ErasureRequestForm()
    if not form.validate():
        return _privacy_page(erasure_form=form, status=422)
    if not tries.password_is_right(current_user, form.password.data):
        form.password.errors.append(_("That is not your password."))
        return _privacy_page(erasure_form=form, status=401)
    user = accounts.find_user(db.session, form.email.data)
    if user is None:
        form.email.errors.append(_("There is no account with this email."))
        return _privacy_page(erasure_form=form, status=404)
    if user.id == current_user.id:
        form.email.errors.append(_("To erase your own account, use your data page."))
        return _privacy_page(erasure_form=form, status=409)
    user_id = user.id
    privacy.erase_account(db.session, content.register, user_id)
    privacy.record_audit(db.session, current_user.id, "erase", privacy.user_ref(user_id))
    flash(_("The account and its data have been erased."), "success")
    return redirect(url_for("admin.privacy_record"), code=303)


def _refuse(status: int, message: str) -> NoReturn:
    """Refuse with a way back to the admin page the request came from."""
    args = request.view_args or {}
    if request.endpoint == "admin.allow_another_attempt" and "user_id" in args:
        back = (url_for("admin.learner", user_id=args["user_id"]), _("Back to the learner's page"))
    elif request.endpoint in {
        "admin.users",
        "admin.change_role",
        "admin.change_active",
        "admin.change_restriction",
        "admin.resend_confirmation",
    }:
        back = (url_for("admin.users"), _("Back to the accounts"))
    else:
        back = (url_for("admin.dashboard"), _("Back to the dashboard"))
    refuse(status, message, [back])


@bp.before_request
def _one_value_each() -> None:
    """Every admin form and filter takes one value per field. Given twice, which would it
    be? A report meant to be pseudonymised, or a filtered one, must never quietly take the
    other."""
    if any(len(request.form.getlist(name)) > 1 for name in request.form):
        _refuse(400, _("This form gives a value more than once."))
    downloads.refuse_repeated(request.args, _refuse)


def _filters(*switches: str) -> ReportFilters:
    """The report filters in the query string (see `downloads.filters`)."""
    return downloads.filters(_refuse, switches=switches)


def _course_in_query() -> Course:
    """The course named by the query's `course`, else the default one; a 404 for a course
    the site does not have."""
    slug = request.args.get("course")
    course = content.catalogue.course(slug) if slug else content.catalogue.default
    if course is None:
        _refuse(404, _("There is no such course."))
    return course


def _course_query(course: Course) -> dict[str, str]:
    """The query naming a course on the learner's pages: none for the default course, whose
    addresses stay as they were on a site of one course."""
    return {} if course is content.catalogue.default else {"course": course.slug}


@bp.get("/<lang:lang>/admin/")
@role_required(Role.ADMIN)
def dashboard():
    """How learners are doing, where they drop off, in which language: on the whole site,
    in one course, or in one of its cohorts."""
    filters = _filters()
    course = reports.course_of(filters, content.catalogue)
    return render_template(
        "admin/dashboard.html",
        filters=filters,
        course=course,
        courses=content.catalogue.courses,
        cohorts=dashboard_figures.cohorts_by_course(db.session),
        figures=dashboard_figures.figures(db.session, course, filters, current_language()),
        roles=list(Role),
        exports=privacy.audit_log(db.session, limit=EXPORTS_SHOWN, actions=("report",)),
    )


@bp.get("/<lang:lang>/admin/learners/<id:user_id>")
@role_required(Role.ADMIN)
def learner(user_id: int):
    """One learner's lessons and quiz attempts in one course (the query's `course`, else
    the first they take part in), and the cohorts they are in."""
    chosen = _course_in_query() if request.args.get("course") else None
    detail = dashboard_figures.learner_detail(db.session, content.catalogue, user_id, chosen)
    if detail is None:
        abort(404)
    return render_template(
        "admin/learner.html",
        detail=detail,
        course_query=_course_query(detail.course),
        audit=privacy.audit_log(
            db.session,
            limit=AUDIT_ROWS_SHOWN,
            actions=AUDIT_ACTIONS.keys() - {"report"},
            subject=privacy.user_ref(user_id),
        ),
        security_events=accounts.security_events(db.session, user_id, limit=AUDIT_ROWS_SHOWN),
        security_days=content.register.category("security-events").retention_days,
    )


@bp.post("/<lang:lang>/admin/learners/<id:user_id>/lessons/<slug>/another-attempt")
@role_required(Role.ADMIN)
def allow_another_attempt(user_id: int, slug: str):
    """Let a learner who used every attempt at a lesson's quiz (of the query's `course`,
    else the default one) try once more; logged."""
    user = db.session.get(User, user_id) or abort(404)
    course = _course_in_query()
    lesson = course.published_lesson(slug) or abort(404)
    try:
        quizzes.grant_another_attempt(db.session, current_user.id, user.id, lesson)
    except quizzes.AttemptsLeft:
        _refuse(409, _("This learner can still take this quiz: there is nothing to allow."))
    flash(_("%(name)s can now take this quiz once more.", name=user.display_name), "success")
    return redirect(url_for("admin.learner", user_id=user.id, **_course_query(course)), code=303)


@bp.get("/admin/reports/<any(progress, summary):kind>.<any(csv, xlsx, json):output>")
@role_required(Role.ADMIN)
@recent_authentication
def report(kind: str, output: str):
    """A progress report as a file, streamed; recorded in the audit log with its filters
    and row count once it has been sent."""
    export = reports.ReportExport(
        kind,
        output,
        _filters(*SWITCHES),
        pseudonymise=downloads.switch("pseudonymise", _refuse),
        bom=downloads.switch("bom", _refuse),
    )
    return downloads.send(export, current_user.id)


USERS_PER_PAGE = 50


# The users list's own fields, carried back to it after a change: what it finds, in which
# order, and the page.
USER_LISTING = ("q", "role", "course", "cohort", "sort", "order")
USER_SEARCH = (*USER_LISTING, "page")


def _user_search(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.args[name] for name in names if request.args.get(name)}


@bp.get("/<lang:lang>/admin/users")
@role_required(Role.ADMIN)
def users():
    """Find accounts by email or name, by role, and among a course's or a cohort's members;
    sorted by a column, a page at a time."""
    query = request.args.get("q", "").strip()
    role = request.args.get("role") or None
    if role is not None and role not in {r.value for r in Role}:
        _refuse(400, _("This filter value is not valid: %(field)s.", field=FILTERS["role"]))
    sort = request.args.get("sort") or accounts.UserOrder.EMAIL.value
    direction = request.args.get("order") or "asc"
    if sort not in set(accounts.UserOrder) or direction not in {"asc", "desc"}:
        _refuse(400, _("The accounts can be sorted only by one of the columns, up or down."))
    page = row_id(request.args.get("page") or "1")
    if page is None:
        _refuse(400, _("There is no such page of accounts."))
    scope = downloads.checked(
        {name: request.args[name] for name in ("course", "cohort") if name in request.args},
        _refuse,
    )
    found = accounts.search_users(
        db.session,
        query,
        Role(role) if role else None,
        per_page=USERS_PER_PAGE,
        page=page,
        order=accounts.UserOrder(sort),
        descending=direction == "desc",
        within=scope.learners(),
    )
    return render_template(
        "admin/users.html",
        found=found,
        query=query,
        role=role,
        sort=sort,
        descending=direction == "desc",
        roles=list(Role),
        scope=scope,
        courses=content.catalogue.courses,
        cohorts=dashboard_figures.cohorts_by_course(db.session),
        listing=_user_search(USER_LISTING),
        search=_user_search(USER_SEARCH),
    )


def _back_to_users():
    """The users list as the admin left it: only its own fields are carried back."""
    return redirect(url_for("admin.users", **_user_search(USER_SEARCH)), code=303)


@bp.post("/<lang:lang>/admin/users/<id:user_id>/role")
@role_required(Role.ADMIN)
@recent_authentication
def change_role(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        _refuse(400, _("There is no such role."))
    changed = role is not user.role
    try:
        accounts.change_role(db.session, user, role)
    except accounts.LastAdmin:
        _refuse(409, _("The platform needs at least one active admin."))
    except accounts.NotConfirmed:
        _refuse(409, _("This address has not been confirmed yet: the account stays a learner."))
    if changed:
        privacy.record_audit(
            db.session, current_user.id, "role", privacy.user_ref(user.id), {"role": role.value}
        )
        accounts.record_security_event(
            db.session, user.id, accounts.SecurityEventKind.ROLE_CHANGED, None
        )
    flash(_("%(email)s is now: %(role)s.", email=user.email, role=ROLES[role]), "success")
    return _back_to_users()


@bp.post("/<lang:lang>/admin/users/<id:user_id>/active")
@role_required(Role.ADMIN)
def change_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    chosen = request.form.get("active")
    if chosen not in {"0", "1"}:
        _refuse(400, _("An account can only be made active or inactive."))
    active = chosen == "1"
    changed = active is not user.is_active
    try:
        accounts.set_active(db.session, user, active)
    except accounts.LastAdmin:
        _refuse(409, _("The platform needs at least one active admin."))
    if changed:
        action = "reactivate" if active else "deactivate"
        privacy.record_audit(db.session, current_user.id, action, privacy.user_ref(user.id))
    flash(_("Account reactivated.") if active else _("Account deactivated."), "success")
    return _back_to_users()


@bp.post("/<lang:lang>/admin/users/<id:user_id>/restriction")
@role_required(Role.ADMIN)
@recent_authentication
def change_restriction(user_id: int):
    """Restrict the use of an account's data (GDPR Art. 18); tell the person it is to be
    lifted; then lift it (Art. 18(3): they hear of it first). Each step is logged, and the
    person told in their language."""
    user = db.session.get(User, user_id) or abort(404)
    step = request.form.get("restriction")
    if step not in RESTRICTION_STEPS:
        _refuse(
            400,
            _(
                "The use of an account's data can only be restricted, its lifting announced, "
                "or lifted."
            ),
        )
    if user.id == current_user.id:
        _refuse(409, _("An admin cannot restrict the use of their own data: ask another admin."))
    if step == "announce-lift":
        if privacy.announce_lift(db.session, current_user.id, user.id):
            _tell_of_restriction(user, _lift_message)
        flash(
            _(
                "%(email)s is told that the restriction of their data is to be lifted; you "
                "can now lift it.",
                email=user.email,
            ),
            "success",
        )
        return _back_to_users()
    restricted = step == "restrict"
    try:
        changed = privacy.restrict(db.session, current_user.id, user.id, restricted)
    except privacy.LiftNotAnnounced:
        _refuse(
            409,
            _(
                "Tell the person first that the restriction of their data is to be lifted "
                "(GDPR Article 18(3)).",
            ),
        )
    if changed and restricted:
        _tell_of_restriction(user, _restricted_message)
    if restricted:
        flash(
            _(
                "The data of %(email)s is restricted: kept, but in no report or figure.",
                email=user.email,
            ),
            "success",
        )
    else:
        flash(_("The restriction of the data of %(email)s is lifted.", email=user.email), "success")
    return _back_to_users()


def _restricted_message():
    return (
        _("The use of your data is restricted"),
        _(
            "As you asked, the use of your data on the course platform is now restricted: "
            "it stays stored, but it is left out of every report and figure the course "
            "team sees until the restriction is lifted. You can still follow the course."
        ),
    )


def _lift_message():
    return (
        _("The restriction of your data is to be lifted"),
        _(
            "The restriction of the use of your data on the course platform is to be "
            "lifted: from then on your progress will again be in the course team's reports "
            "and figures. If you think it should stay, tell us before then."
        ),
    )


# The steps of a restriction, as the users page's forms name them.
RESTRICTION_STEPS = frozenset({"restrict", "announce-lift", "lift"})


def _tell_of_restriction(user: User, message) -> None:
    language = privacy.language_of(user, content.course)
    with force_locale(language):
        subject, what = message()
        body = _(
            "Hello %(name)s,\n\n%(what)s\n\nFor any question, write to %(contact)s.",
            name=user.display_name,
            what=what,
            contact=current_app.config["PRIVACY_CONTACT"],
        )
    send_later(send_course_mail, language, user.email, subject, body)


@bp.post("/<lang:lang>/admin/users/<id:user_id>/two-step/remove")
@role_required(Role.ADMIN)
@recent_authentication
def remove_two_step(user_id: int):
    """Turn two-step sign-in off for someone who lost their phone and their recovery
    codes, once the admin is satisfied it is them; logged."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        _refuse(409, _("To turn off your own two-step sign-in, use your security page."))
    if user.has_two_step:
        two_step.disable(db.session, user)
        # The learner sees their events: the staff member's address is not theirs to see.
        accounts.record_security_event(
            db.session, user.id, accounts.SecurityEventKind.TWO_STEP_RESET, None
        )
        privacy.record_audit(
            db.session, current_user.id, "remove two-step", privacy.user_ref(user.id)
        )
        tell_of_change(
            user,
            privacy.language_of(user, content.course),
            _l("Two-step sign-in is off"),
            _l("An administrator of the course turned off two-step sign-in for your account."),
        )
        flash(
            _(
                "Two-step sign-in is off for %(name)s: they sign in with their password alone.",
                name=user.display_name,
            ),
            "success",
        )
    return redirect(url_for("admin.learner", user_id=user.id), code=303)
