"""Read a lessons directory into a `Course`, or explain precisely what is wrong with it.

Pure: files in, frozen dataclasses out; no Flask, no database. Every problem is reported
as `path:line: message` so a trainer's editor can jump to it, and all problems in the
directory are collected before failing, so one run shows everything to fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from app.content.lint import LessonContext, MarkdownChecks, Site, SiteCourse
from app.content.markdown import HTML_COMMENT, ParsedDocument, parse_document
from app.content.model import (
    Catalogue,
    CertificateQuizzes,
    CertificateRule,
    Course,
    Lesson,
    LessonText,
    Quiz,
    Reading,
    Signatory,
)
from app.content.problems import N_, CommandPath, ContentError, Level, Problem, Problems
from app.content.quiz import check_translation, parse_quiz, report_quiz_lookalikes
from app.content.register import DataRegister
from app.content.yaml_text import NOT_VALID, SafeLoader, explain, missing_space, safe_load

COURSE_FILE = "course.yml"
# The languages the interface is translated into; a course can only use these.
SUPPORTED_LANGUAGES = ("es", "pt", "en")
# Where a comment was, while a quiz's lines are sorted into those left and those gone: a
# noncharacter, which no text is written with.
COMMENT_MARK = "\ufdd0"
STRING_TAG = "tag:yaml.org,2002:str"
COURSE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_FOLDER = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")

COURSE_KEYS = {
    "title",
    "organisation",
    "description",
    "slug",
    "languages",
    "default_language",
    "planned_lessons",
    "certificate",
}
# What a course.yml may leave out.
OPTIONAL_COURSE_KEYS = {"organisation", "description", "slug", "certificate"}
CERTIFICATE_KEYS = {"lessons", "quizzes", "signed_by"}
SIGNATORY_KEYS = {"name", "role"}
LESSON_KEYS = {"title", "author", "date", "reading", "draft", "collects", "translated_from"}
READING_KEYS = {"title", "url", "pages", "language"}
# Markdown emphasis, code or a link in a title, which is shown as plain text everywhere.
MARKDOWN_IN_TITLE = re.compile(r"(\*\*?|__?|`)\S(?:.*?\S)?\1|\[[^\]]+\]\([^)]*\)")
# A language as HTML's lang attribute takes it (BCP 47, in its usual short forms).
# An adult's silent reading pace for study text, on the slow side: an estimate that runs
# short would discourage more than one that runs long.
WORDS_PER_MINUTE = 200
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class _Yaml:
    """A YAML mapping with the file line of each key: top-level ones, and as `key.sub` those
    of a mapping under one (`reading.url`)."""

    values: dict[str, Any]
    lines: dict[str, int]
    # Keys whose value is already reported as it was read (an impossible date, as text).
    reported: frozenset[str] = frozenset()


def _read_yaml_mapping(text: str, path: Path, first_line: int, problems: Problems) -> _Yaml | None:
    """Parse YAML that must be a mapping; `first_line` is the file line where `text` starts."""
    loader = SafeLoader(text)
    impossible: list[yaml.ScalarNode] = []
    try:
        # One parse gives both the values and each key's line.
        node = loader.get_single_node()
        values = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mistake = explain(error, text)
        problems.add(
            path,
            first_line + mistake.line,
            mistake.template,
            mistake.column + 1,
            **mistake.values,
        )
        return None
    except ValueError:
        # YAML reads 2024-02-30 as a date, and no such day exists.
        impossible = [scalar for scalar in _scalars(node) if not _is_real_time(scalar)]
        for scalar in impossible:
            problems.add(
                path,
                first_line + scalar.start_mark.line,
                N_("%(value)s is not a real date"),
                scalar.start_mark.column + 1,
                value=scalar.value,
            )
            # Kept as the text it is, so that the rest of the file is checked all the same.
            scalar.tag = STRING_TAG
        if not impossible:
            problems.add(path, first_line, NOT_VALID)
            return None
        values = _construct(node)
    finally:
        loader.dispose()
    if not isinstance(values, dict) or not isinstance(node, yaml.MappingNode):
        # A lone `title:Prueba` is read as text, not as a key and its value.
        if isinstance(values, str) and (mistake := missing_space(text)):
            problems.add(path, first_line + mistake.line, mistake.template, mistake.column + 1)
        else:
            problems.add(path, first_line, N_("expected 'key: value' lines"))
        return None
    lines: dict[str, int] = {}
    reported: set[str] = set()
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if any(value is scalar for scalar in impossible):
            reported.add(str(key.value))
        line = first_line + key.start_mark.line
        if str(key.value) in lines:
            # YAML quietly keeps the last one; the trainer meant one of them.
            problems.add(path, line, N_("'%(key)s' is given twice"), key=key.value)
        lines[str(key.value)] = line
        if isinstance(value, yaml.MappingNode):
            for sub_key, _ in value.value:
                if isinstance(sub_key, yaml.ScalarNode):
                    lines[f"{key.value}.{sub_key.value}"] = first_line + sub_key.start_mark.line
    return _Yaml({str(key): value for key, value in values.items()}, lines, frozenset(reported))


def _construct(node: yaml.Node) -> Any:
    """The values of a YAML document already parsed into `node`."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


def _is_real_time(scalar: yaml.ScalarNode) -> bool:
    """Whether a scalar YAML reads as a time is one that exists (any other scalar is)."""
    if scalar.tag != "tag:yaml.org,2002:timestamp":
        return True
    try:
        safe_load(scalar.value)
    except ValueError:
        return False
    return True


# UTF-8, and a byte order mark at the start (as some Windows editors write) is dropped.
TEXT_ENCODING = "utf-8-sig"


def read_text(path: Path, problems: Problems, *, as_written: bool = False) -> str | None:
    """A text file's contents, or None once the reason it cannot be read is among `problems`.
    `as_written` keeps its line endings and byte order mark, for a file to be written back
    with only its changes showing."""
    try:
        encoding, newline = ("utf-8", "") if as_written else (TEXT_ENCODING, None)
        with path.open(encoding=encoding, newline=newline) as file:
            return file.read()
    except UnicodeDecodeError:
        problems.add(path, 1, N_("the file is not UTF-8 text"))
    except OSError as error:
        problems.add(path, 1, _why_unreadable(path, error))
    return None


def _why_unreadable(path: Path, error: OSError) -> str:
    """In a trainer's words: a folder or a link can carry a lesson file's name, and a link can
    outlive its file."""
    if path.is_dir():
        return N_("cannot read this file: it is a folder")
    if path.is_symlink() and not path.exists():
        return N_("cannot read this file: it is a link to a file that does not exist")
    if isinstance(error, FileNotFoundError):
        return N_("cannot read this file: it does not exist")
    return N_("cannot read this file: check that its permissions let it be read")


def _check_keys(
    data: _Yaml,
    allowed: set[str],
    required: set[str],
    path: Path,
    line: int,
    problems: Problems,
    *,
    within: str = "",
) -> None:
    """Report keys not `allowed` and `required` ones missing; the keys of a mapping inside
    another are named `within` it ("certificate.lessons")."""
    for key in data.values:
        if key not in allowed:
            problems.add(
                path,
                data.lines.get(key, line),
                N_("unknown key '%(key)s' (allowed: %(allowed)s)"),
                key=f"{within}{key}",
                allowed=", ".join(sorted(allowed)),
            )
    for key in sorted(required - data.values.keys()):
        problems.add(path, line, N_("missing required key '%(key)s'"), key=key)


def _text(value: Any) -> str | None:
    """A non-empty string, with numbers accepted as text (YAML reads `pages: 14` as int)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text or None
    return None


def _per_language(
    data: _Yaml,
    key: str,
    languages: tuple[str, ...],
    path: Path,
    problems: Problems,
    *,
    required: bool,
) -> Mapping[str, str]:
    value = data.values.get(key)
    line = data.lines.get(key, 1)
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict):
        problems.add(
            path, line, N_("'%(key)s' must give one text per language, e.g. 'es: ...'"), key=key
        )
        return MappingProxyType({})
    result: dict[str, str] = {}
    for language, text in value.items():
        if language not in languages:
            problems.add(
                path,
                line,
                N_("'%(key)s' has text for '%(language)s', not a course language"),
                key=key,
                language=language,
            )
        elif _text(text) is None:
            problems.add(
                path, line, N_("'%(key)s' for '%(language)s' is empty"), key=key, language=language
            )
        else:
            result[language] = str(text).strip()
    if required:
        for language in languages:
            if language not in value:
                problems.add(
                    path,
                    line,
                    N_("'%(key)s' is missing its '%(language)s' text"),
                    key=key,
                    language=language,
                )
    return MappingProxyType(result)


def _load_course_settings(
    directory: Path, problems: Problems
) -> tuple[_Yaml, tuple[str, ...], str, int] | None:
    path = directory / COURSE_FILE
    if not (path.exists() or path.is_symlink()):
        problems.add(path, 1, N_("missing %(file)s: the course settings file"), file=COURSE_FILE)
        return None
    text = read_text(path, problems)
    data = _read_yaml_mapping(text, path, 1, problems) if text is not None else None
    if data is None:
        return None
    _check_keys(data, COURSE_KEYS, COURSE_KEYS - OPTIONAL_COURSE_KEYS, path, 1, problems)

    languages_value = data.values.get("languages")
    languages_line = data.lines.get("languages", 1)
    languages: tuple[str, ...] = ()
    if isinstance(languages_value, list) and languages_value:
        for language in languages_value:
            if language not in SUPPORTED_LANGUAGES:
                problems.add(
                    path,
                    languages_line,
                    N_("language '%(language)s' is not supported (supported: %(supported)s)"),
                    language=language,
                    supported=", ".join(SUPPORTED_LANGUAGES),
                )
        languages = tuple(str(code) for code in languages_value if code in SUPPORTED_LANGUAGES)
        if len(set(languages)) != len(languages):
            problems.add(path, languages_line, N_("a language is listed twice"))
    elif "languages" in data.values:
        problems.add(path, languages_line, N_("'languages' must be a list, e.g. [es, pt, en]"))

    default = data.values.get("default_language")
    if "default_language" in data.values and default not in languages:
        problems.add(
            path,
            data.lines["default_language"],
            N_("default_language '%(default)s' is not one of the course languages"),
            default=default,
        )

    planned = data.values.get("planned_lessons")
    if "planned_lessons" in data.values and (
        isinstance(planned, bool) or not isinstance(planned, int) or not 1 <= planned <= 99
    ):
        problems.add(
            path,
            data.lines["planned_lessons"],
            N_("'planned_lessons' must be a number from 1 to 99"),
        )
    if not languages or default not in languages or not isinstance(planned, int):
        return None
    return data, languages, str(default), planned


def _parse_certificate(
    data: _Yaml,
    languages: tuple[str, ...],
    path: Path,
    lessons: list[Lesson],
    problems: Problems,
) -> CertificateRule | None:
    """course.yml's `certificate`: which lessons and quizzes earn it, and who signs it."""
    if "certificate" not in data.values:
        return None
    value = data.values["certificate"]
    line = data.lines.get("certificate", 1)
    if value is None:
        return CertificateRule()
    if not isinstance(value, dict):
        problems.add(
            path,
            line,
            N_("'certificate' must be a list of settings such as 'lessons: all', or be empty"),
        )
        return None
    lines = {key: data.lines.get(f"certificate.{key}", line) for key in value}
    _check_keys(
        _Yaml(value, lines), CERTIFICATE_KEYS, set(), path, line, problems, within="certificate."
    )
    lessons_value = value.get("lessons", "all")
    lessons_line = data.lines.get("certificate.lessons", line)
    named: tuple[str, ...] | None = None
    if lessons_value != "all":
        known = {lesson.slug for lesson in lessons}
        if not isinstance(lessons_value, list) or not lessons_value:
            problems.add(
                path,
                lessons_line,
                N_("'certificate.lessons' must be 'all' or a list of lesson slugs"),
            )
        else:
            named = tuple(str(slug) for slug in lessons_value)
            for slug in named:
                if slug not in known:
                    problems.add(
                        path,
                        lessons_line,
                        N_("'certificate.lessons' names '%(slug)s', which is no lesson here"),
                        slug=slug,
                    )
    quizzes_value = value.get("quizzes", CertificateQuizzes.REQUIRED.value)
    try:
        quizzes = CertificateQuizzes(quizzes_value)
    except ValueError:
        problems.add(
            path,
            data.lines.get("certificate.quizzes", line),
            N_("'certificate.quizzes' must be 'required' or 'all'"),
        )
        quizzes = CertificateQuizzes.REQUIRED
    signatories = _parse_signatories(
        value.get("signed_by") or [],
        data.lines.get("certificate.signed_by", line),
        languages,
        path,
        problems,
    )
    return CertificateRule(named, quizzes, signatories)


def _parse_signatories(
    value: Any, line: int, languages: tuple[str, ...], path: Path, problems: Problems
) -> tuple[Signatory, ...]:
    if not isinstance(value, list):
        problems.add(
            path, line, N_("'certificate.signed_by' must be a list of people, each with a name")
        )
        return ()
    signatories = []
    for entry in value:
        name = _text(entry.get("name")) if isinstance(entry, dict) else None
        if name is None:
            problems.add(
                path,
                line,
                N_("each of 'certificate.signed_by' needs a 'name:' (and a 'role:' per language)"),
            )
            continue
        _check_keys(
            _Yaml(entry, {}), SIGNATORY_KEYS, set(), path, line, problems, within="signed_by."
        )
        role = _per_language(
            _Yaml({"role": entry.get("role")}, {"role": line}),
            "role",
            languages,
            path,
            problems,
            required="role" in entry,
        )
        signatories.append(Signatory(name, role))
    return tuple(signatories)


def course_default_language(directory: Path | str) -> str:
    """The language a lessons directory's translations are made from, as its course settings
    name it; raise ContentError when the settings cannot be read."""
    problems = Problems()
    loaded = _load_course_settings(Path(directory), problems)
    if loaded is None:
        raise ContentError(problems.errors)
    return loaded[2]


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _warn_of_markdown(title: str, path: Path, line: int, problems: Problems) -> None:
    if marks := MARKDOWN_IN_TITLE.search(title):
        problems.warn(
            path,
            line,
            N_("a title is plain text: learners see %(marks)s as it is written"),
            marks=marks.group(0),
        )


def _parse_reading(
    value: Any, path: Path, line_of: Callable[[str], int], problems: Problems
) -> Reading | None:
    line = line_of("reading")
    if not isinstance(value, dict):
        problems.add(
            path,
            line,
            N_("'reading' must have 'title' and optionally 'url', 'pages' and 'language'"),
        )
        return None
    for key in value:
        if key not in READING_KEYS:
            problems.add(
                path,
                line_of(f"reading.{key}"),
                N_("unknown key '%(key)s' (allowed: %(allowed)s)"),
                key=f"reading.{key}",
                allowed=", ".join(sorted(READING_KEYS)),
            )
    title = _text(value.get("title"))
    if title is None:
        problems.add(path, line_of("reading.title"), N_("'reading' needs a 'title'"))
        return None
    _warn_of_markdown(title, path, line_of("reading.title"), problems)
    url = _text(value.get("url"))
    if url is not None and not re.match(r"^https?://\S+$", url):
        problems.add(
            path,
            line_of("reading.url"),
            N_("'reading.url' must be an http(s) address, not '%(url)s'"),
            url=url,
        )
        url = None
    language = _text(value.get("language"))
    if language is not None and not LANGUAGE_TAG.match(language):
        problems.add(
            path,
            line_of("reading.language"),
            N_(
                "'reading.language' must be a language code such as 'en' or 'pt-BR', not "
                "'%(value)s'"
            ),
            value=language,
        )
        language = None
    return Reading(title=title, url=url, pages=_text(value.get("pages")), language=language)


def _parse_collects(
    value: Any, declarable: frozenset[str], path: Path, line: int, problems: Problems
) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.add(
            path, line, N_("'collects' must be a list of data register ids, e.g. [essays]")
        )
        return ()
    for item in value:
        if item in declarable:
            continue
        if declarable:
            problems.add(
                path,
                line,
                N_("'collects' names '%(item)s', not a category lessons can declare (%(allowed)s)"),
                item=item,
                allowed=", ".join(sorted(declarable)),
            )
        else:
            problems.add(
                path,
                line,
                N_("'collects' names '%(item)s', but this register lets lessons declare nothing"),
                item=item,
            )
    return tuple(value)


@dataclass(frozen=True, slots=True)
class _Settings:
    """What every lesson file is checked against."""

    languages: tuple[str, ...]
    default_language: str
    declarable: frozenset[str]
    folders: Mapping[str, str]  # lesson folder name -> slug, for links between lessons
    course: str = "course"  # the course's slug
    site: Site = Site({})  # every course served beside it, for links to them


def source_hash(source: str, front_matter: Mapping[str, Any], document: ParsedDocument) -> str:
    """The version of a lesson file that translations record in `translated_from`: only what
    a translator has to carry over, its title, its reading's title and its text, so that a
    new `date:` or `draft:` or whitespace Markdown ignores leaves its translations current."""
    reading = front_matter.get("reading")
    translated = [
        _text(front_matter.get("title")),
        _text(reading.get("title")) if isinstance(reading, dict) else None,
        _significant_text(_without_comments(source, document)[document.front_matter_end :]),
    ]
    canonical = json.dumps(translated, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]


def _without_comments(source: str, document: ParsedDocument) -> list[str]:
    """The file's lines without its HTML comments, which never reach learners (a trainer's
    note to themselves is nothing to translate). A comment standing as a block of its own
    goes with the blank line after it, so the text reads as if it had never been there."""
    lines: list[str | None] = list(re.split(r"\r\n?|\n", source))
    for token in document.body:
        parts = [token] if token.type == "html_block" else (token.children or [])
        comments = [
            comment
            for part in parts
            if part.type in ("html_block", "html_inline")
            for comment in HTML_COMMENT.findall(part.content)
        ]
        if not comments or token.map is None:
            continue
        start, end = token.map
        block = "\n".join(line for line in lines[start:end] if line is not None)
        for comment in comments:
            block = block.replace(comment, "", 1)
        lines[start:end] = [None] * (end - start)
        if block.strip():
            lines[start] = block
        elif end < len(lines) and lines[end] == "":
            lines[end] = None
    for quiz in document.quiz_blocks:
        # A quiz leaves its comments out as the text does, each line of one with it.
        start = quiz.first_line - 1
        end = start + quiz.content.count("\n")
        marked = HTML_COMMENT.sub(
            lambda comment: COMMENT_MARK + ("\n" + COMMENT_MARK) * comment[0].count("\n"),
            "\n".join(line or "" for line in lines[start:end]),
        )
        lines[start:end] = [
            None
            if COMMENT_MARK in line and not line.replace(COMMENT_MARK, "").strip()
            else line.replace(COMMENT_MARK, "")
            for line in marked.split("\n")
        ]
    return [line for line in lines if line is not None]


def _significant_text(lines: list[str]) -> str:
    """Lines of Markdown without the whitespace it ignores: blank lines around the text and
    spaces at line ends, except two or more before another line of text, which break the
    line (at a paragraph's end they break nothing)."""
    kept = []
    for number, line in enumerate(lines):
        text = line.rstrip(" \t")
        following = lines[number + 1] if number + 1 < len(lines) else ""
        breaks = text and line.endswith("  ") and following.strip()
        kept.append(text + "  " if breaks else text)
    return "\n".join(kept).strip("\n")


def _file_hash(source: str) -> str:
    """What `translated_from` recorded before `source_hash` left out what translators do not
    carry over: the whole file's hash."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:10]


def _read_lesson_file(path: Path, problems: Problems) -> tuple[str, ParsedDocument, _Yaml] | None:
    """A lesson file's text, parsed, with its front matter read; None once why not is among
    `problems`: it cannot be read, it has no front matter or that is not valid YAML."""
    source = read_text(path, problems)
    if source is None:
        return None
    document = parse_document(source)
    if document.front_matter is None:
        report_missing_front_matter(source, path, problems)
        return None
    data = _read_yaml_mapping(document.front_matter, path, document.front_matter_line, problems)
    return (source, document, data) if data is not None else None


def report_missing_front_matter(source: str, path: Path, problems: Problems) -> None:
    """A file without front matter: none begun, or one begun and never closed."""
    if source.split("\n", 1)[0].rstrip("\r ") == "---":
        problems.add(
            path,
            1,
            N_("the front matter is never closed: end it with a line of ---"),
        )
    else:
        problems.add(path, 1, N_("missing front matter: start the file with a '---' block"))


def read_source_hash(path: Path, problems: Problems) -> str | None:
    """The `source_hash` of a lesson file, or None once why it has none is among
    `problems` (see `_read_lesson_file`)."""
    read = _read_lesson_file(path, problems)
    if read is None:
        return None
    source, document, data = read
    return source_hash(source, data.values, document)


def _parse_translated_from(
    value: Any, settings: _Settings, path: Path, line: int, problems: Problems
) -> tuple[str, str] | None:
    match = re.fullmatch(r"([a-z]{2})@([0-9a-f]{6,64})", str(value).strip())
    if match is None or match[1] != settings.default_language:
        problems.add(
            path,
            line,
            N_(
                "'translated_from' is written %(language)s@<hash>, the hash "
                "`flask --app app lessons stamp` records"
            ),
            language=settings.default_language,
        )
        return None
    return match[1], match[2]


def _load_lesson_text(
    path: Path,
    language: str,
    slug: str,
    settings: _Settings,
    problems: Problems,
    quizzes: dict[str, Quiz | None],
) -> LessonText | None:
    """The lesson file in `language`, or None once its errors are among `problems`. Its quiz
    goes in `quizzes` (None for a file without one) whenever the quiz can be read, even if the
    rest of the file cannot, so that its translations are compared with it all the same."""
    before = len(problems)
    read = _read_lesson_file(path, problems)
    if read is None:
        return None
    source, document, data = read
    first_line = document.front_matter_line
    _check_keys(data, LESSON_KEYS, {"title", "author", "date"}, path, first_line, problems)

    def line_of(key: str) -> int:
        """The line of `key`, or of the key it is under (`reading` for `reading.url`)."""
        return data.lines.get(key) or data.lines.get(key.split(".", 1)[0], first_line)

    def required_text(key: str) -> str:
        raw = data.values.get(key)
        value = _text(raw)
        if value is None and isinstance(raw, list | dict):
            problems.add(
                path, line_of(key), N_("'%(key)s' must be one piece of text, not a list"), key=key
            )
        elif value is None and key in data.values:
            problems.add(path, line_of(key), N_("'%(key)s' must not be empty"), key=key)
        return value or ""

    title = required_text("title")
    _warn_of_markdown(title, path, line_of("title"), problems)
    author = required_text("author")
    date = _parse_date(data.values.get("date"))
    if date is None and "date" in data.values and "date" not in data.reported:
        problems.add(path, line_of("date"), N_("'date' must be written as YYYY-MM-DD"))
    reading = None
    if "reading" in data.values:
        reading = _parse_reading(data.values["reading"], path, line_of, problems)
    draft = data.values.get("draft", False)
    if not isinstance(draft, bool):
        problems.add(path, line_of("draft"), N_("'draft' must be true or false"))
    collects: tuple[str, ...] = ()
    if "collects" in data.values:
        collects = _parse_collects(
            data.values["collects"], settings.declarable, path, line_of("collects"), problems
        )
    translated_from = None
    if "translated_from" in data.values:
        translated_from = _parse_translated_from(
            data.values["translated_from"], settings, path, line_of("translated_from"), problems
        )
    context = LessonContext(path, slug, settings.folders, settings.course, settings.site)
    checks = MarkdownChecks(source, context, problems)
    quiz = None
    for extra in document.quiz_blocks[1:]:
        problems.add(path, extra.first_line - 1, N_("a lesson has at most one quiz block"))
    if document.quiz_blocks:
        quiz = parse_quiz(document.quiz_blocks[0], path, problems, checks.quiz_text)
    if quiz is not None or not document.quiz_blocks:
        quizzes[language] = quiz
    report_quiz_lookalikes(document.body, path, problems)
    checks.body(document)
    if len(problems) > before or date is None:
        return None
    return LessonText(
        language=language,
        title=title,
        author=author,
        date=date,
        html=document.render(),
        source_path=path,
        source_hash=source_hash(source, data.values, document),
        file_hash=_file_hash(source),
        reading=reading,
        is_draft=bool(draft),
        quiz=quiz,
        collects=collects,
        translated_from=translated_from[1] if translated_from else None,
        # In file order, though the text and each part of a quiz are checked separately.
        links=tuple(sorted(checks.links, key=lambda link: (link.line, link.column))),
        reading_minutes=max(1, math.ceil(document.word_count() / WORDS_PER_MINUTE)),
    )


def _load_lesson(
    folder: Path, number: int, slug: str, settings: _Settings, problems: Problems
) -> Lesson | None:
    languages, default_language = settings.languages, settings.default_language
    texts: dict[str, LessonText] = {}
    quizzes: dict[str, Quiz | None] = {}
    # Every language with an entry named for it, readable or not, so one that cannot be
    # read is reported as such rather than also as missing.
    present: set[str] = set()
    # The folder is listed once, for the lesson files and for those misnamed.
    entries = sorted(folder.iterdir())
    for markdown_file in (entry for entry in entries if entry.name.endswith(".md")):
        language = markdown_file.stem
        if language not in languages:
            problems.add(
                markdown_file,
                1,
                N_("'%(file)s' is not a course language file (expected one of: %(expected)s)"),
                file=markdown_file.name,
                expected=", ".join(f"{code}.md" for code in languages),
            )
            continue
        present.add(language)
        text = _load_lesson_text(markdown_file, language, slug, settings, problems, quizzes)
        if text is not None:
            texts[language] = text
    for misnamed in entries:
        # es.md.txt (as some editors save it), pt.markdown, en.txt: meant as a lesson file.
        # Beside the real one, it is an editor's or a merge's copy (pt.md~, es.md.orig).
        code = misnamed.name.split(".", 1)[0]
        if (
            code in languages
            and code not in present
            and misnamed.suffix != ".md"
            and misnamed.is_file()
        ):
            problems.warn(
                misnamed,
                1,
                N_("'%(file)s' is not read: a lesson file is named %(expected)s"),
                file=misnamed.name,
                expected=f"{code}.md",
            )
    default_path = folder / f"{default_language}.md"
    if default_language not in present:
        problems.add(
            default_path,
            1,
            N_("missing %(file)s: every lesson needs the course's default language"),
            file=default_path.name,
        )
        return None
    # Whenever both quizzes can be read: a translation's other mistakes, or the source's,
    # do not hide a quiz that differs, to come out only once they are mended.
    if default_language in quizzes:
        for language, quiz in quizzes.items():
            if language != default_language:
                check_translation(
                    quizzes[default_language],
                    default_path,
                    quiz,
                    folder / f"{language}.md",
                    problems,
                )
    if default_language not in texts:
        return None
    source = texts[default_language]
    for text in texts.values():
        if text is not source:
            if set(text.collects) != set(source.collects):
                problems.add(
                    text.source_path,
                    1,
                    N_("'collects' must list the same data as %(source)s"),
                    source=source.source_path.name,
                )
            # A draft translation is still being written: it is stamped when it is done.
            if not text.is_draft:
                _check_freshness(source, text, problems)
    # A draft is work in progress: its translations are not due yet.
    missing = [] if source.is_draft else [code for code in languages if code not in present]
    for language in missing:
        file = f"{language}.md"
        problems.warn(folder / file, 1, N_("missing translation: %(file)s"), file=file)
    return Lesson(
        number=number,
        slug=slug,
        course=settings.course,
        default_language=default_language,
        texts=MappingProxyType(texts),
    )


def _check_freshness(source: LessonText, translation: LessonText, problems: Problems) -> None:
    """Warn when a translation does not say which version of the source it translates, or
    when the source has changed since."""
    path, name = translation.source_path, source.source_path.name
    if translation.translated_from is None:
        problems.warn(
            path,
            1,
            N_(
                "unstamped translation: no 'translated_from', so no telling whether it is up to "
                "date with %(source)s (run `flask --app app lessons stamp %(path)s` once it is)"
            ),
            source=name,
            path=CommandPath(path),
        )
    elif not source.is_version(translation.translated_from):
        problems.warn(
            path,
            1,
            N_(
                "stale translation: %(source)s has changed since this was translated from it "
                "(%(then)s, now %(now)s): bring it up to date, then run "
                "`flask --app app lessons stamp %(path)s`"
            ),
            source=name,
            then=translation.translated_from,
            now=source.source_hash,
            path=CommandPath(path),
        )


def _check_links_to_drafts(lessons: list[Lesson], problems: Problems) -> None:
    """A published lesson's link to a lesson learners cannot open yet would be a dead end."""
    drafts = {lesson.slug for lesson in lessons if not lesson.is_published}
    for lesson in lessons:
        if lesson.slug in drafts:
            continue
        for text in lesson.texts.values():
            if text.is_draft:
                continue
            for link in text.links:
                if link.slug in drafts:
                    problems.warn(
                        text.source_path,
                        link.line,
                        N_("link to %(href)s, a lesson learners cannot open yet (a draft)"),
                        link.column,
                        href=link.href,
                    )


def load_course(directory: Path | str, register: DataRegister | None = None) -> Course:
    """Load one course's folder; raise ContentError listing every error (warnings, such as a
    missing or stale translation, do not stop a course from loading).

    With the data register, lessons may declare extra data they collect (`collects:`) from
    the categories it lets lessons declare.
    """
    course, problems = check_course(directory, register)
    if course is None:
        raise ContentError([problem for problem in problems if problem.level is Level.ERROR])
    return course


def check_course(
    directory: Path | str, register: DataRegister | None = None
) -> tuple[Course | None, list[Problem]]:
    """Read and check one course's folder: the course, or None when there are errors, with
    every problem found (errors and warnings), each file's in the order of its lines. Links
    to other courses are checked against those of the lessons directory it is in."""
    directory = Path(directory)
    problems = Problems()
    course = _read_course(directory, register, problems, directory.name, _site_around(directory))
    return (course if not problems.errors else None), problems.in_order()


def course_folders(directory: Path | str) -> tuple[Path, ...]:
    """The course folders of a lessons directory: the directory itself when its course.yml
    is at its root (a single course, as Aula first laid it out), else each folder in it
    with a course.yml."""
    directory = Path(directory)
    if (directory / COURSE_FILE).exists() or not directory.is_dir():
        return (directory,)
    return tuple(
        folder
        for folder in sorted(directory.iterdir())
        if folder.is_dir()
        and not folder.name.startswith((".", "_"))
        and (folder / COURSE_FILE).exists()
    )


def course_slug_of(folder: Path, directory: Path) -> str:
    """The slug a course folder's course takes unless its course.yml gives one: the
    folder's name, or "course" for the single course at a lessons directory's root."""
    return "course" if folder == directory else folder.name


def directory_fingerprint(directory: Path) -> str:
    """A digest of every file under `directory`, its path and its bytes: the same digest,
    the same lessons, pictures and settings, and so the same catalogue."""
    digest = hashlib.sha256()
    if not directory.is_dir():
        return digest.hexdigest()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(directory).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def check_catalogue(
    directory: Path | str,
    register: DataRegister | None = None,
    default: str | None = None,
    site: Site | None = None,
) -> tuple[Catalogue | None, list[Problem]]:
    """Read and check every course of a lessons directory: the catalogue, with the course
    `default` names first (else the first folder's), or None when there are errors. Links
    to the app's pages are checked against the courses of `site` (by default the
    directory's own)."""
    directory = Path(directory)
    site = site if site is not None else site_of(directory)
    problems = Problems()
    folders = course_folders(directory)
    if not folders:
        problems.add(
            directory / COURSE_FILE,
            1,
            N_(
                "missing %(file)s: put the course settings file here, or one in each "
                "course's folder"
            ),
            file=COURSE_FILE,
        )
        return None, problems.in_order()
    courses: list[Course] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        course = _read_course(folder, register, problems, course_slug_of(folder, directory), site)
        if course is None:
            continue
        if course.slug in seen:
            problems.add(
                folder / COURSE_FILE,
                1,
                N_("course slug '%(slug)s' is also that of %(folder)s: give one another slug"),
                slug=course.slug,
                folder=seen[course.slug],
            )
            continue
        seen[course.slug] = folder
        courses.append(course)
    if default is not None and default not in seen and not problems.errors:
        problems.add(
            directory,
            1,
            N_("the default course '%(slug)s' is not in this folder (courses: %(slugs)s)"),
            slug=default,
            slugs=", ".join(seen),
        )
    if problems.errors:
        return None, problems.in_order()
    courses.sort(key=lambda course: course.slug != default)
    return Catalogue(tuple(courses)), problems.in_order()


def default_course_slug(directory: Path | str, default: str | None = None) -> str:
    """The slug of a lessons directory's default course without reading its lessons (the
    migration that gives existing records a course needs only that)."""
    if default:
        return default
    directory = Path(directory)
    folders = course_folders(directory)
    return _declared_slug(folders[0], directory) if folders else "course"


def declared_courses(directory: Path | str) -> tuple[tuple[str, Path], ...]:
    """Each course folder of a lessons directory with its course's slug, read from the
    course settings only (so found even when its lessons have errors)."""
    directory = Path(directory)
    return tuple(
        (_declared_slug(folder, directory), folder) for folder in course_folders(directory)
    )


def course_folder(directory: Path | str, slug: str) -> Path | None:
    """The folder of the course with this slug in a lessons directory."""
    return next(
        (folder for declared, folder in declared_courses(directory) if declared == slug), None
    )


def _declared_slug(folder: Path, directory: Path) -> str:
    loaded = _load_course_settings(folder, Problems())
    slug = loaded[0].values.get("slug") if loaded is not None else None
    return str(slug) if isinstance(slug, str) else course_slug_of(folder, directory)


def site_of(directory: Path | str) -> Site:
    """The courses an app serving a lessons directory serves, read from their settings and
    lesson folders only (so found even when their lessons have errors)."""
    courses: dict[str, SiteCourse] = {}
    for slug, folder in declared_courses(directory):
        loaded = _load_course_settings(folder, Problems())
        courses.setdefault(
            slug,
            SiteCourse(
                frozenset(loaded[1] if loaded is not None else SUPPORTED_LANGUAGES),
                frozenset(_lesson_slugs(folder)),
            ),
        )
    return Site(MappingProxyType(courses))


def _site_around(folder: Path) -> Site:
    """The courses served beside one course's folder: those of the lessons directory it is
    one course of, else the course alone."""
    parent = folder.parent
    if not (parent / COURSE_FILE).exists() and any(
        found.name == folder.name for found in course_folders(parent)
    ):
        return site_of(parent)
    return site_of(folder)


def _lesson_slugs(folder: Path) -> Iterator[str]:
    for path in folder.iterdir():
        if path.is_dir() and (match := LESSON_FOLDER.match(path.name)):
            yield match["slug"]


def _read_course(
    directory: Path,
    register: DataRegister | None,
    problems: Problems,
    default_slug: str,
    site: Site,
) -> Course | None:
    loaded = _load_course_settings(directory, problems)
    if loaded is None:
        return None
    data, languages, default_language, planned = loaded
    course_path = directory / COURSE_FILE
    title = _per_language(data, "title", languages, course_path, problems, required=True)
    organisation = _per_language(
        data, "organisation", languages, course_path, problems, required=False
    )
    description = _per_language(
        data, "description", languages, course_path, problems, required=False
    )
    slug = data.values.get("slug", default_slug)
    if not isinstance(slug, str) or not COURSE_SLUG.match(slug):
        problems.add(
            course_path,
            data.lines.get("slug", 1),
            N_(
                "a course's slug is made of lower-case letters without accents, digits and "
                "hyphens, as in 'co-production'; name it with 'slug:' in %(file)s"
            ),
            file=COURSE_FILE,
        )
        # Its lessons are checked all the same, so that every problem is told at once.
        slug = str(slug)

    folders = sorted(
        path
        for path in directory.iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    )
    folder_slugs = {
        folder.name: match["slug"]
        for folder in folders
        if (match := LESSON_FOLDER.match(folder.name))
    }
    # The course as it is read, whatever the settings of the site say of it.
    own = SiteCourse(frozenset(languages), frozenset(folder_slugs.values()))
    settings = _Settings(
        site=Site(MappingProxyType({**site.courses, slug: own})),
        course=slug,
        languages=languages,
        default_language=default_language,
        declarable=register.declarable if register is not None else frozenset(),
        folders=MappingProxyType(folder_slugs),
    )
    lessons: list[Lesson] = []
    seen: dict[int, Path] = {}
    slugs: dict[str, Path] = {}
    for folder in folders:
        match = LESSON_FOLDER.match(folder.name)
        if match is None:
            problems.add(
                folder,
                1,
                N_(
                    "a lesson folder is named NN-slug: two digits, a hyphen, then only lower-case "
                    "letters without accents, digits and hyphens, as in '03-a-new-lesson'"
                ),
            )
            continue
        number = int(match["number"])
        if not 1 <= number <= planned:
            problems.add(
                folder,
                1,
                N_("lesson number %(number)d is outside the course's %(planned)d planned lessons"),
                number=number,
                planned=planned,
            )
            continue
        if number in seen:
            problems.add(
                folder,
                1,
                N_(
                    "lesson number %(number)d is also that of %(folder)s: give one of them "
                    "another number"
                ),
                number=number,
                folder=seen[number],
            )
            continue
        if match["slug"] in slugs:
            problems.add(
                folder,
                1,
                N_("slug '%(slug)s' is also that of %(folder)s: rename one of the two folders"),
                slug=match["slug"],
                folder=slugs[match["slug"]],
            )
            continue
        if seen and number != max(seen) + 1:
            problems.warn(
                folder,
                1,
                N_(
                    "lesson numbers jump from %(last)02d to %(number)02d: "
                    "lesson %(missing)02d is missing"
                ),
                last=max(seen),
                number=number,
                missing=max(seen) + 1,
            )
        seen[number] = folder
        slugs[match["slug"]] = folder
        lesson = _load_lesson(folder, number, match["slug"], settings, problems)
        if lesson is not None:
            lessons.append(lesson)
    _check_links_to_drafts(lessons, problems)
    certificate = _parse_certificate(data, languages, course_path, lessons, problems)
    return Course(
        title=title,
        organisation=organisation,
        languages=languages,
        default_language=default_language,
        planned_lessons=planned,
        lessons=tuple(lessons),
        slug=slug,
        description=description,
        directory=directory,
        certificate=certificate,
    )
