"""Every interface string is translated into Spanish and Portuguese, and compiled."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config import ROOT

TRANSLATIONS = ROOT / "translations"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}


def interface_messages() -> set[str]:
    """What `flask translate update` extracts from app/, read straight from the code."""
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "app"), METHODS, keywords=KEYWORDS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def frozen(value):
    """Plural entries come as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


def is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(strings) and not message.fuzzy


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


def test_strings_are_found_in_the_code():
    messages = interface_messages()
    assert "Lesson %(number)d of %(total)d" in messages
    assert "Please enter a valid email address." in messages


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_interface_string_has_a_translation(language):
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalogue(language)
        if message.id and is_translated(message)
    }
    missing = sorted(interface_messages() - translated)
    assert missing == [], f"untranslated in {language}: run `flask translate update`"


@pytest.mark.parametrize("language", ["es", "pt"])
def test_translations_keep_their_placeholders(language):
    problems = [(message.id, errors) for message, errors in catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_compiled_catalogue_is_up_to_date(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as file:
        compiled = {frozen(m.id): frozen(m.string) for m in read_mo(file) if m.id}
    source = {frozen(m.id): frozen(m.string) for m in catalogue(language) if m.id}
    assert compiled == source, "run `flask translate compile`"
