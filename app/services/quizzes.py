"""Quizzes on the server: reading a submitted form, grading it, keeping the attempt.

The answer key never leaves the server; the form only carries option ids. Grading uses the
lesson's canonical quiz (the default language's), so an attempt in Portuguese is graded
exactly like one in Spanish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.content import Lesson
from app.content.model import AnswerReview, Grading, Question, QuestionKind, Quiz
from app.models import LessonProgress, QuizAnswer, QuizAttempt, utcnow
from app.services import cohorts, learning_events
from app.services.privacy import record_audit, user_ref
from app.services.progress import CourseProgress, attempts_allowed, mark_complete, note_start

FIELD_PREFIX = "q-"


def field_name(question: Question) -> str:
    """The form field that carries the answer to `question`."""
    return FIELD_PREFIX + question.id


class TamperedForm(Exception):
    """The form names questions or options the quiz does not have, or is otherwise not one
    the page could have sent."""


class UnansweredQuestions(Exception):
    """Some questions have no answer; the learner is asked to complete them."""

    def __init__(self, question_ids: list[str]):
        self.question_ids = question_ids
        super().__init__(", ".join(question_ids))


class NoAttemptsLeft(Exception):
    """Every allowed attempt has been used."""


class AttemptsLeft(Exception):
    """Another attempt was to be allowed to a learner who can still make one: the quiz has
    no limit, or they have not used every attempt yet."""


def read_answers(quiz: Quiz, form: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """The chosen option ids per question, from a form given as field name → values.

    Raises TamperedForm for anything the page cannot have sent (unknown ids, two answers to
    a single-choice question) and UnansweredQuestions when some are left blank.
    """
    known_fields = {field_name(question) for question in quiz.questions}
    if any(name.startswith(FIELD_PREFIX) and name not in known_fields for name in form):
        raise TamperedForm("unknown question")
    answers: dict[str, tuple[str, ...]] = {}
    unanswered: list[str] = []
    for question in quiz.questions:
        chosen = tuple(form.get(field_name(question), ()))
        option_ids = {option.id for option in question.options}
        if any(choice not in option_ids for choice in chosen) or len(set(chosen)) != len(chosen):
            raise TamperedForm(f"unknown or repeated option in {question.id}")
        if question.kind is not QuestionKind.MULTIPLE and len(chosen) > 1:
            raise TamperedForm(f"several answers to single-answer question {question.id}")
        if not chosen:
            unanswered.append(question.id)
        answers[question.id] = chosen
    if unanswered:
        raise UnansweredQuestions(unanswered)
    return answers


def answers_to_keep(quiz: Quiz, form: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The choices in a form that the quiz's page could have sent, as field name → option
    ids, and nothing else: small enough to keep in a session cookie while the learner signs
    in again, and harmless if the form was not the page's."""
    kept = {}
    for question in quiz.questions:
        option_ids = {option.id for option in question.options}
        chosen = list(dict.fromkeys(form.get(field_name(question), ())))
        if valid := [choice for choice in chosen if choice in option_ids]:
            kept[field_name(question)] = valid
    return kept


@dataclass(frozen=True, slots=True)
class Grade:
    """The outcome of grading one set of answers."""

    correct: Mapping[str, bool]
    points: int
    max_points: int
    passed: bool


def grade(quiz: Quiz, answers: Mapping[str, Sequence[str]]) -> Grade:
    """Each question is worth one point. A multiple-choice question scores only when exactly
    the right options are chosen: partial answers score nothing. Passing means reaching the
    pass mark with the score as learners see it, a whole percentage: 2 of 3 is shown as 67%,
    so it passes a 67% mark (3 of 4 passes a 75% one, 5 of 8, shown as 62%, does not pass a
    63% one)."""
    correct = {
        question.id: frozenset(answers.get(question.id, ())) == question.correct_ids
        for question in quiz.questions
    }
    points = sum(correct.values())
    max_points = len(quiz.questions)
    passed = shown_percent(points, max_points) >= quiz.settings.pass_mark
    return Grade(correct, points, max_points, passed)


def shown_percent(points: int, max_points: int) -> int:
    """The score as a whole percentage, rounded as the pages show it (half to even, as
    Babel's percent format does), computed exactly so that no float lands beside a half."""
    return round(Fraction(100 * points, max_points))


# Built once, as the lesson page asks it for every signed-in learner.
_ATTEMPTS = (
    sa.select(QuizAttempt)
    .where(
        QuizAttempt.user_id == sa.bindparam("user_id"),
        QuizAttempt.course == sa.bindparam("course"),
        QuizAttempt.lesson_slug == sa.bindparam("lesson"),
    )
    .options(selectinload(QuizAttempt.answers))
    .order_by(QuizAttempt.number)
)


def attempts_of(session: Session, user_id: int, lesson: Lesson) -> list[QuizAttempt]:
    """The learner's attempts at the lesson's quiz, first to last, with their answers."""
    return list(
        session.scalars(
            _ATTEMPTS, {"user_id": user_id, "course": lesson.course, "lesson": lesson.slug}
        )
    )


@dataclass(frozen=True, slots=True)
class QuizStatus:
    """Where a learner stands with a quiz: what the lesson page needs to show."""

    attempts: tuple[QuizAttempt, ...]
    allowed: int | None
    grading: Grading
    answers_shown: AnswerReview

    @property
    def attempts_left(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - len(self.attempts), 0)

    @property
    def can_attempt(self) -> bool:
        return self.attempts_left != 0

    @property
    def next_number(self) -> int:
        return len(self.attempts) + 1

    @property
    def latest(self) -> QuizAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def latest_answers(self) -> dict[str, QuizAnswer]:
        """The latest attempt's answers by question id."""
        return {answer.question_id: answer for answer in self.latest.answers} if self.latest else {}

    @property
    def has_passed(self) -> bool:
        return any(attempt.passed for attempt in self.attempts)

    @property
    def grade_percent(self) -> float | None:
        """The quiz grade by the quiz's grading method, or None before any attempt."""
        if not self.attempts:
            return None
        percents = [attempt.percent for attempt in self.attempts]
        return {
            Grading.HIGHEST: max(percents),
            Grading.LAST: percents[-1],
            Grading.FIRST: percents[0],
            Grading.AVERAGE: sum(percents) / len(percents),
        }[self.grading]

    @property
    def shows_correct_answers(self) -> bool:
        if self.answers_shown is AnswerReview.ALWAYS:
            return bool(self.attempts)
        if self.answers_shown is AnswerReview.WHEN_DONE:
            return self.has_passed or (bool(self.attempts) and not self.can_attempt)
        return False


_PROGRESS_ROW = sa.select(LessonProgress).where(
    LessonProgress.user_id == sa.bindparam("user_id"),
    LessonProgress.course == sa.bindparam("course"),
    LessonProgress.lesson_slug == sa.bindparam("lesson"),
)


def _progress_row(session: Session, user_id: int, lesson: Lesson) -> LessonProgress | None:
    return session.scalar(
        _PROGRESS_ROW, {"user_id": user_id, "course": lesson.course, "lesson": lesson.slug}
    )


def quiz_status(
    session: Session, user_id: int, lesson: Lesson, progress: CourseProgress | None = None
) -> QuizStatus:
    """The learner's attempts at the lesson's quiz and what they allow next; `progress`, when
    the caller has read it, saves reading the lesson's progress again."""
    settings = lesson.quiz.settings
    row = (
        progress.rows.get(lesson.slug)
        if progress is not None
        else _progress_row(session, user_id, lesson)
    )
    return QuizStatus(
        attempts=tuple(attempts_of(session, user_id, lesson)),
        allowed=attempts_allowed(lesson, row),
        grading=settings.grading,
        answers_shown=settings.answers,
    )


def same_answers(attempt: QuizAttempt, answers: Mapping[str, Sequence[str]]) -> bool:
    """Whether `answers` are the ones the attempt recorded, whatever their order."""
    recorded = {answer.question_id: frozenset(answer.selected) for answer in attempt.answers}
    return recorded == {question: frozenset(chosen) for question, chosen in answers.items()}


@dataclass(frozen=True, slots=True)
class Submission:
    attempt: QuizAttempt
    # True when this attempt number had already been recorded (a resubmitted form).
    is_duplicate: bool
    completed_lesson: bool = False


# Built once: every answer asks them.
_ATTEMPTS_USED = (
    sa.select(sa.func.count())
    .select_from(QuizAttempt)
    .where(
        QuizAttempt.user_id == sa.bindparam("user_id"),
        QuizAttempt.course == sa.bindparam("course"),
        QuizAttempt.lesson_slug == sa.bindparam("lesson"),
    )
)
_ATTEMPT_NUMBER = sa.select(QuizAttempt).where(
    QuizAttempt.user_id == sa.bindparam("user_id"),
    QuizAttempt.course == sa.bindparam("course"),
    QuizAttempt.lesson_slug == sa.bindparam("lesson"),
    QuizAttempt.number == sa.bindparam("number"),
)


def _attempt_number(session: Session, user_id: int, lesson: Lesson, number: int):
    return session.scalar(
        _ATTEMPT_NUMBER,
        {"user_id": user_id, "course": lesson.course, "lesson": lesson.slug, "number": number},
    )


def submit_attempt(
    session: Session,
    user_id: int,
    lesson: Lesson,
    *,
    number: int,
    language: str,
    answers: Mapping[str, Sequence[str]],
    now: dt.datetime | None = None,
) -> Submission:
    """Grade and store attempt `number`, completing the lesson when the quiz requires a pass
    and this attempt passed. A number already used returns that attempt untouched."""
    quiz = lesson.quiz
    if quiz is None:
        raise TamperedForm("this lesson has no quiz")
    used = session.scalar(
        _ATTEMPTS_USED, {"user_id": user_id, "course": lesson.course, "lesson": lesson.slug}
    )
    if 1 <= number <= used:
        existing = _attempt_number(session, user_id, lesson, number)
        if existing is not None:
            return Submission(existing, is_duplicate=True)
    limited = quiz.settings.attempts is not None
    # The lesson's progress row holds the extra attempts, which only a limited quiz reads.
    allowed = attempts_allowed(lesson, _progress_row(session, user_id, lesson) if limited else None)
    if allowed is not None and used >= allowed:
        raise NoAttemptsLeft
    if number != used + 1:
        raise TamperedForm(f"attempt {number} cannot follow {used} attempts")
    result = grade(quiz, answers)
    attempt = QuizAttempt(
        user_id=user_id,
        course=lesson.course,
        lesson_slug=lesson.slug,
        number=number,
        language=language,
        submitted_at=now or utcnow(),
        points=result.points,
        max_points=result.max_points,
        passed=result.passed,
    )
    session.add(attempt)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # Another request stored this very attempt number a moment ago (two tabs).
        session.rollback()
        return Submission(_attempt_number(session, user_id, lesson, number), is_duplicate=True)
    given = [
        {
            "attempt_id": attempt.id,
            "question_id": question.id,
            "selected": list(answers.get(question.id, ())),
            "is_correct": result.correct[question.id],
        }
        for question in quiz.questions
    ]
    # In one statement, not one per answer as the attempt's relationship would.
    session.execute(sa.insert(QuizAnswer), given)
    session.expire(attempt, ["answers"])  # read back when asked for
    _announce_graded(session, lesson, attempt, given)
    completed = False
    if result.passed and quiz.settings.required:
        # Completing notes the learner taking part in the course, as every start does.
        completed = mark_complete(session, user_id, lesson, language=language)
    else:
        cohorts.note_taking_part(session, user_id, lesson.course, attempt.submitted_at)
    session.commit()
    return Submission(attempt, is_duplicate=False, completed_lesson=completed)


def _announce_graded(
    session: Session, lesson: Lesson, attempt: QuizAttempt, given: list[dict[str, Any]]
) -> None:
    if not (
        learning_events.has_listeners(learning_events.QuestionAnswered)
        or learning_events.has_listeners(learning_events.QuizGraded)
    ):
        return
    about = {
        "user_id": attempt.user_id,
        "course": lesson.course,
        "at": attempt.submitted_at,
        "lesson": lesson.slug,
        "language": attempt.language,
        "attempt_id": attempt.id,
        "attempt_number": attempt.number,
    }
    for answer in given:
        learning_events.announce(
            session,
            learning_events.QuestionAnswered(
                **about,
                question_id=answer["question_id"],
                selected=tuple(answer["selected"]),
                correct=answer["is_correct"],
            ),
        )
    learning_events.announce(
        session,
        learning_events.QuizGraded(
            **about,
            points=attempt.points,
            max_points=attempt.max_points,
            passed=attempt.passed,
            required=lesson.quiz is not None and lesson.quiz.settings.required,
        ),
    )


def allow_another_attempt(session: Session, user_id: int, lesson: Lesson) -> None:
    """Let a learner who has used every attempt at the lesson's quiz make one more, in the
    current transaction (the caller commits it with its audit entry). Raises AttemptsLeft
    if they can still make one: a second press of the button, or two staff members at
    once, allow one attempt, not two."""
    status = quiz_status(session, user_id, lesson)
    if status.can_attempt:
        raise AttemptsLeft
    # The extra attempts are kept with the lesson's progress, which a learner who answered
    # without ever opening the page has not got: they started it with their first attempt.
    note_start(session, user_id, lesson, status.attempts[0].submitted_at)
    # Only a statement that still finds the number this request read raises it.
    result = session.execute(
        sa.update(LessonProgress)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.course == lesson.course,
            LessonProgress.lesson_slug == lesson.slug,
            LessonProgress.extra_attempts == status.allowed - lesson.quiz.settings.attempts,
        )
        .values(extra_attempts=LessonProgress.extra_attempts + 1)
    )
    if result.rowcount != 1:
        session.rollback()
        raise AttemptsLeft


def grant_another_attempt(session: Session, actor_id: int, user_id: int, lesson: Lesson) -> None:
    """A member of the course team allows the learner one more attempt at the lesson's
    quiz, audit-logged with the lesson and its course, and commits. Raises AttemptsLeft as
    `allow_another_attempt` does."""
    allow_another_attempt(session, user_id, lesson)
    record_audit(
        session,
        actor_id,
        "another attempt",
        user_ref(user_id),
        {"lesson": lesson.slug, "course": lesson.course},
    )
