"""What happens to a learner in a course, announced by the services that record it, for
whoever must tell an outside service (a learning record store, the platform a learner was
sent from). Handlers run inside the transaction that records the event, before it
commits, and queue what they send in the outbox: the message and the event are kept
together or not at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from app.models import utcnow


@dataclass(frozen=True, slots=True, kw_only=True)
class LearningEvent:
    user_id: int
    course: str
    at: dt.datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonOpened(LearningEvent):
    """A learner who acknowledged the lesson's notice opened its page; `first` when this
    opening recorded their start (acknowledging a notice records it before the page)."""

    lesson: str
    language: str
    first: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonCompleted(LearningEvent):
    """The lesson became complete, by its button or by passing its required quiz."""

    lesson: str
    language: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAnswered(LearningEvent):
    """One question of a graded attempt, announced before the attempt's QuizGraded."""

    lesson: str
    language: str
    attempt_id: int
    attempt_number: int
    question_id: str
    selected: tuple[str, ...]
    correct: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class QuizGraded(LearningEvent):
    lesson: str
    language: str
    attempt_id: int
    attempt_number: int
    points: int
    max_points: int
    passed: bool
    required: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateEarned(LearningEvent):
    """A certificate was issued (a correction issues none: it replaces one)."""

    code: str


Handler = Callable[[Session, LearningEvent], None]


def subscribe(app: Flask, handler: Handler, *kinds: type[LearningEvent]) -> None:
    """Have `handler` told of the events of these kinds."""
    handlers = app.extensions.setdefault("learning_event_handlers", {})
    for kind in kinds:
        handlers.setdefault(kind, []).append(handler)


def _handlers(kind: type[LearningEvent]) -> list[Handler]:
    if not has_app_context():
        return []
    return current_app.extensions.get("learning_event_handlers", {}).get(kind, [])


def has_listeners(kind: type[LearningEvent]) -> bool:
    """Whether anyone listens for events of this kind: the services skip building, or
    committing, what nobody would read."""
    return bool(_handlers(kind))


def announce(session: Session, event: LearningEvent) -> None:
    """Tell the event's handlers, in the caller's transaction, which the caller commits."""
    for handler in _handlers(type(event)):
        handler(session, event)
