"""Forms for privacy requests that reach the course team by email."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired


class ExportRequestForm(FlaskForm):
    email = EmailField(
        _l("Learner's email"), validators=[InputRequired(_l("Please enter the learner's email."))]
    )


class ErasureRequestForm(FlaskForm):
    email = EmailField(
        _l("Learner's email"), validators=[InputRequired(_l("Please enter the learner's email."))]
    )
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
    )
