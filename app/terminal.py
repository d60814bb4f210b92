"""The command line's words, in the language the terminal asks for (`LANGUAGE`, `LC_ALL`,
`LC_MESSAGES`, `LANG`, read as GNU programs read them), from the catalogues the pages use.
Without Flask: `flask lessons` runs with no app, and trainers read its output."""

from __future__ import annotations

import gettext as gnu_gettext
import os
from collections.abc import Iterable
from functools import cache

from app.content.problems import N_, Problem
from config import Config

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural pair for `flask translate update` (as N_ marks one)."""
    return singular, plural


# click's own words, which it asks Python's gettext for in its default domain. Marked here so
# that the catalogues keep them; `speak_for_click` points that domain at the catalogues, so
# that "Usage:" and "Error: …" are in the terminal's language like the rest.
CLICK_WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Missing command."),
    N_("Aborted!"),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
    N_("default: {default}"),
    NP_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    NP_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
)


def speak_for_click() -> None:
    gnu_gettext.bindtextdomain(gnu_gettext.textdomain(), Config.TRANSLATIONS_DIR)


@cache
def _catalogue(locale: tuple[str | None, ...]) -> gnu_gettext.NullTranslations:
    # `locale` is only the cache's key: gettext reads the same variables itself.
    return gnu_gettext.translation("messages", Config.TRANSLATIONS_DIR, fallback=True)


def catalogue() -> gnu_gettext.NullTranslations:
    """The terminal's catalogue now; English when no catalogue matches."""
    return _catalogue(tuple(os.environ.get(name) for name in LOCALE_VARIABLES))


def gettext(message: str, **values: object) -> str:
    """`message` in the terminal's language, its `%(name)s` filled from `values`."""
    text = catalogue().gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values: object) -> str:
    """The form for `num` in the terminal's language; `%(num)d` is `num`."""
    return catalogue().ngettext(singular, plural, num) % {"num": num, **values}


def described(problems: Iterable[Problem]) -> str:
    """Problems one per line, as `path:line:column: level: message`, in the terminal's
    language: what `flask lessons check` prints, and the server when it cannot start."""
    return "\n".join(problem.described(catalogue().gettext) for problem in problems)
