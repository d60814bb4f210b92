"""The pages a lesson may link to are the pages the app serves."""

from __future__ import annotations

import re

from app.content.lint import APP_PAGES

# What stands in the checker's list for a route's course and lesson.
PLACEHOLDERS = {"course": "{course}", "slug": "{lesson}"}


def test_the_checker_knows_every_page_the_app_serves_by_language_course_and_lesson(app):
    """A page added to the app, or taken away, is added to or taken from the pages lessons
    may link to: the lesson checker cannot import the app to ask it."""
    served = {
        re.sub(
            r"<(\w+)>", lambda part: PLACEHOLDERS[part[1]], rule.rule.removeprefix("/<lang:lang>/")
        )
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and rule.rule.startswith("/<lang:lang>/")
        and rule.arguments <= {"lang", *PLACEHOLDERS}
    }
    assert set(APP_PAGES) == served
