"""What a name typed by a person must be, wherever it is typed (an account's, a learner's
in an enrolment file, the one a certificate prints): on one line, readable, and not
turning the text around it (a name could then pass for another in the admin pages and in
spreadsheets)."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Characters that break a name across lines, and those that turn the text around it.
BREAKING = {"Cc", "Zl", "Zp"}
DIRECTION_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def keeps_to_one_line(name: str) -> bool:
    """Whether the name has no line break, control character or direction control."""
    return not any(
        unicodedata.category(character) in BREAKING or character in DIRECTION_CONTROLS
        for character in name
    )


def has_something_to_read(name: str) -> bool:
    """Whether the name has a letter, number, punctuation or symbol: not only invisible
    characters (a zero-width space, say)."""
    return any(unicodedata.category(character)[0] in "LNPS" for character in name)


def one_line_of_text(form, field) -> None:
    """A name is shown in pages, emails and spreadsheets: a line break or a control
    character would break all three."""
    if field.data and not keeps_to_one_line(field.data):
        raise ValidationError(_l("A name goes on a single line, without control characters."))


def something_to_read(form, field) -> None:
    """A name of invisible characters only would greet nobody."""
    if field.data and not has_something_to_read(field.data):
        raise ValidationError(_l("A name needs at least one letter or number that can be read."))
