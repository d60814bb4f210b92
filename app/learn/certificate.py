"""The learner's certificate of a course: asking for it with the name to print, and
downloading it as a PDF in any of the course's languages or as a signed credential."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.certificates.forms import CertificateNameForm
from app.certificates.keys import issuer_url, public_key_url
from app.certificates.views import verification_address
from app.errors import refuse
from app.extensions import content, db
from app.guards import signed_in
from app.i18n import current_language
from app.learn import bp
from app.learn.views import course_or_404, course_page
from app.models import Certificate
from app.services import certificate_pdf, certificates, credentials


@bp.post("/<lang:lang>/courses/<course>/certificate")
@signed_in
def claim_certificate():
    """Issue the learner's certificate with the name they want printed."""
    course = course_or_404()
    if certificates.standing(db.session, current_user.id, course.slug) is not None:
        # Sent from a page older than the certificate (another tab, another device): the
        # one issued stands, and the course page shows it as it is.
        flash(_("Your certificate of this course was already issued: here it is."), "info")
        return redirect(url_for("learn.course", _anchor="certificate"), 303)
    form = CertificateNameForm()
    if not form.validate_on_submit():
        return course_page(course, certificate_form=form, status=422)
    try:
        issued = certificates.issue_if_earned(
            db.session, current_user.id, course, name=form.name.data
        )
    except certificates.CertificateRefused:
        form.name.errors = [_("Please write the name to print.")]
        return course_page(course, certificate_form=form, status=422)
    if issued is None:
        refuse(
            409, _("This course's certificate is given once every lesson it asks for is complete.")
        )
    flash(_("Your certificate is ready."), "success")
    return redirect(url_for("learn.course", _anchor="certificate"), 303)


def _own_certificate() -> Certificate:
    """The learner's valid certificate of the request's course: a revoked one is not given
    out again, in any form."""
    certificate = certificates.standing(db.session, current_user.id, course_or_404().slug)
    if certificate is None:
        refuse(404, _("You have no certificate of this course yet."))
    if not certificate.is_valid:
        refuse(404, _("Your certificate of this course was revoked."))
    return certificate


def _file_word(language: str) -> str:
    """ "certificate" in `language`, to name the downloaded file as the learner would."""
    with force_locale(language):
        # Translators: the start of a downloaded file's name; letters a-z only.
        return _("certificate")


@bp.get("/<lang:lang>/courses/<course>/certificate.pdf")
@signed_in
def certificate_pdf_file():
    """The learner's certificate as a PDF, in the language they choose among the course's."""
    course = content.course
    certificate = _own_certificate()
    # The page's own language is one of the course's: learners' pages are in no other.
    asked = request.args.get("language", "")
    language = asked if course.offers(asked) else current_language()
    printed = certificates.printed(certificate, language, verification_address(certificate.code))
    response = make_response(certificate_pdf.render(printed))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_file_word(language)}-{course.slug}-{language}.pdf"'
    )
    return response


@bp.get("/<lang:lang>/courses/<course>/certificate.jwt")
@signed_in
def certificate_credential():
    """The learner's certificate as an Open Badges 3.0 credential, signed by the site."""
    certificate = _own_certificate()
    credential = credentials.build_credential(
        certificate,
        language=current_language(),
        verify_url=verification_address(certificate.code),
        issuer_url=issuer_url(certificate.course),
        achievement_url=url_for("learn.course", _external=True),
        site_url=url_for("learn.root", _external=True),
    )
    signed = credentials.sign_credential(
        db.session, current_app.config["SECRET_KEY"], credential, key_url=public_key_url
    )
    response = make_response(signed)
    response.headers["Content-Type"] = "application/vc+jwt"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_file_word(current_language())}-{content.course.slug}.jwt"'
    )
    return response
