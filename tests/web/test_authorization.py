"""Who may open what: every route of the app, as each kind of visitor. A route added
without a line here makes this test fail, so access is always decided on purpose."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Role
from app.services import accounts

LESSON = "what-is-co-production"
SIGN_IN = 302
# endpoint: (method, path, {visitor: status}); "*" stands for every visitor not listed.
MATRIX = {
    "static": ("GET", "/static/css/aula.css", {"*": 200}),
    "health.healthz": ("GET", "/healthz", {"*": 200}),
    "learn.root": ("GET", "/", {"*": 302}),
    "learn.course": ("GET", "/en/", {"*": 200}),
    "learn.lesson": ("GET", f"/en/lessons/{LESSON}", {"*": 200}),
    "learn.lesson_file": ("GET", f"/en/lessons/{LESSON}/files/none.png", {"*": 404}),
    "learn.privacy_notice": ("GET", "/en/privacy", {"*": 200}),
    "learn.acknowledge": (
        "POST",
        f"/en/lessons/{LESSON}/acknowledge",
        {"anonymous": SIGN_IN, "*": 400},
    ),
    "learn.complete": ("POST", f"/en/lessons/{LESSON}/complete", {"anonymous": SIGN_IN, "*": 409}),
    "learn.answer_quiz": ("POST", f"/en/lessons/{LESSON}/quiz", {"anonymous": SIGN_IN, "*": 409}),
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
    "author.preview": ("GET", f"/en/author/lessons/{LESSON}", {"trainer": 200, "admin": 200}),
    "author.preview_file": (
        "GET",
        f"/en/author/lessons/{LESSON}/files/none.png",
        {"trainer": 404, "admin": 404},
    ),
    "author.translations": ("GET", "/en/author/translations", {"trainer": 200, "admin": 200}),
    "author.quizzes": ("GET", "/en/author/quizzes", {"trainer": 200, "admin": 200}),
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
    "admin.change_restriction": ("POST", "/en/admin/users/1/restriction", {"admin": 400}),
    "admin.report": ("GET", "/admin/reports/summary.csv", {"admin": 200}),
    "admin.breaches": ("GET", "/en/admin/breaches", {"admin": 200}),
    "admin.new_breach": ("POST", "/en/admin/breaches/new", {"admin": 422}),
    "admin.breach": ("GET", "/en/admin/breaches/1", {"admin": 404}),
    "admin.export_breaches": ("GET", "/admin/breaches.csv", {"admin": 200}),
    "admin.privacy_record": ("GET", "/en/admin/privacy", {"admin": 200}),
    "admin.export_for_request": ("POST", "/en/admin/privacy/export", {"admin": 422}),
    "admin.erase_for_request": ("POST", "/en/admin/privacy/erase", {"admin": 422}),
    "admin.remove_two_step": ("POST", "/en/admin/users/1/two-step/remove", {"admin": 409}),
    # User 1 is the admin: their own details are corrected from their account page.
    "admin.correct_name": ("POST", "/en/admin/users/1/name", {"admin": 409}),
    "admin.correct_email": ("POST", "/en/admin/users/1/email", {"admin": 409}),
}
VISITORS = ("anonymous", "learner", "trainer", "admin")


def expected(endpoint: str, visitor: str) -> int:
    statuses = MATRIX[endpoint][2]
    if visitor in statuses:
        return statuses[visitor]
    if "*" in statuses:
        return statuses["*"]
    # Staff pages: visitors are sent to sign in, everyone else without the role gets a 403.
    return SIGN_IN if visitor == "anonymous" else 403


def test_every_route_has_a_line_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - MATRIX.keys()) == [], "decide who may open these routes"
    assert sorted(MATRIX.keys() - endpoints) == []


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_visitor_gets_what_the_matrix_says(app, visitor):
    admin = app.test_client()
    admin.register("en", email="admin@example.org")  # user 1, the only admin
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
    client = admin
    if visitor == "anonymous":
        client = app.test_client()
    elif visitor != "admin":
        client = app.test_client()
        client.register("en", email=f"{visitor}@example.org")
        with app.app_context():
            user = accounts.find_user(db.session, f"{visitor}@example.org")
            accounts.set_role(db.session, user, Role(visitor))
    wrong = []
    for endpoint, (method, path, _statuses) in MATRIX.items():
        if endpoint == "account.logout":
            continue  # would end the session the other checks need; checked last
        token = client.csrf_token("/en/password/forgot")
        response = client.open(path, method=method, data={"csrf_token": token})
        response.close()
        if response.status_code != expected(endpoint, visitor):
            wrong.append((endpoint, response.status_code, expected(endpoint, visitor)))
    token = client.csrf_token("/en/password/forgot")
    logout = client.post("/en/logout", data={"csrf_token": token})
    assert logout.status_code == expected("account.logout", visitor)
    assert wrong == []
