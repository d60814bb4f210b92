"""What the stylesheet promises: a lesson prints cleanly, dark mode follows the system and
keeps its contrast, and what is wider than a phone scrolls inside the lesson, not the page."""

from __future__ import annotations

import pytest

from tests.conftest import report
from tests.e2e.conftest import LANGUAGES, WIDTHS, Visit, language_of
from tests.e2e.test_learner import ACKNOWLEDGE, LESSON_1, answer_quiz, sign_up
from tests.e2e.test_staff import reload_lessons, sign_in

pytestmark = pytest.mark.e2e

SITE_AROUND_THE_LESSON = (".site-header", ".site-footer", ".lesson-nav", ".lesson-status")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_printed_lesson_keeps_its_text_and_footnotes_without_the_site_around_it(visit, lang):
    page = visit.page
    visit.open(f"/{lang}/courses/co-production/lessons/{LESSON_1.slug}")
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


# In Portuguese, for README's screenshot: the journey below checks every main page in dark
# mode, in English.
@pytest.mark.parametrize("lang", ["pt"])
def test_dark_mode_follows_the_system_and_passes_the_contrast_checks(dark_visit, lang):
    visit: Visit = dark_visit
    for path in (
        f"/{lang}/",
        f"/{lang}/courses/co-production/lessons/{LESSON_1.slug}",
        f"/{lang}/register",
    ):
        visit.open(path)
        assert background_lightness(visit.page) < 60, f"{path} is not dark"
    visit.open(f"/{lang}/courses/co-production/lessons/{LESSON_1.slug}")
    visit.shoot("lesson-dark")
    # The data page ends with the one button that cannot be undone: it must read well too.
    sign_in(visit, visit.site.staff["admin"])
    visit.open(f"/{lang}/account/data")


def test_every_main_page_passes_axe_in_light_and_dark_at_both_widths(
    chromium, site, screenshots, request
):
    """One pass through every main page in each colour scheme, each page checked at both
    widths: a learner from signing up to a quiz's result and their data, then an admin
    through the admin area and the trainer tools."""
    course = "/en/courses/co-production"
    author = "/en/author/courses/co-production"
    checked = 0
    for scheme in ("light", "dark"):
        context = chromium.new_context(color_scheme=scheme, locale="en", viewport=WIDTHS["desktop"])
        try:
            visit = Visit(context.new_page(), "en", site, screenshots)
            learner = f"every-page-{scheme}@example.org"
            visit.open("/en/login")
            sign_up(visit, learner, "Noor")
            visit.open("/en/")
            visit.open(f"{course}/")
            assert (background_lightness(visit.page) < 60) == (scheme == "dark"), scheme
            visit.open(f"{course}/lessons/{LESSON_1.slug}")
            visit.submit_form_with(ACKNOWLEDGE)
            assert visit.page.locator(".quiz-form").count() == 1, "the lesson with its quiz"
            answer_quiz(visit, right=False)
            visit.open("/en/account")
            visit.open("/en/account/data")
            context.clear_cookies()
            sign_in(visit, site.staff["admin"])
            visit.open("/en/admin/")
            visit.open("/en/admin/users")
            visit.page.get_by_role("link", name=learner).click()
            visit.check()
            assert visit.page.get_by_role("heading", level=1).inner_text() == "Noor"
            visit.open("/en/admin/cohorts")
            visit.open("/en/author/")
            for page in ("", "quizzes", "translations", f"lessons/{LESSON_1.slug}", "lessons/new"):
                visit.open(f"{author}/{page}")
            visit.open(f"{author}/lessons/{LESSON_1.slug}/history/en")
            visit.open(f"{author}/lessons/{LESSON_1.slug}/edit/en")
            editor = visit.page.locator(".cm-editor")
            background = editor.evaluate("element => getComputedStyle(element).backgroundColor")
            # The code editor takes the page's paper: the dark scheme's is rgb(20, 23, 29).
            assert (background == "rgb(20, 23, 29)") == (scheme == "dark"), background
            if scheme == "dark":
                visit.shoot("editor-dark")
            checked += len(visit.checked)
        finally:
            context.close()
    report(request, f"{checked} pages checked with axe-core, light and dark, in both widths")


# Each language's run publishes its own wide lesson, in a slot no other test takes.
WIDE_NUMBER = {"es": 10, "pt": 11, "en": 12}
SEVEN_COLUMNS = "| " + " | ".join(f"Columna de datos {n}" for n in range(1, 8)) + " |"
WIDE_LESSON = f"""---
title: Una lección ancha
author: Ana
date: 2026-11-25
---

Los datos de la encuesta, barrio a barrio:

{SEVEN_COLUMNS}
|{"---|" * 7}
{SEVEN_COLUMNS.replace("Columna de datos", "Participación vecinal del")}

```
curl --fail --silent https://datos.example.org/encuestas/coproduccion/2026/barrios/todos.csv
```

![Un mapa de los barrios, más ancho que un teléfono](mapa.svg)
"""
WIDE_PICTURE = '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="300"></svg>'


def scrolls_inside(page, selector: str) -> bool:
    return page.locator(selector).evaluate("element => element.scrollWidth > element.clientWidth")


# The layout is the same in every language: one is enough.
@pytest.mark.parametrize("lang", ["es"])
def test_a_wide_table_and_a_long_line_of_code_scroll_inside_the_lesson_on_a_phone(visit, lang):
    page, _ = visit.page, visit._
    course = visit.site.lessons / "co-production"
    folder = course / f"{WIDE_NUMBER[lang]}-a-wide-lesson-in-{lang}"
    folder.mkdir()
    folder.joinpath("es.md").write_text(WIDE_LESSON, encoding="utf-8")
    folder.joinpath("mapa.svg").write_text(WIDE_PICTURE, encoding="utf-8")
    sign_in(visit, visit.site.staff["trainer"])
    try:
        reload_lessons(visit)
        # In both widths: nothing reaches past the page's edge, and axe-core finds the
        # scrolling parts reachable by keyboard and named.
        visit.open(f"/{lang}/courses/co-production/lessons/{folder.name[3:]}")
        # On a desktop the code and the table reach past the reading column, the text not.
        text = page.locator(".lesson-body > p").first.bounding_box()["width"]
        for wide in (".lesson-body > pre", ".lesson-body > .table-scroll"):
            assert page.locator(wide).bounding_box()["width"] > text + 100, wide
        page.set_viewport_size(WIDTHS["phone"])
        region = page.get_by_role("region", name=_("Table"))
        assert region.get_attribute("tabindex") == "0"
        assert scrolls_inside(page, ".lesson-body .table-scroll")
        assert scrolls_inside(page, ".lesson-body pre")
        visit.shoot("wide-lesson", ".lesson-body .table-scroll")
    finally:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
        reload_lessons(visit)


# Two lines of a lesson's text, one with a footnote marker as lessons have them: their
# heights, the space between the marker's text and the next word, and the marker's size.
FOOTNOTE_LINE = """() => {
  const body = document.querySelector('.lesson-body');
  const plain = document.createElement('p'), marked = document.createElement('p');
  plain.innerHTML = 'Co-production<span>, next</span>';
  marked.innerHTML = 'Co-production<sup class="footnote-ref"><a href="#fn1">[i]</a></sup>'
    + '<span>, next</span>';
  body.prepend(plain, marked);
  const link = marked.querySelector('sup a');
  const text = document.createRange();
  text.selectNodeContents(link);
  const box = link.getBoundingClientRect();
  return [plain.offsetHeight, marked.offsetHeight,
          marked.querySelector('span').getBoundingClientRect().left
            - text.getBoundingClientRect().right,
          box.width, box.height]; }"""


def test_a_footnote_marker_keeps_its_line_as_high_as_the_others_and_adds_no_gap(visit):
    visit.open(f"/en/courses/co-production/lessons/{LESSON_1.slug}")
    plain, marked, gap, width, height = visit.page.evaluate(FOOTNOTE_LINE)
    assert marked == plain, "the marker raises its line"
    assert gap < 1.5, "a gap after the marker"
    assert width >= 24 and height >= 24, "still big enough to tap"


# Where a finger lands: a control wrapped in its label is tapped anywhere on the label.
TAP_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, select, input:not([type=hidden]), summary')]
  .map(target => target.closest('label') || target)
  .filter(target => target.getClientRects().length > 0
    && !target.closest('.visually-hidden') && getComputedStyle(target).visibility !== 'hidden')
  .map(target => { const box = target.getBoundingClientRect();
    return [target.innerText.trim().slice(0, 40) || target.outerHTML.slice(0, 60),
            Math.round(box.width), Math.round(box.height)]; })
  .filter(([, width, height]) => width < 24 || height < 24)"""


def test_every_link_and_button_on_a_phone_is_big_enough_to_tap(visit: Visit):
    """At least 24 × 24 px (WCAG 2.2, 2.5.8), for learners and for the course team."""
    page = visit.page
    page.set_viewport_size(WIDTHS["phone"])
    lesson = f"/en/courses/co-production/lessons/{LESSON_1.slug}"
    too_small = {}
    for path in ("/en/", lesson, "/en/privacy", "/en/login", "/en/register"):
        visit.open(path)
        too_small[path] = page.evaluate(TAP_TARGETS)
    sign_in(visit, visit.site.staff["admin"])
    visit.open(lesson)
    page.get_by_role("button", name=ACKNOWLEDGE).click()
    assert page.locator(".quiz-form input[type=radio]").count() > 0, "the quiz is measured too"
    too_small["the lesson with its quiz"] = page.evaluate(TAP_TARGETS)
    pages = ("/en/account/data", "/en/admin/", "/en/admin/users", "/en/author/")
    course = "/en/author/courses/co-production"
    for path in (*pages, f"{course}/translations", f"{course}/lessons/{LESSON_1.slug}"):
        visit.open(path)
        too_small[path] = page.evaluate(TAP_TARGETS)
    assert not {path: found for path, found in too_small.items() if found}
