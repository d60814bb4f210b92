"""Reports stream: learners are read a batch at a time, never all at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.services import accounts, reports
from app.services.reports import SUMMARY_COLUMNS


def test_progress_rows_read_learners_a_batch_at_a_time(app_context, monkeypatch):
    monkeypatch.setattr(reports, "BATCH", 2)
    for number in range(5):
        accounts.create_user(
            db.session, email=f"l{number}@example.org", password="x" * 10, display_name="L"
        )
    user_queries = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM users" in statement:
            user_queries.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        rows = reports.progress_rows(db.session, content.course, reports.ReportFilters())
        first = next(rows)
        assert first[1] == "l0@example.org"
        assert len(user_queries) <= 2  # this batch, and perhaps the next, read ahead
        rest = list(rows)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    lessons = len(content.course.published_lessons)
    assert len(rest) + 1 == 5 * lessons
    assert len(user_queries) == 4  # three batches of at most two, then an empty one


def test_an_export_stopped_halfway_lets_its_reader_thread_go(app_context, monkeypatch):
    """A download the admin cancels closes the rows; the thread reading ahead must end
    rather than wait for ever with a connection."""
    monkeypatch.setattr(reports, "BATCH", 1)
    for number in range(4):
        accounts.create_user(
            db.session, email=f"s{number}@example.org", password="x" * 10, display_name="S"
        )
    rows = reports.progress_rows(db.session, content.course, reports.ReportFilters())
    next(rows)
    readers = [thread for thread in threading.enumerate() if thread.name == "report-reader"]
    assert readers
    rows.close()
    for reader in readers:
        reader.join(timeout=10)
        assert not reader.is_alive()


def test_csv_neutralises_formulas_in_what_people_typed_and_leaves_other_cells_alone():
    rows = [
        (1, "=SUM(A1)@example.org", "@cmd", "es", -1, 97.5, None),
        (2, "ana@example.org", "-1", "pt", 3, 0.0, "2026-07-01T09:30:05Z"),
        (3, "joao@example.org", "Núñez", "en", 0, None, None),
        (4, "o'neil@example.org", "'=1+1", "en", 0, None, None),
    ]
    columns = ("learner_id", "email", "display_name", "language", "n", "score", "at")
    text = "".join(reports.write_csv(iter(rows), columns, bom=False))
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        list(columns),
        ["1", "'=SUM(A1)@example.org", "'@cmd", "es", "-1", "97.5", ""],
        ["2", "ana@example.org", "'-1", "pt", "3", "0.0", "2026-07-01T09:30:05Z"],
        ["3", "joao@example.org", "Núñez", "en", "0", "", ""],
        ["4", "o'neil@example.org", "''=1+1", "en", "0", "", ""],
    ]
    # One apostrophe off whatever starts with one gives back exactly what was typed.
    typed = [
        [cell.removeprefix("'") for cell in row[1:3]]
        for row in list(csv.reader(io.StringIO(text, newline="")))[1:]
    ]
    assert typed == [[row[1], row[2]] for row in rows]


def test_the_database_writes_times_as_iso_utc_to_the_second(app_context):
    lisbon_summer = dt.timezone(dt.timedelta(hours=1))
    moment = dt.datetime(2026, 7, 1, 9, 30, 5, 123456, lisbon_summer)
    user = accounts.create_user(
        db.session, email="t@example.org", password="x" * 10, display_name="T"
    )
    user.created_at = moment
    db.session.commit()
    [row] = reports.summary_rows(db.session, content.course, reports.ReportFilters())
    assert row[SUMMARY_COLUMNS.index("registered_at")] == "2026-07-01T08:30:05Z"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"course": "elsewhere"}, reports.UnknownCourse),
        ({"cohort": "three"}, reports.InvalidFilter),
        ({"cohort": "-1"}, reports.InvalidFilter),
        ({"cohort": "0"}, reports.UnknownCohort),
        ({"cohort": str(2**31)}, reports.UnknownCohort),
        ({"cohort": "none"}, reports.CohortWithoutCourse),
    ],
)
def test_a_course_or_cohort_filter_is_read_or_refused_before_any_query(args, error):
    with pytest.raises(error):
        reports.ReportFilters.parse(args, ("es",), ["co-production"])


def test_filters_name_the_course_and_cohort_they_keep_and_give_them_back():
    filters = reports.ReportFilters.parse(
        {"course": "co-production", "cohort": "none", "language": "es"},
        ("es",),
        ["co-production"],
    )
    assert (filters.course, filters.cohort) == ("co-production", reports.NO_COHORT)
    assert filters.as_args() == {"course": "co-production", "cohort": "none", "language": "es"}
    numbered = reports.ReportFilters.parse({"cohort": "12"}, ("es",), ["co-production"])
    assert numbered.cohort == 12 and numbered.as_args() == {"cohort": "12"}
