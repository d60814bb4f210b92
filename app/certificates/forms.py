"""Certificate forms; labels are lazy so they are translated per request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.services.certificates import NAME_LENGTH, REASON_LENGTH


class CertificateNameForm(FlaskForm):
    name = StringField(
        _l("Your name as it should be printed"),
        description=_l(
            "Write it as it appears on your documents, with its accents: it cannot be changed"
            " once the certificate is issued."
        ),
        validators=[
            DataRequired(_l("Please write the name to print.")),
            Length(max=NAME_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it is revoked"),
        description=_l("Kept with the certificate and in the audit log; the learner can see it."),
        validators=[
            DataRequired(_l("Please say why.")),
            Length(max=REASON_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class ReissueForm(FlaskForm):
    name = StringField(
        _l("Corrected name"),
        validators=[
            DataRequired(_l("Please write the name to print.")),
            Length(max=NAME_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    reason = StringField(
        _l("What was corrected"),
        validators=[
            DataRequired(_l("Please say why.")),
            Length(max=REASON_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )
