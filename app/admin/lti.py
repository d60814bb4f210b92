"""Learning platforms (LTI 1.3): admins register the Moodle, Canvas or other platforms
that launch the site's courses, and find there what to paste into each."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin import bp
from app.admin.lti_forms import PlatformForm
from app.extensions import content, csrf, db
from app.guards import role_required
from app.models import LtiPlatform, Role
from app.services import lti

TAKEN = _l("Another registration has this issuer and client ID.")


def tool_values() -> dict:
    """What an admin pastes into a platform to add the site as a tool: the same for every
    registration."""
    courses = []
    for course in content.catalogue.courses:
        lessons = [
            (lesson, url_for("lti.target", course=course.slug, slug=lesson.slug, _external=True))
            for lesson in course.published_lessons
        ]
        courses.append((course, url_for("lti.target", course=course.slug, _external=True), lessons))
    return {
        "login_url": url_for("lti.login", _external=True),
        "launch_url": url_for("lti.launch", _external=True),
        "key_set_url": url_for("certificates.key_set", _external=True),
        "courses": courses,
    }


def _details(form: PlatformForm) -> lti.PlatformDetails:
    return lti.PlatformDetails(
        name=form.name.data,
        issuer=form.issuer.data,
        client_id=form.client_id.data,
        deployment_ids=tuple(form.deployment_ids.data.splitlines()),
        key_set_url=form.key_set_url.data,
        auth_url=form.auth_url.data,
        token_url=form.token_url.data,
        links_verified_email=form.links_verified_email.data,
        instructors_become_trainers=form.instructors_become_trainers.data,
    )


def _warn_of_trailing_slash(platform: LtiPlatform) -> None:
    # Issuers are compared exactly, and a few platforms do name themselves with a "/" at
    # the end: accepted, but pointed out, since it is more often a slip of the paste.
    if platform.issuer.endswith("/"):
        flash(
            _(
                "The issuer ends in “/”: launches are accepted only if the platform names "
                "itself exactly so. Please check it against the platform's own settings."
            ),
            "warning",
        )


def _form_page(form: PlatformForm, platform: LtiPlatform | None = None, status: int = 200):
    return render_template(
        "admin/lti_form.html", form=form, platform=platform, **tool_values()
    ), status


@bp.get("/<lang:lang>/admin/lti")
@role_required(Role.ADMIN)
def lti_platforms():
    """The platforms registered, and what to paste into a new one."""
    return render_template(
        "admin/lti.html", platforms=lti.registrations(db.session), **tool_values()
    )


@bp.route("/<lang:lang>/admin/lti/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@role_required(Role.ADMIN)
def new_lti_platform():
    """Register a platform."""
    form = PlatformForm()
    if not form.is_submitted():
        return _form_page(form)
    if not form.validate():
        return _form_page(form, status=422)
    try:
        platform = lti.register(db.session, _details(form))
    except lti.RegistrationTaken:
        form.client_id.errors.append(TAKEN)
        return _form_page(form, status=422)
    flash(_("The platform “%(name)s” is registered.", name=platform.name), "success")
    _warn_of_trailing_slash(platform)
    return redirect(url_for("admin.lti_platform", platform_id=platform.id), code=303)


@bp.route("/<lang:lang>/admin/lti/<id:platform_id>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@role_required(Role.ADMIN)
def lti_platform(platform_id: int):
    """A registration: change it, and find what to paste into the platform."""
    found = lti.registration(db.session, platform_id) or abort(404)
    if request.method != "POST":
        form = PlatformForm(obj=found, deployment_ids="\n".join(found.deployment_ids))
        return _form_page(form, found)
    form = PlatformForm()
    if not form.validate():
        return _form_page(form, found, 422)
    try:
        changed = lti.update(db.session, found, _details(form))
    except lti.RegistrationTaken:
        form.client_id.errors.append(TAKEN)
        return _form_page(form, found, 422)
    if changed:
        flash(_("The platform “%(name)s” is updated.", name=found.name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    _warn_of_trailing_slash(found)
    return redirect(url_for("admin.lti_platform", platform_id=found.id), code=303)


@bp.post("/<lang:lang>/admin/lti/<id:platform_id>/remove")
@role_required(Role.ADMIN)
def remove_lti_platform(platform_id: int):
    """Remove a registration: its launches stop working; accounts and progress stay."""
    found = lti.registration(db.session, platform_id) or abort(404)
    name = found.name
    lti.remove(db.session, found)
    flash(_("The platform “%(name)s” is removed.", name=name), "success")
    return redirect(url_for("admin.lti_platforms"), code=303)
