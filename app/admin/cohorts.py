"""Admins run a course's cohorts: create, change and delete them, choose their trainers,
share their invitation link, and move or remove their members. Every change is in the
audit log, by account and cohort number, never by name or address."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.admin import bp
from app.content import Course
from app.database import row_id
from app.errors import refuse
from app.extensions import content, csrf, db
from app.guards import recent_authentication, role_required
from app.models import Cohort, Enrolment, Role
from app.names import one_line_of_text, something_to_read
from app.services import cohorts, privacy

# Beyond this, a cohort's page lists the first members by name, and says how many more.
MEMBERS_SHOWN = 500

ENROLMENT_MODES = {
    Enrolment.OPEN: _l("Open: anyone signed in can join, with the link or on their own"),
    Enrolment.INVITATION: _l(
        "By invitation: with the cohort’s link or code, or by the course team"
    ),
    Enrolment.CLOSED: _l("Closed: only the course team enrols learners"),
}


def _date(label, description) -> DateField:
    return DateField(
        label,
        validators=[Optional()],
        description=description,
        invalid_value_message=_l("Please enter a date, such as 2027-03-01."),
    )


class CohortForm(FlaskForm):
    """A cohort's name, dates and enrolment mode; its trainers are ticked apart (one field
    each: the admin pages take one value per field)."""

    name = StringField(
        _l("Name"),
        description=_l("As trainers and learners will see it, such as “Spring 2027, city staff”."),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(_l("Please give the cohort a name.")),
            Length(
                max=120, message=_l("Please keep the name under %(count)d characters.", count=120)
            ),
            one_line_of_text,
            something_to_read,
        ],
    )
    starts_on = _date(_l("Starts on (optional)"), _l("Learners can join before it starts."))
    ends_on = _date(
        _l("Ends on (optional)"),
        _l("Nobody joins it after this day; its members keep their place and their progress."),
    )
    enrolment = SelectField(
        _l("Who can join"),
        choices=[SelectChoice(mode.value, label) for mode, label in ENROLMENT_MODES.items()],
        default=Enrolment.OPEN.value,
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        starts, ends = self.starts_on.data, self.ends_on.data
        if starts and ends and ends < starts:
            self.ends_on.errors.append(_l("A cohort cannot end before it starts."))
            valid = False
        return valid


TRAINER_FIELD = "trainer-"
NAME_TAKEN = _l("Another cohort of this course has this name: please choose another.")


def _chosen_trainers() -> frozenset[int]:
    """The trainers ticked on the form: a `trainer-<account number>` field each."""
    chosen = set()
    for name in request.form:
        number = name.removeprefix(TRAINER_FIELD)
        if number != name:
            trainer = row_id(number)
            if trainer is None:
                _refuse(400, _("This trainer is not one of the accounts listed."))
            chosen.add(trainer)
    return frozenset(chosen)


def _details(form: CohortForm, trainers: frozenset[int]) -> cohorts.CohortDetails:
    return cohorts.CohortDetails(
        name=form.name.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        enrolment=Enrolment(form.enrolment.data),
        trainer_ids=trainers,
    )


def _refuse(status: int, message: str, cohort: Cohort | None = None) -> NoReturn:
    """Refuse with a way back to the cohort, or to the course's cohorts."""
    if cohort is not None:
        back = (url_for("admin.cohort", cohort_id=cohort.id), _("Back to the cohort"))
    else:
        back = (url_for("admin.cohorts"), _("Back to the cohorts"))
    refuse(status, message, [back])


def _course_or_404(slug: str) -> Course:
    course = content.catalogue.course(slug)
    if course is None:
        _refuse(404, _("There is no course called “%(course)s” on this site.", course=slug))
    return course


def _cohort_or_404(cohort_id: int) -> Cohort:
    return cohorts.get(db.session, cohort_id) or abort(404)


def _course_of(cohort: Cohort) -> Course | None:
    """The cohort's course, unless its folder has since left the lessons."""
    return content.catalogue.course(cohort.course)


@bp.get("/<lang:lang>/admin/cohorts", endpoint="cohorts")
@role_required(Role.ADMIN)
def cohorts_list():
    """A course's cohorts, with a picker of the site's courses."""
    course = _course_or_404(request.args.get("course") or content.catalogue.default.slug)
    return render_template(
        "admin/cohorts.html",
        course=course,
        courses=content.catalogue.courses,
        summaries=cohorts.cohorts_of(db.session, course.slug),
        is_open=cohorts.is_open(db.session, course.slug),
        modes=ENROLMENT_MODES,
    )


def _new_page(form: CohortForm, course: Course, chosen: frozenset[int], status: int = 200):
    return render_template(
        "admin/cohorts_new.html",
        form=form,
        course=course,
        trainers=cohorts.trainer_accounts(db.session),
        chosen=chosen,
    ), status


@bp.route("/<lang:lang>/admin/cohorts/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@role_required(Role.ADMIN)
def new_cohort():
    """Start a cohort of a course: it gets its own invitation link at once."""
    course = _course_or_404(request.args.get("course") or content.catalogue.default.slug)
    form = CohortForm()
    if not form.is_submitted():
        return _new_page(form, course, frozenset())
    chosen = _chosen_trainers()
    if not form.validate():
        return _new_page(form, course, chosen, 422)
    try:
        cohort = cohorts.create(db.session, course.slug, _details(form, chosen))
    except cohorts.NotATrainer:
        _refuse(400, _("This trainer is not one of the accounts listed."))
    except cohorts.NameTaken:
        form.name.errors.append(NAME_TAKEN)
        return _new_page(form, course, chosen, 422)
    privacy.record_audit(
        db.session,
        current_user.id,
        "cohort created",
        cohorts.cohort_ref(cohort.id),
        {"course": course.slug},
    )
    flash(_("The cohort “%(name)s” is ready.", name=cohort.name), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id), code=303)


def _cohort_page(cohort: Cohort, form: CohortForm, chosen: frozenset[int], status: int = 200):
    course = _course_of(cohort)
    members, member_count = cohorts.members(db.session, cohort.id, MEMBERS_SHOWN)
    invitations, invitation_count = cohorts.invitations(db.session, cohort.id, MEMBERS_SHOWN)
    return render_template(
        "admin/cohorts_edit.html",
        cohort=cohort,
        course=course,
        form=form,
        trainers=cohorts.trainer_accounts(db.session),
        chosen=chosen,
        members=members,
        member_count=member_count,
        invitations=invitations,
        invitation_count=invitation_count,
        others=[
            summary.cohort
            for summary in cohorts.cohorts_of(db.session, cohort.course)
            if summary.cohort.id != cohort.id
        ],
        has_ended=cohorts.has_ended(cohort),
    ), status


@bp.route("/<lang:lang>/admin/cohorts/<id:cohort_id>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@role_required(Role.ADMIN)
def cohort(cohort_id: int):
    """A cohort: change it, share its invitation link, see and move its members."""
    found = _cohort_or_404(cohort_id)
    if request.method != "POST":
        form = CohortForm(obj=found, enrolment=found.enrolment.value)
        return _cohort_page(found, form, frozenset(cohorts.trainer_ids(db.session, found.id)))
    form = CohortForm()
    chosen = _chosen_trainers()
    if not form.validate():
        return _cohort_page(found, form, chosen, 422)
    try:
        changed = cohorts.update(db.session, found, _details(form, chosen))
    except cohorts.NotATrainer:
        _refuse(400, _("This trainer is not one of the accounts listed."), found)
    except cohorts.NameTaken:
        form.name.errors.append(NAME_TAKEN)
        return _cohort_page(found, form, chosen, 422)
    if changed:
        privacy.record_audit(
            db.session,
            current_user.id,
            "cohort changed",
            cohorts.cohort_ref(found.id),
            {"course": found.course, "fields": changed},
        )
        flash(_("The cohort “%(name)s” is saved.", name=found.name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("admin.cohort", cohort_id=found.id), code=303)


@bp.post("/<lang:lang>/admin/cohorts/<id:cohort_id>/delete")
@role_required(Role.ADMIN)
@recent_authentication
def delete_cohort(cohort_id: int):
    """Delete a cohort with its memberships and invitations; its learners' accounts and
    progress stay."""
    found = _cohort_or_404(cohort_id)
    course, name = found.course, found.name
    members = cohorts.delete(db.session, found)
    privacy.record_audit(
        db.session,
        current_user.id,
        "cohort deleted",
        cohorts.cohort_ref(cohort_id),
        {"course": course, "members": members},
    )
    flash(_("The cohort “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("admin.cohorts", course=course), code=303)


@bp.post("/<lang:lang>/admin/cohorts/<id:cohort_id>/code")
@role_required(Role.ADMIN)
def replace_join_code(cohort_id: int):
    """A new invitation link for the cohort, when the old one went further than meant."""
    found = _cohort_or_404(cohort_id)
    cohorts.replace_join_code(db.session, found)
    privacy.record_audit(
        db.session,
        current_user.id,
        "join code replaced",
        cohorts.cohort_ref(found.id),
        {"course": found.course},
    )
    flash(_("The cohort has a new invitation link: the old one no longer works."), "success")
    return redirect(url_for("admin.cohort", cohort_id=found.id, _anchor="link"), code=303)


def _member_or_404(cohort: Cohort, user_id: int) -> None:
    if not cohorts.is_member(db.session, user_id, cohort.id):
        _refuse(404, _("This learner is not a member of this cohort."), cohort)


@bp.post("/<lang:lang>/admin/cohorts/<id:cohort_id>/members/<id:user_id>/move")
@role_required(Role.ADMIN)
def move_member(cohort_id: int, user_id: int):
    """Move a learner to another cohort of the course; their progress goes with them."""
    found = _cohort_or_404(cohort_id)
    _member_or_404(found, user_id)
    chosen = row_id(request.form.get("to", ""))
    to = cohorts.get(db.session, chosen) if chosen is not None else None
    if to is None or to.course != found.course or to.id == found.id:
        _refuse(400, _("Please choose another cohort of the same course."), found)
    cohorts.move(db.session, user_id, found, to)
    privacy.record_audit(
        db.session,
        current_user.id,
        "member moved",
        privacy.user_ref(user_id),
        {"course": found.course, "from": found.id, "to": to.id},
    )
    flash(_("The learner is now in “%(name)s”, with their progress.", name=to.name), "success")
    return redirect(url_for("admin.cohort", cohort_id=found.id, _anchor="members"), code=303)


@bp.post("/<lang:lang>/admin/cohorts/<id:cohort_id>/members/<id:user_id>/remove")
@role_required(Role.ADMIN)
def remove_member(cohort_id: int, user_id: int):
    """Take a learner out of the cohort; their account and progress stay."""
    found = _cohort_or_404(cohort_id)
    _member_or_404(found, user_id)
    cohorts.remove(db.session, user_id, found)
    privacy.record_audit(
        db.session,
        current_user.id,
        "member removed",
        privacy.user_ref(user_id),
        {"course": found.course, "from": found.id},
    )
    flash(_("The learner is no longer in this cohort. Their progress is kept."), "success")
    return redirect(url_for("admin.cohort", cohort_id=found.id, _anchor="members"), code=303)
