"""What the stylesheet promises: a lesson prints cleanly, and dark mode follows the system
and keeps its contrast."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LANGUAGES, Visit, language_of
from tests.e2e.test_learner import LESSON_1

pytestmark = pytest.mark.e2e

SITE_AROUND_THE_LESSON = (".site-header", ".site-footer", ".lesson-nav", ".lesson-status")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_printed_lesson_keeps_its_text_and_footnotes_without_the_site_around_it(visit, lang):
    page = visit.page
    visit.open(f"/{lang}/lessons/{LESSON_1.slug}")
    page.emulate_media(media="print")
    for part in SITE_AROUND_THE_LESSON:
        assert not page.locator(part).is_visible(), f"{part} is printed"
    assert page.get_by_role("heading", level=1).inner_text() == LESSON_1.texts[lang].title
    footnotes = page.locator(".lesson-body .footnotes li")
    assert footnotes.count() >= 1 and footnotes.first.is_visible()
    page.pdf(path=visit.screenshots / f"lesson-{lang}.pdf")


@pytest.fixture
def dark_visit(chromium, site, screenshots, request):
    lang = language_of(request)
    context = chromium.new_context(color_scheme="dark", locale=lang)
    yield Visit(context.new_page(), lang, site, screenshots)
    context.close()


def background_lightness(page) -> float:
    """The page background's mean channel value, 0 (black) to 255 (white)."""
    colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [float(value) for value in colour[colour.index("(") + 1 : -1].split(",")[:3]]
    return sum(channels) / 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dark_mode_follows_the_system_and_passes_the_contrast_checks(dark_visit, lang):
    visit: Visit = dark_visit
    for path in (f"/{lang}/", f"/{lang}/lessons/{LESSON_1.slug}", f"/{lang}/register"):
        visit.open(path)
        assert background_lightness(visit.page) < 60, f"{path} is not dark"
    visit.open(f"/{lang}/lessons/{LESSON_1.slug}")
    visit.shoot("lesson-dark")
