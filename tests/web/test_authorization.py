"""Who may open what: every route of the app, as each kind of visitor. A route added
without a line here makes this test fail, so access is always decided on purpose.

The site has two courses and cohorts in both (tests/web/cohort_site.py): the trainer leads
the "spring" cohort of one course, "trainer-b" the "guide" cohort of the other. Besides the
statuses, every answer is read for names and emails of learners the visitor must not see:
there must be none."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.conftest import sign_in_as
from tests.web import cohort_site
from tests.web.cohort_site import LEARNERS, ONLY_IN

LESSON = "what-is-co-production"
SIGN_IN = 302
# endpoint: (method, path, {visitor: status}); "*" stands for every visitor not listed, and
# "trainer-b" answers as "trainer" unless listed. A path's {spring}, {guide} and {alice}
# are the numbers of the site's cohorts and of a learner of spring.
MATRIX = {
    "static": ("GET", "/static/css/aula.css", {"*": 200}),
    "health.healthz": ("GET", "/healthz", {"*": 200}),
    "certificates.key_set": ("GET", "/.well-known/jwks.json", {"*": 200}),
    "certificates.public_key": ("GET", "/keys/unknown", {"*": 404}),
    "certificates.issuer": ("GET", "/issuer/co-production", {"*": 200}),
    "learn.root": ("GET", "/", {"*": 302}),
    "learn.home": ("GET", "/en/", {"*": 200}),
    "learn.course": ("GET", "/en/courses/co-production/", {"*": 200}),
    "learn.moved_lesson": ("GET", f"/en/lessons/{LESSON}", {"*": 301}),
    "learn.lesson": ("GET", f"/en/courses/co-production/lessons/{LESSON}", {"*": 200}),
    "learn.lesson_file": (
        "GET",
        f"/en/courses/co-production/lessons/{LESSON}/files/none.png",
        {"*": 404},
    ),
    "learn.privacy_notice": ("GET", "/en/privacy", {"*": 200}),
    # Sent without a name: refused with the form again.
    "learn.claim_certificate": (
        "POST",
        "/en/courses/co-production/certificate",
        {"anonymous": SIGN_IN, "*": 422},
    ),
    "learn.certificate_pdf_file": (
        "GET",
        "/en/courses/co-production/certificate.pdf",
        {"anonymous": SIGN_IN, "*": 404},
    ),
    "learn.certificate_credential": (
        "GET",
        "/en/courses/co-production/certificate.jwt",
        {"anonymous": SIGN_IN, "*": 404},
    ),
    "certificates.verify_any_language": ("GET", "/verify/unknown", {"*": 302}),
    "certificates.verify": ("GET", "/en/verify/unknown", {"*": 404}),
    "certificates.check": ("GET", "/en/verify", {"*": 200}),
    "certificates.issued": (
        "GET",
        "/en/courses/co-production/certificates",
        {"trainer": 200, "admin": 200},
    ),
    "certificates.revoke": (
        "POST",
        "/en/courses/co-production/certificates/1/revoke",
        {"trainer": 404, "admin": 404},
    ),
    "certificates.reissue": (
        "POST",
        "/en/courses/co-production/certificates/1/reissue",
        {"trainer": 404, "admin": 404},
    ),
    "learn.acknowledge": (
        "POST",
        f"/en/courses/co-production/lessons/{LESSON}/acknowledge",
        {"anonymous": SIGN_IN, "*": 400},
    ),
    "learn.complete": (
        "POST",
        f"/en/courses/co-production/lessons/{LESSON}/complete",
        {"anonymous": SIGN_IN, "*": 409},
    ),
    "learn.answer_quiz": (
        "POST",
        f"/en/courses/co-production/lessons/{LESSON}/quiz",
        {"anonymous": SIGN_IN, "*": 409},
    ),
    "account.register": ("GET", "/en/register", {"*": 200}),
    "account.confirm": ("GET", "/en/register/confirm/unknown", {"*": 410}),
    "account.login": ("GET", "/en/login", {"anonymous": 200, "*": 302}),
    "account.logout": ("POST", "/en/logout", {"*": 303}),
    "account.forgot_password": ("GET", "/en/password/forgot", {"*": 200}),
    "account.reset_password": ("GET", "/en/password/reset/unknown", {"*": 410}),
    "account.my_data": ("GET", "/en/account/data", {"anonymous": SIGN_IN, "*": 200}),
    "account.my_data_json": ("GET", "/account/data.json", {"anonymous": SIGN_IN, "*": 200}),
    "account.save_consents": ("POST", "/en/account/consents", {"anonymous": SIGN_IN, "*": 303}),
    "account.object_to_figures": (
        "POST",
        "/en/account/objection",
        {"anonymous": SIGN_IN, "*": 400},
    ),
    "account.erase": ("POST", "/en/account/erase", {"anonymous": SIGN_IN, "*": 422}),
    "account.second_step": ("GET", "/en/login/two-step", {"*": 303}),
    "account.confirm_identity": ("GET", "/en/account/confirm", {"anonymous": SIGN_IN, "*": 200}),
    "account.security": ("GET", "/en/account/security", {"anonymous": SIGN_IN, "*": 200}),
    "account.profile": ("GET", "/en/account", {"anonymous": SIGN_IN, "*": 200}),
    "account.certificate_name": (
        "POST",
        "/en/account/certificate-name",
        {"anonymous": SIGN_IN, "*": 422},
    ),
    "account.end_session": (
        "POST",
        "/en/account/sessions/999/end",
        {"anonymous": SIGN_IN, "*": 303},
    ),
    "account.end_other_sessions": (
        "POST",
        "/en/account/sessions/end-others",
        {"anonymous": SIGN_IN, "*": 303},
    ),
    "account.change_password": ("GET", "/en/account/password", {"anonymous": SIGN_IN, "*": 200}),
    "account.change_email": ("GET", "/en/account/email", {"anonymous": SIGN_IN, "*": 200}),
    "account.confirm_email_change": ("GET", "/en/account/email/confirm/unknown", {"*": 410}),
    "account.two_step_setup": ("GET", "/en/account/two-step", {"anonymous": SIGN_IN, "*": 200}),
    "account.two_step_off": ("POST", "/en/account/two-step/off", {"anonymous": SIGN_IN, "*": 303}),
    "account.renew_recovery_codes": (
        "POST",
        "/en/account/two-step/recovery-codes",
        {"anonymous": SIGN_IN, "*": 303},
    ),
    "author.index": ("GET", "/en/author/", {"trainer": 200, "admin": 200}),
    "author.reload": ("POST", "/en/author/reload", {"trainer": 200, "admin": 200}),
    "author.course": (
        "GET",
        "/en/author/courses/co-production/",
        {"trainer": 200, "admin": 200},
    ),
    "author.preview": (
        "GET",
        f"/en/author/courses/co-production/lessons/{LESSON}",
        {"trainer": 200, "admin": 200},
    ),
    "author.preview_file": (
        "GET",
        f"/en/author/courses/co-production/lessons/{LESSON}/files/none.png",
        {"trainer": 404, "admin": 404},
    ),
    "author.edit": (
        "GET",
        f"/en/author/courses/co-production/lessons/{LESSON}/edit/en",
        {"trainer": 200, "admin": 200},
    ),
    "author.check_text": (
        "POST",
        f"/en/author/courses/co-production/lessons/{LESSON}/edit/en/check",
        {"trainer": 200, "admin": 200},
    ),
    # Posted with nothing but the form's token: refused or nothing to do, so the shipped
    # lessons the site reads are never written.
    "author.save": (
        "POST",
        f"/en/author/courses/co-production/lessons/{LESSON}/edit/en",
        {"trainer": 400, "admin": 400},
    ),
    "author.history": (
        "GET",
        f"/en/author/courses/co-production/lessons/{LESSON}/history/en",
        {"trainer": 200, "admin": 200},
    ),
    "author.restore": (
        "POST",
        f"/en/author/courses/co-production/lessons/{LESSON}/history/en/restore",
        {"trainer": 400, "admin": 400},
    ),
    "author.publish_lesson": (
        "POST",
        f"/en/author/courses/co-production/lessons/{LESSON}/publish",
        {"trainer": 303, "admin": 303},
    ),
    "author.publish_course": (
        "POST",
        "/en/author/courses/co-production/publish",
        {"trainer": 303, "admin": 303},
    ),
    "author.new_lesson": (
        "GET",
        "/en/author/courses/co-production/lessons/new",
        {"trainer": 200, "admin": 200},
    ),
    "author.start_translation": (
        "POST",
        f"/en/author/courses/co-production/lessons/{LESSON}/translate/en",
        {"trainer": 303, "admin": 303},
    ),
    "author.upload_picture": (
        "POST",
        f"/en/author/courses/co-production/lessons/{LESSON}/pictures",
        {"trainer": 422, "admin": 422},
    ),
    "author.translations": (
        "GET",
        "/en/author/courses/co-production/translations",
        {"trainer": 200, "admin": 200},
    ),
    "author.quizzes": (
        "GET",
        "/en/author/courses/co-production/quizzes",
        {"trainer": 200, "admin": 200},
    ),
    # The trainer addresses from before a site held several courses.
    "author.moved": ("GET", f"/en/author/lessons/{LESSON}", {"trainer": 301, "admin": 301}),
    "author.cohorts": ("GET", "/en/author/cohorts", {"trainer": 200, "admin": 200}),
    "author.cohort": (
        "GET",
        "/en/author/cohorts/{spring}",
        {"trainer": 200, "trainer-b": 404, "admin": 200},
    ),
    "author.cohort_quizzes": (
        "GET",
        "/en/author/cohorts/{spring}/quizzes",
        {"trainer": 200, "trainer-b": 404, "admin": 200},
    ),
    # Alice used every attempt at the second lesson's quiz.
    "author.cohort_another_attempt": (
        "POST",
        "/en/author/cohorts/{spring}/learners/{alice}/lessons/"
        "towards-co-production-of-public-policies/another-attempt",
        {"trainer": 303, "trainer-b": 404, "admin": 303},
    ),
    "author.cohort_report": (
        "GET",
        "/author/cohorts/{spring}/reports/summary.csv",
        {"trainer": 200, "trainer-b": 404, "admin": 200},
    ),
    "admin.dashboard": ("GET", "/en/admin/", {"admin": 200}),
    "admin.learner": ("GET", "/en/admin/learners/1", {"admin": 200}),
    "admin.allow_another_attempt": (
        "POST",
        f"/en/admin/learners/1/lessons/{LESSON}/another-attempt",
        {"admin": 409},
    ),
    "admin.users": ("GET", "/en/admin/users", {"admin": 200}),
    "admin.change_role": ("POST", "/en/admin/users/1/role", {"admin": 400}),
    "admin.change_active": ("POST", "/en/admin/users/1/active", {"admin": 400}),
    "admin.new_account": ("GET", "/en/admin/users/new", {"admin": 200}),
    "admin.create_account": ("POST", "/en/admin/users/new", {"admin": 422}),
    "admin.resend_confirmation": ("POST", "/en/admin/users/1/confirmation", {"admin": 409}),
    "admin.change_restriction": ("POST", "/en/admin/users/1/restriction", {"admin": 400}),
    "admin.report": ("GET", "/admin/reports/summary.csv", {"admin": 200}),
    "admin.breaches": ("GET", "/en/admin/breaches", {"admin": 200}),
    "admin.new_breach": ("POST", "/en/admin/breaches/new", {"admin": 422}),
    "admin.breach": ("GET", "/en/admin/breaches/1", {"admin": 404}),
    "admin.export_breaches": ("GET", "/admin/breaches.csv", {"admin": 200}),
    "admin.lti_platforms": ("GET", "/en/admin/lti", {"admin": 200}),
    "admin.new_lti_platform": ("POST", "/en/admin/lti/new", {"admin": 422}),
    "admin.lti_platform": ("GET", "/en/admin/lti/1", {"admin": 404}),
    "admin.remove_lti_platform": ("POST", "/en/admin/lti/1/remove", {"admin": 404}),
    # A learning platform's: refused as incomplete without its parameters.
    "lti.login": ("GET", "/lti/login", {"*": 400}),
    "lti.launch": ("POST", "/lti/launch", {"*": 400}),
    "lti.target": ("GET", "/lti/courses/co-production", {"*": 302}),
    "admin.privacy_record": ("GET", "/en/admin/privacy", {"admin": 200}),
    "admin.export_for_request": ("POST", "/en/admin/privacy/export", {"admin": 422}),
    "admin.erase_for_request": ("POST", "/en/admin/privacy/erase", {"admin": 422}),
    "admin.remove_two_step": ("POST", "/en/admin/users/1/two-step/remove", {"admin": 409}),
    # User 1 is the admin: their own details are corrected from their account page.
    "admin.correct_name": ("POST", "/en/admin/users/1/name", {"admin": 409}),
    "admin.correct_email": ("POST", "/en/admin/users/1/email", {"admin": 409}),
    # Changing a cohort here would change the site the other checks need: cohort 999 does
    # not exist. What the changes do is in tests/web/test_cohorts.py.
    "admin.cohorts": ("GET", "/en/admin/cohorts", {"admin": 200}),
    "admin.new_cohort": ("POST", "/en/admin/cohorts/new", {"admin": 422}),
    "admin.cohort": ("GET", "/en/admin/cohorts/{spring}", {"admin": 200}),
    "admin.delete_cohort": ("POST", "/en/admin/cohorts/999/delete", {"admin": 404}),
    "admin.replace_join_code": ("POST", "/en/admin/cohorts/999/code", {"admin": 404}),
    "admin.move_member": ("POST", "/en/admin/cohorts/999/members/1/move", {"admin": 404}),
    "admin.remove_member": ("POST", "/en/admin/cohorts/999/members/1/remove", {"admin": 404}),
    "author.enrol": (
        "GET",
        "/en/author/cohorts/{spring}/enrol",
        {"trainer": 200, "trainer-b": 404, "admin": 200},
    ),
    "account.join_by_code": ("GET", "/en/join", {"*": 200}),
    "account.join": ("GET", "/en/join/UNKNOWN", {"*": 404}),
    "account.invitation": ("GET", "/en/invitations/unknown", {"*": 410}),
}
VISITORS = ("anonymous", "learner", "trainer", "trainer-b", "admin")
# The learners each visitor may see the name or email of: trainers, those of their cohort.
MAY_SEE = {
    "trainer": set(ONLY_IN["spring"]),
    "trainer-b": set(ONLY_IN["guide"]),
    "admin": set(LEARNERS),
}


def expected(endpoint: str, visitor: str) -> int:
    statuses = MATRIX[endpoint][2]
    if visitor in statuses:
        return statuses[visitor]
    if visitor == "trainer-b" and "trainer" in statuses:
        return statuses["trainer"]
    if "*" in statuses:
        return statuses["*"]
    # Staff pages: visitors are sent to sign in, everyone else without the role gets a 403.
    return SIGN_IN if visitor == "anonymous" else 403


def leaks(visitor: str, body: bytes) -> list[str]:
    """The names and emails of learners the visitor must not see that `body` shows (an XLSX
    file is read inside)."""
    texts = [body]
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as workbook:
            texts = [workbook.read(name) for name in workbook.namelist()]
    text = b"".join(texts).decode("utf-8", errors="replace")
    hidden = set(LEARNERS) - MAY_SEE.get(visitor, set())
    return [
        shown for name in sorted(hidden) for shown in (name, LEARNERS[name][0]) if shown in text
    ]


def visitor_on(site: cohort_site.CohortSite, visitor: str):
    if visitor == "anonymous":
        return site.app.test_client()
    if visitor == "learner":
        return sign_in_as(site.app, None, "learner@example.org")
    return {"trainer": site.trainer_a, "trainer-b": site.trainer_b, "admin": site.admin}[visitor]


def test_every_route_has_a_line_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - MATRIX.keys()) == [], "decide who may open these routes"
    assert sorted(MATRIX.keys() - endpoints) == []


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_visitor_gets_what_the_matrix_says_and_sees_no_one_else(app, visitor):
    site = cohort_site.build(app)  # the admin is user 1
    numbers = {**site.cohorts, "alice": site.learners["Alice Spring"]}
    client = visitor_on(site, visitor)
    wrong, leaked = [], []
    for endpoint, (method, path, _statuses) in MATRIX.items():
        if endpoint == "account.logout":
            continue  # would end the session the other checks need; checked last
        token = client.csrf_token("/en/password/forgot")
        response = client.open(path.format(**numbers), method=method, data={"csrf_token": token})
        body = response.get_data()
        response.close()
        if response.status_code != expected(endpoint, visitor):
            wrong.append((endpoint, response.status_code, expected(endpoint, visitor)))
        leaked += [(endpoint, shown) for shown in leaks(visitor, body)]
    token = client.csrf_token("/en/password/forgot")
    logout = client.post("/en/logout", data={"csrf_token": token})
    assert logout.status_code == expected("account.logout", visitor)
    assert (wrong, leaked) == ([], [])


@pytest.mark.parametrize("visitor", ["trainer", "trainer-b"])
def test_a_trainer_sees_the_learners_of_their_cohort_and_of_no_other(app, visitor):
    """Every page and export of every cohort, in each format, with and without names, and
    the lists of quiet learners: a trainer sees their own cohort's learners there, and
    nobody else's anywhere."""
    site = cohort_site.build(app)
    client = visitor_on(site, visitor)
    own = "spring" if visitor == "trainer" else "guide"
    seen, leaked = "", []
    for cohort, number in site.cohorts.items():
        paths = [
            f"/en/author/cohorts/{number}",
            f"/en/author/cohorts/{number}?show=quiet&days=1",
            f"/en/author/cohorts/{number}/quizzes",
            f"/en/author/cohorts/{number}/enrol",
            *(
                f"/author/cohorts/{number}/reports/{kind}.{output}{options}"
                for kind in ("progress", "summary")
                for output in ("csv", "xlsx", "json")
                for options in ("", "?pseudonymise=1")
            ),
        ]
        for path in paths:
            response = client.get(path)
            assert response.status_code == (200 if cohort == own else 404), path
            leaked += [(path, shown) for shown in leaks(visitor, response.get_data())]
            if cohort == own:
                seen += response.get_data(as_text=True) if "xlsx" not in path else ""
    for path in ("/en/author/cohorts", "/en/author/", "/en/admin/", "/admin/reports/summary.csv"):
        response = client.get(path)
        leaked += [(path, shown) for shown in leaks(visitor, response.get_data())]
    assert leaked == []
    assert all(name in seen for name in ONLY_IN[own]), "the trainer's own learners are shown"
