"""The one place Markdown becomes HTML.

Raw HTML in a lesson is escaped, never passed through, so a lesson file cannot inject
scripts; HTML comments, a trainer's notes to themselves, are left out of the page. Footnote
markers are lower-case Roman numerals ([i], [ii]), the convention of the lab's material.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


def roman(number: int) -> str:
    """`number` (1 or more) as lower-case Roman numerals: 1 → i, 4 → iv, 14 → xiv."""
    if number < 1:
        raise ValueError("Roman numerals start at 1")
    digits = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        digits.append(letters * count)
    return "".join(digits)


def footnote_caption(meta: dict) -> str:
    """A footnote reference's marker, from its token's meta: [ii], or [ii:1] for the note's
    second reference."""
    caption = roman(meta["id"] + 1)
    if meta.get("subId", -1) > 0:
        caption += f":{meta['subId']}"
    return f"[{caption}]"


def _footnote_caption(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    return footnote_caption(tokens[idx].meta)


# Stands in a footnote's way back for its spoken name, which is in the reader's interface
# language and so is put in when the page is made (`lesson_body` in app/templating.py).
BACK_TO_TEXT = "data-aula-back-to-text"


def _footnote_anchor(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    ident = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    if tokens[idx].meta["subId"] > 0:
        ident += f":{tokens[idx].meta['subId']}"
    # U+FE0E keeps iOS from drawing the arrow as an emoji.
    return f' <a href="#fnref{ident}" class="footnote-backref" {BACK_TO_TEXT}>\u21a9\ufe0e</a>'


# Stands in a link to a lesson, or a lesson's picture, for the address of that lesson's page,
# put in when the page is made (`lesson_html` in app/templating.py): learners and trainers
# see a lesson at different addresses, and a relative address would lead nowhere from pages
# at other depths (a quiz sent back for its missing answers, the trainers' quiz analysis).
LESSON_PAGE = "aula-lesson:"


# Stands in a table's scrolling region for its spoken name, put in, in the reader's language,
# with the footnotes' (`lesson_body` in app/templating.py).
TABLE_REGION = "data-aula-table-region"


def _table_open(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    # The app's own wide tables scroll so (`scrolling` in app/templates/_tables.html): a
    # region the keyboard can reach (WCAG 2.1.1), named for screen readers.
    region = f'<div class="table-scroll" role="region" tabindex="0" {TABLE_REGION}>\n'
    return region + self.renderToken(tokens, idx, options, env)


def _table_close(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _scrolling_code(rule):
    """A code block's rendering, made reachable by keyboard: a long line scrolls inside it."""

    def render(self, tokens: Sequence[Token], idx: int, options, env) -> str:
        return rule(tokens, idx, options, env).replace("<pre>", '<pre tabindex="0">', 1)

    return render


HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def without_comments(html: str) -> str:
    """Raw HTML as learners may see it: without the comments in it."""
    return HTML_COMMENT.sub("", html)


def _html_block(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    shown = without_comments(tokens[idx].content).strip()
    return f"<p>{escapeHtml(shown)}</p>\n" if shown else ""


def _html_inline(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    return escapeHtml(without_comments(tokens[idx].content))


# env key: each footnote definition's label and file line, in the order written.
FOOTNOTE_DEFINITIONS = "footnote_definitions"


def _record_footnote_definitions(state: StateCore) -> None:
    """The footnote plugin keeps one definition per label, silently, and forgets where each
    was: noted before it does, a label defined twice can be reported."""
    state.env[FOOTNOTE_DEFINITIONS] = [
        (token.meta["label"], token.map[0] + 1)
        for token in state.tokens
        if token.type == "footnote_reference_open" and token.map
    ]


# The table plugin aligns a column (`:---:`) with a `style` attribute, which the site's
# Content-Security-Policy blocks: a class of the site's stylesheet does it instead.
ALIGNED = re.compile(r"text-align:(left|center|right)")


def _align_by_class(state: StateCore) -> None:
    for token in state.tokens:
        if token.type not in ("th_open", "td_open"):
            continue
        aligned = ALIGNED.fullmatch(str(token.attrs.pop("style", "")))
        if aligned:
            token.attrSet("class", f"align-{aligned.group(1)}")


def _make_parser() -> MarkdownIt:
    # HTML is recognised, as CommonMark reads it, only so that comments can be left out and
    # everything else escaped (`_html_block`, `_html_inline`): none of it reaches the page.
    md = MarkdownIt("commonmark", {"html": True, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(footnote_plugin)
    md.core.ruler.before("footnote_tail", FOOTNOTE_DEFINITIONS, _record_footnote_definitions)
    md.core.ruler.push("align_by_class", _align_by_class)
    md.add_render_rule("footnote_caption", _footnote_caption)
    md.add_render_rule("footnote_anchor", _footnote_anchor)
    md.add_render_rule("html_block", _html_block)
    md.add_render_rule("html_inline", _html_inline)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    for code in ("fence", "code_block"):
        md.add_render_rule(code, _scrolling_code(md.renderer.rules[code]))
    return md


_PARSER = _make_parser()


@dataclass(frozen=True, slots=True)
class EmbeddedBlock:
    """A fenced block: one the lesson page shows by other means (a quiz), lifted out of the
    body, or a code block left open."""

    content: str
    # 1-based file line of the block's first content line (the line after the fence).
    first_line: int
    # False when no closing fence was found: the block then runs to the end of the file.
    closed: bool = True
    # The fence it was opened with (``` or ````, ~~~): a closing one is at least as long.
    fence: str = "```"


@dataclass(slots=True)
class ParsedDocument:
    """A Markdown file split into its front matter (raw YAML), quiz blocks and body tokens.

    The body stays as tokens until `render()`, so the loader can check and rewrite links,
    images and footnotes with their positions in the file first.
    """

    front_matter: str | None
    # 1-based line in the file where the YAML text starts (the line after the opening ---).
    front_matter_line: int
    body: list[Token]
    env: dict
    quiz_blocks: tuple[EmbeddedBlock, ...] = ()
    # 1-based line of the front matter's closing ---, where a key can be added to it.
    front_matter_end: int = 0
    # The body's code blocks that no fence closes: each runs on to the end of the file (or
    # of the quote or list item it is in), the text after it shown as code.
    open_fences: tuple[EmbeddedBlock, ...] = ()

    def render(self) -> str:
        return _PARSER.renderer.render(self.body, _PARSER.options, self.env)

    def word_count(self) -> int:
        """The words a reader goes through in the body: its text, notes and code, not its
        markup (a link's address, a heading's hashes) nor the quiz."""
        return sum(
            len(token.content.split())
            for token in self.body
            if token.type in ("inline", "fence", "code_block")
        )


QUIZ_FENCE_INFO = "quiz"


def _is_quiz(token: Token) -> bool:
    return token.type == "fence" and token.info.strip() == QUIZ_FENCE_INFO


# What stands before a line's text in a list item or a quote: spaces and quote marks.
CONTAINER_PREFIX = re.compile(r"^[ \t>]*")


def _is_closed(fence: Token, lines: list[str]) -> bool:
    """Whether a fence's last line closes it (rather than the end of the file, or of the
    quote or list item it is in, ending it)."""
    start, end = fence.map
    last = lines[end - 1] if end - 1 > start and end <= len(lines) else ""
    last = CONTAINER_PREFIX.sub("", last).strip()
    marker = fence.markup[0]
    return len(last) >= len(fence.markup) and set(last) == {marker}


def parse_document(source: str) -> ParsedDocument:
    """Split off the front matter and the ```quiz blocks; the rest is the body."""
    env: dict = {}
    tokens = _PARSER.parse(source, env)
    front_matter = None
    front_matter_line, front_matter_end = 1, 0
    if tokens and tokens[0].type == "front_matter":
        front_matter = tokens[0].content
        start, front_matter_end = tokens[0].map or (0, 0)
        front_matter_line = start + 2
    # Lines as markdown-it counts them: splitlines() would also break at U+2028 and the like.
    lines = re.split(r"\r\n?|\n", source)
    quiz_blocks = tuple(
        EmbeddedBlock(token.content, token.map[0] + 2, _is_closed(token, lines), token.markup)
        for token in tokens
        if _is_quiz(token) and token.map
    )
    body = [token for token in tokens if not _is_quiz(token)]
    open_fences = tuple(
        EmbeddedBlock(token.content, token.map[0] + 2, False, token.markup)
        for token in body
        if token.type == "fence" and token.map and not _is_closed(token, lines)
    )
    return ParsedDocument(
        front_matter, front_matter_line, body, env, quiz_blocks, front_matter_end, open_fences
    )


@dataclass(slots=True)
class ParsedText:
    """A quiz's question, option or feedback: Markdown without a wrapping paragraph, kept as
    tokens until `render()`, like a document's body, so that it can be checked and linked."""

    # The one "inline" token, its children the text's parts, its map the file lines.
    inline: Token
    env: dict

    def render(self) -> str:
        return _PARSER.renderer.render([self.inline], _PARSER.options, self.env)


def parse_text(source: str, first_line: int, last_line: int) -> ParsedText:
    """Parse a piece of quiz text written on file lines `first_line` to `last_line`."""
    env: dict = {}
    # Any tokens after it are footnotes, which a quiz may not have (the checks say so).
    inline = _PARSER.parseInline(source, env)[0]
    inline.map = [first_line - 1, last_line]
    return ParsedText(inline, env)
