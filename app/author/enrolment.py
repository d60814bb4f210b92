"""Enrolling learners in a cohort from a CSV file of email addresses: for admins, and for
the trainers who lead the cohort (to anyone else it is not there). Accounts are enrolled,
other addresses invited by mail, and every row that could not be used is listed with its
line and the reason."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.author import bp
from app.content import Course
from app.errors import refuse
from app.extensions import content, csrf, db
from app.guards import role_required
from app.mail import send_invitation, send_later
from app.models import Cohort, Role
from app.services import cohorts, enrolment, privacy
from app.services.enrolment import FileProblem, RowProblem, UnusableFile

ROW_PROBLEMS = {
    RowProblem.TOO_MANY_COLUMNS: _l(
        "Too many columns: a row has an email address, and may have a name and a language."
    ),
    RowProblem.NO_EMAIL: _l("There is no email address on this row."),
    RowProblem.INVALID_EMAIL: _l("“%(value)s” is not a valid email address."),
    RowProblem.REPEATED: _l("%(value)s is already on line %(line)s."),
    RowProblem.UNKNOWN_LANGUAGE: _l(
        "“%(value)s” is not a language this course is given in (%(languages)s)."
    ),
    RowProblem.INVALID_NAME: _l(
        "The name is longer than %(count)d characters, or not on a single line."
    ),
    RowProblem.STAFF: _l(
        "%(value)s is a trainer’s or an admin’s account: the course team sees every course "
        "without joining."
    ),
    RowProblem.INACTIVE: _l(
        "The account of %(value)s is deactivated: an admin can reactivate it first."
    ),
}

FILE_PROBLEMS = {
    FileProblem.TOO_LARGE: _l(
        "The file is larger than %(size)s KB. Please split it into files of at most %(rows)s rows."
    ),
    FileProblem.TOO_MANY_ROWS: _l(
        "The file has more than %(rows)s rows. Please split it into several files."
    ),
    FileProblem.NOT_UTF8: _l(
        "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” and send it again."
    ),
    FileProblem.NOT_CSV: _l(
        "The file could not be read as CSV. In your spreadsheet, save it as “CSV UTF-8” and "
        "send it again."
    ),
    FileProblem.EMPTY: _l("The file is empty."),
    FileProblem.UNKNOWN_COLUMN: _l(
        "The first row names a column this page does not know: “%(value)s”. The columns are "
        "email, name and language."
    ),
    FileProblem.REPEATED_COLUMN: _l("The first row names the column “%(value)s” twice."),
    FileProblem.NO_EMAIL_COLUMN: _l("The first row names columns, but none for the email."),
}
# A file too large is refused with 413, any other unusable one with 400.
TOO_LARGE = {FileProblem.TOO_LARGE, FileProblem.TOO_MANY_ROWS}


class EnrolForm(FlaskForm):
    sheet = FileField(
        _l("List of learners (CSV file)"),
        validators=[FileRequired(_l("Please choose the CSV file to send."))],
        render_kw={"accept": ".csv,text/csv"},
    )


def _led_cohort_or_404(cohort_id: int) -> tuple[Cohort, Course]:
    """The cohort, to an admin or one of its trainers: to any other trainer, it is not
    there. So is one whose course is no longer on the site."""
    cohort = cohorts.get(db.session, cohort_id)
    if cohort is None:
        abort(404)
    if current_user.role is not Role.ADMIN and not cohorts.leads(
        db.session, current_user.id, cohort.id
    ):
        abort(404)
    course = content.catalogue.course(cohort.course)
    if course is None:
        abort(404)
    return cohort, course


def _file_problem(problem: FileProblem, value: str = "") -> str:
    return str(FILE_PROBLEMS[problem]) % {
        "value": value,
        "size": format_number(enrolment.MOST_BYTES // 1024),
        "rows": format_number(enrolment.MOST_ROWS),
    }


def _row_problem(refusal: enrolment.Refusal, course: Course) -> str:
    return str(ROW_PROBLEMS[refusal.problem]) % {
        "value": refusal.value,
        "line": format_number(refusal.first_line or 0),
        "languages": ", ".join(course.languages),
        "count": enrolment.LONGEST_NAME,
    }


def _back(cohort: Cohort) -> tuple[str, str]:
    """The way back from the page: an admin's to the cohort's settings, a trainer's to
    its learners."""
    if current_user.role is Role.ADMIN:
        return url_for("admin.cohort", cohort_id=cohort.id), _("Back to the cohort")
    return url_for("author.cohort", cohort_id=cohort.id), _("Back to the cohort’s learners")


def _page(cohort: Cohort, course: Course, form: EnrolForm, status: int = 200, **context):
    return render_template(
        "author/enrol.html",
        cohort=cohort,
        course=course,
        form=form,
        back=_back(cohort),
        most_rows=enrolment.MOST_ROWS,
        invitation_days=enrolment.INVITATION_DAYS,
        **context,
    ), status


@bp.route("/<lang:lang>/author/cohorts/<id:cohort_id>/enrol", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself, once the file is known not to be too large
@role_required(Role.TRAINER, Role.ADMIN)
def enrol(cohort_id: int):
    """Upload a CSV of email addresses (with names and languages, if wanted) to enrol them
    in the cohort: the page then says what became of every row."""
    cohort, course = _led_cohort_or_404(cohort_id)
    form = EnrolForm()
    if not form.is_submitted():
        return _page(cohort, course, form)
    if not form.validate():
        return _page(cohort, course, form, 422)
    try:
        sheet = enrolment.read_sheet(
            form.sheet.data.read(enrolment.MOST_BYTES + 1), course.languages
        )
    except UnusableFile as unusable:
        status = 413 if unusable.problem in TOO_LARGE else 400
        form.sheet.errors.append(_file_problem(unusable.problem, unusable.value))
        return _page(cohort, course, form, status)
    outcome = enrolment.enrol(db.session, cohort, sheet, invited_by=current_user.id)
    privacy.record_audit(
        db.session,
        current_user.id,
        "learners enrolled",
        cohorts.cohort_ref(cohort.id),
        {"course": cohort.course, **outcome.counts()},
    )
    for invited in outcome.invited:
        language = invited.language or course.default_language
        link = url_for("account.invitation", lang=language, token=invited.token, _external=True)
        notice = url_for(
            "learn.privacy_notice", lang=language, _anchor="category-invitations", _external=True
        )
        send_later(
            send_invitation,
            course,
            cohort.name,
            language,
            invited.email,
            invited.name,
            (link, notice),
            enrolment.INVITATION_DAYS,
        )
    return _page(
        cohort,
        course,
        EnrolForm(formdata=None),
        outcome=outcome,
        problems=[(refusal.line, _row_problem(refusal, course)) for refusal in outcome.refusals],
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    """A file past the site's limit on what is sent is refused before the page reads it:
    said here in the upload's own words, with the way back to it."""
    if request.endpoint != "author.enrol":
        return _refusal(_("What you sent is too large."))
    back = url_for("author.enrol", cohort_id=(request.view_args or {}).get("cohort_id"))
    return _refusal(_file_problem(FileProblem.TOO_LARGE), [(back, _("Back to the upload"))])


def _refusal(message: str, links: list[tuple[str, str]] | None = None) -> Response:
    # An abort in an error handler is not handled again: the refusal is taken as its answer.
    try:
        refuse(413, message, links or [])
    except HTTPException as refused:
        return refused.get_response()
