"""Forms for privacy requests that reach the course team by email."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import Email, InputRequired


def learner_email(field_id: str) -> EmailField:
    """The learner's email a request names. Both request forms are on one page: each field
    needs an id of its own."""
    return EmailField(
        _l("Learner's email"),
        id=field_id,
        validators=[
            InputRequired(_l("Please enter the learner's email.")),
            Email(_l("Please enter a valid email address.")),
        ],
    )


class ExportRequestForm(FlaskForm):
    email = learner_email("export-email")


class ErasureRequestForm(FlaskForm):
    email = learner_email("erasure-email")
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
    )
