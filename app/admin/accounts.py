"""Admins open accounts for people and invite them by email, and send again the link of an
account whose address is not confirmed; each step noted in the audit log."""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError

from app.account.profile import language_choices, offered_language
from app.account.views import confirmation_mail
from app.admin import bp
from app.admin.corrections import CorrectNameForm
from app.admin.views import _back_to_users, _refuse
from app.extensions import content, db
from app.guards import recent_authentication, role_required
from app.i18n import current_language
from app.labels import ROLES
from app.mail import send_course_mail, send_later
from app.models import Role, TokenPurpose, User
from app.services import accounts, privacy
from app.services.enrolment import INVITATION_DAYS


def _a_role(value: str) -> None:
    if value not in set(Role):
        raise ValidationError(_l("There is no such role."))


class NewAccountForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        # As often pasted from a message as typed.
        filters=[lambda value: value.strip() if value else value],
        validators=[
            InputRequired(_l("Please enter the email address.")),
            Email(_l("Please enter a valid email address.")),
            Length(max=254, message=_l("This email address is too long.")),
        ],
    )
    display_name = CorrectNameForm.display_name
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLES.items()],
        default=Role.LEARNER.value,
        validate_choice=False,
        # Checked by `_a_role`, with a message of ours.
        validators=[lambda form, field: _a_role(field.data)],
    )
    language = SelectField(
        _l("Language"),
        description=_l("The invitation is written in it, and the course opens in it."),
        validate_choice=False,
        # Checked by `offered_language`, with a message of ours.
        validators=[offered_language],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


def _invitation_mail(user: User, link: str) -> tuple[str, str]:
    """The subject and text of the invitation to an account the course team opened, in the
    language in force."""
    return _("An account has been opened for you"), _(
        "Hello %(name)s,\n\nThe course team has opened an account for you with this address. "
        "To choose your password, open this link within %(days)d days:\n\n%(link)s\n\n"
        "If you were not expecting it, ignore this message, or tell the course team.",
        name=user.display_name,
        days=INVITATION_DAYS,
        link=link,
    )


def _new_account_page(form: NewAccountForm, status: int = 200):
    return (
        render_template("admin/users_new.html", form=form, invitation_days=INVITATION_DAYS),
        status,
    )


@bp.get("/<lang:lang>/admin/users/new")
@role_required(Role.ADMIN)
def new_account():
    """The form to open an account for someone, who is invited by email to choose a
    password."""
    return _new_account_page(NewAccountForm(language=current_language()))


@bp.post("/<lang:lang>/admin/users/new")
@role_required(Role.ADMIN)
@recent_authentication
def create_account():
    """Open the account, note it in the audit log as the command line does, and mail the
    invitation, in the account's language."""
    form = NewAccountForm()
    if not form.validate():
        return _new_account_page(form, 422)
    role = Role(form.role.data)
    try:
        user, token = accounts.invite(
            db.session,
            email=form.email.data,
            display_name=form.display_name.data,
            role=role,
            language=form.language.data,
            valid_for=dt.timedelta(days=INVITATION_DAYS),
        )
    except accounts.EmailTaken:
        form.email.errors.append(_("Another account uses this address."))
        return _new_account_page(form, 409)
    privacy.record_audit(
        db.session, current_user.id, "create", privacy.user_ref(user.id), {"role": role.value}
    )
    _send_link(user, TokenPurpose.RESET_PASSWORD, token)
    flash(
        _(
            "The account of %(email)s is open: an invitation to choose a password is on its way.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.users", q=user.email), code=303)


def _send_link(user: User, purpose: TokenPurpose, token: str) -> None:
    # Written in the person's language, not the admin's.
    language = privacy.language_of(user, content.course)
    with force_locale(language):
        if purpose is TokenPurpose.RESET_PASSWORD:
            link = url_for("account.reset_password", lang=language, token=token, _external=True)
            subject, body = _invitation_mail(user, link)
        else:
            link = url_for("account.confirm", lang=language, token=token, _external=True)
            subject, body = confirmation_mail(user, current_app.config["CONFIRMATION_HOURS"], link)
    send_later(send_course_mail, language, user.email, subject, body)


@bp.post("/<lang:lang>/admin/users/<id:user_id>/confirmation")
@role_required(Role.ADMIN)
def resend_confirmation(user_id: int):
    """Send again the link of an account whose address is not confirmed (the first one
    lost, or expired); the links sent before stop working. Logged."""
    user = db.session.get(User, user_id)
    if user is None:
        _refuse(404, _("There is no such account."))
    validity = {
        TokenPurpose.RESET_PASSWORD: dt.timedelta(days=INVITATION_DAYS),
        TokenPurpose.CONFIRM_EMAIL: dt.timedelta(hours=current_app.config["CONFIRMATION_HOURS"]),
    }
    try:
        purpose, token = accounts.renew_link(db.session, user, validity)
    except accounts.AlreadyConfirmed:
        _refuse(409, _("This address is confirmed already: there is no link to send again."))
    privacy.record_audit(db.session, current_user.id, "link sent again", privacy.user_ref(user.id))
    _send_link(user, purpose, token)
    flash(_("A new link has been sent to %(email)s.", email=user.email), "success")
    return _back_to_users()
