"""A learner protects their account in the browser: the security page, two-step sign-in
set up with an authenticator app, and signing in with it."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.e2e.test_learner import sign_up
from tests.e2e.test_staff import sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["pt"])
def test_a_learner_turns_on_two_step_sign_in_and_signs_in_with_it(visit, lang):
    page, _ = visit.page, visit._
    email = f"careful-{lang}@example.org"
    sign_up(visit, email, "Inês")
    visit.open(f"/{lang}/account/data")
    page.get_by_role(
        "link",
        name=_(
            "Your password, email address, two-step sign-in and the browsers where you are"
            " signed in"
        ),
    ).click()
    visit.check()
    visit.shoot("security")
    assert page.locator("#sessions tbody tr").count() == 1

    page.get_by_role("link", name=_("Turn on two-step sign-in")).click()
    visit.check()
    visit.shoot("two-step-setup")
    assert page.get_by_role("img", name=_("QR code for your authenticator app")).is_visible()
    key = page.locator(".setup-key").inner_text().replace(" ", "")
    page.get_by_label(_("The 6-digit code your app shows")).fill(pyotp.TOTP(key).now())
    visit.submit_form_with(_("Turn on two-step sign-in"))
    assert page.get_by_role("heading", name=_("Your recovery codes")).is_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes)
    page.get_by_role("link", name=_("I have kept them")).click()
    visit.check()

    visit.submit_form_with(_("Sign out"))
    sign_in(visit, email)
    assert page.get_by_role("heading", name=_("Two-step sign-in")).is_visible()
    field = page.get_by_label(_("Code from your authenticator app, or a recovery code"))
    # The next code: the one typed at set-up works only once.
    field.fill(pyotp.TOTP(key).at(time.time() + 30))
    visit.submit_form_with(_("Sign in"))
    assert page.get_by_role("link", name=_("My data")).is_visible(), "signed in"
