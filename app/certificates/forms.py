"""Certificate forms; labels are lazy so they are translated per request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.names import one_line_of_text, something_to_read
from app.services.certificate_pdf import unprintable
from app.services.certificates import NAME_LENGTH, REASON_LENGTH


def printable(form, field) -> None:
    """A name the certificate can print whole: its fonts have the Latin, Greek and Cyrillic
    alphabets, and no letter for anything else."""
    missing = unprintable(field.data or "")
    if missing:
        raise ValidationError(
            _l(
                "The certificate cannot print these characters: %(characters)s. Please write"
                " your name in the Latin, Greek or Cyrillic alphabet.",
                characters=" ".join(missing),
            )
        )


def name_validators() -> list:
    """What a name to print must be, wherever it is typed."""
    return [
        DataRequired(_l("Please write the name to print.")),
        Length(max=NAME_LENGTH, message=_l("Please use at most %(max)d characters.")),
        one_line_of_text,
        something_to_read,
        printable,
    ]


class CertificateNameForm(FlaskForm):
    name = StringField(
        _l("Your name as it should be printed"),
        description=_l(
            "Write it as it appears on your documents, with its accents and other marks: once"
            " the certificate is issued, only the course team can correct it."
        ),
        validators=name_validators(),
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for revoking"),
        description=_l("Kept with the certificate and in the audit log; the learner can see it."),
        validators=[
            DataRequired(_l("Please say why.")),
            Length(max=REASON_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class ReissueForm(FlaskForm):
    name = StringField(_l("Corrected name"), validators=name_validators())
    reason = StringField(
        _l("What was corrected"),
        validators=[
            DataRequired(_l("Please say why.")),
            Length(max=REASON_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )
