"""The form an admin registers a learning platform (LTI 1.3) with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from app.services.lti import has_credentials, is_acceptable_url, well_formed

URL_LENGTH = 1000
# A platform gives a registration one deployment ID, or a few; many more is a paste gone
# wrong.
DEPLOYMENTS = 50
DEPLOYMENT_LENGTH = 255


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _https(form: FlaskForm, field: StringField) -> None:
    if not field.data:
        return
    if well_formed(field.data) is None:
        raise ValidationError(
            _l("This address cannot be read: please copy it again from the platform.")
        )
    if has_credentials(field.data):
        raise ValidationError(_l("Please enter the address without a user name or password in it."))
    if not is_acceptable_url(field.data):
        raise ValidationError(
            _l(
                "Please enter an address starting with https://. Only a platform on this "
                "machine, for testing, may use http:// (localhost or 127.0.0.1)."
            )
        )


def _url(label, description, required_message) -> StringField:
    return StringField(
        label,
        description=description,
        filters=[_stripped],
        validators=[
            InputRequired(required_message),
            Length(
                max=URL_LENGTH,
                message=_l("Please keep this under %(count)d characters.", count=URL_LENGTH),
            ),
            _https,
        ],
    )


def _deployment_ids(value: str | None) -> str | None:
    # One per line, as pasted; blank lines and spaces around each are left out.
    if not isinstance(value, str):
        return value
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


class PlatformForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l("Your own name for the platform, such as “University Moodle”."),
        filters=[_stripped],
        validators=[
            InputRequired(_l("Please give the platform a name.")),
            Length(max=120, message=_l("Please keep this under %(count)d characters.", count=120)),
        ],
    )
    issuer = _url(
        _l("Issuer (platform ID)"),
        _l("The platform's address as it names itself, such as https://moodle.example.edu."),
        _l("Please enter the platform's issuer."),
    )
    client_id = StringField(
        _l("Client ID"),
        description=_l("The ID the platform gave the tool when it was added."),
        filters=[_stripped],
        validators=[
            InputRequired(_l("Please enter the client ID.")),
            Length(max=255, message=_l("Please keep this under %(count)d characters.", count=255)),
        ],
    )
    deployment_ids = TextAreaField(
        _l("Deployment IDs"),
        description=_l("One per line: launches from other deployments are refused."),
        filters=[_deployment_ids],
        validators=[InputRequired(_l("Please enter at least one deployment ID."))],
        render_kw={"rows": 3},
    )
    key_set_url = _url(
        _l("Public keyset URL"),
        _l("Where the platform publishes the keys it signs launches with."),
        _l("Please enter the platform's public keyset URL."),
    )
    auth_url = _url(
        _l("Authentication request URL"),
        _l("The platform's OpenID Connect authorisation endpoint."),
        _l("Please enter the platform's authentication request URL."),
    )
    token_url = _url(
        _l("Access token URL"),
        _l("Where the tool asks for a token to send scores to the gradebook."),
        _l("Please enter the platform's access token URL."),
    )
    links_verified_email = BooleanField(
        _l("Sign in to an existing account with the same email address"),
        description=_l(
            "Only when the platform says it verified the address, and never to the account "
            "of a trainer or an administrator, nor to one protected by two-step sign-in. "
            "Otherwise each person of the platform gets an account of their own on their "
            "first launch."
        ),
    )
    instructors_become_trainers = BooleanField(
        _l("Instructors become trainers on this site"),
        description=_l(
            "Trainers write and publish the lessons of every course on this site, not only "
            "of the platform's. Without this, the platform's instructors lead their course's "
            "cohort only once an administrator makes them trainers. A later launch as a "
            "learner never takes the role back."
        ),
    )

    def validate_deployment_ids(self, field: TextAreaField) -> None:
        lines = (field.data or "").splitlines()
        if len(lines) > DEPLOYMENTS:
            raise ValidationError(
                _l("Please enter at most %(count)d deployment IDs.", count=DEPLOYMENTS)
            )
        if any(len(line) > DEPLOYMENT_LENGTH for line in lines):
            raise ValidationError(
                _l(
                    "Please keep each deployment ID under %(count)d characters.",
                    count=DEPLOYMENT_LENGTH,
                )
            )
