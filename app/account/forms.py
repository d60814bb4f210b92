"""Account forms; labels are lazy so they are translated per request."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from app.services.accounts import MIN_PASSWORD_LENGTH, is_common_password


def not_common(form, field) -> None:
    if field.data and is_common_password(field.data):
        raise ValidationError(
            _l("This password is one of the most used, and easily guessed. Please choose another.")
        )


# Characters that would break a name across lines, or turn the text around it (a name
# could then pass for another in the admin pages and in spreadsheets).
BREAKING = {"Cc", "Zl", "Zp"}
DIRECTION_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line_of_text(form, field) -> None:
    """A name is shown in pages, emails and spreadsheets: a line break or a control
    character would break all three."""
    if field.data and any(
        unicodedata.category(character) in BREAKING or character in DIRECTION_CONTROLS
        for character in field.data
    ):
        raise ValidationError(
            _l("Please write your name on a single line, without control characters.")
        )


def something_to_read(form, field) -> None:
    """A name of invisible characters only (a zero-width space, say) would greet nobody."""
    if field.data and not any(unicodedata.category(c)[0] in "LNPS" for c in field.data):
        raise ValidationError(_l("Please tell us what to call you."))


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


def new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        validators=[
            InputRequired(_l("Please choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l(
                    "Your password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH
                ),
            ),
            Length(max=200, message=_l("Please use at most %(count)d characters.", count=200)),
            not_common,
        ],
    )


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address.")),
            Length(max=254, message=_l("This email address is too long.")),
        ],
    )
    display_name = StringField(
        _l("Your name"),
        description=_l("Shown while you are signed in; a first name or a nickname is fine."),
        filters=[_stripped],
        validators=[
            # Checked after stripping: a name of spaces only is no name.
            DataRequired(_l("Please tell us what to call you.")),
            Length(max=100, message=_l("Please use at most %(count)d characters.", count=100)),
            one_line_of_text,
            something_to_read,
        ],
    )
    password = new_password_field(_l("Password"))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[InputRequired(_l("Please enter your email address."))]
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Please enter your password."))]
    )


class ErasureForm(FlaskForm):
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address.")),
        ],
    )


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
