"""Forms for privacy requests that reach the course team by email."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import Email, InputRequired


# Both forms are on one page: their fields need ids of their own.
class ExportRequestForm(FlaskForm):
    email = EmailField(
        _l("Learner's email"),
        id="export-email",
        validators=[
            InputRequired(_l("Please enter the learner's email.")),
            Email(_l("Please enter a valid email address.")),
        ],
    )


class ErasureRequestForm(FlaskForm):
    email = EmailField(
        _l("Learner's email"),
        id="erasure-email",
        validators=[
            InputRequired(_l("Please enter the learner's email.")),
            Email(_l("Please enter a valid email address.")),
        ],
    )
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
    )
