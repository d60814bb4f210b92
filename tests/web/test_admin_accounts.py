"""The admin list of accounts, a page at a time in the order chosen; accounts opened by
admins, who invite their owners by email; and the links sent again to addresses not
confirmed. Every change noted in the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLogEntry, Role, User
from app.services import accounts
from tests.conftest import latest_link, outbox, sign_in_as

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


def audit(app) -> list[AuditLogEntry]:
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditLogEntry).order_by(AuditLogEntry.id)).all()
        db.session.expunge_all()
        return entries


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


SORTED = [
    ("sort=email&order=desc", ["learner119", "learner118", "learner117"]),
    ("sort=name", ["admin", "learner000", "learner001"]),
    ("sort=created", ["learner119", "learner118", "learner117"]),
    ("sort=created&order=desc", ["admin", "learner000", "learner001"]),
    ("sort=role&order=desc", ["learner119", "learner118", "learner117"]),
    ("sort=role", ["admin", "learner000", "learner001"]),
    ("sort=role&role=admin", ["admin"]),
]


def test_the_list_sorts_by_the_column_chosen(app, admin):
    many_learners(app, 120)
    for query, expected in SORTED:
        page = admin.get(f"{USERS}?{query}").text
        shown = [email.split("@")[0] for email in emails(page)[: len(expected)]]
        assert shown == expected, query


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


def new_account(admin, **fields):
    data = {"email": "rui@example.org", "display_name": "Rui", "role": "trainer", "language": "pt"}
    return admin.submit(NEW, data={**data, **fields})


def test_an_admin_opens_an_account_and_its_owner_chooses_a_password(app, admin):
    assert 'href="/en/admin/users/new"' in admin.get(USERS).text
    form = admin.get(NEW).text
    assert 'name="email"' in form and 'value="pt">Português</option>' in form
    before = len(outbox(app))
    created = new_account(admin, email=" Rui@Example.org ")
    assert created.status_code == 303
    assert created.location == f"{USERS}?q=rui@example.org"
    listed = admin.get(created.location).text
    assert "rui@example.org" in listed and "address not confirmed" in listed
    with app.app_context():
        rui = accounts.find_user(db.session, "rui@example.org")
        assert (rui.role, rui.language, rui.display_name) == (Role.TRAINER, "pt", "Rui")
        assert rui.email_confirmed_at is None
    [entry] = audit(app)
    assert (entry.action, entry.subject_ref) == ("create", f"user #{rui.id}")
    assert entry.details["role"] == "trainer" and "rui" not in str(entry.details).lower()
    [mail] = outbox(app)[before:]
    assert mail["To"] == "rui@example.org"
    assert "Foi criada uma conta para si" in mail["Subject"], "in the account's language"
    link = latest_link(app, "rui@example.org", "/password/reset/")
    assert link.startswith("/pt/password/reset/")
    # Until the password is chosen, nobody can sign in.
    assert app.test_client().login("en", email="rui@example.org").status_code == 401
    person = app.test_client()
    chosen = person.submit(link, data={"password": "a long new passphrase"})
    assert chosen.status_code == 303
    assert (
        person.login("pt", email="rui@example.org", password="a long new passphrase").status_code
        == 303
    )
    assert len(outbox(app)) == before + 1, "no warning of a password change: it is the first"
    with app.app_context():
        assert accounts.find_user(db.session, "rui@example.org").email_confirmed_at is not None


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"email": "not an address"}, 422, "Introduce una dirección de correo electrónico válida."),
        ({"display_name": "  "}, 422, "Escribe el nombre que se mostrará."),
        ({"role": "boss"}, 422, "Ese rol no existe."),
        ({"language": "fr"}, 422, "Elige uno de los idiomas del curso."),
        ({"email": "ADMIN@example.org"}, 409, "Otra cuenta usa esta dirección."),
    ],
)
def test_a_new_account_with_bad_input_is_refused_and_nothing_is_sent(
    app, admin, fields, status, message
):
    before = len(outbox(app))
    data = {"email": "rui@example.org", "display_name": "Rui", "role": "learner", "language": "es"}
    refused = admin.submit("/es/admin/users/new", data={**data, **fields})
    assert refused.status_code == status
    assert message in refused.text
    assert len(outbox(app)) == before and audit(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


@pytest.mark.parametrize("role", [None, Role.LEARNER, Role.TRAINER])
def test_only_an_admin_opens_accounts_or_sends_links(app, role, admin):
    visitor = sign_in_as(app, role, "visitor@example.org") if role else app.test_client()
    token = visitor.csrf_token("/en/password/forgot")
    data = {"csrf_token": token, "email": "rui@example.org", "display_name": "Rui"}
    data |= {"role": "admin", "language": "en"}
    created = visitor.post(NEW, data=data)
    resent = visitor.post(f"{USERS}/1/confirmation", data={"csrf_token": token})
    expected = {302} if role is None else {403}
    assert {created.status_code, resent.status_code} == expected
    with app.app_context():
        assert accounts.find_user(db.session, "rui@example.org") is None
    assert audit(app) == []


def test_the_forms_need_their_csrf_token(app, admin):
    data = {"email": "rui@example.org", "display_name": "Rui", "role": "admin", "language": "en"}
    assert admin.post(NEW, data=data).status_code == 400
    assert admin.post(f"{USERS}/1/confirmation").status_code == 400
    with app.app_context():
        assert accounts.find_user(db.session, "rui@example.org") is None


def test_a_sign_up_not_confirmed_gets_its_link_again_and_the_old_one_stops_working(app, admin):
    app.test_client().submit(
        "/es/register",
        data={
            "email": "eva@example.org",
            "password": "correct horse battery",
            "display_name": "Eva",
        },
    )
    first = latest_link(app, "eva@example.org", "/register/confirm/")
    with app.app_context():
        eva = accounts.find_user(db.session, "eva@example.org").id
    page = admin.get(USERS).text
    assert f'action="/en/admin/users/{eva}/confirmation"' in page
    resent = admin.submit(f"{USERS}?q=eva", f"{USERS}/{eva}/confirmation?q=eva")
    assert resent.status_code == 303 and resent.location == f"{USERS}?q=eva"
    assert "A new link has been sent to eva@example.org." in admin.get(resent.location).text
    second = latest_link(app, "eva@example.org", "/register/confirm/")
    assert second != first and second.startswith("/es/register/confirm/")
    assert "Confirma tu dirección de correo" in outbox(app)[-1]["Subject"]
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().submit(second).status_code == 303
    [entry] = audit(app)
    assert (entry.action, entry.subject_ref) == ("link sent again", f"user #{eva}")
    assert "Link to confirm the address sent again" in admin.get(f"/en/admin/learners/{eva}").text


def test_an_invited_account_gets_its_invitation_again(app, admin):
    new_account(admin)
    first = latest_link(app, "rui@example.org", "/password/reset/")
    with app.app_context():
        rui = accounts.find_user(db.session, "rui@example.org").id
    assert admin.submit(USERS, f"{USERS}/{rui}/confirmation").status_code == 303
    second = latest_link(app, "rui@example.org", "/password/reset/")
    assert second != first
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200
    assert [entry.action for entry in audit(app)] == ["create", "link sent again"]


def test_a_confirmed_address_gets_no_link_again(app, admin):
    with app.app_context():
        own = accounts.find_user(db.session, "admin@example.org").id
    refused = admin.submit(USERS, f"{USERS}/{own}/confirmation")
    assert refused.status_code == 409
    assert "confirmed already" in refused.text
    assert admin.submit(USERS, f"{USERS}/999/confirmation").status_code == 404
    assert audit(app) == []


def test_the_command_line_and_the_page_log_a_new_account_alike(app, admin):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "cli@example.org", "--role", "trainer", "--password-stdin"],
        input="a long passphrase here\n",
    )
    assert result.exit_code == 0, result.output
    new_account(admin)
    by_cli, by_page = audit(app)
    assert (by_cli.action, by_cli.details["role"]) == (by_page.action, by_page.details["role"])
    with app.app_context():
        assert accounts.find_user(db.session, "cli@example.org").email_confirmed_at is not None
        assert accounts.find_user(db.session, "rui@example.org").email_confirmed_at is None
