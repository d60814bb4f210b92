"""Which course a request is about: the `<course>` part of its address, checked against the
catalogue and the page's language, and filled in for every address built during it."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask_babel import gettext as _

from app.errors import refuse
from app.extensions import content


def _pull_course(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if not values or "course" not in values:
        return
    slug = values.pop("course")
    # The address asked for, which the page's other addresses (its other languages) keep,
    # whether or not there is such a course.
    g.course_asked = slug
    course = content.catalogue.course(slug)
    if course is None:
        refuse(404, _("There is no course at this address."))
    g.course_slug = slug
    language = g.get("lang")
    # Trainers may work on a course in any language of the interface; learners read it in
    # its own languages only.
    learner_page = (endpoint or "").startswith("learn.")
    if learner_page and language is not None and not course.offers(language):
        refuse(404, _("This course is not given in this language."))


def _add_course(endpoint: str, values: dict[str, Any]) -> None:
    if "course" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "course"):
        values["course"] = g.get("course_asked") or content.course.slug


def hide_course() -> None:
    """Answer the rest of the request as if the address named no course: the error page of
    a course open to its members only must not tell others its title or its lessons."""
    g.pop("course_slug", None)
    g.course_hidden = True


def init_app(app: Flask) -> None:
    """Register the hooks that read and fill the `course` part of addresses; after the
    language's, so that a course's pages can be checked against the page's language."""
    app.url_value_preprocessor(_pull_course)
    app.url_defaults(_add_course)
