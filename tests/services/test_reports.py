"""Reports stream: learners are read a batch at a time, never all at once."""

from __future__ import annotations

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


def test_formula_starts_are_neutralised_in_text_only():
    assert reports.neutralise("=SUM(A1)") == "'=SUM(A1)"
    assert reports.neutralise("@cmd") == "'@cmd"
    assert reports.neutralise("-1") == "'-1"
    assert reports.neutralise(-1) == -1
    assert reports.neutralise("Núñez") == "Núñez"
