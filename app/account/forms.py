"""Account forms; labels are lazy so they are translated per request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from app.names import one_line_of_text, something_to_read
from app.services.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordProblem,
    password_problem,
)

# Each says what to do instead: the person learns the rule from the refusal, not by trying.
PASSWORD_ADVICE = {
    PasswordProblem.TOO_SHORT: _l(
        "Your password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH
    ),
    PasswordProblem.TOO_LONG: _l(
        "Please use at most %(count)d characters.", count=MAX_PASSWORD_LENGTH
    ),
    PasswordProblem.COMMON: _l(
        "This password is one of the most used, and easily guessed. Please choose another."
    ),
    PasswordProblem.PERSONAL: _l(
        "This password is built from your name or your email, which others can guess. Please"
        " leave them out: a few unrelated words make a strong password."
    ),
    PasswordProblem.PREDICTABLE: _l(
        "This password follows a pattern that is easy to guess, such as repeated letters, a"
        " sequence or a common word. A few unrelated words make a strong password."
    ),
}


def _known(form, field_name: str, attribute: str) -> str:
    """What the form knows of its account: typed into one of its fields (signing up), or
    given by the view for an account that exists."""
    field = getattr(form, field_name, None)
    typed = field.data if field is not None else None
    return typed or getattr(form, attribute, "") or ""


def hard_to_guess(form, field) -> None:
    if not field.data:
        return
    problem = password_problem(
        field.data,
        email=_known(form, "email", "account_email"),
        name=_known(form, "display_name", "account_name"),
    )
    if problem is not None:
        raise ValidationError(PASSWORD_ADVICE[problem])


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


def new_password_field(label) -> PasswordField:
    """A new password, kept exactly as typed (spaces too), and refused when it is easily
    guessed. The form's `email` and `display_name` fields, or else its `account_email` and
    `account_name` attributes, say whose it is."""
    return PasswordField(
        label,
        # The rule is read before typing, not learnt from a refusal.
        description=_l(
            "At least %(count)d characters; any characters, spaces included. Not a common"
            " password, and nothing built from your name or your email.",
            count=MIN_PASSWORD_LENGTH,
        ),
        validators=[InputRequired(_l("Please choose a password.")), hard_to_guess],
    )


class AccountPasswordForm(FlaskForm):
    """A form choosing a new password for an account that exists: the view says whose,
    so that a password built from its email or name is refused."""

    def __init__(self, *args, account_email: str = "", account_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email
        self.account_name = account_name


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
    # Off unless ticked: a session cookie that outlives the browser is the person's choice.
    keep_signed_in = BooleanField(_l("Keep me signed in"))


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


class ResetPasswordForm(AccountPasswordForm):
    password = new_password_field(_l("New password"))


def _code_field(label) -> StringField:
    return StringField(
        label,
        filters=[_stripped],
        validators=[
            InputRequired(_l("Please enter the code.")),
            Length(max=32, message=_l("This code is too long.")),
        ],
    )


class SecondStepForm(FlaskForm):
    code = _code_field(_l("Code from your authenticator app, or a recovery code"))


class ConfirmIdentityForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
    )
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        filters=[_stripped],
        validators=[Length(max=32, message=_l("This code is too long."))],
    )


class ChangePasswordForm(AccountPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Please enter your current password."))],
    )
    password = new_password_field(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address.")),
            Length(max=254, message=_l("This email address is too long.")),
        ],
    )


class TwoStepSetupForm(FlaskForm):
    code = _code_field(_l("The 6-digit code your app shows"))
