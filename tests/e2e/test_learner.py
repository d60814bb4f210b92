"""A learner's journeys in each language, in the browser: from signing up to lesson 2,
changing language on the way, and taking their data with them before erasing it."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import LANGUAGES, PASSWORD, SHIPPED_COURSE, Visit

pytestmark = pytest.mark.e2e

LESSON_1, LESSON_2 = SHIPPED_COURSE.published_lessons[:2]
ACKNOWLEDGE = "I have read this notice: start the lesson"


def sign_up(visit: Visit, email: str, name: str) -> None:
    """Fill in the form, then open the link the server emailed and press its button."""
    page, _ = visit.page, visit._
    visit.open(f"/{visit.lang}/register")
    page.get_by_label(_("Email")).fill(email)
    page.get_by_label(_("Your name")).fill(name)
    page.get_by_label(_("Password"), exact=True).fill(PASSWORD)
    visit.submit_form_with(_("Create my account"))
    assert page.get_by_role("heading", name=_("Check your email")).is_visible()
    visit.open(visit.site.emailed_link(email, "/register/confirm/").removeprefix(visit.site.base))
    assert page.get_by_role("heading", name=_("Finish creating your account")).is_visible()
    visit.submit_form_with(_("Confirm and sign in"))


def answer_quiz(visit: Visit, right: bool, lesson=LESSON_1) -> None:
    """Answer every question of a lesson's quiz (lesson 1's unless told), all right or all
    wrong, and submit."""
    page = visit.page
    for question in lesson.quiz.questions:
        for option in question.options:
            box = page.locator(f'input[name="q-{question.id}"][value="{option.id}"]')
            if option.is_correct == right:
                box.check()
                if question.kind != "multiple":
                    break
    visit.submit_form_with(visit._("Submit my answers"))


def progress_line(visit: Visit, completed: int) -> str:
    planned = SHIPPED_COURSE.planned_lessons
    return visit._(
        "%(completed)d of %(planned)d lessons completed", completed=completed, planned=planned
    )


# Spanish and Portuguese, whose pages the README shows; English words are the source the
# fast tests check every translation against.
@pytest.mark.parametrize("lang", ["es", "pt"])
def test_a_learner_signs_up_passes_lesson_one_and_moves_on_to_lesson_two(visit, lang):
    page, _ = visit.page, visit._
    sign_up(visit, f"learner-{lang}@example.org", "Inês")
    visit.open(f"/{lang}/courses/co-production/")
    visit.shoot("course")
    assert page.locator(".progress-count").inner_text() == progress_line(visit, 0)

    page.get_by_role("link", name=LESSON_1.texts[lang].title).first.click()
    visit.check()
    visit.shoot("lesson")
    notice = page.locator("#data-notice")
    assert notice.get_by_role("heading", name=_("What personal data we collect and why"))
    details = notice.locator("details").first
    assert details.evaluate("element => element.open"), "the notice is open until confirmed"
    for _width in visit.each_width():
        # On a phone too, the button to start comes before a screen and a half.
        button = notice.get_by_role("button", name=_(ACKNOWLEDGE))
        screen = page.viewport_size["height"]
        assert button.bounding_box()["y"] < 1.5 * screen, "the notice buries the lesson"
    details.locator("summary").first.click()
    assert notice.get_by_role("button", name=_(ACKNOWLEDGE)).is_visible(), "folded, not hidden"

    visit.submit_form_with(_(ACKNOWLEDGE))
    assert not details.evaluate("element => element.open")

    answer_quiz(visit, right=False)
    result = page.locator("#quiz-result")
    assert _("Not passed") in result.inner_text()
    attempts_left = visit.n_("You have %(num)d attempt left.", "You have %(num)d attempts left.", 2)
    assert page.locator(".attempts-left").inner_text() == attempts_left

    answer_quiz(visit, right=True)
    assert _("Passed") in result.inner_text()
    visit.shoot("quiz-result", anchor="#quiz-result")
    assert page.locator(".lesson-status .done").is_visible()
    assert page.locator(".progress-count").inner_text() == progress_line(visit, 1)

    page.get_by_role("link", name=_("All lessons")).click()
    visit.check()
    visit.shoot("course-progress")
    assert page.locator(".progress-count").inner_text() == progress_line(visit, 1)
    coming = page.locator(".lessons-coming")
    assert not coming.evaluate("element => element.open"), "the lessons to come, folded"
    assert coming.locator("summary").inner_text() == visit.n_(
        "%(num)d more lesson coming", "%(num)d more lessons coming", 13
    )
    lesson_2_title = LESSON_2.texts[lang].title
    resume = _(
        "Continue where you left off: lesson %(number)d, “%(title)s”",
        number=2,
        title=lesson_2_title,
    )
    page.get_by_role("link", name=resume).click()
    visit.check()
    assert page.get_by_role("heading", level=1).inner_text() == lesson_2_title
    assert (
        page.locator(".eyebrow").inner_text().lower()
        == _(
            "Lesson %(number)d of %(total)d", number=2, total=SHIPPED_COURSE.planned_lessons
        ).lower()
    )
    # Lesson 2 records the same as lesson 1, whose notice was confirmed: one line, folded,
    # nothing to confirm, the lesson begun.
    visit.shoot("lesson-two")
    notice = page.locator("#data-notice")
    same = notice.locator("summary").first
    assert (
        same.inner_text().split()
        == (_("What this lesson records: the same as before.") + " " + _("Read the notice")).split()
    )
    assert not notice.locator("details").first.evaluate("element => element.open")
    assert notice.get_by_role("button", name=_(ACKNOWLEDGE)).count() == 0
    assert page.locator(".quiz-form").count() == 1
    for _width in visit.each_width():
        body = page.locator(".lesson-body").bounding_box()
        assert body["y"] < page.viewport_size["height"], "the lesson starts on the first screen"
    assert not notice.get_by_role("link", name=_("Your rights")).is_visible()
    same.click()
    assert notice.locator('[data-category="quiz-answers"]').is_visible(), "one tap away"
    assert notice.get_by_role("link", name=_("Your rights")).is_visible(), "the rights too"


# One language to start from: what the words say in each is the fast tests' business.
@pytest.mark.parametrize("lang", ["es"])
def test_switching_language_mid_lesson_keeps_the_lesson_and_the_unsent_answers(visit, lang):
    page = visit.page
    sign_up(visit, f"switcher-{lang}@example.org", "Jordi")
    visit.open(f"/{lang}/courses/co-production/lessons/{LESSON_2.slug}")
    visit.submit_form_with(visit._(ACKNOWLEDGE))

    lesson_url = page.url
    question = LESSON_2.quiz.questions[0]
    ticked_box = f'input[name="q-{question.id}"][value="{question.options[-1].id}"]'
    page.locator(ticked_box).check()
    for other in (language for language in LANGUAGES if language != lang):
        page.locator(".language-nav").locator(f'[lang="{other}"]').click()
        visit.speak(other)
        visit.check()
        assert page.url == lesson_url.replace(f"/{lang}/", f"/{other}/") + "#quiz"
        assert page.get_by_role("heading", level=1).inner_text() == LESSON_2.texts[other].title
        already_confirmed = page.get_by_role("button", name=visit._(ACKNOWLEDGE))
        assert already_confirmed.count() == 0
        assert page.locator(ticked_box).is_checked(), "the answer not yet sent is still ticked"
        page.locator(".language-nav").locator(f'[lang="{lang}"]').click()
        visit.speak(lang)
        assert page.locator(ticked_box).is_checked()
    # Enter in the quiz sends the answers, in the page's language, and switches nothing.
    page.locator(ticked_box).press("Enter")
    visit.check()
    assert page.url.startswith(f"{lesson_url}/quiz"), "sent to the quiz, in the same language"
    assert page.get_by_text(
        visit._("Please answer every question; your other answers are kept below.")
    ).is_visible()
    assert page.locator(ticked_box).is_checked()


# Half an hour off UTC: a time shown in the server's zone could not pass for it.
LEARNERS_ZONE = "Asia/Kolkata"
# What reaches past its container, or the page, at the tab's width.
TOO_WIDE = """() => {
    const page = document.documentElement;
    const tables = [...document.querySelectorAll("main table")].filter(
        (table) => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1);
    return {page: page.scrollWidth - page.clientWidth, tables: tables.length};
}"""


@pytest.mark.parametrize("timezone_id", [LEARNERS_ZONE])
@pytest.mark.parametrize("lang", ["pt"])
def test_a_learner_downloads_their_data_then_erases_their_account(visit, lang):
    page, _ = visit.page, visit._
    email = f"leaver-{lang}@example.org"
    sign_up(visit, email, "Zoë")
    visit.open(f"/{lang}/courses/co-production/lessons/{LESSON_1.slug}")
    visit.submit_form_with(_(ACKNOWLEDGE))

    page.get_by_role("link", name=_("My data")).click()
    visit.check()
    visit.shoot("my-data", "#progress")
    for width in visit.each_width():
        assert page.evaluate(TOO_WIDE) == {"page": 0, "tables": 0}, width
    # Each time is the learner's own, in the page's language, however the server wrote it.
    times = page.locator("time.local-time")
    assert times.count() > 3
    assert not [text for text in times.all_inner_texts() if "UTC" in text]
    created = page.locator("#account time").nth(1)
    moment = dt.datetime.fromisoformat(created.get_attribute("datetime"))
    local = moment.astimezone(ZoneInfo(LEARNERS_ZONE))
    shown = created.inner_text()
    assert f":{local:%M}" in shown and str(local.day) in shown, shown
    assert f":{moment:%M}" not in shown, "not the UTC time"
    with page.expect_download() as download:
        page.get_by_role("link", name=_("Download my data (JSON)")).click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert email in json.dumps(exported, ensure_ascii=False)
    assert LESSON_1.slug in json.dumps(exported)

    erase = page.locator("#erase")
    erase.get_by_label(_("Your password, to confirm")).fill(PASSWORD)
    visit.submit_form_with(_("Erase my account and data"))
    erased = _(
        "Your account and your data have been erased. Only the record of what the course"
        " team did about your account stays, with its number alone."
    )
    assert page.get_by_role("status").inner_text() == erased
    assert page.get_by_role("link", name=_("Sign in")).first.is_visible()

    visit.open(f"/{lang}/login")
    page.get_by_label(_("Email")).fill(email)
    page.get_by_label(_("Password"), exact=True).fill(PASSWORD)
    visit.submit_form_with(_("Sign in"))
    assert page.get_by_role("alert").inner_text() == _("The email or the password is not right.")


# One language: the words in each are the fast tests' business.
@pytest.mark.parametrize("lang", ["pt"])
def test_a_learner_earns_the_certificate_and_anyone_can_check_it(visit, lang, chromium):
    page, _ = visit.page, visit._
    sign_up(visit, f"graduate-{lang}@example.org", "Inês")
    for lesson in (LESSON_1, LESSON_2):
        visit.open(f"/{lang}/courses/co-production/lessons/{lesson.slug}")
        acknowledge = page.get_by_role("button", name=_(ACKNOWLEDGE))
        if acknowledge.count():
            visit.submit_form_with(_(ACKNOWLEDGE))
        answer_quiz(visit, right=True, lesson=lesson)
    told = _(
        "You have earned the course's certificate: tell us on the course page how to"
        " print your name."
    )
    assert told in page.locator("#quiz").inner_text()

    visit.open(f"/{lang}/courses/co-production/")
    box = page.locator("#certificate")
    name = box.get_by_label(_("Your name as it should be printed"))
    assert name.input_value() == "Inês"
    name.fill("Inês Conceição Gonçalves")
    visit.submit_form_with(_("Issue my certificate"))
    visit.shoot("certificate", anchor="#certificate")
    assert "Inês Conceição Gonçalves" in box.inner_text()
    with page.expect_download() as download:
        box.locator('a[hreflang="en"]').click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    verification = box.get_by_role("link", name=_("Open the public verification page"))
    address = verification.get_attribute("href")

    # Someone else, not signed in, in another browser: the employer checking it.
    employer = chromium.new_context(locale="en-GB")
    try:
        checking = employer.new_page()
        checking.goto(visit.site.url(address))
        assert checking.get_by_role("status").inner_text() == _("This certificate is valid.")
        assert "Inês Conceição Gonçalves" in checking.locator("main").inner_text()
    finally:
        employer.close()
