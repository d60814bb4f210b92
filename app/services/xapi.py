"""xAPI statements for an institution's learning record store (LRS): what learners do in
the courses, as the services announce it (app/services/learning_events.py), queued in the
outbox and sent from there.

Nothing is subscribed, queued or sent unless XAPI_ENDPOINT is set. A learner is named in
the statements by a random token kept in `xapi_learners`, never by their account number,
address or name; erasing the account erases the token, and asks the LRS to void what was
sent under it.

Each statement's id is chosen here, derived from the learner's token and what happened:
the same event queued twice is one message, and the LRS recognises a statement sent again
after a failure that hid its answer as one it already has."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import uuid
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, url_for
from sqlalchemy.orm import Session

from app.database import insert_unless_present
from app.extensions import content
from app.models import Cohort, Membership, OutboxMessage, XapiLearner, utcnow
from app.services import learning_events, outbox
from app.services.learning_events import (
    CertificateEarned,
    LearningEvent,
    LessonCompleted,
    LessonOpened,
    QuestionAnswered,
    QuizGraded,
)

KIND = "xapi"
# The audit log's `action` when an erasure could not ask the store to void what was sent
# about the person: none is configured any more.
NOT_VOIDED = "xapi statements not voided"
VERSION = "1.0.3"
# What an LRS answers for a statement it finds malformed: 400 as xAPI says, or 422 (Ralph's,
# from the web framework it is built on). Sending it again changes nothing.
MALFORMED = frozenset({400, 422})
# How long one request to the LRS may take: the outbox's lease (two minutes) must outlast it.
TIMEOUT_SECONDS = 20
# The namespace of the statements' ids (uuid5 of the learner's token and the event).
NAMESPACE = uuid.UUID("4f0f8a52-8d0c-4a53-9d36-6f5d0a0e7b21")
# The name the site itself goes by in the statements it voids.
SITE_AGENT = "aula"

ADL = "http://adlnet.gov/expapi"
# Opening a lesson is `experienced` (the learner met the content), not `launched`, which
# says a platform started a separate piece of content (a cmi5 unit): Aula's lesson is its
# own page. A certificate is `earned`, from the xAPI registry (id.tincanapi.com), which ADL's
# vocabulary has no verb for: its nearest, `completed` or `mastered`, would say the course
# was completed again, or a level of mastery the certificate does not claim.
VERBS = {
    "experienced": f"{ADL}/verbs/experienced",
    "completed": f"{ADL}/verbs/completed",
    "answered": f"{ADL}/verbs/answered",
    "passed": f"{ADL}/verbs/passed",
    "failed": f"{ADL}/verbs/failed",
    "earned": "http://id.tincanapi.com/verb/earned",
    "voided": f"{ADL}/verbs/voided",
}
COURSE = f"{ADL}/activities/course"
LESSON = f"{ADL}/activities/lesson"
ASSESSMENT = f"{ADL}/activities/assessment"
INTERACTION = f"{ADL}/activities/cmi.interaction"


def is_configured(config: Mapping[str, Any]) -> bool:
    """Whether statements are sent: an LRS is named in the configuration."""
    return bool(config.get("XAPI_ENDPOINT"))


def init_app(app: Flask) -> None:
    """Listen for learning events and send statements, where an LRS is configured; else
    nothing, and the services skip building the events nobody listens to."""
    if not is_configured(app.config):
        return
    learning_events.subscribe(
        app,
        queue_statement,
        LessonOpened,
        LessonCompleted,
        QuestionAnswered,
        QuizGraded,
        CertificateEarned,
    )
    outbox.register_sender(app, KIND, send)


# ---- Who the learner is to the LRS -------------------------------------------------------


def learner_name(session: Session, user_id: int) -> str:
    """The learner's token, made the first time in the caller's transaction (two requests
    at once make one)."""
    insert_unless_present(
        session,
        XapiLearner,
        {"user_id": user_id, "name": secrets.token_hex(16), "created_at": utcnow()},
        ["user_id"],
    )
    return session.scalar(sa.select(XapiLearner.name).where(XapiLearner.user_id == user_id))


def site_address() -> str:
    """The site's address, which statements name learners and activities under:
    XAPI_SITE_URL, else the address of the page the event happened on."""
    configured = current_app.config.get("XAPI_SITE_URL")
    if configured:
        return configured.rstrip("/") + "/"
    if not has_request_context():
        raise RuntimeError("XAPI_SITE_URL must be set to send statements from outside a page")
    return url_for("learn.root", _external=True)


# ---- Statements (pure) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """What a statement says beside the event: where it happened and what things are called."""

    site: str
    learner: str
    course_title: str
    lesson_title: str | None = None
    # (number, name) of the learner's cohort in the course, if they are in one.
    cohort: tuple[int, str] | None = None


def statement_id(learner: str, what: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{learner} {what}"))


def _activity(
    activity_id: str, kind: str | None, name: str | None, language: str | None
) -> dict[str, Any]:
    definition: dict[str, Any] = {}
    if kind:
        definition["type"] = kind
    if name:
        definition["name"] = {language or "und": name}
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = definition
    return activity


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_statement(event: LearningEvent, setting: Setting) -> dict[str, Any]:
    """The xAPI 1.0.3 statement of an event, with its id."""
    course_url = f"{setting.site}courses/{event.course}"
    language = getattr(event, "language", None)
    course = _activity(course_url, COURSE, setting.course_title, language)
    grouping = [course]
    if setting.cohort is not None:
        number, name = setting.cohort
        grouping.append(_activity(f"{course_url}/cohorts/{number}", None, name, language))
    lesson_url = f"{course_url}/lessons/{getattr(event, 'lesson', '')}"
    lesson = _activity(lesson_url, LESSON, setting.lesson_title, language)
    # What the object is part of: its course, its lesson, or its quiz and lesson.
    parent = [course]
    result: dict[str, Any] | None = None
    match event:
        case LessonOpened():
            verb = "experienced"
            what = f"opened {event.course} {event.lesson} {event.at.isoformat()}"
            target = lesson
        case LessonCompleted():
            verb = "completed"
            what = f"completed {event.course} {event.lesson}"
            target = lesson
            result = {"completion": True}
        case QuestionAnswered():
            verb = "answered"
            what = f"answered {event.attempt_id} {event.question_id}"
            target = _activity(f"{lesson_url}/quiz/questions/{event.question_id}", None, None, None)
            target["definition"] = {"type": INTERACTION, "interactionType": "choice"}
            parent = [_activity(f"{lesson_url}/quiz", ASSESSMENT, None, None), lesson]
            result = {"success": event.correct, "response": "[,]".join(event.selected)}
        case QuizGraded():
            verb = "passed" if event.passed else "failed"
            what = f"graded {event.attempt_id}"
            target = _activity(f"{lesson_url}/quiz", ASSESSMENT, setting.lesson_title, language)
            parent = [lesson]
            score = {"raw": event.points, "min": 0, "max": event.max_points}
            if event.max_points:
                score["scaled"] = round(event.points / event.max_points, 4)
            result = {"score": score, "success": event.passed}
            if event.required and event.passed:
                result["completion"] = True
        case CertificateEarned():
            verb = "earned"
            what = f"earned {event.course} {event.code}"
            # The certificate of the course, not its code: the code opens a public page
            # with the learner's name on it.
            target = _activity(f"{course_url}/certificate", None, setting.course_title, language)
        case _:
            raise TypeError(f"no statement for {type(event).__name__}")
    context: dict[str, Any] = {
        "platform": "Aula",
        "contextActivities": {"parent": parent, "grouping": grouping},
    }
    if language:
        context["language"] = language
    statement: dict[str, Any] = {
        "id": statement_id(setting.learner, what),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": setting.site, "name": setting.learner},
        },
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": target,
        "context": context,
        "timestamp": _timestamp(event.at),
        "version": VERSION,
    }
    if result is not None:
        statement["result"] = result
    return statement


def voiding_statement(voided: dict[str, Any]) -> dict[str, Any]:
    """The statement asking the LRS to void `voided`, made by the site itself."""
    site = voided["actor"]["account"]["homePage"]
    return {
        "id": statement_id(SITE_AGENT, f"voids {voided['id']}"),
        "actor": {"objectType": "Agent", "account": {"homePage": site, "name": SITE_AGENT}},
        "verb": {"id": VERBS["voided"], "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": voided["id"]},
        "timestamp": _timestamp(utcnow()),
        "version": VERSION,
    }


# ---- Queueing --------------------------------------------------------------------------


def _cohort(session: Session, user_id: int, course: str) -> tuple[int, str] | None:
    row = session.execute(
        sa.select(Cohort.id, Cohort.name)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.user_id == user_id, Membership.course == course)
    ).first()
    return None if row is None else (row[0], row[1])


def _setting(session: Session, event: LearningEvent) -> Setting:
    course = content.catalogue.course(event.course)
    language = getattr(event, "language", None)
    lesson_slug = getattr(event, "lesson", None)
    course_title = lesson_title = None
    if course is not None:
        language = language or course.default_language
        course_title = course.text(course.title, language)
        lesson = course.published_lesson(lesson_slug) if lesson_slug else None
        if lesson is not None:
            lesson_title = lesson.text_for(language).title
    return Setting(
        site=site_address(),
        learner=learner_name(session, event.user_id),
        course_title=course_title or event.course,
        lesson_title=lesson_title,
        cohort=_cohort(session, event.user_id, event.course),
    )


def _enqueue(session: Session, statement: dict[str, Any], user_id: int | None) -> None:
    outbox.enqueue(
        session,
        kind=KIND,
        key=f"{KIND}:{statement['id']}",
        payload={"statement": statement},
        user_id=user_id,
    )


def queue_statement(session: Session, event: LearningEvent) -> None:
    """The learning events' handler: the event's statement joins the outbox in the event's
    own transaction."""
    _enqueue(session, build_statement(event, _setting(session, event)), event.user_id)


def void_statements_of(session: Session, user_id: int) -> int:
    """Before an account is erased: queue, in the caller's transaction, a voiding statement
    for each statement about the person that the LRS has or may be receiving right now.
    They are the site's, naming no one, so they stay queued after the account is gone.
    Those still waiting go with the account, unsent. How many statements were sent: where
    no LRS is configured any more, none could be voided (the caller records that)."""
    now = utcnow()
    sent = session.scalars(
        sa.select(OutboxMessage.payload)
        .where(
            OutboxMessage.kind == KIND,
            OutboxMessage.user_id == user_id,
            sa.or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.claimed_until > now),
        )
        .order_by(OutboxMessage.id)
    ).all()
    if is_configured(current_app.config):
        for payload in sent:
            _enqueue(session, voiding_statement(payload["statement"]), None)
    return len(sent)


# ---- Sending ---------------------------------------------------------------------------


def send(message: OutboxMessage) -> None:
    """PUT the message's statement to the LRS under its id. An LRS that has it already
    answers 204 (the same statement) or 409 (one it keeps under that id): either way it is
    stored, and sending it again would change nothing."""
    config = current_app.config
    statement = message.payload["statement"]
    endpoint = config["XAPI_ENDPOINT"].rstrip("/") + "/"
    url = f"{endpoint}statements?statementId={statement['id']}"
    credentials = f"{config.get('XAPI_USERNAME') or ''}:{config.get('XAPI_PASSWORD') or ''}"
    try:
        status, answer = outbox.request_within(
            "PUT",
            url,
            json.dumps(statement).encode(),
            {
                "Authorization": "Basic " + b64encode(credentials.encode()).decode(),
                "Content-Type": "application/json",
                "X-Experience-API-Version": VERSION,
            },
            deadline=time.monotonic() + outbox.SEND_DEADLINE,
            read_timeout=TIMEOUT_SECONDS,
        )
    except outbox.TooSlow:
        raise outbox.DeliveryFailed(
            f"the LRS took more than {outbox.SEND_DEADLINE} s to answer"
        ) from None
    if status < 300 or status == 409:
        return
    reason = f"the LRS answered {status}: {answer[:500].decode(errors='replace')}"
    # Anything but a malformed statement (wrong credentials, an LRS overloaded or failing)
    # may mend.
    raise outbox.DeliveryFailed(reason, retry=status not in MALFORMED)
