"""The breach register: admins record, change and list breaches with their 72-hour deadline,
every change is in the audit log without its text, the register downloads as files that
parse back exactly, and nobody else reaches any of it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time

import openpyxl
import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.admin import breaches as breach_pages
from app.extensions import db
from app.guards import AUTHENTICATED_AT
from app.models import AuditLogEntry, Breach, Role
from app.services import accounts
from app.services import breaches as register
from app.services.breaches import EXPORT_COLUMNS, Status
from tests.conftest import sign_in_as

UTC = dt.UTC
# Accents, quotes, a second line, and text that a spreadsheet would run as a formula.
FILLED = {
    "what_happened": '=HYPERLINK("http://evil") Lição ção: a quiz export went to the wrong list',
    "occurred_at": "2026-03-01T18:05",
    "discovered_at": "2026-03-02T09:30",
    "data_affected": "Emails, names shown\nand quiz answers of lesson 2",
    "people_affected": 'Learners of the Portuguese course ("turma" de março), ñandú',
    "people_count": "40",
    "likely_consequences": "'Unwanted emails",
    "measures": "-The list was recalled; @all asked to delete it",
    "authority_notified_at": "2026-03-03T10:00",
    "people_told_at": "",
    "not_notified_because": "+People not told: the risk to them is not high",
}
TEXTS = (
    "what_happened",
    "data_affected",
    "people_affected",
    "likely_consequences",
    "measures",
    "not_notified_because",
)
TIMES = ("occurred_at", "discovered_at", "authority_notified_at", "people_told_at")
NOT_A_TIME = "Please enter a date and time, such as 2026-03-02 09:30."
NOT_A_NUMBER = "Please enter a whole number, or leave it empty."


def moment(value: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def iso(value: str) -> str | None:
    """A form's time as the files write it."""
    return moment(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


@pytest.fixture
def admin(app):
    return sign_in_as(app, Role.ADMIN, "admin@example.org")


def record(client, **changes):
    return client.submit("/en/admin/breaches/new", data={**FILLED, **changes})


def test_a_breach_form_sent_with_an_old_token_comes_back_as_typed(app, admin):
    sent = admin.post("/en/admin/breaches/new", data={**FILLED, "csrf_token": "stale"})
    assert sent.status_code == 422
    page = sent.get_data(as_text=True)
    assert "This form was out of date, so nothing was sent" in page
    assert str(escape(FILLED["people_affected"])) in page
    assert breaches(app) == []


def breaches(app) -> list[Breach]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Breach).order_by(Breach.id)))


def audit(app, action: str | None = None) -> list[AuditLogEntry]:
    with app.app_context():
        query = sa.select(AuditLogEntry).order_by(AuditLogEntry.id)
        if action is not None:
            query = query.where(AuditLogEntry.action == action)
        return list(db.session.scalars(query))


def test_an_admin_records_a_breach_as_typed(app, admin):
    response = record(admin)
    assert response.status_code == 303 and response.location == "/en/admin/breaches"
    [breach] = breaches(app)
    for name in TEXTS:
        assert getattr(breach, name) == FILLED[name], name
    for name in TIMES:
        assert getattr(breach, name) == moment(FILLED[name]), name
    assert breach.people_count == 40
    page = admin.get("/en/admin/breaches").get_data(as_text=True)
    assert "Breach #1 is recorded." in page
    assert 'href="/en/admin/breaches/1"' in page
    assert str(escape("Lição ção")) in page
    # Notified: the deadline is shown with the notification.
    assert "Notified on" in page and "Mar 5, 2026, 9:30:00\u202fAM UTC" in page


def test_an_admin_changes_a_breach_and_the_audit_log_names_the_fields_not_the_text(app, admin):
    record(admin, authority_notified_at="", not_notified_because="")
    form = admin.get("/en/admin/breaches/1").get_data(as_text=True)
    assert 'type="datetime-local"' in form and 'value="2026-03-02T09:30"' in form
    assert str(escape(FILLED["people_affected"])) in form
    assert "without naming" in form, "the form asks to describe people without naming them"
    changed = admin.submit(
        "/en/admin/breaches/1",
        data={
            **FILLED,
            "authority_notified_at": "",
            "not_notified_because": "",
            "measures": "Passwords reset",
            "people_told_at": "2026-03-04T08:00",
        },
    )
    assert changed.status_code == 303 and changed.location == "/en/admin/breaches"
    [breach] = breaches(app)
    assert breach.measures == "Passwords reset"
    assert breach.people_told_at == dt.datetime(2026, 3, 4, 8, tzinfo=UTC)
    assert breach.what_happened == FILLED["what_happened"]
    assert breach.updated_at > breach.recorded_at

    with app.app_context():
        admin_id = accounts.find_user(db.session, "admin@example.org").id
    recorded, updated = audit(app)
    assert (recorded.action, recorded.subject_ref, recorded.actor_id) == (
        "breach recorded",
        "breach #1",
        admin_id,
    )
    assert recorded.details == {
        "fields": [
            "what_happened",
            "occurred_at",
            "discovered_at",
            "data_affected",
            "people_affected",
            "people_count",
            "likely_consequences",
            "measures",
        ],
        "by": "staff",
    }
    assert (updated.action, updated.subject_ref) == ("breach updated", "breach #1")
    assert updated.details == {"fields": ["measures", "people_told_at"], "by": "staff"}
    logged = json.dumps([entry.details for entry in audit(app)], ensure_ascii=False)
    for text in (*(FILLED[name] for name in TEXTS if FILLED[name]), "Passwords reset", "40"):
        assert text not in logged

    # Saved again as it is: nothing changed, nothing logged.
    again = admin.submit(
        "/en/admin/breaches/1",
        data={
            **FILLED,
            "authority_notified_at": "",
            "not_notified_because": "",
            "measures": "Passwords reset",
            "people_told_at": "2026-03-04T08:00",
        },
    )
    assert again.status_code == 303 and len(audit(app)) == 2
    assert "Nothing was changed." in admin.get("/en/admin/breaches").get_data(as_text=True)
    history = admin.get("/en/admin/breaches/1").get_data(as_text=True)
    assert "Breach record changed" in history and "Measures taken or proposed" in history
    # The privacy page's log lists them with the other changes.
    privacy_page = admin.get("/en/admin/privacy").get_data(as_text=True)
    assert "Breach recorded in the register" in privacy_page


def test_the_list_shows_the_newest_discovery_first_with_its_status(app, admin):
    record(admin, discovered_at="2026-01-10T08:00", occurred_at="", what_happened="Older one")
    record(
        admin,
        discovered_at="2026-02-10T08:00",
        occurred_at="",
        what_happened="Decided one",
        authority_notified_at="",
    )
    record(
        admin,
        discovered_at="2026-03-10T08:00",
        occurred_at="",
        what_happened="Forgotten one",
        authority_notified_at="",
        not_notified_because="",
    )
    page = admin.get("/en/admin/breaches").get_data(as_text=True)
    assert page.index("Forgotten one") < page.index("Decided one") < page.index("Older one")
    assert "Overdue: not notified and no reason recorded" in page
    assert "Not notified, with the reason recorded" in page
    assert "Notified on" in page
    assert "Mar 13, 2026, 8:00:00\u202fAM UTC" in page, "72 hours after becoming aware"
    assert 'aria-current="page">Breaches</a>' in page


def test_overdue_starts_just_after_the_72nd_hour(app, admin, monkeypatch):
    aware = dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    breach = Breach(discovered_at=aware, not_notified_because="", authority_notified_at=None)
    due = aware + dt.timedelta(hours=72)
    state = register.deadline(breach, due)
    assert state.due == dt.datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    assert state.status is Status.PENDING and not register.is_overdue(breach, due)
    just_after = due + dt.timedelta(seconds=1)
    assert register.deadline(breach, just_after).status is Status.OVERDUE
    assert register.is_overdue(breach, just_after)
    breach.not_notified_because = "The data was encrypted and the key safe"
    assert register.deadline(breach, just_after).status is Status.NOT_NOTIFIED
    breach.not_notified_because = "   "
    assert register.is_overdue(breach, just_after), "a reason of spaces is no reason"
    breach.authority_notified_at = due
    assert register.deadline(breach, just_after) == register.Deadline(due, Status.NOTIFIED, False)
    breach.authority_notified_at = just_after
    assert register.deadline(breach, just_after).late
    breach.not_notified_because = "The provider told us a week late"
    assert not register.deadline(breach, just_after).late, "the reasons for the delay given"

    # The page and the file say the same at each side of the boundary.
    record(
        admin, discovered_at="2026-03-02T09:30", authority_notified_at="", not_notified_because=""
    )
    for now, status in ((due, "pending"), (just_after, "overdue")):
        monkeypatch.setattr(breach_pages, "utcnow", lambda now=now: now)
        monkeypatch.setattr(register, "utcnow", lambda now=now: now)
        page = admin.get("/en/admin/breaches").get_data(as_text=True)
        assert ("Overdue: not notified" in page) is (status == "overdue")
        assert ("Not notified yet" in page) is (status == "pending")
        [row] = json.loads(admin.get("/admin/breaches.json").get_data(as_text=True))
        assert row["status"] == status and row["notify_authority_by"] == "2026-03-05T09:30:00Z"


def expected_row(breach_id: int) -> dict:
    """What every file must say of a breach recorded with FILLED."""
    row = {name: FILLED[name] for name in TEXTS}
    row.update({name: iso(FILLED[name]) for name in TIMES})
    row.update(
        id=breach_id,
        status="notified",
        notify_authority_by="2026-03-05T09:30:00Z",
        people_count=40,
    )
    return row


def test_the_csv_parses_back_exactly_with_formulas_kept_as_text(app, admin):
    record(admin)
    for query, bom in (("", False), ("?bom=1", True)):
        response = admin.get(f"/admin/breaches.csv{query}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="breaches-2' in response.headers["Content-Disposition"]
        raw = response.get_data()
        assert raw.startswith("\ufeff".encode()) is bom
        parsed = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert tuple(parsed[0].keys()) == EXPORT_COLUMNS
        [got] = parsed
        for column, value in expected_row(1).items():
            if column in TEXTS and value and value[0] in "=+-@'":
                value = "'" + value
            assert got[column] == ("" if value is None else str(value)), column
        # Taking one leading apostrophe away gives back what was typed.
        assert got["what_happened"].removeprefix("'") == FILLED["what_happened"]
        assert got["likely_consequences"].removeprefix("'") == "'Unwanted emails"
        assert got["recorded_at"].endswith("Z") and got["people_told_at"] == ""


def test_the_xlsx_has_typed_cells_and_text_is_never_a_formula(app, admin):
    record(admin)
    response = admin.get("/admin/breaches.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    header, row = list(sheet.iter_rows(values_only=True))
    assert header == EXPORT_COLUMNS
    got = dict(zip(EXPORT_COLUMNS, row, strict=True))
    for column, value in expected_row(1).items():
        if column in TIMES or column == "notify_authority_by":
            value = value and dt.datetime.fromisoformat(value[:-1])
        assert got[column] == (value or None), column
    assert isinstance(got["people_count"], int) and isinstance(got["discovered_at"], dt.datetime)
    what = sheet.cell(row=2, column=EXPORT_COLUMNS.index("what_happened") + 1)
    assert what.data_type == "s" and what.value.startswith("=HYPERLINK")


def test_the_json_has_numbers_as_numbers_and_times_as_iso_text(app, admin):
    record(admin)
    response = admin.get("/admin/breaches.json")
    assert response.headers["Content-Type"] == "application/json"
    [got] = json.loads(response.get_data(as_text=True))
    assert list(got) == list(EXPORT_COLUMNS)
    assert {column: got[column] for column in expected_row(1)} == expected_row(1)
    assert got["people_told_at"] is None and got["people_count"] == 40


def test_every_download_is_logged_with_the_reports(app, admin):
    record(admin)
    record(admin, discovered_at="2026-03-03T09:30", occurred_at="")
    for output in ("csv", "xlsx", "json"):
        assert admin.get(f"/admin/breaches.{output}").status_code == 200
    entries = audit(app, "report")
    assert [entry.subject_ref for entry in entries] == ["breach register"] * 3
    assert [entry.details for entry in entries] == [
        {"format": output, "rows": 2, "by": "staff"} for output in ("csv", "xlsx", "json")
    ]
    dashboard = admin.get("/en/admin/").get_data(as_text=True)
    assert "<td>Breach register</td>" in dashboard and "<td>XLSX · 2 rows</td>" in dashboard


@pytest.mark.parametrize("query", ["bom=yes", "pseudonymise=1", "bom=0&bom=1"])
def test_an_unknown_download_option_is_refused(app, admin, query):
    assert admin.get(f"/admin/breaches.csv?{query}").status_code == 400
    assert audit(app, "report") == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"discovered_at": "2026-02-30T10:00"}, "discovered_at", NOT_A_TIME),
        ({"discovered_at": "yesterday"}, "discovered_at", NOT_A_TIME),
        (
            {"discovered_at": ""},
            "discovered_at",
            "Please enter when the team became aware of the breach.",
        ),
        ({"occurred_at": "2026-13-01T10:00"}, "occurred_at", NOT_A_TIME),
        (
            {"occurred_at": "2026-03-02T09:31"},
            "occurred_at",
            "It cannot have happened after the team became aware of it.",
        ),
        (
            {"people_told_at": "2999-01-01T00:00"},
            "people_told_at",
            "This time is still to come: please check it is in UTC.",
        ),
        (
            {"occurred_at": "0001-01-01T00:00"},
            "occurred_at",
            "Please enter a date from the year 2000 on.",
        ),
        ({"what_happened": "   "}, "what_happened", "Please describe what happened."),
        (
            {"people_affected": ""},
            "people_affected",
            "Please describe the people affected, without naming them.",
        ),
        ({"data_affected": ""}, "data_affected", "Please describe the data affected."),
        ({"people_count": "ten"}, "people_count", NOT_A_NUMBER),
        ({"people_count": "-3"}, "people_count", NOT_A_NUMBER),
        ({"people_count": "3.5"}, "people_count", NOT_A_NUMBER),
        (
            {"people_count": "2147483648"},
            "people_count",
            "This number is larger than this register can hold.",
        ),
        ({"measures": "x" * 20_001}, "measures", "Please keep this under 20000 characters."),
    ],
)
def test_bad_input_shows_the_form_again_with_what_was_typed(app, admin, changes, field, message):
    response = record(admin, **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.findall(r'<p class="error" id="([a-z_]+)-error">(.*?)</p>', page)
    assert errors == [(field, message)]
    assert 'aria-invalid="true"' in page
    # Everything typed is kept, the wrong value too.
    for name, value in {**FILLED, **changes}.items():
        if value.strip() and len(value) < 1000:
            assert str(escape(value)) in page, name
    assert breaches(app) == [] and audit(app) == []


def test_a_change_with_bad_input_keeps_the_breach_as_it_was(app, admin):
    record(admin)
    response = admin.submit("/en/admin/breaches/1", data={**FILLED, "discovered_at": "soon"})
    assert response.status_code == 422
    assert "Please enter a date and time" in response.get_data(as_text=True)
    assert breaches(app)[0].discovered_at == moment(FILLED["discovered_at"])
    assert len(audit(app)) == 1


def test_a_breach_that_does_not_exist_is_a_404(admin):
    assert admin.get("/en/admin/breaches/7").status_code == 404
    assert admin.submit("/en/admin/breaches", "/en/admin/breaches/7", FILLED).status_code == 404


ROUTES = [
    ("GET", "/en/admin/breaches"),
    ("GET", "/en/admin/breaches/new"),
    ("POST", "/en/admin/breaches/new"),
    ("GET", "/en/admin/breaches/1"),
    ("POST", "/en/admin/breaches/1"),
    ("GET", "/admin/breaches.csv"),
    ("GET", "/admin/breaches.xlsx"),
    ("GET", "/admin/breaches.json"),
]


@pytest.mark.parametrize("role", [None, Role.LEARNER, Role.TRAINER])
def test_only_admins_reach_the_register(app, admin, role):
    record(admin)
    if role is None:
        visitor = app.test_client()
        token = visitor.csrf_token("/en/login")
    else:
        visitor = sign_in_as(app, role, f"{role.value}@example.org")
        token = visitor.csrf_token("/en/")
    for method, path in ROUTES:
        response = visitor.open(path, method=method, data={"csrf_token": token, **FILLED})
        if role is None:
            assert response.status_code == 302, (method, path)
            assert "/login?next=" in response.location, (method, path)
        else:
            assert response.status_code == 403, (role, method, path)
        assert "Lição" not in response.get_data(as_text=True)
    assert len(breaches(app)) == 1 and len(audit(app)) == 1


def test_downloads_ask_for_the_password_after_15_minutes_but_a_record_is_never_lost(app, admin):
    record(admin)
    with admin.session_transaction() as session:
        session[AUTHENTICATED_AT] = int(time.time()) - 16 * 60
    token = admin.csrf_token("/en/")
    # Describing a breach can take longer than 15 minutes: what was typed is saved.
    for method, path in ROUTES[:5]:
        response = admin.open(path, method=method, data={"csrf_token": token, **FILLED})
        assert response.status_code in {200, 303}, path
    for method, path in ROUTES[5:]:
        response = admin.open(path, method=method)
        assert response.status_code == 302 and "/en/account/confirm" in response.location, path
    assert len(breaches(app)) == 2


def test_the_privacy_page_names_a_breach_in_its_own_words(app, admin):
    record(admin)
    page = admin.get("/en/admin/privacy").get_data(as_text=True)
    assert "Breach #1" in page and "breach #1" not in page


@pytest.mark.parametrize("field", ["authority_notified_at", "people_told_at"])
def test_no_one_can_be_told_before_the_team_knew(app, admin, field):
    sent = record(admin, discovered_at="2026-03-02T09:30", **{field: "2026-03-01T09:30"})
    assert sent.status_code == 422
    assert "No one can have been told before the team became aware of it." in sent.get_data(
        as_text=True
    )
    assert breaches(app) == []


def test_a_notified_breach_asks_for_no_notification(app, admin):
    record(admin)
    page = admin.get("/en/admin/breaches/1").get_data(as_text=True)
    assert "Notify the supervisory authority by" not in page
    record(admin, authority_notified_at="", not_notified_because="")
    assert "Notify the supervisory authority by" in admin.get("/en/admin/breaches/2").get_data(
        as_text=True
    )
