"""Personal-data notices of the running app: its data register and course, and the data
controller named by configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, has_request_context
from flask_babel import gettext as _

from app.content import DataCategory, Lesson
from app.extensions import content, db
from app.i18n import current_language
from app.services.privacy import Notice, lesson_notice, note_consent_texts, note_notice_shown


@dataclass(frozen=True, slots=True)
class Controller:
    """Who is responsible for the learners' personal data, and how to reach them."""

    # The name the notices' versions are made with: the one in the course's default
    # language, so a notice is the same version whatever language it is read in.
    name: str
    contact: str
    # How the page's language names them.
    shown_name: str

    def __str__(self) -> str:
        return f"{self.name} <{self.contact}>"


def controller() -> Controller:
    """PRIVACY_CONTROLLER and PRIVACY_CONTACT, the controller defaulting to the organisation
    that runs the course."""
    course = content.course
    contact = current_app.config["PRIVACY_CONTACT"]
    if configured := current_app.config.get("PRIVACY_CONTROLLER"):
        return Controller(configured, contact, configured)
    name = course.text(course.organisation, course.default_language)
    return Controller(name, contact, course.text(course.organisation, current_language()))


def localised_setting(name: str) -> str | None:
    """A setting given per language (see config's `_per_language`), in the page's language,
    else the one given for every language."""
    values = current_app.config.get(name) or {}
    return values.get(current_language()) or values.get("*")


def register_settings() -> dict[str, str]:
    """The settings the register's categories depend on that are set, with their values:
    read from the configuration, no query."""
    config = current_app.config
    return {name: config[name] for name in content.register.settings if config.get(name)}


def categories_in_use() -> tuple[DataCategory, ...]:
    """The register's categories the platform collects as configured."""
    return content.register.in_use(frozenset(register_settings()))


def sent_to(category: DataCategory) -> str:
    """Who, by name, a category is sent to, as the setting its register entry names says;
    else that the controller names them on request."""
    name = current_app.config.get(category.sent_to or "")
    if name:
        return _("Sent to: %(name)s.", name=name)
    return _("The data controller names the recipient on request.")


def notice_for(lesson: Lesson) -> Notice:
    """The current notice of a lesson, worked out once per request however many views and
    checks ask for it."""
    notices = g.setdefault("notices", {}) if has_request_context() else {}
    key = (lesson.course, lesson.slug)
    if key not in notices:
        notices[key] = lesson_notice(
            content.register, lesson, str(controller()), register_settings()
        )
    return notices[key]


def _once_per_process(kind: str, key: tuple, note: Callable[[], None]) -> None:
    """Write what was first shown once per process and `key`: showing a page should not
    write to the database each time (the writes themselves ignore a row already there)."""
    noted = current_app.extensions.setdefault(kind, set())
    if key not in noted:
        note()
        noted.add(key)


def note_consent_texts_shown(language: str) -> None:
    """Keep the wording of the optional uses as shown in `language`, once per version."""

    def note() -> None:
        note_consent_texts(db.session, content.register, language)
        db.session.commit()

    versions = tuple(purpose.version for purpose in content.register.purposes)
    _once_per_process("noted_consent_texts", (language, versions), note)


def note_shown(lesson: Lesson, notice: Notice) -> None:
    """Record when a notice version is first shown, for the record of processing."""
    _once_per_process(
        "noted_notice_versions",
        (lesson.course, lesson.slug, notice.version),
        lambda: note_notice_shown(db.session, lesson, notice.version),
    )
