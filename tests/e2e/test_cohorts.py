"""A cohort in the browser: an admin creates one of the guide for trainers, by invitation,
with a trainer; a learner joins by its invitation link and passes the guide's lesson 1; the
trainer follows them. The guide then opens to its members only: the lab's course, which
the other journeys take, stays open to all."""

from __future__ import annotations

import re

import pytest

from app.content import load_course
from tests.conftest import LESSONS_DIR
from tests.e2e.conftest import Visit
from tests.e2e.test_learner import ACKNOWLEDGE, answer_quiz, sign_up
from tests.e2e.test_staff import sign_in

pytestmark = pytest.mark.e2e

GUIDE = "writing-lessons"
GUIDE_LESSON_1 = load_course(LESSONS_DIR / GUIDE).published_lessons[0]


def create_cohort(visit: Visit, name: str) -> str:
    """As an admin: a cohort by invitation of the guide, led by the site's trainer; returns
    its invitation link in the visit's language."""
    page, _ = visit.page, visit._
    sign_in(visit, visit.site.staff["admin"])
    visit.open(f"/{visit.lang}/admin/cohorts?course={GUIDE}")
    page.get_by_role("link", name=_("New cohort")).click()
    visit.check()
    page.get_by_label(_("Name")).fill(name)
    page.get_by_label(_("Who can join")).select_option("invitation")
    page.get_by_label(re.compile(re.escape(visit.site.staff["trainer"]))).check()
    visit.submit_form_with(_("Create the cohort"))
    links = page.locator("#link code").all_inner_texts()
    return next(link for link in links if f"/{visit.lang}/join/" in link)


@pytest.mark.parametrize("lang", ["pt"])
def test_a_learner_joins_by_the_invitation_link_and_the_trainer_follows_them(visit, context, lang):
    name = "Formadores da edição de outono"
    link = create_cohort(visit, name)

    learner = Visit(context.browser.new_page(), lang, visit.site, visit.screenshots)
    sign_up(learner, "joining@example.org", "Leonor")
    learner.open(link.removeprefix(visit.site.base))
    assert learner.page.get_by_role("heading", level=1).inner_text() == learner._(
        "Join “%(cohort)s”", cohort=name
    )
    learner.shoot("join")
    learner.submit_form_with(learner._("Join the cohort"))
    learner.open(f"/{lang}/")
    learner.shoot("catalogue")
    learner.open(f"/{lang}/courses/{GUIDE}/lessons/{GUIDE_LESSON_1.slug}")
    learner.submit_form_with(learner._(ACKNOWLEDGE))
    answer_quiz(learner, right=True, lesson=GUIDE_LESSON_1)
    learner.page.close()

    trainer = Visit(context.browser.new_page(), lang, visit.site, visit.screenshots)
    sign_in(trainer, visit.site.staff["trainer"])
    trainer.page.get_by_role("link", name=trainer._("Trainer tools")).click()
    trainer.check()
    trainer.page.get_by_role("link", name=trainer._("Your cohorts")).first.click()
    trainer.check()
    trainer.page.get_by_role("link", name=name).click()
    trainer.check()
    row = trainer.page.locator("tr[data-learner]").filter(has_text="Leonor")
    assert row.count() == 1
    assert "1/" in row.inner_text(), "one lesson completed"
    assert trainer._("Completed") in row.inner_text()
    trainer.shoot("cohort", anchor="#learners")
