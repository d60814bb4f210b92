"""Property-based bad input: arbitrary text, bytes and methods at every form and URL
parameter, and in the headers that name the host, the client and its session. Never a 5xx,
and nothing reflected unescaped."""

from __future__ import annotations

import string
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
    (f"/en/courses/co-production/lessons/{LESSON}/acknowledge", ("version",)),
    (f"/en/courses/co-production/lessons/{LESSON}/complete", ()),
    (
        f"/en/courses/co-production/lessons/{LESSON}/quiz",
        ("attempt", "q-origin", "q-method", "q-beyond"),
    ),
    ("/en/account/consents", ("purpose",)),
    ("/en/account/erase", ("password",)),
    ("/en/author/reload", ()),
    ("/en/admin/users/2/role", ("role",)),
    ("/en/admin/users/2/active", ("active",)),
    ("/en/admin/users/new", ("email", "display_name", "role", "language")),
    ("/en/admin/users/2/confirmation", ()),
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
            f"/en/courses/co-production/lessons/{quote(segment, safe='')}",
            f"/{quote(segment, safe='')}/",
            f"/en/login?next={quote(query, safe='')}",
            f"/en/admin/?language={quote(query, safe='')}",
            f"/en/author/courses/co-production/lessons/{quote(segment, safe='')}"
            f"?show={quote(query, safe='')}",
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
        for path in (
            "/en/login",
            f"/en/courses/co-production/lessons/{LESSON}/quiz",
            "/en/",
            "/healthz",
        ):
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


def text_of_any_length(characters: st.SearchStrategy[str], most: int) -> st.SearchStrategy[str]:
    """Text whose length is drawn evenly up to `most`: hypothesis draws mostly short text,
    and the long ones are those that exceed a limit."""
    return st.integers(0, most).flatmap(
        lambda size: st.text(characters, min_size=size, max_size=size)
    )


# What a server hands the app as a header's value: Latin-1 text, any of it but a line
# break, which would end the header.
HEADER_TEXT = text_of_any_length(st.characters(max_codepoint=255, exclude_characters="\r\n"), 300)
# Made only of the characters a host may have, so that Werkzeug lets them through to the
# routing: labels empty or longer than the 63 characters a host name allows among them.
HOST_NAME = st.builds(
    lambda labels, port: ".".join(labels) + port,
    st.lists(text_of_any_length(st.sampled_from(string.ascii_lowercase + "0-"), 80), max_size=4),
    st.sampled_from(["", ":8000", ":0", ":999999"]),
)
HOST = st.one_of(HOST_NAME, HEADER_TEXT)
COOKIE = st.one_of(
    HEADER_TEXT,
    st.builds(
        lambda name, value: f"{name}={value}",
        st.sampled_from(["session", "remember_token"]),
        HEADER_TEXT,
    ),
)
FORWARDED_FOR = st.one_of(st.ip_addresses().map(str), HEADER_TEXT)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Host": HOST,
        "X-Forwarded-Host": HOST,
        "X-Forwarded-For": FORWARDED_FOR,
        "X-Forwarded-Proto": st.one_of(st.sampled_from(["http", "https", "ws"]), HEADER_TEXT),
        "Cookie": COOKIE,
    },
)
# Pages served by Flask and pages served before it, from memory.
PAGES = ("/en/login", "/healthz", "/en/?x=1", "/en/", f"/en/courses/co-production/lessons/{LESSON}")


def test_headers_survive_any_values(proxied_app, counter):
    """Behind the proxy, whose X-Forwarded-* headers the app trusts: when the proxy is gone
    round, or passes on what the client sent, they are the client's."""
    learner = proxied_app.test_client()
    learner.register("en", email="fuzz@example.org")
    learner.submit("/en/", "/en/logout")
    token = learner.csrf_token("/en/login")
    visitor = proxied_app.test_client(use_cookies=False)

    @SETTINGS
    @given(headers=HEADERS, address=FORWARDED_FOR)
    def send(headers, address):
        for path in PAGES:
            check(visitor.get(path, headers=headers), counter)
        # A failed sign-in records the client's address. (Its form's session rides in the
        # cookie the learner's client keeps for its own host.)
        sign_in = {"csrf_token": token, "email": "fuzz@example.org", "password": "wrong"}
        forwarded = {"X-Forwarded-For": address}
        check(learner.post("/en/login", data=sign_in, headers=forwarded), counter)

    send()
