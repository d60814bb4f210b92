"""The course as immutable plain data: what the loader produces and the app serves."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Reading:
    """A reading assignment that goes with a lesson."""

    title: str
    url: str | None = None
    pages: str | None = None
    # The reading's own language, when it is not the lesson's (a screen reader then reads
    # its title in that language).
    language: str | None = None


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true-false"


class Grading(enum.StrEnum):
    """Which attempts make the quiz grade, as in Moodle."""

    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"
    AVERAGE = "average"


class AnswerReview(enum.StrEnum):
    """When the correct answers are shown after an attempt."""

    ALWAYS = "always"
    # After a passing attempt, or once no attempts are left: no giving the key away early.
    WHEN_DONE = "when-done"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    html: str
    is_correct: bool
    feedback_html: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: QuestionKind
    prompt_html: str
    options: tuple[Option, ...]
    line: int
    feedback_html: str | None = None

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(option.id for option in self.options if option.is_correct)

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)

    def misses_some(self, chosen: Iterable[str]) -> bool:
        """Whether `chosen` holds only right options, but not all of them: an answer on the
        right track, which scores nothing yet."""
        picked = frozenset(chosen)
        return bool(picked) and picked < self.correct_ids


@dataclass(frozen=True, slots=True)
class QuizSettings:
    pass_mark: int = 70
    # None: unlimited attempts.
    attempts: int | None = None
    required: bool = True
    feedback: bool = True
    answers: AnswerReview = AnswerReview.WHEN_DONE
    grading: Grading = Grading.HIGHEST


@dataclass(frozen=True, slots=True)
class Quiz:
    """A lesson's quiz in one language. Ids, answers and settings agree across languages."""

    settings: QuizSettings
    questions: tuple[Question, ...]
    line: int

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True, slots=True)
class LessonLink:
    """A link in a lesson's text to another lesson, where the file has it."""

    slug: str
    href: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class LessonText:
    """One language version of a lesson, with its Markdown already rendered to safe HTML."""

    language: str
    title: str
    author: str
    date: dt.date
    html: str
    source_path: Path
    # The hash of what translations of it carry over, which they record in `translated_from`.
    source_hash: str = ""
    # The whole file's hash, which older stamps recorded: such a stamp still holds while the
    # file is the very one it was made from, so upgrading Aula makes nothing stale.
    file_hash: str = ""
    reading: Reading | None = None
    is_draft: bool = False
    quiz: Quiz | None = None
    # Extra data register categories this lesson records, beyond progress and quiz answers.
    collects: tuple[str, ...] = ()
    # The source hash of the default-language file this translation was made from.
    translated_from: str | None = None
    links: tuple[LessonLink, ...] = ()
    # Whole minutes the text takes to read, worked out from its words when it is loaded.
    reading_minutes: int = 1

    def is_version(self, stamp: str) -> bool:
        """Whether a translation's `translated_from` hash records this version of the file."""
        return stamp in (self.source_hash, self.file_hash)


@dataclass(frozen=True, slots=True)
class Lesson:
    """A lesson folder `NN-slug/`: its place in the course and its texts by language."""

    number: int
    slug: str
    default_language: str
    texts: Mapping[str, LessonText]
    # The slug of its course: a lesson is known by both, as two courses may share a slug.
    course: str = "course"

    @property
    def is_published(self) -> bool:
        """A lesson is out when its default-language text exists and is not a draft."""
        source = self.texts.get(self.default_language)
        return source is not None and not source.is_draft

    @property
    def quiz(self) -> Quiz | None:
        """The quiz as graded: the default language's, whose ids and key every translation
        shares (the loader checks that)."""
        return self.texts[self.default_language].quiz

    @property
    def folder(self) -> Path:
        """The folder the lesson was read from, its pictures beside its texts."""
        return self.texts[self.default_language].source_path.parent

    @property
    def collects(self) -> tuple[str, ...]:
        """Extra data the lesson declares it records (the same in every language)."""
        return self.texts[self.default_language].collects

    def is_stale(self, language: str) -> bool:
        """Whether the translation was made from an older version of the source file (an
        unstamped one does not say which: that it is stale is not known)."""
        text = self.texts.get(language)
        if text is None or language == self.default_language or text.translated_from is None:
            return False
        return not self.texts[self.default_language].is_version(text.translated_from)

    def is_unstamped(self, language: str) -> bool:
        """Whether the translation does not say which version of the source it was made from."""
        text = self.texts.get(language)
        return (
            text is not None and language != self.default_language and text.translated_from is None
        )

    def has_language(self, language: str) -> bool:
        """Whether learners can read this lesson in `language` itself (not a fallback)."""
        text = self.texts.get(language)
        return text is not None and not text.is_draft

    def text_for(self, language: str) -> LessonText:
        """The text to serve for `language`: its own if published, else the default one."""
        if self.has_language(language):
            return self.texts[language]
        return self.texts[self.default_language]


def in_language(texts: Mapping[str, str], language: str) -> str:
    """A text kept per language (a certificate's course title, a signatory's role), in
    `language`, else in any language it has: a certificate keeps what it said, even in a
    language its course no longer gives."""
    return texts.get(language) or next((text for text in texts.values() if text), "")


class CertificateQuizzes(enum.StrEnum):
    """Which quizzes a certificate asks to have passed, besides the lessons completed."""

    # A required quiz is passed when its lesson is complete: nothing more to ask.
    REQUIRED = "required"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Signatory:
    """Someone who signs the course's certificates: their name, and their role by language."""

    name: str
    role: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CertificateRule:
    """When a course gives its certificate of completion, and who signs it (course.yml's
    `certificate`)."""

    # The lesson slugs to complete; None: every published lesson.
    lessons: tuple[str, ...] | None = None
    quizzes: CertificateQuizzes = CertificateQuizzes.REQUIRED
    signatories: tuple[Signatory, ...] = ()


@dataclass(frozen=True, slots=True)
class Course:
    """The whole course: titles per language, planned size and the lessons found on disk."""

    title: Mapping[str, str]
    organisation: Mapping[str, str]
    languages: tuple[str, ...]
    default_language: str
    planned_lessons: int
    lessons: tuple[Lesson, ...]
    # The course's part of every address of its pages, and its key in the database: stays
    # the same when its title or folder changes (course.yml's `slug`).
    slug: str = "course"
    description: Mapping[str, str] = field(default_factory=dict)
    # The folder its course.yml is in.
    directory: Path | None = None
    # None: the course gives no certificate.
    certificate: CertificateRule | None = None

    @property
    def published_lessons(self) -> tuple[Lesson, ...]:
        """Lessons learners may open, in course order."""
        return tuple(lesson for lesson in self.lessons if lesson.is_published)

    def published_lesson(self, slug: str) -> Lesson | None:
        """The published lesson with this slug, or None (drafts are not served to learners)."""
        for lesson in self.published_lessons:
            if lesson.slug == slug:
                return lesson
        return None

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        """The published lessons just before and after `lesson`."""
        published = self.published_lessons
        index = published.index(lesson)
        previous = published[index - 1] if index > 0 else None
        following = published[index + 1] if index + 1 < len(published) else None
        return previous, following

    def slots(self) -> tuple[tuple[int, Lesson | None], ...]:
        """Every planned lesson number with its published lesson, or None while still to come."""
        by_number = {lesson.number: lesson for lesson in self.published_lessons}
        return tuple(
            (number, by_number.get(number)) for number in range(1, self.planned_lessons + 1)
        )

    @property
    def coming(self) -> tuple[int, ...]:
        """The planned lesson numbers with no published lesson yet, in order."""
        return tuple(number for number, lesson in self.slots() if lesson is None)

    @property
    def certificate_lessons(self) -> tuple[Lesson, ...]:
        """The lessons a certificate asks to have completed, in course order: the ones its
        rule names, or every published lesson."""
        if self.certificate is None:
            return ()
        named = self.certificate.lessons
        return tuple(
            lesson for lesson in self.published_lessons if named is None or lesson.slug in named
        )

    def text(self, mapping: Mapping[str, str], language: str) -> str:
        """A per-language course string (title, organisation), falling back to the default."""
        return mapping.get(language) or mapping.get(self.default_language, "")

    def offers(self, language: str) -> bool:
        """Whether the course is given in `language` (its pages exist in it)."""
        return language in self.languages


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every course of the site, in the order the catalogue lists them; the first is the
    default one, which the addresses of a single-course site lead to."""

    courses: tuple[Course, ...]

    @property
    def default(self) -> Course:
        return self.courses[0]

    def course(self, slug: str) -> Course | None:
        return next((course for course in self.courses if course.slug == slug), None)

    def offered_in(self, language: str) -> tuple[Course, ...]:
        return tuple(course for course in self.courses if course.offers(language))

    def name(self, language: str) -> str:
        """What the site is called in `language`: its course's title when it has one, else
        the organisation running its default course."""
        default = self.default
        if len(self.courses) == 1:
            return default.text(default.title, language)
        return default.text(default.organisation, language) or default.text(default.title, language)

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language some course is given in, in the order courses list them."""
        return tuple(dict.fromkeys(lang for course in self.courses for lang in course.languages))
