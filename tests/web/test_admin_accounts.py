"""The admin list of accounts, a page at a time in the order chosen."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.extensions import db
from app.models import Role, User
from app.services import accounts
from tests.conftest import sign_in_as

USERS = "/en/admin/users"
NEW = "/en/admin/users/new"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def admin(app):
    return sign_in_as(app, Role.ADMIN, "admin@example.org")


def many_learners(app, count: int) -> None:
    """`count` learners, numbered in their email and name, created a day apart in the
    opposite order."""
    with app.app_context():
        db.session.add_all(
            User(
                email=f"learner{number:03d}@example.org",
                display_name=f"Learner {number:03d}",
                password_hash="unused",
                created_at=START + dt.timedelta(days=count - number),
                email_confirmed_at=START,
            )
            for number in range(count)
        )
        db.session.commit()


def emails(page: str) -> list[str]:
    """The accounts a page of the list shows, in its order."""
    return re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a></th>', page)


def test_the_list_pages_through_every_account_keeping_its_filters(app, admin):
    many_learners(app, 120)
    first = admin.get(USERS).text
    assert "Accounts 1–50 of 121 found." in first
    assert emails(first)[:2] == ["admin@example.org", "learner000@example.org"]
    assert 'href="/en/admin/users?page=2" rel="next"' in first and 'rel="prev"' not in first
    filtered = admin.get(f"{USERS}?q=LEARNER&role=learner&sort=name&order=desc&page=2").text
    assert "Accounts 51–100 of 120 found." in filtered
    assert emails(filtered)[0] == "learner069@example.org"
    for link in ("page=1", "page=3"):
        assert f"/en/admin/users?{link}&amp;q=LEARNER&amp;role=learner&amp;sort=name" in filtered
    last = admin.get(f"{USERS}?q=learner&page=3").text
    assert "Accounts 101–120 of 120 found." in last and 'rel="next"' not in last
    assert len(emails(last)) == 20
    # A page past the last, as after a search that finds fewer: the last one.
    assert emails(admin.get(f"{USERS}?q=learner&page=99").text) == emails(last)
    assert emails(admin.get(f"{USERS}?q=learner&page={2**63 - 1}").text) == emails(last)
    seen = [email for page in (1, 2, 3) for email in emails(admin.get(f"{USERS}?page={page}").text)]
    assert len(seen) == len(set(seen)) == 121, "no account twice, none left out"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=email&order=desc", ["learner119", "learner118", "learner117"]),
        ("sort=name", ["admin", "learner000", "learner001"]),
        ("sort=created", ["learner119", "learner118", "learner117"]),
        ("sort=created&order=desc", ["admin", "learner000", "learner001"]),
        ("sort=role&order=desc", ["learner119", "learner118", "learner117"]),
        ("sort=role", ["admin", "learner000", "learner001"]),
        ("sort=role&role=admin", ["admin"]),
    ],
)
def test_the_list_sorts_by_the_column_chosen(app, admin, query, expected):
    many_learners(app, 120)
    page = admin.get(f"{USERS}?{query}").text
    assert [email.split("@")[0] for email in emails(page)[: len(expected)]] == expected


def test_a_sorted_column_says_so_and_its_heading_turns_the_order_around(app, admin):
    page = admin.get(f"{USERS}?sort=created&q=adm").text
    assert '<th scope="col" aria-sort="ascending">' in page
    assert 'href="/en/admin/users?q=adm&amp;sort=created&amp;order=desc">Created</a>' in page
    assert 'href="/en/admin/users?q=adm&amp;sort=email&amp;order=asc">Email</a>' in page
    # A new search keeps the order.
    assert '<input type="hidden" name="sort" value="created">' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=password_hash", "Las cuentas solo pueden ordenarse por una de las columnas"),
        ("order=sideways", "Las cuentas solo pueden ordenarse por una de las columnas"),
        ("page=0", "Esa página de cuentas no existe."),
        ("page=two", "Esa página de cuentas no existe."),
        ("page=99999999999999999999999", "Esa página de cuentas no existe."),
    ],
)
def test_a_bad_order_or_page_is_a_translated_400(admin, query, message):
    refused = admin.get(f"/es/admin/users?{query}")
    assert refused.status_code == 400
    assert message in refused.text


def test_a_change_from_a_page_of_the_list_comes_back_to_it(app, admin):
    many_learners(app, 60)
    with app.app_context():
        number = accounts.find_user(db.session, "learner007@example.org").id
    back = "sort=created&order=desc&page=2"
    changed = admin.submit(f"{USERS}?{back}", f"{USERS}/{number}/active?{back}", {"active": "0"})
    assert changed.status_code == 303
    assert changed.location == f"{USERS}?sort=created&order=desc&page=2"
