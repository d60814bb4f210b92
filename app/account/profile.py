"""The account page: what the course knows of the person, and the name and language they
correct themselves (GDPR Art. 16). The email address and the password change on pages of
their own (app/account/security.py), which ask first whether it is really them."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import ValidationError

from app.account import bp
from app.account.forms import RegisterForm
from app.certificates.forms import CertificateNameForm
from app.extensions import content, csrf, db
from app.guards import signed_in
from app.i18n import current_language
from app.services import accounts, certificates
from app.templating import language_endonym


def offered_language(form, field) -> None:
    if field.data not in content.catalogue.languages:
        raise ValidationError(_l("Please choose one of the course's languages."))


def language_choices() -> list[tuple[str, str, dict[str, str]]]:
    """The languages offered, each named in itself and marked as written in it."""
    return [(code, language_endonym(code), {"lang": code}) for code in content.catalogue.languages]


class ProfileForm(FlaskForm):
    # The very field of signing up: a name is held to the same rules whenever it is typed.
    display_name = RegisterForm.display_name
    language = SelectField(
        _l("Language"),
        description=_l(
            "The course opens in this language, and we write to you in it. Choosing another "
            "language at the top of a page changes it too."
        ),
        # Checked by `offered_language`, with a message of ours.
        validate_choice=False,
        validators=[offered_language],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


@bp.route("/<lang:lang>/account", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@signed_in
def profile():
    """Name and email; the name and the language corrected here, the rest linked."""
    if request.method == "GET":
        # The page's language: reading it saves that language as the learner's own
        # (app/i18n.py), whatever page they read before.
        return render_template("account/profile.html", form=_stored_profile(), **_profile_page())
    # Only what was sent: a field left out is not quietly the one stored.
    form = ProfileForm()
    if not form.validate():
        return render_template("account/profile.html", form=form, **_profile_page()), 422
    user = current_user._get_current_object()
    # No security event: those are changes to how the account signs in (as the data
    # register tells people), which neither the name nor the language is.
    renamed = accounts.rename(user, form.display_name.data)
    language = form.language.data
    relanguaged = accounts.set_language(user, language)
    db.session.commit()
    # This answer now speaks the chosen language: without this, reading this page in the
    # old one would take the choice back (app/i18n.py, `_save_language`), and the next
    # page is in the new one.
    g.lang = language
    with force_locale(language):
        if renamed or relanguaged:
            flash(_("Your changes are saved."), "success")
        else:
            flash(_("Nothing has changed."), "info")
    return redirect(url_for("account.profile", lang=language), code=303)


def _stored_profile() -> ProfileForm:
    """The name and language form as stored, in the page's language."""
    return ProfileForm(
        data={"display_name": current_user.display_name, "language": current_language()}
    )


def _profile_page(certificate_form: CertificateNameForm | None = None):
    """The account page's certificates: those issued, and the name for the next ones."""
    if certificate_form is None:
        certificate_form = CertificateNameForm(name=current_user.certificate_name)
    return {
        "held": certificates.of_learner(db.session, current_user.id),
        "certificate_form": certificate_form,
    }


@bp.post("/<lang:lang>/account/certificate-name")
@signed_in
def certificate_name():
    """The name to print on the learner's next certificates."""
    form = CertificateNameForm()
    changed = None
    if form.validate_on_submit():
        try:
            changed = certificates.set_name(db.session, current_user.id, form.name.data)
        except certificates.CertificateRefused:
            form.name.errors = [_("Please write the name to print.")]
    if changed is None:
        page = render_template(
            "account/profile.html", form=_stored_profile(), **_profile_page(form)
        )
        return page, 422
    flash(_("Your changes are saved.") if changed else _("Nothing has changed."), "success")
    return redirect(url_for("account.profile", _anchor="certificates"), code=303)
