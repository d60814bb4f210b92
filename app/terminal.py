"""The command line's words, in the language the terminal asks for (`LANGUAGE`, `LC_ALL`,
`LC_MESSAGES`, `LANG`, read as GNU programs read them), from the catalogues the pages use.
Without Flask: `flask lessons` runs with no app, and trainers read its output."""

from __future__ import annotations

import gettext as gnu_gettext
import os
from collections.abc import Iterable
from functools import cache

from app.content.problems import Problem
from config import Config

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


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
