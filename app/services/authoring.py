"""What trainers need to know about their lessons: translation status, catalogue
completeness and how learners answer each quiz question. Pure reading, no changes."""

from __future__ import annotations

import enum
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from babel.messages.pofile import read_po
from sqlalchemy.orm import Session

from app.content import ContentError, Course, Lesson
from app.content.loader import read_source_hash, read_text, report_missing_front_matter
from app.content.markdown import parse_document
from app.content.problems import N_, Problems
from app.database import read_at_once
from app.models import QuizAnswer, QuizAttempt

TRANSLATED_FROM = re.compile(r"translated_from[ \t]*:")


class TranslationState(enum.StrEnum):
    # The text the others are translated from: nothing for it to be up to date with.
    SOURCE = "source"
    PRESENT = "present"
    MISSING = "missing"
    STALE = "stale"
    # No `translated_from`: whether it is up to date is not known.
    UNSTAMPED = "unstamped"
    DRAFT = "draft"


# What trainers read for each state, on the translations page and from `flask lessons status`.
STATE_WORDS = {
    TranslationState.SOURCE: N_("Source text"),
    TranslationState.PRESENT: N_("Up to date"),
    TranslationState.MISSING: N_("Missing"),
    TranslationState.STALE: N_("Out of date"),
    TranslationState.UNSTAMPED: N_("Not stamped"),
    TranslationState.DRAFT: N_("Draft"),
}


def translation_matrix(course: Course) -> list[tuple[Lesson, dict[str, TranslationState]]]:
    """Lesson × language: source, present, missing, stale, unstamped or draft."""
    rows = []
    for lesson in course.lessons:
        states = {}
        for language in course.languages:
            text = lesson.texts.get(language)
            if text is None:
                states[language] = TranslationState.MISSING
            elif text.is_draft:
                states[language] = TranslationState.DRAFT
            elif language == lesson.default_language:
                states[language] = TranslationState.SOURCE
            elif lesson.is_unstamped(language):
                states[language] = TranslationState.UNSTAMPED
            elif lesson.is_stale(language):
                states[language] = TranslationState.STALE
            else:
                states[language] = TranslationState.PRESENT
        rows.append((lesson, states))
    return rows


def translation_summary(course: Course) -> dict[TranslationState, int]:
    """How many of the course's lesson texts are in each state, the states none is in left
    out: the trainers' overview of every course says it in a line."""
    counted = Counter(
        state for _lesson, states in translation_matrix(course) for state in states.values()
    )
    return {state: counted[state] for state in TranslationState if counted[state]}


def catalogue_completeness(translations_dir: Path, languages: tuple[str, ...]) -> dict[str, int]:
    """Percentage of interface messages translated per language (the source language: 100)."""
    result = {}
    for language in languages:
        po_file = translations_dir / language / "LC_MESSAGES" / "messages.po"
        if not po_file.exists():
            result[language] = 100 if language == "en" else 0
            continue
        with po_file.open("rb") as file:
            messages = [message for message in read_po(file) if message.id]
        done = sum(
            1
            for message in messages
            if not message.fuzzy
            and all(message.string if isinstance(message.string, tuple) else [message.string])
        )
        result[language] = round(100 * done / len(messages)) if messages else 100
    return result


def stamp_translation(path: Path, source: Path) -> str:
    """Record in a translation's front matter that it matches the current source file. Only
    that line changes: the file keeps its line endings and byte order mark. Raise
    ContentError when either file cannot be read, has no front matter or, for the source,
    front matter that is not valid YAML."""
    problems = Problems()
    version = read_source_hash(source, problems)
    text = read_text(path, problems, as_written=True)
    document = parse_document(text.removeprefix("\ufeff")) if text is not None else None
    if document is not None and document.front_matter is None:
        report_missing_front_matter(text.removeprefix("\ufeff"), path, problems)
    if problems.errors:
        raise ContentError(problems.errors)
    stamp = f"translated_from: {source.stem}@{version}"
    # Lines as markdown-it counts them, each with its own line ending.
    lines = re.split(r"(?<=\n)|(?<=\r)(?!\n)", text)
    opening, closing = document.front_matter_line - 2, document.front_matter_end - 1
    for index in range(opening + 1, closing):
        if TRANSLATED_FROM.match(lines[index]):
            lines[index] = stamp + _line_ending(lines[index])
            break
    else:
        lines.insert(closing, stamp + _line_ending(lines[opening]))
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return stamp


def _line_ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


@dataclass
class QuestionStats:
    """How learners answered one question, in one language or all together."""

    answered: int = 0
    correct: int = 0
    chosen: Counter[str] = field(default_factory=Counter)

    @property
    def share_correct(self) -> float | None:
        return self.correct / self.answered if self.answered else None

    def share_choosing(self, option_id: str) -> float | None:
        return self.chosen[option_id] / self.answered if self.answered else None


# Questions nearly everyone gets right teach little; nearly everyone wrong, something is off.
TOO_EASY = 0.9
TOO_HARD = 0.2


@dataclass
class ItemAnalysis:
    """How learners answered a quiz's questions, with every figure about enough learners not
    to point at any one of them."""

    # Whether any learner counted answered the quiz, and whether enough did for figures.
    answered: bool = False
    shown: bool = False
    # Per question, per language ("all" for every language together).
    questions: dict[str, dict[str, QuestionStats]] = field(default_factory=dict)
    # Questions some learners answered, too few for figures (added to the quiz since).
    withheld: set[str] = field(default_factory=set)


def item_analyses(
    session: Session,
    lessons: Sequence[Lesson],
    consenting_user_ids: sa.Select,
    min_learners: int,
) -> dict[str, ItemAnalysis]:
    """For each of the lessons (of one course), by slug: per question, per language,
    attempts, share right, share choosing each option. Counts only, and only over the
    attempts at the lesson's quiz (in its own course) of learners who agreed to have their
    answers used for course statistics (`consenting_user_ids`: of a cohort only, say).

    A figure about a handful of learners tells a trainer who knows them what each one
    answered, so none is about fewer than `min_learners` different learners: a quiz with
    fewer shows no figures at all; a question with fewer (one added since most answered)
    shows none either; and a question's rows by language are shown only if every
    language's is about enough learners, since its total less the others would give away
    the one left out.

    The database counts, in two queries for all the lessons at once, run at the same
    time: a course with many learners has far too many answers to read."""
    min_learners = max(min_learners, 1)
    if not lessons:
        return {}
    answers = (
        sa.select(
            QuizAttempt.user_id,
            QuizAttempt.lesson_slug,
            QuizAttempt.language,
            QuizAnswer.question_id,
            # As text: PostgreSQL cannot group JSON values, and they are read back anyway.
            sa.cast(QuizAnswer.selected, sa.Text).label("selected"),
            QuizAnswer.is_correct,
        )
        .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
        .where(
            QuizAttempt.course == lessons[0].course,
            QuizAttempt.lesson_slug.in_([lesson.slug for lesson in lessons]),
            QuizAttempt.user_id.in_(consenting_user_ids),
        )
    ).subquery("answers")
    lesson, question, language = answers.c.lesson_slug, answers.c.question_id, answers.c.language
    choices, people = read_at_once(
        session,
        sa.select(
            lesson, question, language, answers.c.selected, answers.c.is_correct, sa.func.count()
        ).group_by(lesson, question, language, answers.c.selected, answers.c.is_correct),
        _people(answers),
    )
    stats: dict[str, dict[str, dict[str, QuestionStats]]] = {}
    for slug, question_id, code, selected, is_correct, times in choices:
        by_language = stats.setdefault(slug, {}).setdefault(question_id, {})
        for entry in (
            by_language.setdefault(code, QuestionStats()),
            by_language.setdefault("all", QuestionStats()),
        ):
            entry.answered += times
            entry.correct += times if is_correct else 0
            for option_id in json.loads(selected):
                entry.chosen[option_id] += times
    # Learners counted: by lesson (question None), by question ("all" languages) and by
    # question and language.
    learners_of: dict[tuple[str, str | None, str], int] = {
        (slug, question_id, code or "all"): who for slug, question_id, code, who in people
    }
    analyses = {}
    for each in lessons:
        who = learners_of.get((each.slug, None, "all"), 0)
        if who < min_learners:
            analyses[each.slug] = ItemAnalysis(answered=bool(who))
            continue
        analysis = analyses[each.slug] = ItemAnalysis(answered=True, shown=True)
        for question_id, entries in stats[each.slug].items():
            if learners_of[each.slug, question_id, "all"] < min_learners:
                analysis.withheld.add(question_id)
            elif all(learners_of[each.slug, question_id, key] >= min_learners for key in entries):
                analysis.questions[question_id] = entries
            else:
                analysis.questions[question_id] = {"all": entries["all"]}
    return analyses


def _people(answers: sa.Subquery) -> sa.CompoundSelect:
    """(lesson, question, language, learners) for how many different learners answered:
    each question in each language, each question (language None) and each lesson's quiz
    (question None too). Each learner's answers to a question in a language are gathered
    once, and the three counts read from them."""
    columns = answers.c
    each = (
        sa.select(columns.lesson_slug, columns.question_id, columns.language, columns.user_id)
        .group_by(columns.lesson_slug, columns.question_id, columns.language, columns.user_id)
        .cte("each_learner")
    )
    lesson, question, language, user_id = each.c
    nothing = sa.null().cast(sa.String)
    return sa.union_all(
        sa.select(lesson, question, language, sa.func.count()).group_by(lesson, question, language),
        sa.select(lesson, question, nothing, sa.func.count(sa.distinct(user_id))).group_by(
            lesson, question
        ),
        sa.select(lesson, nothing, nothing, sa.func.count(sa.distinct(user_id))).group_by(lesson),
    )
