"""What search engines read in a page's head: a description of the page in its language,
and, on whatever a signed-in person sees, a request not to index it."""

from __future__ import annotations

import re

import pytest

from app.content import load_course
from config import ROOT

COURSE = load_course(ROOT / "lessons" / "co-production")
LESSON_1, LESSON_2 = COURSE.published_lessons[:2]
DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')
NOINDEX = '<meta name="robots" content="noindex">'


def description(response) -> str:
    found = DESCRIPTION.findall(response.get_data(as_text=True))
    assert len(found) == 1, f"{len(found)} descriptions"
    return found[0]


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_the_course_page_is_described_by_the_course_description_in_its_language(client, lang):
    page = client.get(f"/{lang}/courses/co-production/")
    assert description(page) == COURSE.description[lang].replace("'", "&#39;")


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_each_lesson_is_described_by_its_own_title_number_and_course(client, lang):
    first, second = (
        description(client.get(f"/{lang}/courses/co-production/lessons/{lesson.slug}"))
        for lesson in (LESSON_1, LESSON_2)
    )
    for lesson, text in ((LESSON_1, first), (LESSON_2, second)):
        assert lesson.texts[lang].title.replace("'", "&#39;") in text, text
        assert COURSE.title[lang] in text and str(lesson.number) in text
    assert first != second


def test_other_pages_have_a_description_in_their_language(client):
    english, spanish = (description(client.get(f"/{lang}/login")) for lang in ("en", "es"))
    assert english and spanish and english != spanish


def test_what_visitors_see_may_be_indexed(client):
    for path in (
        "/en/courses/co-production/",
        f"/en/courses/co-production/lessons/{LESSON_1.slug}",
    ):
        assert NOINDEX not in client.get(path).get_data(as_text=True), path
    assert NOINDEX not in client.get("/en/login").get_data(as_text=True)


def test_what_a_signed_in_learner_sees_is_not_indexed(learner):
    for path in (
        "/en/courses/co-production/",
        f"/en/courses/co-production/lessons/{LESSON_1.slug}",
        "/en/account/data",
    ):
        page = learner.get(path)
        assert page.status_code == 200 and NOINDEX in page.get_data(as_text=True), path
