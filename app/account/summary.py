"""The learner's data page as a person reads it: what their export holds
(`privacy.export_data`), grouped as they think of it (their account, progress, answers,
what they agreed to, what the course team did) and in words, without the numbers that tie
rows together. The download keeps every stored value, numbers included.

Each group names the register categories it shows. A category no group shows (one added
to the register later, say) is still listed on the page, by its register name and
description, under what else we hold, and is whole in the download.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from app.content.model import Question
from app.extensions import content
from app.i18n import current_language

# The register categories each group of the page shows.
GROUPS = {
    "account": ("account", "language", "course-figures", "institution-platform"),
    "progress": ("courses", "progress", "invitations", "certificates"),
    "answers": ("quiz-answers",),
    "agreed": ("notice-acknowledgments", "consents"),
    "staff": ("actions-on-your-account",),
    "security": ("security-events", "sessions"),
    "team": ("cohorts-led", "lessons-written", "staff-actions"),
    "learning": ("learning-records",),
}
SHOWN = {category for categories in GROUPS.values() for category in categories}


@dataclass
class CourseProgress:
    course: str
    memberships: list[dict[str, Any]] = field(default_factory=list)
    lessons: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Summary:
    """The page's groups: each holds the rows of its categories, as stored."""

    account: dict[str, Any]
    courses: list[CourseProgress]
    attempts: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    about_you: list[dict[str, Any]]
    security_events: list[dict[str, Any]]
    emailed_links: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    recovery_codes: list[dict[str, Any]]
    cohorts_led: list[dict[str, Any]]
    invitations_sent: list[dict[str, Any]]
    staff_actions: list[dict[str, Any]]
    lessons_written: list[dict[str, Any]]
    publications: list[dict[str, Any]]
    invitations: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    certificate_name: str | None
    # Where the person comes from on an institution's platform, and where results go.
    platforms: list[dict[str, Any]]
    gradebook_columns: list[dict[str, Any]]
    scores_waiting: int
    # The name the learning record store knows the person by, and what was sent to it.
    xapi_name: str | None
    statements: list[dict[str, Any]]
    others: list[dict[str, Any]]
    withheld: list[str]


def _newest_first(rows: list[dict[str, Any]], moment: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: row[moment] or "", reverse=True)


def _progress(records: Mapping[str, Mapping[str, list]]) -> list[CourseProgress]:
    """Per course, in the order first joined or started: its cohorts and its lessons."""
    courses: dict[str, CourseProgress] = {}
    for membership in records["courses"]["memberships"]:
        course = membership["course"]
        courses.setdefault(course, CourseProgress(course)).memberships.append(membership)
    for lesson in records["progress"]["lesson_progress"]:
        course = lesson["course"]
        courses.setdefault(course, CourseProgress(course)).lessons.append(lesson)
    return list(courses.values())


def _answer_in_words(row: dict, lessons_of_attempts: Mapping[int, tuple[str, str]]) -> dict:
    course_slug, slug = lessons_of_attempts.get(row["attempt_id"], (None, ""))
    course = content.catalogue.course(course_slug) if course_slug else content.course
    lesson = course.published_lesson(slug) if course else None
    quiz = lesson.text_for(current_language()).quiz if lesson else None
    question = quiz.question(row["question_id"]) if quiz else None
    if question is None:
        return row
    chosen = [_option_in_words(question, option_id) for option_id in row["selected"]]
    return {**row, "question_id": Markup(question.prompt_html).striptags(), "selected": chosen}


def _option_in_words(question: Question, option_id: str) -> str:
    option = question.option(option_id)
    if option is None:
        return option_id
    if option.html:
        return Markup(option.html).striptags()
    return _("True") if option_id == "true" else _("False")


def _attempts(records: Mapping[str, Mapping[str, list]]) -> list[dict[str, Any]]:
    """Each quiz attempt, newest first, with its answers in words: each names its question
    and the options chosen, in the page's language, rather than their ids."""
    quiz = records["quiz-answers"]
    lessons = {
        attempt["id"]: (attempt["course"], attempt["lesson_slug"])
        for attempt in quiz["quiz_attempts"]
    }
    answers: dict[int, list[dict[str, Any]]] = {}
    for answer in quiz["quiz_answers"]:
        answers.setdefault(answer["attempt_id"], []).append(_answer_in_words(answer, lessons))
    attempts = [
        {**attempt, "answers": answers.get(attempt["id"], [])} for attempt in quiz["quiz_attempts"]
    ]
    return _newest_first(attempts, "submitted_at")


def _statements(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The xAPI statements queued for the learning record store, newest first, each with
    what it says in words: its verb's last word, and what it is about, as it names it."""
    statements = []
    for message in messages:
        statement = (message["payload"] or {}).get("statement") or {}
        if message["kind"] != "xapi" or "verb" not in statement:
            continue
        names = statement["object"].get("definition", {}).get("name", {})
        statements.append(
            {
                **message,
                "verb": statement["verb"]["id"].rsplit("/", 1)[-1],
                "about": next(iter(names.values()), statement["object"]["id"]),
            }
        )
    return _newest_first(statements, "created_at")


def summarise(data: Mapping[str, Any]) -> Summary:
    """The export `data` of one person, grouped for their data page."""
    records = {category["id"]: category["records"] for category in data["categories"]}
    account = {
        **records["account"]["users"][0],
        **records["language"]["users"][0],
        **records["course-figures"]["users"][0],
    }
    return Summary(
        account=account,
        courses=_progress(records),
        attempts=_attempts(records),
        notices=_newest_first(
            records["notice-acknowledgments"]["notice_acknowledgments"], "acknowledged_at"
        ),
        consents=_newest_first(records["consents"]["consent_events"], "recorded_at"),
        about_you=_newest_first(records["actions-on-your-account"]["audit_log"], "recorded_at"),
        security_events=_newest_first(records["security-events"]["security_events"], "occurred_at"),
        emailed_links=_newest_first(
            records["security-events"]["password_reset_tokens"], "created_at"
        ),
        sessions=_newest_first(records["sessions"]["user_sessions"], "last_used_at"),
        recovery_codes=records["sessions"]["recovery_codes"],
        cohorts_led=records["cohorts-led"]["cohort_trainers"],
        invitations_sent=_newest_first(records["cohorts-led"]["invitations"], "created_at"),
        staff_actions=_newest_first(records["staff-actions"]["audit_log"], "recorded_at"),
        lessons_written=_newest_first(
            records["lessons-written"]["content_revisions"], "created_at"
        ),
        publications=_newest_first(
            records["lessons-written"]["content_publications"], "published_at"
        ),
        invitations=records["invitations"]["invitations"],
        certificates=_newest_first(records["certificates"]["certificates"], "issued_at"),
        certificate_name=records["certificates"]["users"][0]["certificate_name"],
        platforms=records["institution-platform"]["lti_accounts"],
        gradebook_columns=_newest_first(
            records["institution-platform"]["lti_grade_targets"], "launched_at"
        ),
        scores_waiting=sum(
            1
            for message in records["institution-platform"]["outbox_messages"]
            if message["kind"] == "lti-score"
            and not message["sent_at"]
            and not message["failed_at"]
        ),
        xapi_name=next((row["name"] for row in records["learning-records"]["xapi_learners"]), None),
        statements=_statements(records["learning-records"]["outbox_messages"]),
        others=[
            category
            for category in data["categories"]
            if category["id"] not in SHOWN and any(category["records"].values())
        ],
        withheld=sorted({name for category in data["categories"] for name in category["withheld"]}),
    )
