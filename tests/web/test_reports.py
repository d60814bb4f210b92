"""Admin reports: exports that parse back exactly, typed cells, filters, pseudonyms, the
audit log, the dashboard, users, and admin-only access to every admin URL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.mail import wait_for_mail
from app.models import AuditLogEntry, LessonProgress, QuizAttempt, Role, User, utcnow
from app.services import accounts, reports
from app.services.reports import PROGRESS_COLUMNS, SUMMARY_COLUMNS

NAMES = {
    "es": 'Núñez, "Pepa"',
    "pt": "João\nda Conceição",
    "en": '=HYPERLINK("http://evil")',
}
PASSWORD = "correct horse battery"
START = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def seed(app) -> dict[str, int]:
    """Three learners, one per language, with awkward names and some progress."""
    ids = {}
    with app.app_context():
        lessons = content.course.published_lessons
        for number, (language, name) in enumerate(NAMES.items()):
            user = accounts.create_user(
                db.session,
                email=f"{language}@example.org",
                password=PASSWORD,
                display_name=name,
                language=language,
            )
            user.created_at = START + dt.timedelta(days=number)
            db.session.add(
                LessonProgress(
                    course="co-production",
                    user_id=user.id,
                    lesson_slug=lessons[0].slug,
                    started_at=START,
                    completed_at=START + dt.timedelta(hours=number) if number else None,
                )
            )
            db.session.add(
                QuizAttempt(
                    course="co-production",
                    user_id=user.id,
                    lesson_slug=lessons[0].slug,
                    number=1,
                    language=language,
                    submitted_at=START,
                    points=number + 2,
                    max_points=5,
                    passed=number > 1,
                )
            )
            ids[language] = user.id
        db.session.commit()
    return ids


@pytest.fixture
def admin(app, client):
    client.register("en", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
    return client


def expected_progress(app) -> list[dict]:
    """What the progress report must say, computed independently from the database."""
    with app.app_context():
        lessons = content.course.published_lessons
        users = db.session.scalars(sa.select(User).order_by(User.id)).all()
        rows = []
        for user in users:
            for lesson in lessons:
                progress = db.session.scalar(
                    sa.select(LessonProgress).where(
                        LessonProgress.user_id == user.id, LessonProgress.lesson_slug == lesson.slug
                    )
                )
                attempts = db.session.scalars(
                    sa.select(QuizAttempt).where(
                        QuizAttempt.user_id == user.id, QuizAttempt.lesson_slug == lesson.slug
                    )
                ).all()
                rows.append(
                    {
                        "learner_id": user.id,
                        "email": user.email,
                        "display_name": user.display_name,
                        "language": user.language,
                        "cohort": None,
                        "lesson_number": lesson.number,
                        "lesson_slug": lesson.slug,
                        "started_at": progress.started_at if progress else None,
                        "completed_at": progress.completed_at if progress else None,
                        "best_quiz_score": max(
                            (round(100 * a.points / a.max_points, 1) for a in attempts),
                            default=None,
                        ),
                        "quiz_attempts": len(attempts),
                    }
                )
        return rows


def iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, dt.datetime) else value


def test_the_csv_parses_back_exactly_with_a_bom_and_neutralised_formulas(app, admin):
    seed(app)
    response = admin.get("/admin/reports/progress.csv?bom=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(parsed[0].keys()) == PROGRESS_COLUMNS
    expected = expected_progress(app)
    assert len(parsed) == len(expected)
    for got, want in zip(parsed, expected, strict=True):
        for column in PROGRESS_COLUMNS:
            value = want[column]
            if column == "display_name" and value.startswith("="):
                value = "'" + value
            assert got[column] == ("" if value is None else str(iso(value))), column


def test_the_xlsx_has_typed_cells_a_header_and_frozen_panes(app, admin):
    seed(app)
    response = admin.get("/admin/reports/progress.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == PROGRESS_COLUMNS
    expected = expected_progress(app)
    for got, want in zip(rows[1:], expected, strict=True):
        for column, value in zip(PROGRESS_COLUMNS, got, strict=True):
            wanted = want[column]
            if isinstance(wanted, dt.datetime):
                assert value == wanted.replace(tzinfo=None), column
            else:
                assert value == wanted, column
    started = PROGRESS_COLUMNS.index("started_at")
    assert any(
        isinstance(row[0], int) and isinstance(row[started], dt.datetime) for row in rows[1:]
    )
    assert sheet.cell(row=2, column=1).data_type == "n"


def test_the_json_export_has_numbers_as_numbers(app, admin):
    seed(app)
    data = json.loads(admin.get("/admin/reports/progress.json").get_data(as_text=True))
    expected = expected_progress(app)
    assert data == [{column: iso(row[column]) for column in PROGRESS_COLUMNS} for row in expected]


def test_filters_select_learners_by_language_role_and_registration(app, admin):
    ids = seed(app)
    spanish = json.loads(
        admin.get("/admin/reports/summary.json?language=es").get_data(as_text=True)
    )
    assert [row["learner_id"] for row in spanish] == [ids["es"]]
    admins = json.loads(admin.get("/admin/reports/summary.json?role=admin").get_data(as_text=True))
    assert [row["email"] for row in admins] == ["admin@example.org"]
    window = json.loads(
        admin.get(
            "/admin/reports/summary.json?registered_from=2026-03-03&registered_to=2026-03-03"
        ).get_data(as_text=True)
    )
    assert [row["learner_id"] for row in window] == [ids["pt"]]
    assert admin.get("/admin/reports/summary.json?language=fr").status_code == 400
    assert admin.get("/admin/reports/summary.json?registered_from=yesterday").status_code == 400


def test_a_sign_up_never_confirmed_is_in_no_report_and_no_figure(app, admin):
    seed(app)
    before = admin.get("/en/admin/").get_data(as_text=True)
    app.test_client().submit(
        "/es/register",
        data={"email": "someone-else@example.org", "password": PASSWORD, "display_name": "X"},
    )
    for output in ("csv", "json"):
        body = admin.get(f"/admin/reports/summary.{output}").get_data(as_text=True)
        assert "someone-else@example.org" not in body
        assert "es@example.org" in body
    after = admin.get("/en/admin/").get_data(as_text=True)
    headline = re.compile(r'class="headline".*?</section>', re.S)
    assert headline.search(after)[0] == headline.search(before)[0]


def test_the_summary_counts_completions_and_the_last_activity(app, admin):
    ids = seed(app)
    data = json.loads(admin.get("/admin/reports/summary.json?language=pt").get_data(as_text=True))
    assert list(data[0]) == list(SUMMARY_COLUMNS)
    assert data[0]["learner_id"] == ids["pt"]
    assert data[0]["lessons_completed"] == 1
    assert data[0]["last_activity"] == iso(START + dt.timedelta(hours=1))


def test_pseudonyms_are_stable_within_an_export_and_differ_across_exports(app, admin):
    seed(app)
    first = json.loads(
        admin.get("/admin/reports/progress.json?pseudonymise=1").get_data(as_text=True)
    )
    second = json.loads(
        admin.get("/admin/reports/progress.json?pseudonymise=1").get_data(as_text=True)
    )
    assert (
        "email" not in first[0] and "learner_id" not in first[0] and "display_name" not in first[0]
    )
    per_export = [[row["learner"] for row in export] for export in (first, second)]
    with app.app_context():
        lessons = len(content.course.published_lessons)
    for pseudonyms in per_export:
        assert len(set(pseudonyms)) == len(pseudonyms) // lessons
        assert pseudonyms[0] == pseudonyms[1]
    assert set(per_export[0]).isdisjoint(per_export[1])
    body = json.dumps(first)
    assert "example.org" not in body and "Pepa" not in body


def test_a_pseudonymised_report_cannot_be_matched_to_people_by_row_or_second(app, admin):
    seed(app)
    named = json.loads(admin.get("/admin/reports/summary.json").text)
    orders = set()
    for _export in range(12):
        pseudonymised = json.loads(admin.get("/admin/reports/summary.json?pseudonymise=1").text)
        orders.add(tuple(row["registered_at"] for row in pseudonymised))
        # The same rows, each time cut to its day, in another order.
        assert sorted(tuple(row.values())[1:] for row in pseudonymised) == sorted(
            (
                row["language"],
                row["cohort"],
                row["registered_at"][:10],
                row["lessons_completed"],
                row["last_activity"] and row["last_activity"][:10],
            )
            for row in named
        )
    assert len(orders) > 1, "learners are not always in the order of their account numbers"
    download = admin.get("/admin/reports/summary.csv?pseudonymise=1")
    assert 'filename="summary-pseudonymised-' in download.headers["Content-Disposition"]
    assert (
        'filename="summary-2'
        in admin.get("/admin/reports/summary.csv").headers["Content-Disposition"]
    )
    progress = json.loads(admin.get("/admin/reports/progress.json?pseudonymise=1").text)
    with app.app_context():
        lessons = len(content.course.published_lessons)
    learners = [row["learner"] for row in progress]
    assert all(
        len(set(learners[start : start + lessons])) == 1
        for start in range(0, len(learners), lessons)
    ), "each learner's lessons stay together"
    assert {len(row["started_at"]) for row in progress if row["started_at"]} == {10}
    workbook = openpyxl.load_workbook(
        io.BytesIO(admin.get("/admin/reports/summary.xlsx?pseudonymise=1").data)
    )
    registered = [row[3] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(day, dt.datetime) and day.time() == dt.time() for day in registered)


def test_every_export_is_in_the_audit_log_with_its_filters_and_row_count(app, admin):
    seed(app)
    admin.get("/admin/reports/progress.csv?language=es&pseudonymise=1").get_data()
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditLogEntry).where(AuditLogEntry.action == "report"))
        admin_id = accounts.find_user(db.session, "admin@example.org").id
    assert entry.subject_ref == "progress report" and entry.actor_id == admin_id
    assert entry.details == {
        "format": "csv",
        "filters": {"language": "es"},
        "pseudonymised": True,
        "rows": 2,
        "complete": True,
        "by": "staff",
    }
    dashboard = admin.get("/pt/admin/").get_data(as_text=True)
    assert "<td>Relatório de progresso</td>" in dashboard
    assert "<td>CSV · 2 linhas · com pseudónimos · Idioma: Español</td>" in dashboard
    assert "<td>Ana (admin@example.org)</td>" in dashboard, "who exported it"


def test_a_download_stopped_half_way_is_logged_as_incomplete(app, admin, monkeypatch):
    seed(app)
    # A chunk per row, so that a few rows are sent and the rest are not.
    monkeypatch.setattr(reports, "CSV_ROWS_PER_CHUNK", 1)
    response = admin.get("/admin/reports/progress.csv", buffered=False)
    chunks = response.iter_encoded()
    received = next(chunks) + next(chunks)
    response.close()
    assert b"@example.org" in received
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditLogEntry).where(AuditLogEntry.action == "report"))
        everything = len(expected_progress(app))
    assert entry is not None, "a download that stopped half-way was not logged"
    assert entry.details["complete"] is False
    assert 1 <= entry.details["rows"] < everything
    assert "interrumpido antes del final" in admin.get("/es/admin/").get_data(as_text=True)


@pytest.mark.parametrize(
    "option", ["pseudonymise=true", "pseudonymise=yes", "bom=on", "pseudonymise=0&pseudonymise=1"]
)
def test_an_option_other_than_0_or_1_is_refused_not_ignored(app, admin, option):
    seed(app)
    admin.get("/es/admin/")  # the report's address has no language: the admin's last one
    response = admin.get(f"/admin/reports/progress.csv?{option}")
    assert response.status_code == 400
    assert "Esta opción no es válida" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry)) == 0


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("pseudonymize=1", "pseudonymize"),
        ("Pseudonymise=1", "Pseudonymise"),
        ("Language=es", "Language"),
        ("foo=bar", "foo"),
    ],
)
def test_a_misspelt_option_or_filter_is_refused_not_ignored(app, admin, query, name):
    seed(app)
    admin.get("/es/admin/")
    for page in (f"/admin/reports/summary.csv?{query}", f"/es/admin/?{query}"):
        response = admin.get(page)
        assert response.status_code == 400, page
        assert f"No hay ninguna opción de informe llamada «{name}»." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry)) == 0


def test_the_last_day_there_is_works_as_a_filter(app, admin):
    ids = seed(app)
    page = admin.get("/en/admin/?registered_to=9999-12-31")
    assert page.status_code == 200
    rows = json.loads(
        admin.get("/admin/reports/summary.json?registered_to=9999-12-31").get_data(as_text=True)
    )
    assert set(ids.values()) <= {row["learner_id"] for row in rows}


@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775808", "0"])
def test_an_account_number_no_account_can_have_is_a_404(admin, number):
    assert admin.get(f"/en/admin/learners/{number}").status_code == 404
    response = admin.submit("/en/admin/users", f"/en/admin/users/{number}/active", {"active": "1"})
    assert response.status_code == 404


def test_a_role_that_does_not_exist_is_refused_in_the_page_language(app, admin):
    ids = seed(app)
    response = admin.submit(
        "/pt/admin/users", f"/pt/admin/users/{ids['es']}/role", {"role": "boss"}
    )
    assert response.status_code == 400
    assert "Essa função não existe." in response.get_data(as_text=True)


def test_the_command_line_export_writes_the_same_file(app, tmp_path):
    seed(app)
    target = tmp_path / "report.csv"
    result = app.test_cli_runner().invoke(
        args=["reports", "export", "--format", "csv", "--output", str(target), "--language", "pt"]
    )
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {row["email"] for row in rows} == {"pt@example.org"}
    assert rows[0]["display_name"] == NAMES["pt"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLogEntry)) == 1
    bad = app.test_cli_runner().invoke(args=["reports", "export", "--language", "fr"])
    assert bad.exit_code == 2


def test_the_dashboard_shows_headline_figures_funnel_and_filters(app, admin):
    ids = seed(app)
    with app.app_context():
        for user_id in ids.values():
            db.session.get(User, user_id).last_active_at = utcnow()
        db.session.commit()
    html = admin.get("/en/admin/?language=pt").get_data(as_text=True)
    assert "<strong>1</strong> account registered" in html, "no role chosen: staff count too"
    learners = admin.get("/en/admin/?role=learner").get_data(as_text=True)
    assert "<strong>3</strong> learners registered" in learners
    assert 'class="chart-bars" role="img"' in html and "<caption>" in html
    assert "language=pt" in html  # export links keep the filters
    headline = html.split('class="headline"', 1)[1].split("</section>", 1)[0]
    assert headline.count("<strong>1</strong>") == 3
    detail = admin.get(f"/pt/admin/learners/{ids['pt']}").get_data(as_text=True)
    assert "João" in detail and "3/5" in detail
    assert re.search(r"Registado em \d+ de mar\. de 2026 \d{2}:\d{2}:\d{2} UTC", detail)
    # Registered, started, completed, submitted: every time says it is UTC.
    assert len(re.findall(r"\d{2}:\d{2}:\d{2} UTC", detail)) >= 4
    with app.app_context():
        lesson = content.course.published_lessons[0]
    rows = re.findall(r'<th scope="row">([^<]*)</th>', detail)
    assert rows == [f"1 · {lesson.texts['pt'].title}"] * 2, "lessons by name in both tables"
    wizard = admin.get("/es/admin/?role=wizard")
    assert wizard.status_code == 400
    assert "Este valor de filtro no es válido: Rol." in wizard.get_data(as_text=True)


def test_the_drop_off_chart_shows_the_lessons_written_and_says_how_many_are_to_come(app, admin):
    with app.app_context():
        slots = content.course.slots()
    written = [lesson for _number, lesson in slots if lesson]
    html = admin.get("/en/admin/").get_data(as_text=True)
    funnel = html.split('id="funnel"', 1)[1].split("<h2", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]*)</th>', funnel)
    assert rows == [f"{lesson.number} · {lesson.texts['en'].title}" for lesson in written]
    assert funnel.count('class="chart-label"') == len(written), "a bar for each, no more"
    assert "Coming soon" not in funnel
    assert f"{len(slots) - len(written)} more lessons are still to come." in funnel


def test_the_chart_by_language_calls_accounts_learners_only_when_they_are(app, admin):
    """Without the learner's role as a filter, staff accounts count too, as in the
    headline: the chart then says accounts."""
    seed(app)
    everyone = admin.get("/en/admin/").get_data(as_text=True)
    assert "<h2>Accounts by language</h2>" in everyone and "Learners by language" not in everyone
    learners = admin.get("/en/admin/?role=learner").get_data(as_text=True)
    assert "<h2>Learners by language</h2>" in learners
    table = learners.split("<caption>Learners by language</caption>", 1)[1]
    assert '<th scope="col">Learners</th>' in table.split("</thead>", 1)[0]


def test_users_can_be_searched_promoted_and_deactivated_but_not_the_last_admin(app, admin):
    ids = seed(app)
    found = admin.get("/en/admin/users?q=núñez").get_data(as_text=True)
    assert "es@example.org" in found and "pt@example.org" not in found
    assert (
        admin.submit(
            "/en/admin/users", f"/en/admin/users/{ids['pt']}/role", {"role": "trainer"}
        ).status_code
        == 303
    )
    with app.app_context():
        assert db.session.get(User, ids["pt"]).role is Role.TRAINER
        admin_id = accounts.find_user(db.session, "admin@example.org").id
    refused = admin.submit(
        "/en/admin/users", f"/en/admin/users/{admin_id}/role", {"role": "learner"}
    )
    assert refused.status_code == 409
    assert (
        admin.submit(
            "/en/admin/users", f"/en/admin/users/{admin_id}/active", {"active": "0"}
        ).status_code
        == 409
    )
    assert (
        admin.submit(
            "/en/admin/users", f"/en/admin/users/{ids['es']}/active", {"active": "0"}
        ).status_code
        == 303
    )
    learner = app.test_client()
    assert learner.login("en", email="es@example.org").status_code == 401


def test_the_users_page_finds_names_by_any_letter_case(app, admin):
    seed(app)
    decomposed = "nu\u0301n\u0303ez"  # as some keyboards send "ñ": n and a combining tilde
    for query, email in [("NÚÑEZ", "es"), ("núñez", "es"), (decomposed, "es"), ("JOÃO", "pt")]:
        found = admin.get(f"/en/admin/users?q={query}").get_data(as_text=True)
        assert f"{email}@example.org" in found, query


def test_account_changes_ignore_stray_parameters_and_are_logged(app, admin):
    ids = seed(app)
    learner = f"/es/admin/users/{ids['pt']}"
    promoted = admin.submit(
        "/es/admin/users", f"{learner}/role?endpoint=x&q=jo&lang=xx", {"role": "trainer"}
    )
    assert promoted.status_code == 303 and promoted.location == "/es/admin/users?q=jo"
    twice = admin.submit("/es/admin/users", f"{learner}/role", {"role": ["trainer", "admin"]})
    assert twice.status_code == 400, twice.text
    assert "da un mismo valor más de una vez" in twice.text, twice.text
    assert 'href="/es/admin/users">Volver a las cuentas</a>' in twice.text
    for value in ("yes", "", "2"):
        refused = admin.submit("/es/admin/users", f"{learner}/active", {"active": value})
        assert refused.status_code == 400
        assert "Una cuenta solo puede estar activa o inactiva." in refused.get_data(as_text=True)
    assert admin.submit("/es/admin/users", f"{learner}/active", {"active": "0"}).status_code == 303
    # The same choice again changes nothing and logs nothing.
    assert admin.submit("/es/admin/users", f"{learner}/active", {"active": "0"}).status_code == 303
    with app.app_context():
        user = db.session.get(User, ids["pt"])
        assert (user.role, user.is_active) == (Role.TRAINER, False)
    page = admin.get(f"/es/admin/learners/{ids['pt']}").get_data(as_text=True)
    history = page[page.index("Lo que hizo el equipo del curso con esta cuenta") :]
    assert history.count("<tr><td>") == 2
    assert "Rol cambiado: Formador" in history and "Cuenta desactivada" in history
    assert "admin@example.org" in history


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("language=pt&language=es", "Este filtro aparece más de una vez: Idioma."),
        (
            "registered_from=2026-11-27&registered_to=2026-11-01",
            "El periodo de registro termina antes de empezar.",
        ),
    ],
)
def test_contradictory_filters_are_refused(admin, query, message):
    for page in (f"/es/admin/?{query}", f"/admin/reports/summary.csv?{query}"):
        response = admin.get(page, headers={"Accept-Language": "es"})
        assert response.status_code == 400, page
    assert message in admin.get(f"/es/admin/?{query}").get_data(as_text=True)


def test_pages_with_personal_data_are_never_stored_by_a_browser(app, admin):
    seed(app)
    for page in ("/en/admin/", "/en/admin/users", "/admin/reports/summary.csv", "/en/"):
        assert admin.get(page).headers.get("Cache-Control") == "no-store", page
    stylesheet = admin.get("/static/css/aula.css")
    stylesheet.close()
    assert stylesheet.headers.get("Cache-Control") != "no-store"
    assert app.test_client().get("/en/").headers.get("Cache-Control") != "no-store"


def test_an_unconfirmed_sign_up_gets_no_role_and_cannot_stand_in_as_the_last_admin(app, admin):
    sign_up = {"email": "ghost@example.org", "password": PASSWORD, "display_name": "Ghost"}
    app.test_client().submit("/pt/register", data=sign_up)
    wait_for_mail(app)  # the account is made by the mail job, after the answer
    with app.app_context():
        ghost = accounts.find_user(db.session, "ghost@example.org")
        admin_id = accounts.find_user(db.session, "admin@example.org").id
        ghost_id = ghost.id
        # As a role given before this rule, or by the command line, would be.
        accounts.set_role(db.session, ghost, Role.ADMIN)
    listed = admin.get("/pt/admin/users?q=ghost").get_data(as_text=True)
    assert "endereço por confirmar" in listed
    demoted = admin.submit(
        "/pt/admin/users", f"/pt/admin/users/{admin_id}/role", {"role": "trainer"}
    )
    assert demoted.status_code == 409, "the only admin who can sign in stays one"
    promoted = admin.submit(
        "/pt/admin/users", f"/pt/admin/users/{ghost_id}/role", {"role": "admin"}
    )
    assert promoted.status_code == 409
    put_right = admin.submit(
        "/pt/admin/users", f"/pt/admin/users/{ghost_id}/role", {"role": "learner"}
    )
    assert put_right.status_code == 303, "the unconfirmed admin can be made a learner"
    assert "Este endereço ainda não foi confirmado" in promoted.get_data(as_text=True)
    app.test_client().submit("/pt/register", data={**sign_up, "password": "another passphrase"})
    wait_for_mail(app)
    with app.app_context():
        assert db.session.get(User, ghost_id).role is Role.LEARNER, "a new sign-up starts afresh"


def admin_routes(app) -> list[tuple[str, str]]:
    """Every URL under /admin or /<lang>/admin, with sample arguments filled in."""
    samples = {
        "<lang:lang>": "en",
        "<id:user_id>": "1",
        "<id:breach_id>": "1",
        "<id:cohort_id>": "1",
        "<id:platform_id>": "1",
        "<slug>": "what-is-co-production",
        "<any(progress, summary):kind>": "progress",
        "<any(csv, xlsx, json):output>": "csv",
    }
    routes = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/admin") or rule.rule.startswith("/<lang:lang>/admin")):
            continue
        path = rule.rule
        for placeholder, value in samples.items():
            path = path.replace(placeholder, value)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.append((method, path))
    return routes


def test_only_admins_reach_any_admin_url(app, client):
    routes = admin_routes(app)
    assert len(routes) >= 9 and all("<" not in path for _, path in routes)
    for role in (None, Role.LEARNER, Role.TRAINER):
        visitor = app.test_client()
        if role is not None:
            email = f"{role.value}@example.org"
            visitor.register("en", email=email)
            with app.app_context():
                accounts.set_role(db.session, accounts.find_user(db.session, email), role)
        token = visitor.csrf_token("/en/login") if role is None else visitor.csrf_token("/en/")
        for method, path in routes:
            response = visitor.open(path, method=method, data={"csrf_token": token})
            if role is None:
                assert response.status_code == 302 and "/login?next=" in response.location, path
            else:
                assert response.status_code == 403, (role, method, path)


def test_large_figures_are_written_as_the_page_language_writes_them(app, admin):
    with app.app_context():
        db.session.add_all(
            User(
                email=f"many{number}@example.org",
                password_hash="x",
                session_token=f"token-{number}",
                display_name="M",
                created_at=START,
                email_confirmed_at=START,
            )
            for number in range(1234)
        )
        db.session.commit()
    spanish = admin.get("/es/admin/").get_data(as_text=True)
    assert "<strong>1235</strong>" not in spanish
    assert re.search(r"<strong>1\.235</strong>", spanish), "thousands marked in Spanish"
    english = admin.get("/en/admin/").get_data(as_text=True)
    assert "<strong>1,235</strong>" in english
