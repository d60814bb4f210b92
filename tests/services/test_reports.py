"""Reports stream: learners are read a batch at a time, never all at once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.extensions import content, db
from app.services import accounts, reports


def test_progress_rows_read_learners_a_batch_at_a_time(app_context, monkeypatch):
    monkeypatch.setattr(reports, "BATCH", 2)
    for number in range(5):
        accounts.create_user(
            db.session, email=f"l{number}@example.org", password="x" * 10, display_name="L"
        )
    user_queries = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM users" in statement:
            user_queries.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        rows = reports.progress_rows(db.session, content.course, reports.ReportFilters())
        first = next(rows)
        assert first["email"] == "l0@example.org"
        assert len(user_queries) == 1
        rest = list(rows)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    lessons = len(content.course.published_lessons)
    assert len(rest) + 1 == 5 * lessons
    assert len(user_queries) == 4  # three batches of at most two, then an empty one


def test_csv_cells_neutralise_formulas_in_text_only_and_write_times_in_utc():
    assert reports.csv_cell("=SUM(A1)") == "'=SUM(A1)"
    assert reports.csv_cell("@cmd") == "'@cmd"
    assert reports.csv_cell("-1") == "'-1"
    assert reports.csv_cell(-1) == -1
    assert reports.csv_cell(97.5) == 97.5
    assert reports.csv_cell("Núñez") == "Núñez"
    assert reports.csv_cell(None) == ""
    lisbon_summer = dt.timezone(dt.timedelta(hours=1))
    assert reports.csv_cell(dt.datetime(2026, 7, 1, 9, 30, 5, 123, lisbon_summer)) == (
        "2026-07-01T08:30:05Z"
    )
    assert reports.csv_cell(dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)) == "2026-07-01T09:30:00Z"
