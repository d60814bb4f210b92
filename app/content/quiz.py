"""The quiz syntax trainers write inside a lesson, in a ```quiz block.

    pass: 75%
    attempts: 3
    ? origin: Where does the word come from?
    (x) ostrom: From Elinor Ostrom's work
        > Right: ...
    ( ) marketing: From marketing
    > Said after the attempt, whatever the answer.

`(x)`/`( )` options make a single-choice question, `[x]`/`[ ]` a multiple-choice one, and
`answer: true` or `answer: false` a true/false one. Every question and option has an id,
so the three language files can be checked against each other and answers stay comparable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from markdown_it.token import Token

from app.content.markdown import HTML_COMMENT, EmbeddedBlock
from app.content.model import (
    AnswerReview,
    Grading,
    Option,
    Question,
    QuestionKind,
    Quiz,
    QuizSettings,
)
from app.content.problems import N_, Problems

IDENTIFIER = r"[a-z0-9]+(?:-[a-z0-9]+)*"
QUESTION_LINE = re.compile(rf"^\?\s*(?:(?P<id>{IDENTIFIER})\s*:)?\s*(?P<prompt>.*)$")
OPTION_LINE = re.compile(
    rf"^(?P<box>\([ xX]\)|\[[ xX]\])\s*(?:(?P<id>{IDENTIFIER})\s*:)?\s*(?P<text>.*)$"
)
# A setting may carry a trailing "# comment", as in the README's example.
SETTING_LINE = re.compile(r"^(?P<key>[a-z-]+)\s*:\s*(?P<value>.*?)\s*(?:\s#.*)?$")
FEEDBACK_LINE = re.compile(r"^(?P<indent>\s*)>\s?(?P<text>.*)$")
# Option ids are visible in the page source, so they must not say which option is right,
# in any of the languages trainers write in: as the whole id ("yes", "verdadero")...
REVEALING_IDS = frozenset(
    {"right", "true", "false", "yes", "no", "ok", "si", "sim", "nao", "bien", "mal"}
    | {"verdadero", "verdadera", "falso", "falsa", "verdadeiro", "verdadeira"}
    | {"certo", "certa", "errado", "errada", "erroneo", "erronea"}
)
# ...or as one of its words ("right-answer", "wrong2", "correcta"), for words too telling
# to be in an id for any other reason.
REVEALING_WORDS = frozenset(
    {"correct", "incorrect", "wrong", "answer", "solution"}
    | {"correcta", "correcto", "incorrecta", "incorrecto", "respuesta", "solucion"}
    | {"correta", "correto", "incorreta", "incorreto", "resposta", "solucao"}
)


def reveals_the_answer(option_id: str) -> bool:
    words = re.split(r"[^a-z]+", option_id.lower())
    return option_id in REVEALING_IDS or any(word in REVEALING_WORDS for word in words)


TRUE_FALSE_IDS = ("true", "false")

# What a trainer may write for ```quiz by mistake, once lower-cased and without accents or
# punctuation: anything starting with "quiz" ("Quiz", "quizz", "quiz es"), and the word in
# the course's languages ("questionário").
QUIZ_NAME_PREFIX = "quiz"
QUIZ_NAMES = frozenset({"cuestionario", "questionario", "questionnaire"})
QUIZ_OUT_OF_ITS_BLOCK = N_(
    "this looks like a quiz: put it in a block that opens with ```quiz (in lower case, "
    "nothing after it), or learners will see its answers"
)

SETTING_KEYS = ("pass", "attempts", "required", "feedback", "answers", "grading")
YES = {"yes", "true", "on"}
NO = {"no", "false", "off"}

# A question's, option's or feedback's Markdown as HTML, given the file lines it is written
# on (first, last): the loader checks and links it as it does the lesson text.
QuizText = Callable[[str, int, int], str]


@dataclass
class _QuestionDraft:
    id: str
    prompt: str
    line: int
    # ("(" or "[", option id, marked right)
    boxes: list[tuple[str, str, bool]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    # Each option's line, and each feedback line's, for problems found in their text.
    lines: dict[str, int] = field(default_factory=dict)
    option_feedback: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    feedback: list[tuple[int, str]] = field(default_factory=list)  # (line, text)
    answer: bool | None = None
    answer_line: int = 0


def _parse_setting(
    key: str, value: str, settings: QuizSettings, path: Path, line: int, problems: Problems
) -> QuizSettings:
    lowered = value.lower()
    if key == "pass":
        match = re.fullmatch(r"(\d{1,3})\s*%?", value)
        if match is None or not 0 <= int(match[1]) <= 100:
            problems.add(
                path,
                line,
                N_("'pass' must be a percentage from 0 to 100, not '%(value)s'"),
                value=value,
            )
            return settings
        return replace(settings, pass_mark=int(match[1]))
    if key == "attempts":
        if lowered == "unlimited":
            return replace(settings, attempts=None)
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            problems.add(path, line, N_("'attempts' must be a number from 1 up, or 'unlimited'"))
            return settings
        return replace(settings, attempts=int(value))
    if key in ("required", "feedback"):
        if lowered not in YES | NO:
            problems.add(
                path, line, N_("'%(key)s' must be yes or no, not '%(value)s'"), key=key, value=value
            )
            return settings
        return replace(settings, **{key: lowered in YES})
    if key == "answers":
        try:
            return replace(settings, answers=AnswerReview(lowered))
        except ValueError:
            choices = ", ".join(review.value for review in AnswerReview)
            problems.add(path, line, N_("'answers' must be one of: %(choices)s"), choices=choices)
            return settings
    try:
        return replace(settings, grading=Grading(lowered))
    except ValueError:
        choices = ", ".join(grading.value for grading in Grading)
        problems.add(path, line, N_("'grading' must be one of: %(choices)s"), choices=choices)
        return settings


def _build_question(
    draft: _QuestionDraft, path: Path, problems: Problems, render: QuizText
) -> Question | None:
    before = len(problems)
    if not draft.prompt:
        problems.add(
            path,
            draft.line,
            N_("question '%(question)s' has no text after its id"),
            question=draft.id,
        )
    # Rendered first, so that the wording's and the feedback's problems are reported along
    # with the options', not once those are mended.
    prompt_html = render(draft.prompt, draft.line, draft.line) if draft.prompt else ""
    feedback_html = _join_feedback(draft.feedback, render)
    kind, options = _kind_and_options(draft, path, problems, render)
    # Left out only once one of its mistakes is reported: never dropped from the quiz unseen.
    if len(problems) > before:
        return None
    return Question(
        id=draft.id,
        kind=kind,
        prompt_html=prompt_html,
        options=options,
        line=draft.line,
        feedback_html=feedback_html,
    )


def _kind_and_options(
    draft: _QuestionDraft, path: Path, problems: Problems, render: QuizText
) -> tuple[QuestionKind, tuple[Option, ...]]:
    """The question's kind and options, as far as they can be told, reporting what is
    wrong with them."""
    if draft.answer is not None and not draft.boxes:
        options = tuple(
            Option(id=value, html="", is_correct=(value == str(draft.answer).lower()))
            for value in TRUE_FALSE_IDS
        )
        return QuestionKind.TRUE_FALSE, options
    brackets = {box[0] for box in draft.boxes}
    kind = QuestionKind.MULTIPLE if brackets == {"["} else QuestionKind.SINGLE
    if draft.answer is not None:
        problems.add(
            path,
            draft.answer_line,
            N_("question '%(question)s' has both 'answer:' and options"),
            question=draft.id,
        )
    elif not draft.boxes:
        problems.add(
            path,
            draft.line,
            N_(
                "question '%(question)s' has no options: add '(x) id: text' lines, "
                "or 'answer: true|false'"
            ),
            question=draft.id,
        )
    elif len(brackets) > 1:
        problems.add(
            path,
            draft.line,
            N_("question '%(question)s' mixes ( ) and [ ] options; use one kind per question"),
            question=draft.id,
        )
    else:
        if len(draft.boxes) < 2:
            problems.add(
                path,
                draft.line,
                N_("question '%(question)s' needs at least two options"),
                question=draft.id,
            )
        correct = sum(1 for box in draft.boxes if box[2])
        if kind is QuestionKind.SINGLE and correct != 1:
            problems.add(
                path,
                draft.line,
                N_("question '%(question)s' is single choice and needs exactly one (x) option"),
                question=draft.id,
            )
        if kind is QuestionKind.MULTIPLE and correct == 0:
            problems.add(
                path,
                draft.line,
                N_("question '%(question)s' needs at least one [x] option"),
                question=draft.id,
            )
    options = tuple(
        Option(
            id=option_id,
            html=render(draft.texts[option_id], draft.lines[option_id], draft.lines[option_id]),
            is_correct=is_correct,
            feedback_html=_join_feedback(draft.option_feedback.get(option_id), render),
        )
        for _, option_id, is_correct in draft.boxes
    )
    return kind, options


def _join_feedback(lines: list[tuple[int, str]] | None, render: QuizText) -> str | None:
    written = [(line, text.strip()) for line, text in lines or [] if text.strip()]
    if not written:
        return None
    return render(" ".join(text for _, text in written), written[0][0], written[-1][0])


def parse_quiz(
    block: EmbeddedBlock, path: Path, problems: Problems, render: QuizText
) -> Quiz | None:
    """Parse one ```quiz block; report each unreadable line at its line in the file."""
    if not block.closed:
        # Everything after it would be read as quiz lines, each a misleading error.
        problems.add(
            path,
            block.first_line - 1,
            N_(
                "the quiz block is not closed: end it with %(fence)s on a line of its own, as "
                "long as the one that opens it"
            ),
            fence=block.fence,
        )
        return None
    settings = QuizSettings()
    seen_settings: set[str] = set()
    drafts: list[_QuestionDraft] = []
    before = len(problems)
    current: _QuestionDraft | None = None
    last_option: str | None = None
    # After an unreadable question line, its options would only repeat the same error.
    skipping = False
    # A trainer's notes, as in the lesson's text: a comment is left out, its lines kept empty
    # so that the lines after it are reported where the file has them.
    content = HTML_COMMENT.sub(lambda comment: "\n" * comment[0].count("\n"), block.content)
    for offset, raw in enumerate(content.splitlines()):
        line = block.first_line + offset
        text = raw.rstrip()
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if question := QUESTION_LINE.match(text):
            skipping = not question["id"]
            if skipping:
                problems.add(
                    path,
                    line,
                    N_(
                        "a question starts with '? id: text', e.g. '? origin: …' (an id is "
                        "lower-case letters, digits and hyphens)"
                    ),
                )
                continue
            if any(draft.id == question["id"] for draft in drafts):
                problems.add(
                    path,
                    line,
                    N_("question id '%(question)s' is used twice"),
                    question=question["id"],
                )
            current = _QuestionDraft(question["id"], question["prompt"].strip(), line)
            drafts.append(current)
            last_option = None
            continue
        if skipping:
            continue
        if current is None:
            setting = SETTING_LINE.match(text)
            if setting is None or setting["key"] not in SETTING_KEYS:
                problems.add(
                    path,
                    line,
                    N_("expected a setting (%(settings)s) or a question '? id: …'"),
                    settings=", ".join(SETTING_KEYS),
                )
            elif setting["key"] in seen_settings:
                problems.add(path, line, N_("setting '%(key)s' is given twice"), key=setting["key"])
            else:
                seen_settings.add(setting["key"])
                settings = _parse_setting(
                    setting["key"], setting["value"], settings, path, line, problems
                )
            continue
        if option := OPTION_LINE.match(text.strip()):
            option_id = option["id"]
            if not option_id:
                problems.add(
                    path,
                    line,
                    N_(
                        "question '%(question)s': an option is written '( ) id: text' (an id "
                        "is lower-case letters, digits and hyphens)"
                    ),
                    question=current.id,
                )
                continue
            if option_id in current.texts:
                problems.add(
                    path,
                    line,
                    N_("question '%(question)s': option id '%(option)s' is used twice"),
                    question=current.id,
                    option=option_id,
                )
                continue
            if reveals_the_answer(option_id):
                problems.add(
                    path,
                    line,
                    N_(
                        "question '%(question)s': option id '%(option)s' would tell learners the "
                        "answer in the page source; name the option after its content"
                    ),
                    question=current.id,
                    option=option_id,
                )
            if not option["text"].strip():
                problems.add(
                    path,
                    line,
                    N_("question '%(question)s': option '%(option)s' has no text"),
                    question=current.id,
                    option=option_id,
                )
            box = option["box"]
            current.boxes.append((box[0], option_id, box[1] in "xX"))
            current.texts[option_id] = option["text"].strip()
            current.lines[option_id] = line
            last_option = option_id
            continue
        if feedback := FEEDBACK_LINE.match(text):
            if feedback["indent"]:
                if last_option is None:
                    problems.add(
                        path,
                        line,
                        N_(
                            "question '%(question)s': indented '>' feedback needs an option "
                            "above it"
                        ),
                        question=current.id,
                    )
                else:
                    current.option_feedback.setdefault(last_option, []).append(
                        (line, feedback["text"])
                    )
            else:
                current.feedback.append((line, feedback["text"]))
                last_option = None
            continue
        setting = SETTING_LINE.match(text)
        if setting is not None and setting["key"] == "answer":
            value = setting["value"].lower()
            if value not in TRUE_FALSE_IDS:
                problems.add(
                    path,
                    line,
                    N_("question '%(question)s': 'answer' must be true or false"),
                    question=current.id,
                )
            else:
                current.answer = value == "true"
                current.answer_line = line
            continue
        problems.add(
            path,
            line,
            N_(
                "question '%(question)s': cannot read this line; expected '(x) id: text', "
                "'[x] id: text', 'answer: true|false' or '> feedback'"
            ),
            question=current.id,
        )
    questions = [_build_question(draft, path, problems, render) for draft in drafts]
    if not drafts:
        problems.add(path, block.first_line, N_("the quiz has no questions"))
    if len(problems) > before:
        return None
    return Quiz(
        settings=settings,
        questions=tuple(q for q in questions if q is not None),
        line=block.first_line - 1,
    )


def check_translation(
    reference: Quiz | None,
    reference_path: Path,
    translation: Quiz | None,
    translation_path: Path,
    problems: Problems,
) -> None:
    """Report where a translation's quiz differs from the default language's in anything
    but its words: settings, question ids and kinds, option ids and the right answers."""
    source = reference_path.name
    if reference is None and translation is None:
        return
    if translation is None:
        problems.add(
            translation_path,
            1,
            N_("%(source)s has a quiz; this translation has none"),
            source=source,
        )
        return
    if reference is None:
        problems.add(
            translation_path,
            translation.line,
            N_("%(source)s has no quiz; remove this one"),
            source=source,
        )
        return
    if translation.settings != reference.settings:
        problems.add(
            translation_path,
            translation.line,
            N_(
                "the quiz settings differ from %(source)s (%(settings)s); only the words may differ"
            ),
            source=source,
            settings=", ".join(
                key
                for key, setting in zip(SETTING_KEYS, fields(QuizSettings), strict=True)
                if getattr(translation.settings, setting.name)
                != getattr(reference.settings, setting.name)
            ),
        )
    reference_ids = [q.id for q in reference.questions]
    translation_ids = [q.id for q in translation.questions]
    if reference_ids != translation_ids:
        # At the first question that differs, or the first one too many; at the quiz when
        # it only lacks some at the end.
        differing = next(
            (
                question.line
                for index, question in enumerate(translation.questions)
                if index >= len(reference_ids) or question.id != reference_ids[index]
            ),
            translation.line,
        )
        problems.add(
            translation_path,
            differing,
            N_("the questions differ from %(source)s: expected %(expected)s; found %(found)s"),
            source=source,
            expected=", ".join(reference_ids),
            found=", ".join(translation_ids),
        )
    for question in translation.questions:
        original = reference.question(question.id)
        if original is None:
            continue
        if question.kind is not original.kind:
            problems.add(
                translation_path,
                question.line,
                N_(
                    "question '%(question)s' is not the same kind of question as in %(source)s: "
                    "use the same ( ), [ ] or 'answer:'"
                ),
                question=question.id,
                source=source,
            )
            continue
        option_ids = [option.id for option in question.options]
        original_ids = [option.id for option in original.options]
        if option_ids != original_ids:
            problems.add(
                translation_path,
                question.line,
                N_("question '%(question)s' has options %(found)s; %(source)s has %(expected)s"),
                question=question.id,
                found=", ".join(option_ids),
                source=source,
                expected=", ".join(original_ids),
            )
        elif question.correct_ids != original.correct_ids:
            problems.add(
                translation_path,
                question.line,
                N_(
                    "question '%(question)s' marks %(found)s as right; "
                    "%(source)s marks %(expected)s"
                ),
                question=question.id,
                found=", ".join(sorted(question.correct_ids)),
                source=source,
                expected=", ".join(sorted(original.correct_ids)),
            )


def _plain_name(info: str) -> str:
    """A fence's first word, lower-cased, without accents or punctuation."""
    words = info.split()
    decomposed = unicodedata.normalize("NFKD", words[0].casefold() if words else "")
    return re.sub(r"[^a-z]", "", decomposed)


def _reads_as_quiz(line: str) -> bool:
    """Whether the quiz syntax would read `line` as a question or an option, id and all."""
    question = QUESTION_LINE.match(line)
    option = OPTION_LINE.match(line.strip())
    return bool((question and question["id"]) or (option and option["id"]))


def _is_paragraph_text(token: Token) -> bool:
    """Whether `token` is the text of a paragraph or heading at the top of the page."""
    return token.type == "inline" and token.level == 1


def report_quiz_lookalikes(body: Sequence[Token], path: Path, problems: Problems) -> None:
    """Report what was meant as a quiz but would be shown as text, answers and all: a block
    whose fence misspells ```quiz, and quiz lines in any code block or in a paragraph of its
    own (a fence mistyped as ``quiz is no fence at all). A list item may well start with
    "[x] word:", so lists are left alone."""
    for token in body:
        if token.map is None:
            continue
        if token.type not in ("fence", "code_block") and not _is_paragraph_text(token):
            continue
        name = _plain_name(token.info) if token.type == "fence" else ""
        if (
            name.startswith(QUIZ_NAME_PREFIX)
            or name.removesuffix("s") in QUIZ_NAMES
            or any(_reads_as_quiz(line) for line in token.content.splitlines())
        ):
            problems.add(path, token.map[0] + 1, QUIZ_OUT_OF_ITS_BLOCK)
