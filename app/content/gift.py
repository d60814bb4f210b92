"""Moodle's GIFT quiz format, turned into a lesson's ```quiz block (the syntax of quiz.py).

GIFT is read as Moodle's own importer reads it: one question a paragraph, `//` lines left
out, `::title::`, then the question's text and its answers in braces, `\\` escaping
`~ = # { } :`. What the quiz syntax cannot say (typed answers, matching, numbers, essays,
partial credit) is reported at its line, and left out rather than turned into something
else: a trainer reads every report before the quiz goes to learners.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from app.content.problems import N_, Level, Problem, Problems
from app.content.quiz import reveals_the_answer

# Each escaped character stands for itself in a private-use character and a filler, two
# characters as `\~` is, so that positions in the paragraph stay those of the file.
_ESCAPABLE = "\\:#={}~n"
_PLACEHOLDERS = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPABLE)}
_FILLER = "\ue0ff"
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_UNESCAPED = {placeholder: char for char, placeholder in _PLACEHOLDERS.items()} | {
    _PLACEHOLDERS["n"]: "\n",
    _FILLER: "",
}

_WEIGHT = re.compile(r"%(-?\d+(?:\.\d*)?)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_FORMATS = ("moodle", "html", "plain", "markdown")
_CATEGORY = "$CATEGORY:"

LEFT_OUT = {
    "description": N_(
        "left out: text without answers in braces is a description in Moodle, not a "
        "question; put it in the lesson's text"
    ),
    "essay": N_("left out: an essay question ({}) has no equivalent in a lesson's quiz"),
    "numerical": N_("left out: a numerical question ({#…}) has no equivalent in a lesson's quiz"),
    "matching": N_("left out: a matching question (->) has no equivalent in a lesson's quiz"),
    "short": N_(
        "left out: a short-answer question (answers with = and no ~) has no equivalent in a "
        "lesson's quiz, where learners choose their answers rather than type them"
    ),
    "missing-word": N_(
        "left out: a missing-word question (text after the answers) has no equivalent in a "
        "lesson's quiz; rewrite it with the blank in the question's text"
    ),
}


@dataclass(frozen=True, slots=True)
class Conversion:
    """A GIFT file's quiz block (empty when no question could be converted), and what could
    not be converted, or was converted with a loss, each at its line of the file."""

    quiz: str
    problems: tuple[Problem, ...]
    converted: int

    @property
    def is_complete(self) -> bool:
        """Whether everything in the file is in the quiz (notes aside)."""
        return not any(problem.level is Level.ERROR for problem in self.problems)


@dataclass
class _Question:
    id: str
    prompt: str
    # (id, Markdown text, is right, Markdown feedback or "") for options; none for true/false.
    options: list[tuple[str, str, bool, str]] = field(default_factory=list)
    multiple: bool = False
    answer: bool | None = None
    feedback: list[str] = field(default_factory=list)


@dataclass
class _Paragraph:
    """One question's lines, comments blanked and escapes replaced, as one string."""

    text: str
    first_line: int
    path: Path
    problems: Problems

    def where(self, offset: int) -> tuple[int, int]:
        """The file line and column of a position in the paragraph."""
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.first_line + self.text.count("\n", 0, offset), offset - line_start + 1

    def add(self, offset: int, template: str, **values: object) -> None:
        line, column = self.where(offset)
        self.problems.add(self.path, line, template, column, **values)

    def warn(self, offset: int, template: str, **values: object) -> None:
        line, column = self.where(offset)
        self.problems.warn(self.path, line, template, column, **values)

    def skip_spaces(self, offset: int, end: int | None = None) -> int:
        end = len(self.text) if end is None else end
        while offset < end and self.text[offset].isspace():
            offset += 1
        return offset


def convert_gift(text: str, path: Path) -> Conversion:
    """The quiz block for the GIFT `text` read from `path`, with what it leaves out."""
    problems = Problems()
    questions: list[_Question] = []
    question_ids: set[str] = set()
    for number, paragraph in enumerate(_paragraphs(text, path, problems), start=1):
        question = _convert(paragraph, number)
        if question is None:
            continue
        question.id = _unique(question.id, question_ids)
        question_ids.add(question.id)
        questions.append(question)
    if not questions:
        problems.add(path, 1, N_("no question could be converted, so there is no quiz"))
    return Conversion(_quiz_block(questions), tuple(problems.in_order()), len(questions))


def _paragraphs(text: str, path: Path, problems: Problems) -> Iterator[_Paragraph]:
    """The file's questions, as Moodle splits it: at blank lines. A `$CATEGORY:` line is
    noted and left out, and so is a paragraph of comments only."""
    # Lines as editors count them: splitlines() would also break at U+2028 and the like.
    lines = re.split(r"\r\n?|\n", text)
    start = 0
    while start < len(lines):
        if not lines[start].strip():
            start += 1
            continue
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        kept = ["" if line.strip().startswith("//") else line for line in lines[start:end]]
        first = next((index for index, line in enumerate(kept) if line.strip()), None)
        if first is not None and kept[first].strip().startswith(_CATEGORY):
            category = kept[first].strip().removeprefix(_CATEGORY).strip()
            problems.warn(
                path,
                start + first + 1,
                N_("Moodle's category '%(category)s' is ignored: a lesson's quiz has none"),
                category=category,
            )
            kept[first] = ""
        source = _ESCAPE.sub(lambda match: _PLACEHOLDERS[match[1]] + _FILLER, "\n".join(kept))
        if source.strip():
            yield _Paragraph(source, start + 1, path, problems)
        start = end


def _unescape(text: str) -> str:
    return "".join(_UNESCAPED.get(char, char) for char in text)


def _convert(paragraph: _Paragraph, number: int) -> _Question | None:
    text = paragraph.text
    start = paragraph.skip_spaces(0)
    title = ""
    body = start
    if text.startswith("::", start):
        end = text.find("::", start + 2)
        # As Moodle does, an unclosed title is no title, and its "::" is dropped.
        body = start + 2 if end == -1 else end + 2
        title = "" if end == -1 else _unescape(text[start + 2 : end]).strip()
    opening, closing = text.find("{", body), text.find("}", body)
    if opening == -1 and closing == -1:
        paragraph.add(start, LEFT_OUT["description"])
        return None
    if opening == -1 or closing < opening:
        # At the '{' never closed, or at the '}' never opened.
        paragraph.add(
            opening if closing == -1 else closing,
            N_(
                "left out: a '{' without its '}', or a '}' without its '{' (write \\{ and \\} "
                "for the characters themselves)"
            ),
        )
        return None
    if text[closing + 1 :].strip():
        paragraph.add(start, LEFT_OUT["missing-word"])
        return None
    # General feedback is split off first, as Moodle does: `{####…}` is still an essay.
    answers_end = closing
    general = text.rfind("####", opening + 1, closing)
    if general != -1:
        answers_end = general
    kind = _kind(text[opening + 1 : answers_end])
    if kind in LEFT_OUT:
        paragraph.add(start, LEFT_OUT[kind])
        return None
    prompt_format, prompt_start = _format_of(text, body, opening)
    prompt = _markdown(paragraph, prompt_start, opening, prompt_format)
    if not prompt:
        paragraph.add(start, N_("left out: the question has no text before its answers"))
        return None
    feedback = []
    if general != -1:
        feedback_format, feedback_start = _format_of(text, general + 4, closing, prompt_format)
        feedback.append(_markdown(paragraph, feedback_start, closing, feedback_format))
    question = _Question(id=_slug(title, 40) or f"q{number}", prompt=prompt)
    if kind == "true-false":
        converted = _true_false(paragraph, question, start, opening + 1, answers_end, prompt_format)
    else:
        converted = _choices(paragraph, question, start, opening + 1, answers_end, prompt_format)
    if not converted:
        return None
    question.feedback += [text for text in feedback if text]
    return question


def _kind(answers: str) -> str:
    """The question's kind, told from its answers as Moodle tells it."""
    answers = answers.strip()
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return "choice"
    if "=" in answers and "->" in answers:
        return "matching"
    value = answers.split("#", 1)[0].strip() if answers.find("#") > 0 else answers
    return "true-false" if value in _TRUE_FALSE else "short"


def _format_of(text: str, start: int, end: int, default: str = "moodle") -> tuple[str, int]:
    """A text's format, from a leading [html], [markdown], [plain] or [moodle], and where
    the text after it starts. Answers and feedback take their question's format by default."""
    while start < end and text[start].isspace():
        start += 1
    if text.startswith("[", start):
        closing = text.find("]", start, end)
        name = text[start + 1 : closing] if closing != -1 else ""
        if name in _FORMATS:
            return name, closing + 1
    return default, start


def _true_false(
    paragraph: _Paragraph, question: _Question, start: int, begin: int, end: int, text_format: str
) -> bool:
    parts = _split(paragraph.text, begin, end, "#", 2)
    value = _unescape(paragraph.text[parts[0][0] : parts[0][1]]).strip()
    question.answer = _TRUE_FALSE[value]
    said = [
        _markdown(paragraph, *_span_with_format(paragraph.text, part, text_format))
        for part in parts[1:]
    ]
    said = [text for text in said if text]
    if len(said) == 2 and said[0] != said[1]:
        paragraph.add(
            start,
            N_(
                "the feedback for a wrong answer and the one for a right answer are joined, "
                "since a true/false question's feedback is shown to every learner: reword it"
            ),
        )
    elif said:
        paragraph.warn(
            start,
            N_(
                "a true/false question's feedback is shown to every learner, whatever they "
                "answered: check that it reads well to all"
            ),
        )
    if said:
        question.feedback.append(" ".join(dict.fromkeys(said)))
    return True


def _span_with_format(text: str, span: tuple[int, int], default: str) -> tuple[int, int, str]:
    text_format, start = _format_of(text, span[0], span[1], default)
    return start, span[1], text_format


def _split(text: str, begin: int, end: int, separator: str, most: int) -> list[tuple[int, int]]:
    """Spans of text[begin:end] split at `separator`, at most `most` times."""
    spans = []
    while len(spans) < most:
        found = text.find(separator, begin, end)
        if found == -1:
            break
        spans.append((begin, found))
        begin = found + 1
    return [*spans, (begin, end)]


@dataclass
class _Answer:
    marker: str  # "=", "~", or "" for text before the first marker
    weight: float | None
    offset: int
    text: str
    feedback: str


def _choices(
    paragraph: _Paragraph, question: _Question, start: int, begin: int, end: int, text_format: str
) -> bool:
    text = paragraph.text
    # As Moodle splits them: each = or ~ starts an answer, even within feedback.
    cuts = [index for index in range(begin, end) if text[index] in "=~"]
    spans = [(begin, cuts[0])] if cuts and text[begin : cuts[0]].strip() else []
    spans += [(cut, next_cut) for cut, next_cut in zip(cuts, [*cuts[1:], end], strict=True)]
    answers = []
    for span_start, span_end in spans:
        marker = text[span_start] if text[span_start] in "=~" else ""
        offset = paragraph.skip_spaces(span_start + len(marker), span_end)
        weight = None
        if weight_match := _WEIGHT.match(text, offset, span_end):
            weight = float(weight_match[1])
            offset = weight_match.end()
        body, *feedback = _split(text, offset, span_end, "#", 1)
        answers.append(
            _Answer(
                marker,
                weight,
                paragraph.skip_spaces(span_start, span_end),
                _markdown(paragraph, *_span_with_format(text, body, text_format)),
                _markdown(paragraph, *_span_with_format(text, feedback[0], text_format))
                if feedback
                else "",
            )
        )
    if len(answers) < 2:
        paragraph.add(start, N_("left out: a question needs at least two answers"))
        return False
    if any(not answer.text for answer in answers):
        empty = next(answer for answer in answers if not answer.text)
        paragraph.add(empty.offset, N_("left out: one of the question's answers has no text"))
        return False
    question.multiple = not any(answer.marker == "=" for answer in answers)
    rights = _rights(paragraph, question, start, answers)
    if rights is None:
        return False
    taken: set[str] = set()
    for index, (answer, is_right) in enumerate(zip(answers, rights, strict=True), start=1):
        option_id = _slug(answer.text, 30, words=4)
        if not option_id or reveals_the_answer(option_id):
            option_id = f"option-{index}"
        option_id = _unique(option_id, taken)
        taken.add(option_id)
        question.options.append((option_id, answer.text, is_right, answer.feedback))
    return True


def _rights(
    paragraph: _Paragraph, question: _Question, start: int, answers: list[_Answer]
) -> list[bool] | None:
    """Which answers are right, as the quiz can say it: one = answer for a single choice,
    those of positive weight for several. Weights it cannot keep are reported."""
    if not question.multiple:
        rights = [answer.marker == "=" for answer in answers]
        if sum(rights) > 1:
            paragraph.add(
                start,
                N_(
                    "left out: it has several answers marked =, any one of them right; a "
                    "lesson's quiz has one right answer, or several to choose together "
                    "(written with weights, as %(example)s); an = within a text is written \\="
                ),
                example="~%50% ~%50%",
            )
            return None
        for answer, is_right in zip(answers, rights, strict=True):
            full = 100.0 if is_right else 0.0
            if answer.weight is not None and answer.weight != full:
                paragraph.add(
                    answer.offset,
                    N_(
                        "the weight %(weight)s%% of this answer is lost: here only the "
                        "answer marked = scores, and the others score nothing"
                    ),
                    weight=_number(answer.weight),
                )
        return rights
    rights = [answer.weight is not None and answer.weight > 0 for answer in answers]
    if not any(rights):
        paragraph.add(
            start,
            N_(
                "left out: none of its answers is right (mark one with =, or give those "
                "to choose together a positive weight, as %(example)s)"
            ),
            example="~%50%",
        )
        return None
    weights = [answer.weight for answer in answers if answer.weight and answer.weight > 0]
    if max(weights) - min(weights) > 0.01:
        paragraph.add(
            start,
            N_(
                "the weights of the right answers (%(weights)s) are lost: here learners score "
                "the point only by choosing all the right answers and no other"
            ),
            weights=", ".join(f"{_number(weight)}%" for weight in weights),
        )
    return rights


def _number(value: float) -> str:
    return f"{value:g}"


def _markdown(paragraph: _Paragraph, start: int, end: int, text_format: str) -> str:
    """A GIFT text as the quiz's one-line Markdown."""
    raw = _unescape(paragraph.text[start:end])
    if text_format == "markdown":
        written = raw
    elif text_format == "plain":
        written = _escape_markdown(raw)
    else:
        # Moodle's own format is HTML where the text has tags, as Moodle shows it.
        converter = _HtmlToMarkdown()
        converter.feed(raw)
        written = converter.result()
        if converter.dropped:
            paragraph.add(
                paragraph.skip_spaces(start, end),
                N_(
                    "HTML a lesson's quiz cannot show (%(tags)s) is left out, and only its "
                    "text is kept"
                ),
                tags=", ".join(f"<{tag}>" for tag in converter.dropped),
            )
    return " ".join(written.split())


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]]|~(?=~))")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def _escape_markdown(text: str) -> str:
    """Plain text that Markdown shows as written. `<` becomes an entity, not `\\<`, as a
    quiz leaves `<!-- … -->` out wherever it is."""
    text = _ENTITY_LIKE.sub("&amp;", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


class _HtmlToMarkdown(HTMLParser):
    """Simple HTML as Markdown: emphasis, code, links and line breaks; any other tag is
    dropped, its text kept, and named in `dropped`."""

    EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`", "a": ""}
    SPACES = {"br", "p", "div"}
    # Styling only: an editor such as Moodle's wraps text in them.
    IGNORED = {"span"}
    UNSEEN = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[list[str]] = [[]]
        self.opened: list[tuple[str, str]] = []  # (tag, link address)
        self.dropped: list[str] = []
        self.unseen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.EMPHASIS:
            self.opened.append((tag, dict(attrs).get("href") or ""))
            self.parts.append([])
        elif tag in self.SPACES:
            self.parts[-1].append(" ")
        elif tag not in self.IGNORED:
            self.unseen += tag in self.UNSEEN
            if tag not in self.dropped:
                self.dropped.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.opened and self.opened[-1][0] == tag:
            self._close()
        elif tag in self.SPACES:
            self.parts[-1].append(" ")
        elif tag in self.UNSEEN:
            self.unseen = max(self.unseen - 1, 0)

    def handle_data(self, data: str) -> None:
        if self.unseen:
            return
        in_code = any(tag == "code" for tag, _ in self.opened)
        self.parts[-1].append(data if in_code else _escape_markdown(data))

    def _close(self) -> None:
        tag, address = self.opened.pop()
        content = "".join(self.parts.pop())
        core = content.strip()
        # Emphasis holds only when its markers touch the words: spaces go outside.
        lead = content[: len(content) - len(content.lstrip())]
        trail = content[len(content.rstrip()) :]
        if not core:
            written = ""
        elif tag == "a":
            target = f"<{address}>" if re.search(r"[\s()<>]", address) else address
            written = f"[{core}]({target})" if address else core
        elif tag == "code":
            fence = "``" if "`" in core else "`"
            written = f"{fence} {core} {fence}" if fence == "``" else f"`{core}`"
        else:
            marker = self.EMPHASIS[tag]
            written = f"{marker}{core}{marker}"
        self.parts[-1].append(lead + written + trail)

    def result(self) -> str:
        self.close()
        while self.opened:
            self._close()
        return "".join(self.parts[0])


def _slug(text: str, longest: int, words: int = 0) -> str:
    """An id from `text`: lower-case ASCII letters and digits, words joined by hyphens."""
    decomposed = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z0-9]+", decomposed)
    if words:
        parts = parts[:words]
    slug = ""
    for part in parts:
        longer = f"{slug}-{part}" if slug else part
        if len(longer) > longest:
            break
        slug = longer
    return slug


def _unique(identifier: str, taken: set[str]) -> str:
    candidate, count = identifier, 1
    while candidate in taken:
        count += 1
        candidate = f"{identifier}-{count}"
    return candidate


def _quiz_block(questions: list[_Question]) -> str:
    if not questions:
        return ""
    lines = ["```quiz"]
    for number, question in enumerate(questions):
        lines += [""] if number else []
        lines.append(f"? {question.id}: {question.prompt}")
        if question.answer is not None:
            lines.append(f"answer: {str(question.answer).lower()}")
        for option_id, text, is_right, feedback in question.options:
            mark = "x" if is_right else " "
            box = f"[{mark}]" if question.multiple else f"({mark})"
            lines.append(f"{box} {option_id}: {text}")
            if feedback:
                lines.append(f"    > {feedback}")
        lines += [f"> {text}" for text in question.feedback]
    lines += ["```", ""]
    return "\n".join(lines)
