"""What trainers need to know about their lessons: translation status, catalogue
completeness and how learners answer each quiz question. Pure reading, no changes."""

from __future__ import annotations

import enum
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from babel.messages.pofile import read_po
from sqlalchemy.orm import Session

from app.content import ContentError, Course, Lesson
from app.content.loader import read_source_hash, read_text, report_missing_front_matter
from app.content.markdown import parse_document
from app.content.problems import N_, Problems
from app.models import QuizAnswer, QuizAttempt

TRANSLATED_FROM = re.compile(r"translated_from[ \t]*:")


class TranslationState(enum.StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    STALE = "stale"
    # No `translated_from`: whether it is up to date is not known.
    UNSTAMPED = "unstamped"
    DRAFT = "draft"


# What trainers read for each state, on the translations page and from `flask lessons status`.
STATE_WORDS = {
    TranslationState.PRESENT: N_("Up to date"),
    TranslationState.MISSING: N_("Missing"),
    TranslationState.STALE: N_("Out of date"),
    TranslationState.UNSTAMPED: N_("Not stamped"),
    TranslationState.DRAFT: N_("Draft"),
}


def translation_matrix(course: Course) -> list[tuple[Lesson, dict[str, TranslationState]]]:
    """Lesson × language: present, missing, stale, unstamped or draft."""
    rows = []
    for lesson in course.lessons:
        states = {}
        for language in course.languages:
            text = lesson.texts.get(language)
            if text is None:
                states[language] = TranslationState.MISSING
            elif text.is_draft:
                states[language] = TranslationState.DRAFT
            elif lesson.is_unstamped(language):
                states[language] = TranslationState.UNSTAMPED
            elif lesson.is_stale(language):
                states[language] = TranslationState.STALE
            else:
                states[language] = TranslationState.PRESENT
        rows.append((lesson, states))
    return rows


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


def item_analysis(
    session: Session, lesson: Lesson, consenting_user_ids: sa.Select, min_learners: int
) -> ItemAnalysis:
    """Per question, per language: attempts, share right, share choosing each option.
    Counts only, and only over the attempts of learners who agreed to have their answers
    used for course statistics.

    A figure about a handful of learners tells a trainer who knows them what each one
    answered, so none is about fewer than `min_learners` different learners: a quiz with
    fewer shows no figures at all; a question with fewer (one added since most answered)
    shows none either; and a question's rows by language are shown only if every
    language's is about enough learners, since its total less the others would give away
    the one left out."""
    min_learners = max(min_learners, 1)
    rows = session.execute(
        sa.select(
            QuizAttempt.user_id,
            QuizAttempt.language,
            QuizAnswer.question_id,
            QuizAnswer.selected,
            QuizAnswer.is_correct,
        )
        .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.lesson_slug == lesson.slug, QuizAttempt.user_id.in_(consenting_user_ids))
    ).all()
    learners = {row.user_id for row in rows}
    if len(learners) < min_learners:
        return ItemAnalysis(answered=bool(learners))
    stats: dict[str, dict[str, QuestionStats]] = {}
    counted: dict[tuple[str, str], set[int]] = {}
    for user_id, language, question_id, selected, is_correct in rows:
        for key in ("all", language):
            entry = stats.setdefault(question_id, {}).setdefault(key, QuestionStats())
            entry.answered += 1
            entry.correct += int(is_correct)
            entry.chosen.update(selected)
            counted.setdefault((question_id, key), set()).add(user_id)
    analysis = ItemAnalysis(answered=True, shown=True)
    for question_id, by_language in stats.items():
        if len(counted[question_id, "all"]) < min_learners:
            analysis.withheld.add(question_id)
        elif all(len(counted[question_id, key]) >= min_learners for key in by_language):
            analysis.questions[question_id] = by_language
        else:
            analysis.questions[question_id] = {"all": by_language["all"]}
    return analysis
