"""Admins correct a learner's name or email address at their request (GDPR Art. 16), each
correction noted in the audit log with the field it changed, never the value."""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from app.account.forms import RegisterForm
from app.admin import bp
from app.errors import refuse
from app.extensions import content, db
from app.guards import recent_authentication, role_required
from app.mail import send_course_mail, send_later, tell_of_change
from app.models import Role, User
from app.services import accounts, privacy

# The name is held to the rules of signing up, whoever types it.
_SIGN_UP_NAME = RegisterForm.display_name.kwargs


class CorrectNameForm(FlaskForm):
    display_name = StringField(
        _l("Name shown"),
        filters=_SIGN_UP_NAME["filters"],
        # The sign-up's, but the first: it asks the person for their name, not the admin.
        validators=[
            DataRequired(_l("Please enter the name to show.")),
            *_SIGN_UP_NAME["validators"][1:],
        ],
    )


class CorrectEmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        # As often pasted from a message as typed.
        filters=[lambda value: value.strip() if value else value],
        validators=[
            InputRequired(_l("Please enter the new email address.")),
            Email(_l("Please enter a valid email address.")),
            Length(max=254, message=_l("This email address is too long.")),
        ],
    )


def _refuse(user_id: int, status: int, message: str) -> NoReturn:
    refuse(
        status,
        message,
        [(url_for("admin.learner", user_id=user_id), _("Back to the learner's page"))],
    )


def _account_to_correct(user_id: int) -> User:
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        _refuse(user.id, 409, _("To correct your own details, use your account page."))
    return user


def _first_error(form: FlaskForm) -> str:
    return str(next(iter(form.errors.values()))[0])


@bp.post("/<lang:lang>/admin/users/<id:user_id>/name")
@role_required(Role.ADMIN)
@recent_authentication
def correct_name(user_id: int):
    user = _account_to_correct(user_id)
    form = CorrectNameForm()
    if not form.validate():
        _refuse(
            user.id,
            422,
            _("This name cannot be used: %(reason)s", reason=_first_error(form)),
        )
    if accounts.rename(user, form.display_name.data):
        # Commits the new name with its entry: which field, never the name itself.
        privacy.record_audit(
            db.session,
            current_user.id,
            "name corrected",
            privacy.user_ref(user.id),
            {"field": "display_name"},
        )
        flash(_("The name is corrected."), "success")
    else:
        flash(_("This is already the name shown: nothing has changed."), "info")
    return redirect(url_for("admin.learner", user_id=user.id), code=303)


@bp.post("/<lang:lang>/admin/users/<id:user_id>/email")
@role_required(Role.ADMIN)
@recent_authentication
def correct_email(user_id: int):
    """A link goes to the new address, which changes when the person opens it (an admin
    cannot hand an account to an address nobody has shown to be theirs); the old address
    is told, without the new one, which may no longer be the person's."""
    user = _account_to_correct(user_id)
    form = CorrectEmailForm()
    if not form.validate():
        _refuse(user.id, 422, _first_error(form))
    if user.email_confirmed_at is None:
        _refuse(
            user.id,
            409,
            _(
                "This account's address was never confirmed, so it cannot sign in: the "
                "person can sign up again with the right address."
            ),
        )
    hours = current_app.config["CONFIRMATION_HOURS"]
    try:
        new_email, token = accounts.start_email_correction(
            db.session, user, form.email.data, dt.timedelta(hours=hours)
        )
    except accounts.SameAddress:
        _refuse(user.id, 409, _("This is already the account's address."))
    except accounts.EmailTaken:
        _refuse(
            user.id,
            409,
            _("Another account uses this address: an address can belong to one account only."),
        )
    privacy.record_audit(
        db.session,
        current_user.id,
        "email corrected",
        privacy.user_ref(user.id),
        {"field": "email"},
    )
    # Written in the person's language, not the admin's.
    language = privacy.language_of(user, content.course)
    with force_locale(language):
        send_later(
            send_course_mail,
            language,
            new_email,
            _("Confirm your new email address"),
            _(
                "Hello %(name)s,\n\nThe course team was asked to make this the email address "
                "of your account. To do so, open this link within %(hours)d hours:\n\n"
                "%(link)s\n\nIf you did not ask for it, ignore this message: nothing will "
                "change.",
                name=user.display_name,
                hours=hours,
                link=url_for(
                    "account.confirm_email_change", lang=language, token=token, _external=True
                ),
            ),
        )
    tell_of_change(
        user,
        language,
        _l("Your email address is being changed"),
        _l(
            "The course team was asked to change the email address of your account, and sent "
            "a link to the new address. Nothing changes until that link is opened."
        ),
    )
    flash(
        _(
            "A link has been sent to %(email)s: the address changes when it is opened.",
            email=new_email,
        ),
        "success",
    )
    return redirect(url_for("admin.learner", user_id=user.id), code=303)
