"""Property-based bad input: arbitrary text, bytes and methods at every form and URL
parameter. Never a 5xx, and nothing reflected unescaped."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Role
from app.services import accounts
from tests.conftest import report

LESSON = "what-is-co-production"
PAYLOAD = "<svg/onload=alert(1)>\"'&"
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Anything, including control characters, right-to-left marks and astral symbols.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
FIELD_VALUE = st.one_of(TEXT, TEXT.map(lambda text: PAYLOAD + text), st.just(""))


@pytest.fixture
def counter(request):
    sent = [0]
    yield sent
    report(request, f"{sent[0]} fuzzed requests")


def check(response, sent) -> None:
    sent[0] += 1
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code < 500, (response.status_code, body[:500])
    assert "<svg/onload" not in body


# Every form of the app, with the fields it reads; the admin's forms are posted by an admin.
FORMS = [
    ("/en/login", ("email", "password")),
    ("/es/register", ("email", "password", "display_name")),
    ("/pt/password/forgot", ("email",)),
    ("/en/password/reset/some-token", ("password",)),
    (f"/en/lessons/{LESSON}/acknowledge", ("version",)),
    (f"/en/lessons/{LESSON}/complete", ()),
    (f"/en/lessons/{LESSON}/quiz", ("attempt", "q-origin", "q-method", "q-beyond")),
    ("/en/account/consents", ("purpose",)),
    ("/en/account/erase", ("password",)),
    ("/en/author/reload", ()),
    ("/en/admin/users/2/role", ("role",)),
    ("/en/admin/users/2/active", ("active",)),
    ("/en/admin/privacy/export", ("email",)),
    ("/en/admin/privacy/erase", ("email", "password")),
    ("/en/logout", ()),
]


@pytest.mark.parametrize(("path", "fields"), FORMS, ids=[path for path, _ in FORMS])
def test_forms_survive_any_values(app, client, counter, path, fields):
    client.register("en", email="fuzz@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "fuzz@example.org"), Role.ADMIN
        )
        accounts.create_user(
            db.session, email="other@example.org", password="x" * 12, display_name="O"
        )
    client.acknowledge("en", LESSON)
    token = client.csrf_token("/en/password/forgot")

    @SETTINGS
    # Any subset of the fields, each with any value: missing fields are bad input too.
    @given(values=st.fixed_dictionaries({}, optional={field: FIELD_VALUE for field in fields}))
    def post(values):
        check(client.post(path, data={"csrf_token": token, **values}), counter)

    post()


def test_url_parameters_survive_any_values(client, counter):
    @SETTINGS
    @given(segment=TEXT, query=TEXT)
    def get(segment, query):
        for url in (
            f"/en/lessons/{quote(segment, safe='')}",
            f"/{quote(segment, safe='')}/",
            f"/en/login?next={quote(query, safe='')}",
            f"/en/admin/?language={quote(query, safe='')}",
            f"/en/author/lessons/{quote(segment, safe='')}?show={quote(query, safe='')}",
        ):
            check(client.get(url), counter)

    get()


def test_reports_survive_any_filters(app, client, counter):
    client.register("en", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )

    @SETTINGS
    @given(
        filters=st.dictionaries(
            st.sampled_from(
                ["language", "role", "registered_from", "registered_to", "bom", "pseudonymise"]
            ),
            TEXT,
        )
    )
    def export(filters):
        check(client.get("/admin/reports/summary.csv", query_string=filters), counter)

    export()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST", "GET"])
def test_wrong_methods_and_raw_bytes_never_fail_the_server(client, counter, method):
    @SETTINGS
    @given(body=st.binary(max_size=2000))
    def send(body):
        for path in ("/en/login", f"/en/lessons/{LESSON}/quiz", "/en/", "/healthz"):
            check(
                client.open(
                    path,
                    method=method,
                    data=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ),
                counter,
            )

    send()
