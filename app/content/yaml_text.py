"""YAML as the course files and the data register are read, and its mistakes told in a
trainer's words: the parser's own are English, and name what it expected, not what to do."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from app.content.problems import N_

# libyaml's parser when PyYAML was built with it (the wheels are), which is several times
# faster; the same safe construction of values either way.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NOT_VALID = N_("the YAML here is not valid")
MISALIGNED = N_("this line is not lined up with the ones above it")
NEVER_CLOSED = N_("this quote is never closed: end the value with the same quote")

# Line breaks as YAML counts them, so that its marks' line numbers find their line.
LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
CURLY_QUOTE = re.compile(r"[“”‘’„]")
# `title:Prueba`: without a space, YAML reads the colon as part of the text.
NO_SPACE_AFTER_COLON = re.compile(r"^\s*(?!\d)[\w-]+:(?=\S)")
# The parser's problems are told apart by their words, in libyaml's wording and in PyYAML's
# own (used when it is built without libyaml).
# Characters YAML gives a meaning to at the start of a value (an alias, a tag, a list
# entry...), where trainers mean them as text.
SPECIAL_START = (
    "cannot start any token",
    "alphabetic or numeric character",
    "undefined alias",
    "could not determine a constructor",
    "sequence entries are not allowed",
    "mapping keys are not allowed",
)
# libyaml spells it "hexdecimal".
BAD_ESCAPE = ("escape", "hexdecimal", "hexadecimal")
MISPLACED_LINE = ("expected key", "expected <block end>", "expected '-'")


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


@dataclass(frozen=True, slots=True)
class Mistake:
    """What is wrong in a YAML text, at a 0-based line and column of it, as a template
    marked with N_ and its values."""

    line: int
    column: int
    template: str
    values: Mapping[str, object] = field(default_factory=dict)


def missing_space(text: str, start: int = 0, stop: int | None = None) -> Mistake | None:
    """The first `key:value` line of `text` (from line `start` to before `stop`), at the
    place its missing space goes."""
    for number, line in enumerate(LINE_BREAK.split(text)[start:stop], start):
        if match := NO_SPACE_AFTER_COLON.match(line):
            return Mistake(number, match.end(), N_("put a space after the colon: 'key: value'"))
    return None


def _quote_left_open(lines: list[str], line: int, before: str) -> tuple[int, int] | None:
    """Where a quote was opened and left open, when the quote that ends `before` (the start
    of `line`) closes it: the value then ran over the lines between, and the parser only
    stopped after the next quote, further down."""
    quote = before[max(before.rfind('"'), before.rfind("'"))] if before.strip() else ""
    if quote not in {'"', "'"} or before.count(quote) % 2 == 0:
        return None
    for earlier in range(line - 1, -1, -1):
        if lines[earlier].count(quote) % 2:
            return earlier, lines[earlier].rfind(quote)
    return None


def explain(error: yaml.YAMLError, text: str) -> Mistake:
    """The mistake PyYAML (libyaml or not) stopped at, in plain words, where it is."""
    lines = LINE_BREAK.split(text)
    if isinstance(error, yaml.reader.ReaderError):
        # Its position counts bytes under libyaml; the character is the first of its kind.
        before = text[: max(text.find(chr(error.character)), 0)]
        return Mistake(
            len(LINE_BREAK.findall(before)),
            len(LINE_BREAK.split(before)[-1]),
            N_("an invisible control character is in this line: delete it, or type the line again"),
        )
    problem = getattr(error, "problem", None) or ""
    context = getattr(error, "context", None) or ""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        return Mistake(0, 0, NOT_VALID)
    # Where the trouble started, when the parser says so: an opening quote or bracket.
    opening = getattr(error, "context_mark", None) or mark
    line, column = mark.line, mark.column
    offending = lines[line] if line < len(lines) else ""
    if quote := CURLY_QUOTE.search(offending):
        return Mistake(
            line,
            quote.start(),
            N_('write quotes around a value as straight quotes ("), not curly ones (“ ”)'),
        )
    # `title:Prueba` runs on into the next line, where the parser stops.
    if mistake := missing_space(text, max(line - 1, 0), line + 1):
        return mistake
    if "\t" in offending:
        return Mistake(line, column, N_("indent with spaces: YAML does not take tabs"))
    if "end of stream" in problem and "quoted scalar" in context:
        return Mistake(opening.line, opening.column, NEVER_CLOSED)
    if "',' or ']'" in problem:
        return Mistake(
            opening.line,
            opening.column,
            N_("this [ is never closed: end the list with ]"),
        )
    if "',' or '}'" in problem:
        return Mistake(opening.line, opening.column, N_("this { is never closed with }"))
    if "mapping values are not allowed" in problem:
        if ": " in offending[:column]:
            return Mistake(
                line,
                column,
                N_("a value with ': ' in it needs quotes, as in title: \"Lesson 1: why\""),
            )
        return Mistake(line, column, MISALIGNED)
    if any(words in problem for words in SPECIAL_START):
        # An anchor or alias is found where its name should be, after its & or *.
        start = opening if "alphabetic" in problem else mark
        start_line = lines[start.line] if start.line < len(lines) else ""
        character = start_line[start.column : start.column + 1]
        return Mistake(
            start.line,
            start.column,
            N_("a value cannot start with %(character)s: put the whole value in quotes"),
            {"character": character},
        )
    if any(words in problem for words in MISPLACED_LINE):
        before = offending[:column]
        if opened := _quote_left_open(lines, line, before):
            return Mistake(*opened, NEVER_CLOSED)
        if '"' in before or "'" in before:
            return Mistake(
                line,
                column,
                N_(
                    "the value goes on after its closing quote: put all of it in quotes, "
                    "using ' outside if it has \" inside, or the other way round"
                ),
            )
        if "]" in before or "}" in before:
            return Mistake(
                line,
                column,
                N_("a value that starts with [ or { is read as a list: put it in quotes"),
            )
        return Mistake(line, column, MISALIGNED)
    if "could not find expected ':'" in problem:
        return Mistake(
            opening.line,
            opening.column,
            N_("this line should be 'key: value', but its ': ' is missing"),
        )
    if "node content" in problem:
        return Mistake(line, column, N_("a value is missing here"))
    if any(words in problem for words in BAD_ESCAPE):
        # The parser stops at what follows the backslash (\Users is read as \U and a code).
        return Mistake(
            line,
            max(offending.rfind("\\", 0, column + 1), 0),
            N_("in double quotes, a backslash must be doubled (\\\\); or use single quotes"),
        )
    return Mistake(line, column, NOT_VALID)
