"""Forms for privacy requests that reach the course team by email, and for the breach
register."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.models import utcnow


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
        # Pasted from an email, an address often brings a space along.
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class ExportRequestForm(FlaskForm):
    email = learner_email("export-email")


class ErasureRequestForm(FlaskForm):
    email = learner_email("erasure-email")
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
    )


# The first day a breach can be dated to: a year 1 typed by mistake is caught here, and
# every time in the register is one a spreadsheet can show as a date.
EARLIEST_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
TEXT_LENGTH = 20_000
# The largest number of people an integer column holds on every database.
MOST_PEOPLE = 2**31 - 1


def _tidy(value: str | None) -> str | None:
    """Typed text without the spaces around it, lines ended as one line feed."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class UTCTimeField(DateTimeLocalField):
    """A `datetime-local` input whose date and time are read as UTC, and shown in UTC."""

    def __init__(self, label, validators=None, **kwargs):
        super().__init__(
            label,
            validators,
            format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
            tz=dt.UTC,
            invalid_value_message=_l("Please enter a date and time, such as 2026-03-02 09:30."),
            **kwargs,
        )

    def _value(self):
        # Seconds only where there are some: saved again unchanged, the time stays the same.
        if not self.raw_data and self.data and self.data.second:
            return self.data.astimezone(dt.UTC).strftime(self.format[1])
        return super()._value()

    def pre_validate(self, form) -> None:
        if self.data is None:
            return
        if self.data < EARLIEST_TIME:
            raise ValidationError(_l("Please enter a date from the year 2000 on."))
        if self.data > utcnow():
            raise ValidationError(_l("This time is still to come: please check it is in UTC."))


class PeopleCountField(IntegerField):
    """A number of people, or nothing; only the digits 0 to 9."""

    def process_formdata(self, valuelist):
        typed = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not typed:
            return
        if not (typed.isascii() and typed.isdigit()):
            raise ValueError(_l("Please enter a whole number, or leave it empty."))
        if int(typed) > MOST_PEOPLE:
            raise ValueError(_l("This number is larger than this register can hold."))
        self.data = int(typed)


def _text(label, description, required_message=None) -> TextAreaField:
    validators = [
        Length(
            max=TEXT_LENGTH,
            message=_l("Please keep this under %(count)d characters.", count=TEXT_LENGTH),
        )
    ]
    if required_message is not None:
        validators.insert(0, DataRequired(required_message))
    else:
        validators.insert(0, Optional())
    return TextAreaField(
        label,
        description=description,
        filters=[_tidy],
        validators=validators,
        render_kw={"rows": 4},
    )


def _time(label, description, required_message=None) -> UTCTimeField:
    first = InputRequired(required_message) if required_message is not None else Optional()
    return UTCTimeField(label, [first], description=description)


class BreachForm(FlaskForm):
    """A personal data breach as GDPR Art. 33(5) asks it documented, people described
    without being named. Times are typed and shown in UTC."""

    what_happened = _text(
        _l("What happened"),
        _l(
            "The facts: what went wrong, how it was found and its cause if known. Describe "
            "the people involved without naming them: no names, emails or account numbers."
        ),
        _l("Please describe what happened."),
    )
    occurred_at = _time(
        _l("When it happened (UTC), if known"),
        _l("Leave it empty if it is not known."),
    )
    discovered_at = _time(
        _l("When the team became aware of it (UTC)"),
        _l("The 72 hours to notify the supervisory authority start here."),
        _l("Please enter when the team became aware of the breach."),
    )
    data_affected = _text(
        _l("Personal data affected"),
        _l("The kinds of data and of records, such as emails, names or quiz answers."),
        _l("Please describe the data affected."),
    )
    people_affected = _text(
        _l("People affected"),
        _l(
            "Describe them as groups, without naming anyone: for example, “learners of the "
            "Spanish course who registered in March”, not their names or emails."
        ),
        _l("Please describe the people affected, without naming them."),
    )
    people_count = PeopleCountField(
        _l("Number of people affected, approximately"),
        description=_l("Leave it empty if it is not known yet."),
        validators=[Optional()],
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    likely_consequences = _text(
        _l("Likely consequences for the people affected"),
        _l("Such as unwanted emails, identity theft, embarrassment, or none likely."),
    )
    measures = _text(
        _l("Measures taken or proposed"),
        _l("To deal with the breach, and to lessen its possible harm to people."),
    )
    authority_notified_at = _time(
        _l("When the supervisory authority was notified (UTC)"),
        _l("Leave it empty until it has been notified."),
    )
    people_told_at = _time(
        _l("When the people affected were told (UTC)"),
        _l("Leave it empty if they have not been told."),
    )
    not_notified_because = _text(
        _l("Why the authority or the people were not told, or were told late"),
        _l(
            "Where they were not: for example, the data was encrypted and the key was safe, so "
            "a risk to people is unlikely. Leave it empty while the decision is pending."
        ),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        happened, discovered = self.occurred_at.data, self.discovered_at.data
        if happened and discovered and happened > discovered:
            self.occurred_at.errors.append(
                _l("It cannot have happened after the team became aware of it.")
            )
            valid = False
        for told in (self.authority_notified_at, self.people_told_at):
            if told.data and discovered and told.data < discovered:
                told.errors.append(
                    _l("No one can have been told before the team became aware of it.")
                )
                valid = False
        return valid
