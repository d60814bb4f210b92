"""The learner journey with the keyboard alone: Tab to move, Enter to follow and submit,
Space to tick. Inside a group of radio buttons the arrow keys pick the option, as in every
browser: a group is one Tab stop, so that Tab moves on to the next question."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import PASSWORD, Visit
from tests.e2e.test_learner import ACKNOWLEDGE, LESSON_1, LESSON_2, progress_line

pytestmark = pytest.mark.e2e

MOST_TABS_TO_ANYTHING = 120


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate("(selector) => document.activeElement.matches(selector)", selector)


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus, and check that the
    focus can be seen there."""
    for _ in range(MOST_TABS_TO_ANYTHING):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"no visible focus on {selector}"
            return
    raise AssertionError(f"Tab never reaches {selector} on {page.url}")


def press_and_wait(page: Page, key: str) -> None:
    """Press `key` on the focused link or button and wait for the page it loads."""
    page.evaluate("window.beforeKeyPress = true")
    page.keyboard.press(key)
    # A function, not an expression: polling an expression would eval it, which CSP forbids.
    page.wait_for_function("() => window.beforeKeyPress === undefined")
    page.wait_for_load_state()


def skip_to_content(page: Page, visit: Visit) -> None:
    """The first Tab on a page shows the skip link; Enter on it moves the focus to the
    content, so that the next Tab is inside it."""
    page.keyboard.press("Tab")
    assert focused_matches(page, ".skip-link")
    link = page.locator(".skip-link")
    assert link.inner_text() == visit._("Skip to content")
    assert link.is_visible() and link.bounding_box()["x"] >= 0, "the skip link shows on focus"
    page.keyboard.press("Enter")
    assert focused_matches(page, "#content")


def answer_by_keyboard(page: Page, right: bool) -> None:
    for question in LESSON_1.quiz.questions:
        wanted = [option.id for option in question.options if option.is_correct == right]
        group = f'input[name="q-{question.id}"]'
        if question.kind == "multiple":
            for option in question.options:
                tab_to(page, f'{group}[value="{option.id}"]')
                if option.id in wanted:
                    page.keyboard.press("Space")
            continue
        tab_to(page, group)
        values = [option.id for option in question.options]
        current = values.index(page.evaluate("document.activeElement.value"))
        steps = (values.index(wanted[0]) - current) % len(values)
        for _ in range(steps):
            page.keyboard.press("ArrowDown")
        if steps == 0:
            page.keyboard.press("Space")
        assert page.locator(f'{group}[value="{wanted[0]}"]').is_checked()
    tab_to(page, ".quiz-form button[type=submit]")
    press_and_wait(page, "Enter")


# One language: what the keys reach does not change with the words.
@pytest.mark.parametrize("lang", ["pt"])
def test_the_learner_journey_needs_only_the_keyboard(visit, lang):
    page, _ = visit.page, visit._
    email = f"keyboard-{lang}@example.org"
    page.goto(visit.site.url(f"/{lang}/register"))
    skip_to_content(page, visit)
    for field, text in (("#email", email), ("#display_name", "Teclado"), ("#password", PASSWORD)):
        tab_to(page, field)
        page.keyboard.type(text)
    press_and_wait(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == _("Check your email")

    page.goto(visit.site.emailed_link(email, "/register/confirm/"))
    tab_to(page, "main form button")
    assert page.evaluate("document.activeElement.textContent.trim()") == _("Confirm and sign in")
    press_and_wait(page, "Enter")
    # The course's own page, as its address in an email or a bookmark opens it: where the
    # first page after signing in leads depends on the courses other journeys left open.
    page.goto(visit.site.url(f"/{lang}/courses/co-production/"))
    skip_to_content(page, visit)
    tab_to(page, f'main a[href$="/lessons/{LESSON_1.slug}"]')
    press_and_wait(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == LESSON_1.texts[lang].title

    tab_to(page, 'form[action$="/acknowledge"] button')
    assert page.evaluate("document.activeElement.textContent.trim()") == _(ACKNOWLEDGE)
    press_and_wait(page, "Enter")

    answer_by_keyboard(page, right=False)
    assert _("Not passed") in page.locator("#quiz-result").inner_text()
    answer_by_keyboard(page, right=True)
    assert _("Passed") in page.locator("#quiz-result").inner_text()
    assert page.locator(".progress-count").inner_text() == progress_line(visit, 1)

    tab_to(page, "a[rel=next]")
    press_and_wait(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == LESSON_2.texts[lang].title
