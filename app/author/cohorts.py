"""Trainers follow their cohorts: the cohorts they lead, each learner's progress there, who
has gone quiet, how the cohort answers each quiz, another attempt where one is needed, and
the cohort's reports. Admins follow every cohort; to any other trainer, a cohort they do not
lead is not there (404), so its name is not given away either."""

from __future__ import annotations

from typing import NoReturn

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import downloads
from app.author import bp
from app.author.views import STAFF, STATISTICS_PURPOSE
from app.content import Course
from app.errors import refuse
from app.extensions import content, db
from app.guards import recent_authentication, role_required
from app.labels import SWITCHES
from app.models import Cohort, User
from app.services import authoring, follow_up, quizzes, reports

# The filters a cohort's reports take besides the cohort itself (its learners are its
# members with the learner's role).
COHORT_REPORT_FILTERS = ("language", "registered_from", "registered_to")
MOST_QUIET_DAYS = 3650


def _refuse(status: int, message: str, cohort: Cohort | None = None) -> NoReturn:
    """Refuse with the way back to the cohort's page, or to the list of cohorts."""
    if cohort is not None:
        back = (url_for("author.cohort", cohort_id=cohort.id), _("Back to the cohort"))
    else:
        back = (url_for("author.cohorts"), _("Back to your cohorts"))
    refuse(status, message, [back])


def _followed_or_404(cohort_id: int) -> tuple[Cohort, Course]:
    """The cohort and its course, to an admin or one of its trainers; to anyone else, and
    once its course is no longer on the site, there is no such page."""
    cohort = follow_up.visible_to(db.session, current_user, cohort_id)
    course = content.catalogue.course(cohort.course) if cohort else None
    if cohort is None or course is None:
        _refuse(404, _("There is no such cohort among those you follow."))
    downloads.refuse_repeated(request.args, lambda status, text: _refuse(status, text, cohort))
    return cohort, course


@bp.get("/<lang:lang>/author/cohorts")
@role_required(*STAFF)
def cohorts():
    """The cohorts the trainer leads (an admin: every one), with their learners' number."""
    return render_template(
        "author/cohorts.html",
        followed=follow_up.followed_by(db.session, current_user),
        catalogue=content.catalogue,
    )


def _whole_number(name: str, default: int, most: int, message: str, cohort: Cohort) -> int:
    value = request.args.get(name, "")
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= most:
        _refuse(400, message, cohort)
    return int(value)


@bp.get("/<lang:lang>/author/cohorts/<id:cohort_id>")
@role_required(*STAFF)
def cohort(cohort_id: int):
    """Every learner of the cohort with their progress in each lesson, a page at a time;
    those not active for the days asked (14 unless asked), and the cohort's totals."""
    cohort, course = _followed_or_404(cohort_id)
    days = _whole_number(
        "days",
        follow_up.QUIET_DAYS,
        MOST_QUIET_DAYS,
        _("Please give a number of days from 1 to %(most)d.", most=MOST_QUIET_DAYS),
        cohort,
    )
    shown = request.args.get("show", "all")
    if shown not in {"all", "quiet"}:
        _refuse(400, _("There is no such list of learners."), cohort)
    page_number = _whole_number("page", 1, 2**31, _("There is no such page of learners."), cohort)
    return render_template(
        "author/cohort.html",
        cohort=cohort,
        course=course,
        trainers=follow_up.trainer_names(db.session, cohort.id),
        shown=shown,
        default_days=follow_up.QUIET_DAYS,
        follow=follow_up.follow_up(
            db.session,
            cohort,
            course,
            quiet_days=days,
            only_quiet=shown == "quiet",
            page_number=page_number,
        ),
    )


@bp.get("/<lang:lang>/author/cohorts/<id:cohort_id>/quizzes")
@role_required(*STAFF)
def cohort_quizzes(cohort_id: int):
    """How the cohort's learners who agreed to it answer each question: counts only, no
    names, none about fewer than QUIZ_STATISTICS_MIN_LEARNERS learners."""
    cohort, course = _followed_or_404(cohort_id)
    minimum = current_app.config["QUIZ_STATISTICS_MIN_LEARNERS"]
    return render_template(
        "author/cohort_quizzes.html",
        cohort=cohort,
        course=course,
        trainers=follow_up.trainer_names(db.session, cohort.id),
        analyses=follow_up.item_analyses(db.session, cohort, course, STATISTICS_PURPOSE, minimum),
        min_learners=minimum,
        too_easy=authoring.TOO_EASY,
        too_hard=authoring.TOO_HARD,
    )


@bp.post(
    "/<lang:lang>/author/cohorts/<id:cohort_id>/learners/<id:user_id>/lessons/<slug>"
    "/another-attempt"
)
@role_required(*STAFF)
def cohort_another_attempt(cohort_id: int, user_id: int, slug: str):
    """Let a learner of the cohort who used every attempt at a lesson's quiz try once more;
    logged as an admin's is."""
    cohort, course = _followed_or_404(cohort_id)
    user = db.session.get(User, user_id)
    if user is None or not follow_up.is_learner_of(db.session, cohort, user.id):
        _refuse(404, _("This learner is not in the cohort."), cohort)
    lesson = course.published_lesson(slug)
    if lesson is None:
        _refuse(404, _("There is no such lesson in this course."), cohort)
    try:
        quizzes.grant_another_attempt(db.session, current_user.id, user.id, lesson)
    except quizzes.AttemptsLeft:
        _refuse(409, _("This learner can still take this quiz: there is nothing to allow."), cohort)
    flash(_("%(name)s can now take this quiz once more.", name=user.display_name), "success")
    back = {name: request.args[name] for name in ("days", "show", "page") if name in request.args}
    return redirect(url_for("author.cohort", cohort_id=cohort.id, **back), code=303)


@bp.get(
    "/author/cohorts/<id:cohort_id>/reports/<any(progress, summary):kind>"
    ".<any(csv, xlsx, json):output>"
)
@role_required(*STAFF)
@recent_authentication
def cohort_report(cohort_id: int, kind: str, output: str):
    """The cohort's progress report as a file, as admins get theirs, of the cohort's
    learners only; logged with its filters and row count."""
    cohort, _course = _followed_or_404(cohort_id)

    def refusing(status: int, message: str) -> NoReturn:
        _refuse(status, message, cohort)

    filters = downloads.filters(
        refusing,
        allowed=COHORT_REPORT_FILTERS,
        switches=SWITCHES,
        fixed=follow_up.cohort_filters(cohort).as_args(),
    )
    export = reports.ReportExport(
        kind,
        output,
        filters,
        pseudonymise=downloads.switch("pseudonymise", refusing),
        bom=downloads.switch("bom", refusing),
    )
    return downloads.send(export, current_user.id)
