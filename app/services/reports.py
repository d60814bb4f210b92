"""Progress reports: one row per learner per lesson, or one per learner, streamed in
batches so memory stays flat however many learners there are, and written as CSV, XLSX or
JSON with typed values (numbers as numbers, times as times)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import itertools
import json
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.orm import Session

from app.content import Course
from app.models import LessonProgress, QuizAttempt, Role, User
from app.services.privacy import record_audit

BATCH = 1000
CSV_ROWS_PER_CHUNK = 500
PROGRESS_COLUMNS = (
    "learner_id",
    "email",
    "display_name",
    "language",
    "lesson_number",
    "lesson_slug",
    "started_at",
    "completed_at",
    "best_quiz_score",
    "quiz_attempts",
)
SUMMARY_COLUMNS = (
    "learner_id",
    "email",
    "display_name",
    "language",
    "registered_at",
    "lessons_completed",
    "last_activity",
)
IDENTITY = ("learner_id", "email", "display_name")
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class InvalidFilter(ValueError):
    """A filter value that cannot be understood; `field` names it."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(field)


@dataclass(frozen=True, slots=True)
class ReportFilters:
    language: str | None = None
    role: Role | None = None
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str], languages: tuple[str, ...]) -> ReportFilters:
        """Filters from query parameters (or CLI options); raises InvalidFilter."""
        language = args.get("language") or None
        if language is not None and language not in languages:
            raise InvalidFilter("language")
        role = None
        if args.get("role"):
            try:
                role = Role(args["role"])
            except ValueError:
                raise InvalidFilter("role") from None
        dates = {}
        for name in ("registered_from", "registered_to"):
            try:
                dates[name] = dt.date.fromisoformat(args[name]) if args.get(name) else None
            except ValueError:
                raise InvalidFilter(name) from None
        return cls(language=language, role=role, **dates)

    def as_args(self) -> dict[str, str]:
        """The filters as query parameters, for links that keep them."""
        values = {
            "language": self.language,
            "role": self.role.value if self.role else None,
            "registered_from": self.registered_from.isoformat() if self.registered_from else None,
            "registered_to": self.registered_to.isoformat() if self.registered_to else None,
        }
        return {key: value for key, value in values.items() if value}

    def condition(self) -> sa.ColumnElement[bool]:
        """The WHERE clause selecting the learners these filters keep."""
        clauses: list[sa.ColumnElement[bool]] = [sa.true()]
        if self.language:
            clauses.append(User.language == self.language)
        if self.role:
            clauses.append(User.role == self.role)
        if self.registered_from:
            start = dt.datetime.combine(self.registered_from, dt.time(), dt.UTC)
            clauses.append(User.created_at >= start)
        if self.registered_to:
            end = dt.datetime.combine(self.registered_to + dt.timedelta(days=1), dt.time(), dt.UTC)
            clauses.append(User.created_at < end)
        return sa.and_(*clauses)


def learner_count(session: Session, filters: ReportFilters) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User).where(filters.condition()))


LEARNER_COLUMNS = (User.id, User.email, User.display_name, User.language, User.created_at)


def _learner_batches(session: Session, filters: ReportFilters) -> Iterator[list[sa.Row]]:
    """Learners in id order, a batch at a time (keyset paging: no OFFSET, no full load), as
    plain rows read through the connection: ORM objects and the ORM's result handling would
    cost more than the queries themselves on a large export."""
    last_id = 0
    while True:
        batch = (
            session.connection()
            .execute(
                sa.select(*LEARNER_COLUMNS)
                .where(filters.condition(), User.id > last_id)
                .order_by(User.id)
                .limit(BATCH)
            )
            .all()
        )
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _best_scores(session: Session, ids: list[int]) -> dict[tuple[int, str], tuple[float, int]]:
    rows = session.connection().execute(
        sa.select(
            QuizAttempt.user_id,
            QuizAttempt.lesson_slug,
            sa.func.max(100.0 * QuizAttempt.points / QuizAttempt.max_points),
            sa.func.count(),
        )
        .where(QuizAttempt.user_id.in_(ids))
        .group_by(QuizAttempt.user_id, QuizAttempt.lesson_slug)
    )
    return {(user, slug): (round(float(best), 1), count) for user, slug, best, count in rows}


def progress_rows(
    session: Session, course: Course, filters: ReportFilters
) -> Iterator[dict[str, Any]]:
    """One row per learner per published lesson, learners in id order, lessons in order."""
    lessons = course.published_lessons
    never = (None, None)
    for users in _learner_batches(session, filters):
        ids = [user.id for user in users]
        progress = {
            (user_id, slug): (started, completed)
            for user_id, slug, started, completed in session.connection()
            .execute(
                sa.select(
                    LessonProgress.user_id,
                    LessonProgress.lesson_slug,
                    LessonProgress.started_at,
                    LessonProgress.completed_at,
                ).where(LessonProgress.user_id.in_(ids))
            )
            .all()
        }
        scores = _best_scores(session, ids)
        for user in users:
            for lesson in lessons:
                started, completed = progress.get((user.id, lesson.slug), never)
                best, attempts = scores.get((user.id, lesson.slug), (None, 0))
                yield {
                    "learner_id": user.id,
                    "email": user.email,
                    "display_name": user.display_name,
                    "language": user.language,
                    "lesson_number": lesson.number,
                    "lesson_slug": lesson.slug,
                    "started_at": started,
                    "completed_at": completed,
                    "best_quiz_score": best,
                    "quiz_attempts": attempts,
                }


def summary_rows(session: Session, course: Course, filters: ReportFilters) -> Iterator[dict]:
    """One row per learner: lessons completed and the time of their last recorded activity."""
    for users in _learner_batches(session, filters):
        ids = [user.id for user in users]
        progress = {
            user_id: (completed, latest)
            for user_id, completed, latest in session.execute(
                sa.select(
                    LessonProgress.user_id,
                    sa.func.count(LessonProgress.completed_at),
                    sa.func.max(
                        sa.func.coalesce(LessonProgress.completed_at, LessonProgress.started_at)
                    ),
                )
                .where(LessonProgress.user_id.in_(ids))
                .group_by(LessonProgress.user_id)
            )
        }
        attempts = dict(
            session.execute(
                sa.select(QuizAttempt.user_id, sa.func.max(QuizAttempt.submitted_at))
                .where(QuizAttempt.user_id.in_(ids))
                .group_by(QuizAttempt.user_id)
            ).all()
        )
        for user in users:
            completed, latest = progress.get(user.id, (0, None))
            times = [t for t in (latest, attempts.get(user.id)) if t is not None]
            yield {
                "learner_id": user.id,
                "email": user.email,
                "display_name": user.display_name,
                "language": user.language,
                "registered_at": user.created_at,
                "lessons_completed": completed,
                "last_activity": _utc(max(times)) if times else None,
            }


def _utc(value: dt.datetime) -> dt.datetime:
    """Aggregates come back without the column type's conversion: make them aware UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class Pseudonyms:
    """Stable within one export, unrelated across exports: a fresh key each time."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __call__(self, learner_id: int) -> str:
        digest = hmac.new(self.key, str(learner_id).encode(), hashlib.sha256).hexdigest()
        return f"learner-{digest[:12]}"


def pseudonymised(rows: Iterator[dict], pseudonyms: Pseudonyms) -> Iterator[dict]:
    """Rows with the learner's id, email and name replaced by one pseudonym."""
    for row in rows:
        learner = pseudonyms(row["learner_id"])
        yield {"learner": learner, **{k: v for k, v in row.items() if k not in IDENTITY}}


def columns_of(columns: tuple[str, ...], pseudonymise: bool) -> tuple[str, ...]:
    if not pseudonymise:
        return columns
    return ("learner", *(column for column in columns if column not in IDENTITY))


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return value.isoformat(timespec="seconds")[:19] + "Z"
    return value


def csv_cell(value: Any) -> Any:
    """A value as CSV writes it: times in ISO 8601 UTC, formulas neutralised, None empty.
    Called for every cell of an export, hence the checks by exact type."""
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if kind is dt.datetime:
        return _iso(value)
    return value


class _Buffer:
    """A write target whose contents are taken away after each row (for streaming)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def write_csv(rows: Iterator[dict], columns: tuple[str, ...], *, bom: bool) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quotes where needed), UTF-8, optionally with the BOM
    Excel needs to read accents right."""
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" if bom else "") + buffer.take()
    # Rows go out a few hundred at a time: a chunk per row would cost more than the row.
    rows = iter(rows)
    while batch := list(itertools.islice(rows, CSV_ROWS_PER_CHUNK)):
        writer.writerows([[csv_cell(row[column]) for column in columns] for row in batch])
        yield buffer.take()


def write_json(rows: Iterator[dict], columns: tuple[str, ...]) -> Iterator[str]:
    """A JSON array of objects, one per row, written as it goes."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps({c: _iso(row[c]) for c in columns}, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"


# A worksheet holds at most this many rows, its header included (Excel's limit; LibreOffice
# Calc's too). Longer reports go on over further sheets, each with the header.
SHEET_ROWS = 1_048_576


def _new_sheet(workbook: xlsxwriter.Workbook, columns: tuple[str, ...]):
    number = len(workbook.worksheets()) + 1
    sheet = workbook.add_worksheet("report" if number == 1 else f"report {number}")
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, columns)
    return sheet


def write_xlsx(
    rows: Iterator[dict],
    columns: tuple[str, ...],
    chunk: int = 64 * 1024,
    sheet_rows: int = SHEET_ROWS,
) -> Iterator[bytes]:
    """An XLSX workbook with a header row, frozen panes and typed cells: times as Excel
    dates (UTC), numbers as numbers, text always as text (so "=..." is never a formula).
    XlsxWriter's constant-memory mode writes each row out as it goes, to a temporary file
    that is then sent in chunks: no row is kept in memory."""
    with tempfile.TemporaryFile() as file:
        workbook = xlsxwriter.Workbook(file, {"constant_memory": True})
        date = workbook.add_format({"num_format": DATE_FORMAT})
        sheet = _new_sheet(workbook, columns)
        row_number = 0
        for row in rows:
            if row_number == sheet_rows - 1:
                sheet = _new_sheet(workbook, columns)
                row_number = 0
            row_number += 1
            for column_number, column in enumerate(columns):
                value = row[column]
                kind = type(value)
                if kind is str:
                    sheet.write_string(row_number, column_number, value)
                elif kind is dt.datetime:
                    if value.tzinfo is not dt.UTC:
                        value = value.astimezone(dt.UTC)
                    sheet.write_datetime(
                        row_number, column_number, value.replace(tzinfo=None), date
                    )
                elif isinstance(value, int | float):
                    sheet.write_number(row_number, column_number, value)
                elif value is not None:
                    sheet.write_string(row_number, column_number, str(value))
        workbook.close()
        file.seek(0)
        while data := file.read(chunk):
            yield data


WRITERS: dict[str, Callable[..., Iterator]] = {
    "csv": write_csv,
    "json": write_json,
    "xlsx": write_xlsx,
}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class ReportExport:
    """One export of a report, the same from the admin pages and the command line: its
    rows (pseudonymised if asked), counted as they go, written in a format, then logged."""

    kind: str  # "progress" or "summary"
    output: str  # "csv", "xlsx" or "json"
    filters: ReportFilters
    pseudonymise: bool = False
    bom: bool = False
    rows_written: int = 0

    @property
    def columns(self) -> tuple[str, ...]:
        columns = PROGRESS_COLUMNS if self.kind == "progress" else SUMMARY_COLUMNS
        return columns_of(columns, self.pseudonymise)

    def rows(self, session: Session, course: Course) -> Iterator[dict]:
        produce = progress_rows if self.kind == "progress" else summary_rows
        rows = produce(session, course, self.filters)
        if self.pseudonymise:
            rows = pseudonymised(rows, Pseudonyms())
        for row in rows:
            self.rows_written += 1
            yield row

    def chunks(self, rows: Iterator[dict]) -> Iterator[str | bytes]:
        options = {"bom": self.bom} if self.output == "csv" else {}
        return WRITERS[self.output](rows, self.columns, **options)

    def record(self, session: Session, actor_id: int | None) -> None:
        """Log the export once it is written: who, which filters, how many rows."""
        record_audit(
            session,
            actor_id,
            "report",
            f"{self.kind} report",
            {
                "format": self.output,
                "filters": self.filters.as_args(),
                "pseudonymised": self.pseudonymise,
                "rows": self.rows_written,
            },
        )
