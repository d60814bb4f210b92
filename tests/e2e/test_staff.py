"""Trainers and admins in the browser: a draft previewed and the lessons reloaded; the
dashboard read and its reports downloaded."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import PASSWORD, Visit
from tests.e2e.test_learner import ACKNOWLEDGE, LESSON_1, answer_quiz, sign_up

pytestmark = pytest.mark.e2e

# Each language's run writes its own draft, in a slot no shipped lesson takes.
DRAFT_NUMBER = {"es": 13, "pt": 14, "en": 15}


def sign_in(visit: Visit, email: str) -> None:
    page, _ = visit.page, visit._
    visit.open(f"/{visit.lang}/login")
    page.get_by_label(_("Email")).fill(email)
    page.get_by_label(_("Password"), exact=True).fill(PASSWORD)
    visit.submit_form_with(_("Sign in"))


def reload_lessons(visit: Visit) -> None:
    visit.header_link(visit._("Trainer tools")).click()
    visit.check()
    visit.submit_form_with(visit._("Reload lessons"))


# Each staff journey in one language: the pages' words in the others are fast tests', and
# every page is checked in all three by test_every_other_page_passes_the_same_checks.
@pytest.mark.parametrize("lang", ["pt"])
def test_a_trainer_previews_a_draft_and_reloads_the_lessons(visit, lang):
    page, _ = visit.page, visit._
    number = DRAFT_NUMBER[lang]
    folder = visit.site.lessons / "co-production" / f"{number}-a-draft-in-{lang}"
    folder.mkdir()
    draft = folder / "es.md"
    title = f"Borrador {number}: la escucha activa"
    draft.write_text(
        f'---\ntitle: "{title}"\nauthor: Ana\ndate: 2026-11-25\ndraft: true\n---\n\n'
        "## Escuchar antes de diseñar\n\nUn texto que nadie ve todavía.\n",
        encoding="utf-8",
    )
    sign_in(visit, visit.site.staff["trainer"])
    reload_lessons(visit)
    assert page.get_by_role("status").inner_text() == _("Lessons reloaded.")
    row = page.get_by_role("row").filter(has_text=title)
    assert row.get_by_text(_("Draft"), exact=True).is_visible()

    row.get_by_role("link", name="Español").click()
    visit.check()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == title and heading.get_attribute("lang") == "es"
    interface_language = "element => element.closest('[lang]').lang"
    assert page.locator(".eyebrow").last.evaluate(interface_language) == lang
    assert _("This is a draft: learners do not see it.") in page.get_by_role("note").inner_text()

    visit.open(f"/{lang}/courses/co-production/")
    assert page.get_by_text(title).count() == 0, "learners do not see drafts"

    draft.write_text(draft.read_text(encoding="utf-8").replace("date: 2026-11-25", "date: soon"))
    reload_lessons(visit)
    assert page.get_by_role("status").inner_text() == _(
        "The lessons have errors: learners still see the previous version."
    )
    problems = page.locator(".problems").inner_text()
    level, message = _("error"), _("'date' must be written as YYYY-MM-DD")
    assert f"\nco-production/{folder.name}/es.md:4:1: {level}: {message}" in problems, problems
    folder.joinpath("es.md").unlink()
    folder.rmdir()
    reload_lessons(visit)
    assert page.get_by_role("status").inner_text() == _("Lessons reloaded.")


def learner_who_passed_lesson_1(visit: Visit, email: str) -> None:
    """A learner, in a tab of their own, who has passed lesson 1's quiz."""
    sign_up(visit, email, "Marta")
    visit.open(f"/{visit.lang}/courses/co-production/lessons/{LESSON_1.slug}")
    visit.submit_form_with(visit._(ACKNOWLEDGE))
    answer_quiz(visit, right=True)


@pytest.mark.parametrize("lang", ["es"])
def test_an_admin_reads_the_dashboard_and_downloads_the_reports(visit, context, lang):
    page, _ = visit.page, visit._
    learner = Visit(context.browser.new_page(), lang, visit.site, visit.screenshots)
    email = f"reported-{lang}@example.org"
    learner_who_passed_lesson_1(learner, email)
    learner.page.close()

    sign_in(visit, visit.site.staff["admin"])
    page.get_by_role("link", name=_("Administration")).click()
    visit.check()
    assert page.get_by_role("heading", level=1).inner_text() == _("Dashboard")
    visit.shoot("dashboard")
    for width in visit.each_width():
        # The chart scrolls on a phone rather than shrink its words out of reading.
        label = page.locator(".chart-label").first
        height = label.evaluate("text => text.getBoundingClientRect().height")
        assert height >= 10, f"the chart's labels are {height:.1f} px high at {width} width"
    funnel = page.get_by_role("table", name=_("Learners who started and completed each lesson"))
    lesson_1_counts = funnel.get_by_role("row").nth(1).get_by_role("cell")
    assert int(lesson_1_counts.nth(1).inner_text()) >= 1, "completed lesson 1"

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).first.click()
    assert download.value.suggested_filename.endswith(".csv")
    text = download.value.path().read_text(encoding="utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["email"] == email]
    lesson_1 = next(row for row in rows if row["lesson_number"] == "1")
    assert lesson_1["completed_at"] and float(lesson_1["best_quiz_score"]) == 100

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX", exact=True).first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    found = [dict(zip(header, row, strict=True)) for row in cells if email in row]
    from_xlsx = next(row for row in found if row["lesson_number"] == 1)
    assert from_xlsx["best_quiz_score"] == 100 and from_xlsx["completed_at"] is not None


# One language: the pages' words in each are the fast tests' business.
@pytest.mark.parametrize("lang", ["en"])
def test_every_other_page_passes_the_same_checks(visit, lang):
    """The pages no journey above opens: signed out, then as an admin, who sees them all."""
    for path in ("privacy", "login", "password/forgot", "courses/co-production/lessons/no-such"):
        visit.open(f"/{lang}/{path}")
    sign_in(visit, visit.site.staff["admin"])
    visit.open(f"/{lang}/admin/users")
    for width in visit.each_width():
        region = visit.page.get_by_role("region", name=visit._("Users"))
        overflows, shadowed = region.evaluate(
            "region => [region.scrollWidth > region.clientWidth,"
            " getComputedStyle(region).backgroundImage.includes('radial-gradient')]"
        )
        assert overflows or width != "phone", "the table is wider than a phone"
        assert shadowed, "a shadow at its edge shows the table goes on"
    visit.page.get_by_role("link", name=visit.site.staff["trainer"]).click()
    visit.check()
    assert visit.page.get_by_role("heading", level=1).inner_text() == "Trainer"
    for path in (
        "admin/privacy",
        "author/courses/co-production/translations",
        "author/courses/co-production/quizzes",
    ):
        visit.open(f"/{lang}/{path}")


def test_an_admin_opens_an_account_for_a_trainer_who_chooses_a_password_and_signs_in(
    visit, context
):
    """Without the command line: the admin's form, the invitation in the trainer's language,
    the password chosen from its link, and the trainer signed in with it."""
    page, _ = visit.page, visit._
    sign_in(visit, visit.site.staff["admin"])
    visit.open("/en/admin/users")
    page.get_by_role("link", name=_("Create an account for someone")).click()
    visit.check()
    page.get_by_label(_("Email")).fill("rui.trainer@example.org")
    page.get_by_label(_("Name shown")).fill("Rui")
    page.get_by_role("combobox", name=_("Role")).select_option("trainer")
    page.get_by_role("combobox", name=_("Language")).select_option("pt")
    visit.submit_form_with(_("Create the account and send the invitation"))
    assert page.get_by_role("link", name="rui.trainer@example.org").is_visible()

    trainer = Visit(context.browser.new_page(), "pt", visit.site, visit.screenshots)
    link = visit.site.emailed_link("rui.trainer@example.org", "/password/reset/")
    trainer.open(link.removeprefix(visit.site.base))
    trainer.page.get_by_label(trainer._("New password")).fill(PASSWORD)
    trainer.submit_form_with(trainer._("Save my new password"))
    sign_in(trainer, "rui.trainer@example.org")
    assert trainer.header_link(trainer._("Trainer tools")).is_visible()
    trainer.page.close()
