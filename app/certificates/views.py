"""The public verification page, and the course team's list of certificates issued."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.certificates import bp
from app.certificates.forms import ReissueForm, RevokeForm
from app.errors import refuse
from app.extensions import content, db, limiter
from app.guards import role_required
from app.i18n import preferred_language
from app.models import Certificate, Role
from app.services import certificates, cohorts

# Enough for a person checking a few certificates by hand; not for trying codes in bulk.
VERIFY_LIMIT = "60 per minute"


def verification_address(code: str) -> str:
    """The certificate's lasting public address, the same in every language: what its PDF,
    QR code and credential give, and which opens in the reader's own language."""
    return url_for("certificates.verify_any_language", code=code, _external=True)


@bp.get("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify_any_language(code: str):
    """The address printed on a certificate and in its QR code: the page in the visitor's
    language."""
    response = redirect(url_for("certificates.verify", code=code, lang=preferred_language()))
    # Chosen by the browser's languages: a shared cache must not give one reader's to all.
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@bp.get("/<lang:lang>/verify")
@limiter.limit(VERIFY_LIMIT)
def check():
    """Where a code read off a printed certificate is typed in."""
    typed = " ".join(request.args.get("code", "").split())
    if not typed:
        return render_template("certificates/check.html", typed="", not_found=False)
    if certificates.by_code(db.session, typed) is None:
        page = render_template("certificates/check.html", typed=typed, not_found=True)
        return page, 404
    return redirect(url_for("certificates.verify", code=typed), 303)


@bp.get("/<lang:lang>/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    """Whether a certificate is genuine, to anyone holding its code: no sign-in needed."""
    certificate = certificates.by_code(db.session, code)
    if certificate is None:
        refuse(404, _("No certificate has this code. Check that it was copied in full."))
    replacement = None
    if certificate.replaced_by_code is not None:
        replacement = certificates.by_code(db.session, certificate.replaced_by_code)
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        replacement=replacement,
        issued_on=certificates.issued_on(certificate),
        noindex=True,
    )


def _cohorts_seen() -> list[int] | None:
    """The cohorts whose certificates the staff member sees: all (None) for admins, those
    they lead for trainers."""
    if current_user.role is Role.ADMIN:
        return None
    return [
        cohort.id
        for cohort in cohorts.led_by(db.session, current_user.id)
        if cohort.course == content.course.slug
    ]


def _certificate_in_view(certificate_id: int) -> Certificate:
    """A certificate of the course that the staff member may act on: one of their learners',
    still naming them. Any other is not there (404)."""
    certificate = certificates.held_in_view(
        db.session, content.course.slug, _cohorts_seen(), certificate_id
    )
    if certificate is None:
        abort(404)
    return certificate


def _list_page(status: int = 200, *, refused: int | None = None, form=None):
    """The course team's list; after a refused form, with its errors at the form, open."""
    page = render_template(
        "certificates/issued.html",
        catalogue=content.catalogue,
        course=content.course,
        holders=certificates.issued(db.session, content.course.slug, _cohorts_seen()),
        refused=refused,
        refused_form=form,
    )
    return page, status


@bp.get("/<lang:lang>/courses/<course>/certificates")
@role_required(Role.ADMIN, Role.TRAINER)
def issued():
    """Who earned the course's certificate: a trainer sees their cohorts' learners."""
    return _list_page()


@bp.post("/<lang:lang>/courses/<course>/certificates/<int:certificate_id>/revoke")
@role_required(Role.ADMIN, Role.TRAINER)
def revoke(certificate_id: int):
    certificate = _certificate_in_view(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _list_page(422, refused=certificate_id, form=form)
    if certificates.revoke(db.session, current_user.id, certificate, form.reason.data):
        flash(_("The certificate is revoked: its page now says so."), "success")
    return redirect(url_for("certificates.issued"), 303)


@bp.post("/<lang:lang>/courses/<course>/certificates/<int:certificate_id>/reissue")
@role_required(Role.ADMIN, Role.TRAINER)
def reissue(certificate_id: int):
    certificate = _certificate_in_view(certificate_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        return _list_page(422, refused=certificate_id, form=form)
    try:
        certificates.reissue(
            db.session, current_user.id, certificate, form.name.data, form.reason.data
        )
    except certificates.CertificateRefused:
        refuse(409, _("Only a valid certificate can be corrected: this one is revoked."))
    flash(_("A corrected certificate is issued; the old one's page leads to it."), "success")
    return redirect(url_for("certificates.issued"), 303)
