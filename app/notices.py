"""Personal-data notices of the running app: its data register and course, and the data
controller named by configuration."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.content import Lesson
from app.extensions import content
from app.services.privacy import Notice, lesson_notice


@dataclass(frozen=True, slots=True)
class Controller:
    """Who is responsible for the learners' personal data, and how to reach them."""

    name: str
    contact: str

    def __str__(self) -> str:
        return f"{self.name} <{self.contact}>"


def controller() -> Controller:
    """PRIVACY_CONTROLLER and PRIVACY_CONTACT, the controller defaulting to the organisation
    that runs the course."""
    course = content.course
    name = current_app.config.get("PRIVACY_CONTROLLER") or course.text(
        course.organisation, course.default_language
    )
    return Controller(name, current_app.config["PRIVACY_CONTACT"])


def notice_for(lesson: Lesson) -> Notice:
    """The current notice of a lesson."""
    return lesson_notice(content.register, lesson, str(controller()))
