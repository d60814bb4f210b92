"""A trainer writes a lesson in the browser: a mistake typed is listed and marked in the
text, its button takes the cursor to it, once it is fixed the preview shows the new text,
and learners see it once it is saved and published; the editor is reached and left with
Tab alone, and used by touch on a tablet; and the strict Content-Security-Policy lets the
editor run without a single complaint in the console. The axe journey of
tests/e2e/test_design.py checks its pages in dark mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Visit
from tests.e2e.test_staff import sign_in

pytestmark = pytest.mark.e2e

LESSON = "what-is-co-production"
# The line the editor's cursor is on, as its gutter of line numbers shows it.
CURSOR_LINE = ".cm-lineNumbers .cm-activeLineGutter"


@pytest.fixture
def console_errors(visit: Visit) -> Iterator[list[str]]:
    """Every error the page logs (a CSP violation among them) or throws."""
    errors: list[str] = []
    visit.page.on(
        "console", lambda message: message.type == "error" and errors.append(message.text)
    )
    visit.page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
    assert errors == []


def editor_text(page: Page) -> str:
    """The text the form posts: the textarea the editor keeps in step."""
    return page.evaluate("document.querySelector('textarea[name=text]').value")


@pytest.mark.parametrize("lang", ["es"])
def test_a_trainer_types_a_mistake_goes_to_it_from_the_list_and_fixes_it(
    visit, console_errors, lang
):
    page, _ = visit.page, visit._
    sign_in(visit, visit.site.staff["trainer"])
    visit.open(f"/{lang}/author/courses/co-production/")
    page.locator(f'a[href$="/lessons/{LESSON}/edit/{lang}"]').click()
    visit.check()
    editor = page.locator(".cm-content")
    expect(editor).to_be_visible()
    expect(page.locator("#problems-status")).to_have_text(_("No problems found."))
    original = editor_text(page)

    # With the keyboard alone: Tab from the last link above reaches the editor, with its
    # focus ring, and Tab in it writes nothing and goes on to the form's button.
    page.locator(".edit-state a, .edit-state button").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    # CodeMirror marks itself focused a moment after the focus moves: waited for.
    expect(page.locator(".cm-editor")).to_have_css("outline-style", "solid")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == _("Save")
    assert editor_text(page) == original

    # A new last line with a link to a lesson the course does not have.
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nVer [la lección siguiente](../09-ninguna/)")
    last_line = original.count("\n") + 2
    problem = page.locator("#problems button")
    expect(problem).to_have_count(1)
    message = _("link to a lesson that does not exist: %(href)s", href="../09-ninguna/")
    column = len("Ver [la lección siguiente](") + 1
    expect(problem).to_have_text(
        f"{_('error')} "
        + _("line %(line)s, column %(column)s: %(message)s")
        % {"line": last_line, "column": column, "message": message}
    )
    expect(page.locator("#problems-status")).to_have_text(
        _("Errors: %(errors)s, warnings: %(warnings)s.", errors=1, warnings=0)
        + " "
        + _("The preview is not updated while there are errors.")
    )
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)
    assert "../09-ninguna/" in editor_text(page)

    # Away to the top, then back to the mistake from its line in the list.
    page.keyboard.press("Control+Home")
    expect(page.locator(CURSOR_LINE)).to_have_text("1")
    problem.click()
    expect(page.locator(CURSOR_LINE)).to_have_text(str(last_line))
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")

    # The cursor is at the link's address: typing the right one fixes it.
    page.keyboard.press("Shift+End")
    page.keyboard.type("../02-towards-co-production-of-public-policies/)")
    expect(page.locator("#problems button")).to_have_count(0)
    expect(page.locator("#problems-status")).to_have_text(_("No problems found."))
    expect(page.locator(".cm-lintRange-error")).to_have_count(0)
    link = page.locator("#preview .lesson-body a", has_text="la lección siguiente")
    expect(link).to_have_attribute(
        "href",
        f"/{lang}/author/courses/co-production/lessons/towards-co-production-of-public-policies",
    )
    visit.check()
    visit.shoot("editor")

    # The server out of reach: the editor says so, and the preview stays as it was. The
    # browser logs the request it could not make, and nothing else.
    assert console_errors == []
    page.route("**/check", lambda route: route.abort())
    editor.click()
    page.keyboard.type(" más")
    expect(page.locator("#problems-status")).to_have_text(
        _("The text could not be checked just now: the preview shows the last text checked.")
    )
    expect(link).to_be_visible()
    assert console_errors and all("ERR_FAILED" in error for error in console_errors)
    console_errors.clear()
    page.unroute("**/check")

    # Saved, it is not yet the learners'; published, it is, within a few seconds.
    with page.expect_navigation():
        page.get_by_role("button", name=_("Save")).click()
    expect(page.locator(".flash-success")).to_have_text(
        _("Saved. Learners see it once you publish the lesson.")
    )
    assert "towards-co-production-of-public-policies" in editor_text(page)
    lesson_page = f"/{lang}/courses/co-production/lessons/{LESSON}"
    visit.open(lesson_page)
    expect(page.locator(".lesson-body")).not_to_contain_text("la lección siguiente")
    visit.open(f"/{lang}/author/courses/co-production/lessons/{LESSON}/edit/{lang}")
    with page.expect_navigation():
        page.get_by_role("button", name=_("Publish the lesson")).click()
    expect(
        page.get_by_text(_("Published: learners see the new version within a few seconds."))
    ).to_be_visible()
    visit.open(lesson_page)
    expect(page.locator(".lesson-body a", has_text="la lección siguiente")).to_be_visible()

    # The history: the text as the files had it, then the trainer's, which learners get.
    visit.open(f"/{lang}/author/courses/co-production/lessons/{LESSON}/history/{lang}")
    versions = page.locator(".revisions li")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text(_("Published"))
    expect(versions.last).to_contain_text(_("found in the lesson files"))
    visit.shoot("history")


def test_on_a_tablet_a_trainer_writes_by_touch_and_puts_a_picture_in_the_text(
    chromium, site, screenshots, tmp_path
):
    """A tablet held upright: tapping the text puts the cursor there, and a picture
    uploaded with its description goes into the text at the cursor, shown in the preview."""
    context = chromium.new_context(
        locale="pt-PT", viewport={"width": 820, "height": 1180}, has_touch=True, is_mobile=True
    )
    try:
        visit = Visit(context.new_page(), "pt", site, screenshots)
        page, _ = visit.page, visit._
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        sign_in(visit, site.staff["trainer"])
        second = "towards-co-production-of-public-policies"
        visit.open(f"/pt/author/courses/co-production/lessons/{second}/edit/pt")
        first_line = page.locator(".cm-content .cm-line").nth(0)
        first_line.tap()
        assert page.evaluate("document.activeElement.classList.contains('cm-content')")
        page.keyboard.press("Control+End")
        page.keyboard.type("\n\n")

        picture = tmp_path / "Diagrama da Política.png"
        Image.new("RGB", (40, 30), "teal").save(picture)
        page.get_by_label(_("What the picture shows, for those who cannot see it")).fill(
            "Um diagrama"
        )
        page.locator("input[name=picture]").set_input_files(picture)
        page.get_by_role("button", name=_("Upload the picture")).tap()
        expect(page.locator("#picture-status")).to_have_text(
            _("The picture is in the text, where the cursor was. It is published with the lesson.")
        )
        assert editor_text(page).rstrip().endswith("![Um diagrama](diagrama-da-politica.png)")
        shown = page.locator('#preview img[alt="Um diagrama"]')
        expect(shown).to_be_visible()
        assert shown.evaluate("image => image.naturalWidth") == 40
        assert errors == []
    finally:
        context.close()
