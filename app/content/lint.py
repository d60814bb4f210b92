"""Checks on a lesson's Markdown that a renderer would pass over silently: footnotes without
a definition or never referenced, empty headings, links that lead learners nowhere (to
lessons that do not exist, files, sections, javascript:), images missing from the lesson
folder, raw HTML (shown as text) and HTML comments left open. Links and images that pass are
rewritten to the addresses the app serves them at."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from app.content.markdown import (
    FOOTNOTE_DEFINITIONS,
    LESSON_PAGE,
    ParsedDocument,
    footnote_caption,
    parse_text,
    without_comments,
)
from app.content.model import LessonLink
from app.content.problems import N_, Problems

# A footnote reference left as text: its label has no definition, or it has spaces.
FOOTNOTE_AS_TEXT = re.compile(r"\[\^([^\]]*\S[^\]]*)\]")
# A footnote's definition as written, whatever its label.
FOOTNOTE_DEFINITION = re.compile(r"\[\^([^\]]*)\]:")
# A link to another lesson's file or folder, as it works when browsing the repository.
LESSON_LINK = re.compile(
    r"^\.\./(?P<folder>\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*)/?(?:[a-z]{2}\.md)?(?P<anchor>#.*)?$"
)
# A lesson's address on the site, as copied from a page: /es/courses/<course>/lessons/<slug>,
# or /es/lessons/<slug> as it was before a site held several courses.
COURSE_PART = r"(?:courses/(?P<course>[^/?#]+)/)?"
APP_LESSON_LINK = re.compile(rf"^/[a-z]{{2}}/{COURSE_PART}lessons/(?P<slug>[^/?#]+)")
# Any address under a course's lessons, a lesson's or not.
APP_LESSONS = re.compile(rf"^/[a-z]{{2}}/{COURSE_PART}lessons(?:/|$)")
# A language file in the lesson's own folder: the lesson itself, as a link to another
# lesson's file is that lesson.
OWN_LESSON_FILE = re.compile(r"^(?:\./)?[a-z]{2}\.md(?P<anchor>#.*)?$")
# Where links may lead besides lessons; a javascript: link would run in the learner's page.
WEB_SCHEMES = {"http", "https", "mailto"}
# markdown-it leaves a link to these as the text it was written as (its validateLink), so
# they reach the checks as "](javascript:…" in the text.
REFUSED_LINK = re.compile(r"\]\(\s*<?\s*(?P<scheme>javascript|vbscript|file|data):", re.IGNORECASE)
# A reference link, [text][label] or [text][], that markdown-it left as text: its label has
# no definition.
UNDEFINED_REFERENCE = re.compile(r"\[([^\[\]]+)\]\[([^\[\]]*)\]")
# A link or picture that markdown-it left as text because its address has a space (a
# picture's file name, often): [text](my file.png).
SPACED_ADDRESS = re.compile(r"!?\[[^\[\]]*\]\((?P<address>[^()<>\n]*?[ \t][^()<>\n]*?)\)")
# A link's definition, "[label]: address", where markdown-it found none: a space in its
# address, say, leaves it and the definitions under it a paragraph of text.
DEFINITION_LINE = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:(?:[ \t]|$)", re.MULTILINE)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
# "##Heading": without a space after the #s, a paragraph shown as written.
UNSPACED_HEADING = re.compile(r"#{2,6}[^#\s]")
# A word of a sentence, with the quotes, brackets and punctuation around it, or a number.
OPENING = r"""[(¿¡"'«“‘]*"""
WORD = rf"""{OPENING}(?:[^\W\d_][\w'’-]*|\d+(?:[.,]\d+)*)[)?!.,;:"'»”’]*"""
BLOCK_MARK = r"(?:[-*+]|\d+[.)]|#{1,6})\s+"
# A line of text as written in Markdown, a list item's or a heading's marker and all: two
# words or more and nothing a line of code is written with.
TEXT_LINE = re.compile(rf"^\s*(?:{BLOCK_MARK})?{WORD}(?:\s+{WORD})+\s*$")
# How text starts and code seldom does: with a list item's or a heading's marker, or a
# capital letter.
TEXT_START = re.compile(rf"^\s*(?P<mark>{BLOCK_MARK})?{OPENING}(?P<letter>\w)")
# Tags of other site generators, which lessons converted from their sites keep: Hugo's
# shortcodes, Liquid's tags and outputs (Jekyll's), kramdown's attribute lists.
FOREIGN_TAG = re.compile(
    r"(?P<shortcode>\{\{[<%].*?[>%]\}\})|(?P<liquid>\{%.*?%\}|\{\{.*?\}\})"
    r"|(?P<attributes>\{:[^}\n]*\})",
    re.DOTALL,
)
FOREIGN_TAG_MESSAGES = {
    "shortcode": N_(
        "%(tag)s is a Hugo shortcode, which this site does not run: learners would see it as "
        "text; write in Markdown what it stands for, or take it out"
    ),
    "liquid": N_(
        "%(tag)s is a Liquid tag (as Jekyll's), which this site does not run: learners would "
        "see it as text; write in Markdown what it stands for, or take it out"
    ),
    "attributes": N_(
        "%(tag)s is a kramdown attribute list, which this site does not read: learners would "
        "see it as text; take it out"
    ),
}
# How much of a long tag a message shows.
SHOWN_TAG = 60
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
FILES_ROUTE = "files"
NO_SUCH_LESSON = N_("link to a lesson that does not exist: %(href)s")
NO_SUCH_COURSE = N_(
    "link to %(href)s leads nowhere: there is no course '%(course)s' (the courses: %(courses)s)"
)
NOT_GIVEN_IN = N_(
    "link to %(href)s leads nowhere: course '%(course)s' is not given in '%(language)s' "
    "(its languages: %(languages)s)"
)
NOT_A_WEB_LINK = N_(
    "a link to a %(scheme)s: address is not allowed: lessons link to web pages (https:, http:), "
    "email addresses (mailto:) and other lessons"
)
COMMENT_OPENING = "<!--"
# A raw tag as the trainer wrote it, to name it in the warning.
RAW_TAG = re.compile(r"<[^>\n]*>?")


# The app's pages a lesson may link to, after their /<language>/: every page whose address
# names no more than a course and a lesson (tests/web/test_lesson_links.py compares them with the
# app's routes). Flask sends an address without a page's final / on to the page.
APP_PAGES = (
    "",
    "privacy",
    "register",
    "login",
    "login/two-step",
    "join",
    "password/forgot",
    "account",
    "account/confirm",
    "account/data",
    "account/email",
    "account/password",
    "account/security",
    "account/two-step",
    "courses/{course}/",
    "courses/{course}/lessons/{lesson}",
    "courses/{course}/certificate.pdf",
    "courses/{course}/certificate.jwt",
    "courses/{course}/certificates",
    "verify",
    "lessons/{lesson}",
    "author/",
    "author/cohorts",
    "author/courses/{course}/",
    "author/courses/{course}/lessons/{lesson}",
    "author/courses/{course}/lessons/new",
    "author/courses/{course}/quizzes",
    "author/courses/{course}/translations",
    "author/lessons/{lesson}",
    "admin/",
    "admin/breaches",
    "admin/breaches/new",
    "admin/cohorts",
    "admin/cohorts/new",
    "admin/lti",
    "admin/lti/new",
    "admin/privacy",
    "admin/users",
    "admin/users/new",
)
# Pages for trainers and admins, which show a course in any language of the interface.
STAFF_PAGES = ("author/", "admin/")


def _page_pattern(page: str) -> re.Pattern[str]:
    pattern = re.escape(page).replace(r"\{course\}", "(?P<course>[^/]+)")
    pattern = pattern.replace(r"\{lesson\}", "(?P<lesson>[^/]+)")
    return re.compile(pattern + "?" if page.endswith("/") else pattern)


APP_PAGE_PATTERNS = tuple(_page_pattern(page) for page in APP_PAGES)
SITE_PAGE = re.compile(r"^/(?P<language>[a-z]{2})(?:/(?P<page>.*))?$")
NO_PAGE = N_(
    "link to %(href)s, which learners cannot open: link to a lesson's file "
    "(../NN-slug/es.md), a web page or an email address"
)


@dataclass(frozen=True, slots=True)
class SiteCourse:
    """A course as links to it are checked: the languages it is given in, its lessons."""

    languages: frozenset[str]
    lessons: frozenset[str]


@dataclass(frozen=True, slots=True)
class Site:
    """The courses of the app a lesson is served by, by slug: what its links to other
    courses and the app's pages are checked against."""

    courses: Mapping[str, SiteCourse]

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(
            language for course in self.courses.values() for language in course.languages
        )


@dataclass(frozen=True, slots=True)
class LessonContext:
    """What the checks need to know beyond the file: its folder, its slug, every lesson
    folder of the course by name and the course's slug (for links between lessons)."""

    path: Path
    slug: str
    folders: Mapping[str, str]  # folder name -> slug
    course: str = "course"
    site: Site = Site({})

    @property
    def folder(self) -> Path:
        return self.path.parent


class _Locator:
    """Finds where a piece of text stands in the source, for line:column positions."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()

    def _span(self, block: list[int] | None) -> range:
        """The indexes of `block`'s lines (a token's map), or of every line."""
        start, end = block if block else (0, len(self.lines))
        return range(start, min(end, len(self.lines)))

    def find(self, needle: str, block: list[int] | None, nth: int = 0) -> tuple[int, int]:
        """Where `needle` is written for the `nth` time (from 0) in `block`'s lines."""
        span = self._span(block)
        for index in span:
            column = self.lines[index].find(needle)
            while column >= 0:
                if nth == 0:
                    return index + 1, column + 1
                nth -= 1
                column = self.lines[index].find(needle, column + 1)
        return span.start + 1, 1

    def find_outside_code(self, needle: str, block: list[int] | None, nth: int) -> tuple[int, int]:
        """Where `needle` is written for the `nth` time in `block`'s lines, not counting
        where it is shown as code."""
        for index in self._span(block):
            line = CODE_SPAN.sub(lambda code: " " * len(code[0]), self.lines[index])
            column = line.find(needle)
            while column >= 0:
                if nth == 0:
                    return index + 1, column + 1
                nth -= 1
                column = line.find(needle, column + 1)
        return self.find(needle, block)

    def holds(self, needle: str, block: list[int] | None) -> bool:
        return any(needle in self.lines[index] for index in self._span(block))

    def find_address(self, address: str, block: list[int] | None, nth: int = 0) -> tuple[int, int]:
        """Where a link's `address` is written for the `nth` time: after its "](" when it is
        written inline, not where the same text first shows up (as "./" does in "../x")."""
        written = re.compile(r"\]\(\s*<?(" + re.escape(address) + r")>?(?=[\s)])")
        for index in self._span(block):
            # Code spans blanked out: a link shown there as code is no link.
            line = CODE_SPAN.sub(lambda code: " " * len(code[0]), self.lines[index])
            for match in written.finditer(line):
                if nth == 0:
                    return index + 1, match.start(1) + 1
                nth -= 1
        return self.find(address, block)


class MarkdownChecks:
    """The checks on one lesson file's Markdown, made alike on its text and on its quiz's
    questions, options and feedback, with the links to other lessons found in them."""

    def __init__(self, source: str, context: LessonContext, problems: Problems) -> None:
        self.where = _Locator(source)
        self.source = source
        self.context = context
        self.problems = problems
        self.links: list[LessonLink] = []
        self._referenced: set[str] = set()
        # A quiz or code block left open runs to the end of the file, footnote definitions
        # and all.
        self._definitions_swallowed = False
        self._misread_labels: set[str] = set()

    def body(self, document: ParsedDocument) -> None:
        """Report problems in the body, and point lesson links and images at the app's
        routes."""
        path, where, problems = self.context.path, self.where, self.problems
        _report_merge_marks(self.source, path, problems)
        self._definitions_swallowed = bool(document.open_fences) or any(
            not quiz.closed for quiz in document.quiz_blocks
        )
        # A paragraph's text, as opposed to a heading's or a table cell's.
        paragraphs = {
            index
            for index, token in enumerate(document.body)
            if token.type == "inline" and document.body[index - 1].type == "paragraph_open"
        }
        misread = {
            index for index in paragraphs if DEFINITION_LINE.match(document.body[index].content)
        }
        self._misread_labels = {
            " ".join(label.split()).casefold()
            for index in misread
            for label in DEFINITION_LINE.findall(document.body[index].content)
        }
        for index, token in enumerate(document.body):
            if token.type == "html_block":
                _check_html(token.content, token.map, where, path, problems)
            elif token.type == "heading_open":
                inline = document.body[index + 1]
                if not inline.content.strip():
                    line = (token.map[0] + 1) if token.map else 1
                    problems.warn(path, line, N_("empty heading"))
                if token.tag == "h1":
                    # The page's one first-level heading is the lesson's title.
                    line, column = where.find(token.markup, token.map)
                    problems.warn(
                        path,
                        line,
                        N_(
                            "a first-level heading (# or ===) is the lesson's title, which the "
                            "page already shows: start the text's headings at ##"
                        ),
                        column,
                    )
            elif token.type == "inline" and index in misread:
                self._report_misread_definition(token)
            elif token.type == "inline":
                if index in paragraphs and UNSPACED_HEADING.match(token.content):
                    self._report_unspaced_heading(token)
                self._inline(token, in_quiz=False)
            elif token.type == "code_block" and _is_indented_by_mistake(document.body, index):
                problems.warn(
                    path,
                    (token.map[0] + 1) if token.map else 1,
                    N_(
                        "this line is indented by a tab or four spaces, so learners see it as "
                        "code, in a box: take the indentation away"
                    ),
                )
        for fence in document.open_fences:
            line = fence.first_line - 1
            problems.add(
                path,
                line,
                N_(
                    "this code block is not closed: end it with %(fence)s on a line of its "
                    "own, or learners see all the text after it as code"
                ),
                where.find(fence.fence, [line - 1, line])[1],
                fence=fence.fence,
            )
        first_definitions: dict[str, int] = {}
        for label, line in document.env.get(FOOTNOTE_DEFINITIONS, ()):
            if label in first_definitions:
                _, column = where.find(f"[^{label}]:", [line - 1, line])
                problems.add(
                    path,
                    line,
                    N_(
                        "footnote [^%(label)s] is defined again (first on line %(first)d): "
                        "learners see only its last definition; give each note its own label"
                    ),
                    column,
                    label=label,
                    first=first_definitions[label],
                )
            first_definitions.setdefault(label, line)
        for label, reference in (document.env.get("references") or {}).items():
            if label.startswith("^") and reference.get("map"):
                self._report_footnote_read_as_link(reference["map"][0] + 1, reference["href"])
        defined = {
            label.removeprefix(":")
            for label in (document.env.get("footnotes", {}).get("refs") or {})
        }
        for label in sorted(defined - self._referenced):
            line, column = where.find(f"[^{label}]:", None)
            problems.warn(
                path,
                line,
                N_("footnote [^%(label)s] is defined but never referenced"),
                column,
                label=label,
            )

    def _report_foreign_tags(self, inline: Token) -> None:
        """Another site generator's tags, where they are written; not in code, where a
        lesson shows them as what they are."""
        text = CODE_SPAN.sub(lambda code: " " * len(code[0]), inline.content)
        seen: Counter[str] = Counter()
        for match in FOREIGN_TAG.finditer(text):
            written = match[0].split("\n", 1)[0]
            line, column = self.where.find_outside_code(written, inline.map, seen[written])
            seen[written] += 1
            self.problems.warn(
                self.context.path,
                line,
                FOREIGN_TAG_MESSAGES[match.lastgroup or "liquid"],
                column,
                tag=_shown(match[0]),
            )

    def _first_line(self, inline: Token) -> tuple[str, int, int]:
        """A text's first line, and its line and column in the file."""
        written = inline.content.split("\n", 1)[0]
        return written, *self.where.find(written, inline.map)

    def _report_misread_definition(self, inline: Token) -> None:
        """Told once, at its first line: the definitions under it fail with it."""
        written, line, column = self._first_line(inline)
        # A warning: "[Nota]: texto" may also be meant as it shows.
        self.problems.warn(
            self.context.path,
            line,
            N_(
                "%(written)s is shown to learners as written, not read as the address of "
                "[%(label)s]: put an address with a space between < and >, and a title in "
                "quotes; the lines under it wait on this one"
            ),
            column,
            written=written,
            label=DEFINITION_LINE.match(written)[1],
        )

    def _report_unspaced_heading(self, inline: Token) -> None:
        written, line, column = self._first_line(inline)
        marks = written[: len(written) - len(written.lstrip("#"))]
        self.problems.warn(
            self.context.path,
            line,
            N_(
                "%(written)s is shown to learners as written, not as a heading: put a space "
                "after %(marks)s"
            ),
            column,
            written=written,
            marks=marks,
        )

    def _report_footnote_read_as_link(self, line: int, href: str) -> None:
        """`[^my note]: https://…`, a note that is only an address, with a space in its
        label: Markdown reads it as a link's definition, and the text's [^my note] as a
        link to that address reading "^my note", with no footnote and nothing else amiss."""
        written = FOOTNOTE_DEFINITION.search(self.where.lines[line - 1])
        if written is None:
            return
        self.problems.add(
            self.context.path,
            line,
            N_(
                "%(written)s is read as a link to %(href)s, not as a footnote: a footnote's "
                "label has no spaces, as in [^%(label)s]"
            ),
            written.start() + 1,
            written=written[0].removesuffix(":"),
            href=href,
            label="".join(written[1].split()),
        )

    def quiz_text(self, source: str, first_line: int, last_line: int) -> str:
        """A quiz's question, option or feedback, written on file lines `first_line` to
        `last_line`, checked and linked as the body is, as HTML."""
        text = parse_text(source, first_line, last_line)
        self._inline(text.inline, in_quiz=True)
        return text.render()

    def _inline(self, inline: Token, *, in_quiz: bool) -> None:
        path, where, problems = self.context.path, self.where, self.problems
        self._report_foreign_tags(inline)
        # How many times each footnote has been referenced so far in this text, to find the
        # next reference where it is written.
        references: Counter[str] = Counter()
        # How many times each address has been linked to so far, likewise.
        addresses: Counter[str] = Counter()
        for child in inline.children or []:
            if child.type == "footnote_ref":
                if in_quiz:
                    _report_quiz_footnote("^[", inline, where, path, problems)
                    continue
                label = child.meta.get("label", "")
                if child.meta.get("subId", 0) > 0:
                    line, column = where.find(f"[^{label}]", inline.map, references[label])
                    problems.warn(
                        path,
                        line,
                        N_(
                            "footnote [^%(label)s] is referenced again, which learners see as "
                            "%(marker)s: give each place a note of its own"
                        ),
                        column,
                        label=label,
                        marker=footnote_caption(child.meta),
                    )
                references[label] += 1
                self._referenced.add(label)
            elif child.type == "html_inline":
                _check_html(child.content, inline.map, where, path, problems)
            elif child.type == "text":
                # "\<!--" is how a lesson shows the characters themselves.
                if (
                    COMMENT_OPENING in child.content
                    and "\\" + COMMENT_OPENING not in inline.content
                ):
                    _report_open_comment(inline.map, where, path, problems)
                for match in REFUSED_LINK.finditer(child.content):
                    line, column = where.find(f"{match['scheme']}:", inline.map)
                    problems.add(path, line, NOT_A_WEB_LINK, column, scheme=match["scheme"])
                for match in SPACED_ADDRESS.finditer(child.content):
                    line, column = where.find(match[0], inline.map)
                    problems.add(
                        path,
                        line,
                        N_(
                            "%(written)s is shown to learners as written: its address has a "
                            "space; take the space out, or put the address between < and >, "
                            "as in (<%(address)s>)"
                        ),
                        column,
                        written=match[0],
                        address=match["address"],
                    )
                for match in UNDEFINED_REFERENCE.finditer(child.content):
                    label = " ".join((match[2] or match[1]).split()).casefold()
                    # Escaped, "\[text\]\[label\]" is meant as it shows; a definition that
                    # is there but misread is told where it is written.
                    if match[0] in inline.content and label not in self._misread_labels:
                        line, column = where.find(match[0], inline.map)
                        problems.warn(
                            path,
                            line,
                            N_(
                                "%(written)s is shown to learners as written: no "
                                "'[%(label)s]: https://…' line gives the link's address"
                            ),
                            column,
                            written=match[0],
                            label=match[2] or match[1],
                        )
                for match in FOOTNOTE_AS_TEXT.finditer(child.content):
                    if in_quiz:
                        _report_quiz_footnote(match.group(0), inline, where, path, problems)
                        continue
                    line, column = where.find(match.group(0), inline.map)
                    label, joined = match[1], "".join(match[1].split())
                    if label == joined and self._definitions_swallowed:
                        continue  # the open quiz is the one error to mend first
                    if label == joined:
                        problems.add(
                            path,
                            line,
                            N_("footnote [^%(label)s] has no definition"),
                            column,
                            label=label,
                        )
                    else:
                        problems.add(
                            path,
                            line,
                            N_(
                                "%(written)s is shown to learners as written: a footnote's "
                                "label has no spaces, as in [^%(label)s]"
                            ),
                            column,
                            written=match[0],
                            label=joined,
                        )
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                nth = addresses[href]
                addresses[href] += 1
                if link := _check_link(child, inline, where, self.context, problems, nth):
                    self.links.append(link)
            elif child.type == "image":
                _check_image(child, inline, where, self.context, problems)


# What a merge of two people's changes to the same lines leaves in a text saved in the
# browser: both versions between these marks, for the trainer to choose from.
MERGE_MARK = re.compile(r"^(?:<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


def _report_merge_marks(source: str, path: Path, problems: Problems) -> None:
    found = MERGE_MARK.search(source)
    if found is not None:
        problems.add(
            path,
            source.count("\n", 0, found.start()) + 1,
            N_(
                "lines both you and someone else changed: keep the version you want and "
                "delete the marker lines"
            ),
        )


def _shown(tag: str) -> str:
    """A tag as a message names it: its first line, cut short when long."""
    first = tag.split("\n", 1)[0]
    return first if first == tag and len(tag) <= SHOWN_TAG else first[:SHOWN_TAG].rstrip() + "…"


def _is_indented_by_mistake(body: list[Token], index: int) -> bool:
    """Whether indented code is most likely text indented by a slip of the tab key: at the
    top level, under a paragraph, and made of words, as sentences and list items are.
    Lessons on software mean it as code in a list item or a quote, and wherever it reads as
    code (options, symbols, a lower-case command)."""
    token = body[index]
    if token.level > 0 or index == 0 or body[index - 1].type != "paragraph_close":
        return False
    lines = [line for line in token.content.splitlines() if line.strip()]
    start = TEXT_START.match(lines[0]) if lines else None
    return (
        start is not None
        and bool(start["mark"] or start["letter"].isupper())
        and all(TEXT_LINE.match(line) for line in lines)
    )


def _report_quiz_footnote(
    written: str, inline: Token, where: _Locator, path: Path, problems: Problems
) -> None:
    """The footnotes are listed after the lesson text, apart from the quiz, and numbered
    there: a quiz's would lead nowhere, or to another note."""
    line, column = where.find(written, inline.map)
    problems.add(
        path,
        line,
        N_("a quiz cannot have footnotes: put the note into the question or its feedback"),
        column,
    )


def _check_html(
    html: str, block: list[int] | None, where: _Locator, path: Path, problems: Problems
) -> None:
    """Comments are left out of the page; any other HTML is shown as the text it is."""
    shown = without_comments(html)
    if COMMENT_OPENING in shown:
        _report_open_comment(block, where, path, problems)
        return
    tag = RAW_TAG.search(shown)
    # A closing tag goes with an opening one, already reported.
    if tag is None or tag[0].startswith("</"):
        return
    line, column = where.find(tag[0], block)
    problems.warn(
        path,
        line,
        N_("%(html)s is shown to learners as text, not as HTML: lessons are written in Markdown"),
        column,
        html=tag[0],
    )


def _report_open_comment(
    block: list[int] | None, where: _Locator, path: Path, problems: Problems
) -> None:
    """A comment Markdown cannot see the end of: it would hide the rest of the lesson, or
    be shown to learners, private note and all."""
    line, column = where.find(COMMENT_OPENING, block)
    problems.add(
        path,
        line,
        N_(
            "this HTML comment is not closed: end it with --> (within the same paragraph "
            "when it starts inside one), or learners may see it or lose the text after it"
        ),
        column,
    )


def _check_link(
    token: Token,
    inline: Token,
    where: _Locator,
    context: LessonContext,
    problems: Problems,
    nth: int = 0,
) -> LessonLink | None:
    """Point links to lessons at the app's addresses, and report those that would lead
    learners nowhere: only lessons, web pages and email addresses can be opened from a
    lesson's page."""
    href = str(token.attrs.get("href", ""))
    parts = urlsplit(href)
    # An empty address has no text of its own to be found by.
    line, column = (
        where.find_address(href, inline.map, nth) if href else where.find("]()", inline.map, nth)
    )
    if parts.scheme or parts.netloc:
        scheme = parts.scheme.lower()
        if scheme and scheme not in WEB_SCHEMES:
            problems.add(context.path, line, NOT_A_WEB_LINK, column, scheme=parts.scheme)
        elif scheme != "mailto" and not parts.hostname:
            problems.add(
                context.path,
                line,
                N_(
                    "link to %(href)s leads nowhere: a web address must include its site, as "
                    "in https://example.org/page"
                ),
                column,
                href=href,
            )
        elif scheme == "mailto" and "@" not in parts.path:
            problems.add(
                context.path,
                line,
                N_(
                    "link to %(href)s leads nowhere: an email link names the address, as in "
                    "mailto:name@example.org"
                ),
                column,
                href=href,
            )
        return None
    if not href:
        problems.add(
            context.path,
            line,
            N_(
                "this link has no address: write where it leads in its ( ), as in [text](https://…)"
            ),
            column,
        )
        return None
    if href.startswith("#"):
        problems.add(
            context.path,
            line,
            N_(
                "link to %(href)s leads nowhere: the headings of a lesson have no anchors to "
                "link to"
            ),
            column,
            href=href,
        )
        return None
    if match := OWN_LESSON_FILE.match(href):
        slug = context.slug
        token.attrs["href"] = LESSON_PAGE + slug + (match["anchor"] or "")
    elif match := LESSON_LINK.match(href):
        slug = context.folders.get(match["folder"])
        if slug is not None:
            token.attrs["href"] = LESSON_PAGE + slug + (match["anchor"] or "")
    elif (match := APP_LESSONS.match(href)) and match["course"] in (None, context.course):
        written = parts.path[match.end() :].strip("/")
        slug = written if written in context.folders.values() else None
        if slug is not None:
            # Written from one language's page; each reader gets the lesson in theirs.
            anchor = f"#{parts.fragment}" if parts.fragment else ""
            token.attrs["href"] = LESSON_PAGE + slug + anchor
    elif href.startswith("/"):
        # Another page of the app, such as /es/privacy or another course's lesson; the app
        # serves no file by a path (/lessons/02-x/es.md, /static/guide.pdf).
        if wrong := _wrong_site_link(parts.path, context.site):
            template, values = wrong
            problems.add(context.path, line, template, column, href=href, **values)
        return None
    else:
        # The app serves a lesson folder's pictures only, and only where they are shown.
        problems.add(context.path, line, NO_PAGE, column, href=href)
        return None
    if slug is None:
        problems.add(context.path, line, NO_SUCH_LESSON, column, href=href)
        return None
    if parts.fragment:
        problems.warn(
            context.path,
            line,
            N_(
                "link to %(href)s leads to the top of the lesson: the headings of a lesson have "
                "no anchors to link to"
            ),
            column,
            href=href,
        )
    return LessonLink(slug, href, line, column)


def _wrong_site_link(path: str, site: Site) -> tuple[str, dict[str, object]] | None:
    """Why the app would answer a link to `path` with "not found", as a message's template
    and values; None when it serves a page there."""
    address = SITE_PAGE.match(path)
    if path == "/":
        return None
    if address is None or address["language"] not in site.languages:
        return NO_PAGE, {}
    written = address["page"] or ""
    page = next(
        (found for pattern in APP_PAGE_PATTERNS if (found := pattern.fullmatch(written))), None
    )
    if page is None:
        return NO_PAGE, {}
    named = page.groupdict()
    if named.get("course") is None:
        lesson = named.get("lesson")
        if lesson is not None and all(lesson not in c.lessons for c in site.courses.values()):
            return NO_SUCH_LESSON, {}
        return None
    course = site.courses.get(named["course"])
    if course is None:
        return NO_SUCH_COURSE, {"course": named["course"], "courses": ", ".join(site.courses)}
    language = address["language"]
    if language not in course.languages and not written.startswith(STAFF_PAGES):
        return NOT_GIVEN_IN, {
            "course": named["course"],
            "language": language,
            "languages": ", ".join(sorted(course.languages)),
        }
    if named.get("lesson") is not None and named["lesson"] not in course.lessons:
        return NO_SUCH_LESSON, {}
    return None


def _check_image(
    token: Token, inline: Token, where: _Locator, context: LessonContext, problems: Problems
) -> None:
    address = str(token.attrs.get("src", ""))
    parts = urlsplit(address)
    # Shown as written: markdown-it encodes <my map.png> as my%20map.png.
    src = address if where.holds(address, inline.map) else unquote(address)
    line, column = where.find(src, inline.map)
    if parts.scheme or parts.netloc or src.startswith("/"):
        problems.add(
            context.path,
            line,
            N_("image %(src)s is not in the lesson folder; pages load nothing from elsewhere"),
            column,
            src=src,
        )
        return
    # The address is URL-encoded ("My%20map.png", or <My map.png> once parsed); the file
    # name is not.
    named = context.folder / unquote(parts.path)
    try:
        file = named.resolve(strict=True)
    except FileNotFoundError:
        # Missing, it is still told apart from one named outside the folder.
        file = named.resolve()
    except (OSError, RuntimeError):
        # A link that leads back to itself (RuntimeError before Python 3.13), or a folder
        # on the way that cannot be entered.
        problems.add(
            context.path,
            line,
            N_(
                "cannot read image %(src)s: check that it is not a link leading back to itself "
                "and that its permissions let it be read"
            ),
            column,
            src=src,
        )
        return
    if context.folder.resolve() not in file.parents:
        problems.add(
            context.path,
            line,
            N_("image %(src)s is outside the lesson folder; put it in %(folder)s"),
            column,
            src=src,
            folder=context.folder,
        )
        return
    if not file.is_file():
        problems.add(
            context.path,
            line,
            N_("image %(src)s is missing from %(folder)s"),
            column,
            src=src,
            folder=context.folder,
        )
        return
    if file.suffix.lower() not in IMAGE_TYPES:
        problems.add(
            context.path,
            line,
            N_("image %(src)s is not a picture (%(types)s)"),
            column,
            src=src,
            types=", ".join(sorted(IMAGE_TYPES)),
        )
        return
    if not token.content.strip():
        problems.warn(
            context.path,
            line,
            N_(
                "image %(src)s has no description: write what it shows in ![…](…) for readers "
                "who cannot see it"
            ),
            column,
            src=src,
        )
    token.attrs["src"] = f"{LESSON_PAGE}{context.slug}/{FILES_ROUTE}/{parts.path}"
