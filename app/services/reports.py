"""Progress reports: one row per learner per lesson, or one per learner, streamed in
batches so memory stays flat however many learners there are, and written as CSV, XLSX or
JSON with typed values (numbers as numbers, times as times)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import hmac
import io
import itertools
import json
import operator
import queue
import secrets
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.content import Catalogue, Course
from app.database import utc_text
from app.models import Cohort, LessonProgress, Membership, QuizAttempt, Role, User
from app.services.privacy import record_audit
from app.services.xlsx import DAY_LENGTH, SHEET_ROWS, write_workbook

BATCH = 1000
CSV_ROWS_PER_CHUNK = 500
PROGRESS_COLUMNS = (
    "learner_id",
    "email",
    "display_name",
    "language",
    "cohort",
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
    "cohort",
    "registered_at",
    "lessons_completed",
    "last_activity",
)
# The first columns of both reports, which pseudonymised reports replace with one pseudonym.
IDENTITY = ("learner_id", "email", "display_name")
# Free text people typed, which could start like a spreadsheet formula.
TYPED_BY_PEOPLE = frozenset({"email", "display_name", "cohort"})
TIME_COLUMNS = frozenset({"started_at", "completed_at", "registered_at", "last_activity"})
# Spreadsheets run a cell that starts with one of these as a formula. Text that starts with
# an apostrophe gets one more too, so that removing one leading apostrophe from any text
# that has one always gives back what was typed.
FORMULA_STARTS = frozenset("=+-@\t\r'")


def starts_like_formula(value: str | None) -> bool:
    """Whether a spreadsheet would read typed text as a formula (or take an apostrophe in
    front of it away): written with one more apostrophe in front, it stays text."""
    return bool(value) and value[0] in FORMULA_STARTS


class InvalidFilter(ValueError):
    """A filter value that cannot be understood; `field` names it."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(field)


class EmptyPeriod(InvalidFilter):
    """The registration period ends before it starts."""


class UnknownCourse(InvalidFilter):
    """The course named is not one of the site's."""


class UnknownCohort(InvalidFilter):
    """No cohort has this number, or not in the course named."""


class CohortWithoutCourse(InvalidFilter):
    """The learners in none of a course's cohorts were asked for, without naming the course."""


# The cohort filter's value for the learners of a course who are in none of its cohorts
# (the course's implicit, open group).
NO_COHORT = "none"
# Larger than any cohort's number can be (the column is a 32-bit integer on PostgreSQL).
LARGEST_COHORT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ReportFilters:
    # The course whose learners the report is about (`learners_of`); None: every account.
    course: str | None = None
    # One of that course's cohorts, or NO_COHORT for its members in none of them.
    cohort: int | str | None = None
    language: str | None = None
    role: Role | None = None
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    # Reports without names serve statistics: learners who object to the course figures
    # (GDPR Art. 21) are left out of them.
    without_objectors: bool = False

    @classmethod
    def parse(
        cls, args: Mapping[str, str], languages: tuple[str, ...], courses: Collection[str] = ()
    ) -> ReportFilters:
        """Filters from query parameters (or CLI options); raises InvalidFilter. Whether a
        cohort exists is for `read_filters` to find out, which has the database."""
        course = args.get("course") or None
        if course is not None and course not in courses:
            raise UnknownCourse("course")
        cohort = _cohort(args.get("cohort") or None)
        if cohort == NO_COHORT and course is None:
            raise CohortWithoutCourse("cohort")
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
        start, end = dates["registered_from"], dates["registered_to"]
        if start and end and start > end:
            raise EmptyPeriod("registered_to")
        return cls(course=course, cohort=cohort, language=language, role=role, **dates)

    def as_args(self) -> dict[str, str]:
        """The filters as query parameters, for links that keep them."""
        values = {
            "course": self.course,
            "cohort": str(self.cohort) if self.cohort is not None else None,
            "language": self.language,
            "role": self.role.value if self.role else None,
            "registered_from": self.registered_from.isoformat() if self.registered_from else None,
            "registered_to": self.registered_to.isoformat() if self.registered_to else None,
        }
        return {key: value for key, value in values.items() if value}

    def learners(self) -> sa.Select | None:
        """The ids of the course's (or cohort's) learners, whatever else the filters say;
        None when they name no course."""
        if self.course is None:
            return None
        return sa.select(User.id).where(learners_of(self.course, self.cohort))

    def condition(self) -> sa.ColumnElement[bool]:
        """The WHERE clause selecting the learners these filters keep. A sign-up whose
        address was never confirmed is nobody's account yet (anyone can type an address):
        it is in no figure and no report; nor is an account whose data is restricted."""
        clauses: list[sa.ColumnElement[bool]] = [
            User.email_confirmed_at.is_not(None),
            # Restricted by an admin (GDPR Art. 18): kept, but in no report.
            User.restricted_at.is_(None),
        ]
        if self.course is not None:
            clauses.append(learners_of(self.course, self.cohort))
        if self.language:
            clauses.append(User.language == self.language)
        if self.role:
            clauses.append(User.role == self.role)
        if self.without_objectors:
            clauses.append(User.statistics_objection_at.is_(None))
        if self.registered_from:
            start = dt.datetime.combine(self.registered_from, dt.time(), dt.UTC)
            clauses.append(User.created_at >= start)
        # The last day there is (9999-12-31) has no day after it: no upper limit then.
        if self.registered_to and self.registered_to < dt.date.max:
            end = dt.datetime.combine(self.registered_to + dt.timedelta(days=1), dt.time(), dt.UTC)
            clauses.append(User.created_at < end)
        return sa.and_(*clauses)


def _cohort(value: str | None) -> int | str | None:
    """A cohort filter's value: a cohort's number, or NO_COHORT."""
    if value is None or value == NO_COHORT:
        return value
    if not (value.isascii() and value.isdigit()):
        raise InvalidFilter("cohort")
    number = int(value)
    if not 1 <= number <= LARGEST_COHORT:
        raise UnknownCohort("cohort")
    return number


def learners_of(course: str, cohort: int | str | None = None) -> sa.ColumnElement[bool]:
    """Whether an account is one of a course's learners: a member of it, or someone with
    progress in it (taken out of it since, or in a cohort deleted since: what they did is
    still the course's); of one of its cohorts, or (NO_COHORT) of none, a member of that."""
    if cohort is not None:
        return User.id.in_(members_of(course, cohort))
    took_part = sa.exists().where(
        LessonProgress.user_id == User.id, LessonProgress.course == course
    )
    return sa.or_(User.id.in_(members_of(course)), took_part)


def members_of(course: str, cohort: int | str | None = None) -> sa.Select:
    """The ids of a course's members: all of them, those of one cohort, or (NO_COHORT)
    those in none of its cohorts."""
    if cohort is not None and cohort != NO_COHORT:
        # A cohort is one course's (the filters checked it): naming the course as well
        # only misleads PostgreSQL's estimate, the two columns being correlated.
        return sa.select(Membership.user_id).where(Membership.cohort_id == cohort)
    members = sa.select(Membership.user_id).where(Membership.course == course)
    if cohort == NO_COHORT:
        return members.where(Membership.cohort_id.is_(None))
    return members


def course_of(filters: ReportFilters, catalogue: Catalogue) -> Course:
    """The course whose lessons a report or figures about these filters show: theirs, or
    the default one when they name none (`read_filters` has checked the site has it)."""
    return catalogue.course(filters.course) if filters.course else catalogue.default


def read_filters(session: Session, args: Mapping[str, str], catalogue: Catalogue) -> ReportFilters:
    """Filters from query parameters (or CLI options), checked against the site's courses
    and cohorts: a cohort named alone brings its course. Raises InvalidFilter."""
    courses = [course.slug for course in catalogue.courses]
    filters = ReportFilters.parse(args, catalogue.languages, courses)
    if not isinstance(filters.cohort, int):
        return filters
    course = session.scalar(sa.select(Cohort.course).where(Cohort.id == filters.cohort))
    if course is None or filters.course not in (None, course):
        raise UnknownCohort("cohort")
    if course not in courses:
        # A cohort of a course taken off the site: nothing of it can be shown.
        raise UnknownCourse("course")
    return replace(filters, course=course)


def learner_count(session: Session, filters: ReportFilters) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User).where(filters.condition()))


def _learners_after(filters: ReportFilters, course: str, last_id: int) -> sa.CTE:
    """The next batch of learners after `last_id`, in id order (keyset paging: no OFFSET,
    and never every learner at once), with the name of their cohort in `course`."""
    return (
        sa.select(
            User.id,
            User.email,
            User.display_name,
            User.language,
            Cohort.name.label("cohort"),
            User.created_at,
        )
        .outerjoin(Membership, (Membership.user_id == User.id) & (Membership.course == course))
        .outerjoin(Cohort, Cohort.id == Membership.cohort_id)
        .where(filters.condition(), User.id > last_id)
        .order_by(User.id)
        .limit(BATCH)
        .cte("batch")
    )


def _learner_cells(learners: sa.CTE) -> tuple[sa.ColumnElement, ...]:
    """The columns both reports start with: the learner's id, email, name, language and
    cohort."""
    return (
        learners.c.id,
        learners.c.email,
        learners.c.display_name,
        learners.c.language,
        learners.c.cohort,
    )


def _of_batch(column: sa.ColumnElement[int], learners: sa.CTE, last_id: int):
    """Rows of `column`'s table that belong to the batch's learners, as a range of ids the
    index can seek to: the batch's size is unknown to the planner when it is written as
    `IN (batch)`, and PostgreSQL then chooses to read the whole table for every batch."""
    last_of_batch = sa.select(sa.func.max(learners.c.id)).scalar_subquery()
    return sa.and_(column > last_id, column <= last_of_batch)


def _in_batches(make_query: Callable[[int], sa.Select], session: Session) -> Iterator[Sequence]:
    """The rows of `make_query(last_id)`, one batch of learners after another, until a
    batch is empty. Each row starts with its learner's id.

    A thread with a connection of its own reads the next batch while the caller writes out
    this one, so the database's work and Python's overlap (sqlite3 and psycopg let other
    threads run while the database works). Rows are the driver's plain tuples: the queries
    already give every value as the report shows it."""
    engine = session.get_bind()
    batches: queue.Queue = queue.Queue(maxsize=1)
    stopped = threading.Event()

    def offer(item: object) -> None:
        # Once the caller has stopped, nothing more is put: at most one put can be waiting
        # then, and the caller takes one item away to release it.
        if not stopped.is_set():
            batches.put(item)

    def read() -> None:
        try:
            # Autocommit: no transaction stays open, holding locks, while a batch waits.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                last_id = 0
                while not stopped.is_set() and (
                    batch := connection.execute(make_query(last_id)).cursor.fetchall()
                ):
                    offer(batch)
                    last_id = batch[-1][0]
        except Exception as error:  # noqa: BLE001  (raised again in the caller's thread)
            offer(error)
        else:
            offer(None)

    threading.Thread(target=read, name="report-reader", daemon=True).start()
    try:
        while (batch := batches.get()) is not None:
            if isinstance(batch, Exception):
                raise batch
            yield from batch
    finally:
        stopped.set()
        with contextlib.suppress(queue.Empty):
            batches.get_nowait()


def best_score() -> sa.ColumnElement[float]:
    """The best attempt's score in percent, to one decimal (a float on every database)."""
    percent = 100.0 * QuizAttempt.points / QuizAttempt.max_points
    return sa.cast(sa.func.round(sa.cast(sa.func.max(percent), sa.Numeric), 1), sa.Float)


def progress_rows(session: Session, course: Course, filters: ReportFilters) -> Iterator[Sequence]:
    """One row per learner per published lesson of `course`, the filters' course where they
    name one (PROGRESS_COLUMNS): learners in id order, lessons in order, times as ISO 8601
    UTC text. The database joins each batch of learners with the lessons, their progress
    and their best scores: Python only passes the rows on."""
    lessons = (
        sa.values(sa.column("number", sa.Integer), sa.column("slug", sa.String), name="lessons")
        .data([(lesson.number, lesson.slug) for lesson in course.published_lessons])
        .cte("lessons")
    )

    def query(last_id: int) -> sa.Select:
        learners = _learners_after(filters, course.slug, last_id)
        scores = (
            sa.select(
                QuizAttempt.user_id,
                QuizAttempt.lesson_slug,
                best_score().label("best"),
                sa.func.count().label("attempts"),
            )
            .where(
                _of_batch(QuizAttempt.user_id, learners, last_id),
                QuizAttempt.course == course.slug,
            )
            .group_by(QuizAttempt.user_id, QuizAttempt.lesson_slug)
            .subquery("scores")
        )
        return (
            sa.select(
                *_learner_cells(learners),
                lessons.c.number,
                lessons.c.slug,
                utc_text(LessonProgress.started_at),
                utc_text(LessonProgress.completed_at),
                scores.c.best,
                sa.func.coalesce(scores.c.attempts, 0),
            )
            .select_from(learners)
            # An outer join, which every learner's lessons meet alike, keeps the learners
            # the outer loop on SQLite (it never reorders one): their rows are then read
            # in the learners' order, a fifth less work than lesson after lesson.
            .outerjoin(lessons, sa.true())
            .outerjoin(
                LessonProgress,
                (LessonProgress.user_id == learners.c.id)
                & (LessonProgress.course == course.slug)
                & (LessonProgress.lesson_slug == lessons.c.slug)
                & _of_batch(LessonProgress.user_id, learners, last_id),
            )
            .outerjoin(
                scores,
                (scores.c.user_id == learners.c.id) & (scores.c.lesson_slug == lessons.c.slug),
            )
            .order_by(learners.c.id, lessons.c.number)
        )

    return _in_batches(query, session)


def summary_rows(session: Session, course: Course, filters: ReportFilters) -> Iterator[Sequence]:
    """One row per learner (SUMMARY_COLUMNS): lessons of `course` (the filters' course,
    where they name one) completed and the time of their last recorded activity in it,
    times as ISO 8601 UTC text."""

    def query(last_id: int) -> sa.Select:
        learners = _learners_after(filters, course.slug, last_id)
        progress = (
            sa.select(
                LessonProgress.user_id,
                sa.func.count(LessonProgress.completed_at).label("completed"),
                sa.func.max(
                    sa.func.coalesce(LessonProgress.completed_at, LessonProgress.started_at)
                ).label("latest"),
            )
            .where(
                _of_batch(LessonProgress.user_id, learners, last_id),
                LessonProgress.course == course.slug,
            )
            .group_by(LessonProgress.user_id)
            .subquery("progress")
        )
        attempts = (
            sa.select(QuizAttempt.user_id, sa.func.max(QuizAttempt.submitted_at).label("latest"))
            .where(
                _of_batch(QuizAttempt.user_id, learners, last_id),
                QuizAttempt.course == course.slug,
            )
            .group_by(QuizAttempt.user_id)
            .subquery("attempts")
        )
        # The later of the two, or whichever there is (SQLite's max() of a NULL is NULL).
        latest = sa.case(
            (
                attempts.c.latest.is_(None) | (progress.c.latest > attempts.c.latest),
                progress.c.latest,
            ),
            else_=attempts.c.latest,
        )
        return (
            sa.select(
                *_learner_cells(learners),
                utc_text(learners.c.created_at),
                sa.func.coalesce(progress.c.completed, 0),
                utc_text(latest),
            )
            .select_from(learners)
            .outerjoin(progress, progress.c.user_id == learners.c.id)
            .outerjoin(attempts, attempts.c.user_id == learners.c.id)
            .order_by(learners.c.id)
        )

    return _in_batches(query, session)


@dataclass
class Pseudonyms:
    """Stable within one export, unrelated across exports: a fresh key each time."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __call__(self, learner_id: int) -> str:
        digest = hmac.new(self.key, str(learner_id).encode(), hashlib.sha256).hexdigest()
        return f"learner-{digest[:12]}"


def pseudonymised(
    rows: Iterator[Sequence], pseudonyms: Pseudonyms, columns: Sequence[str]
) -> Iterator[tuple]:
    """Rows with the learner's id, email and name (the first columns) replaced by one
    pseudonym, and less to match them back to people by: times cut to their day (a sign-up
    to the second can be found on the learner's admin page), and learners shuffled within
    each thousand (in id order, a row's place would name it in an export with names)."""
    identity = len(IDENTITY)
    days = [index for index, column in enumerate(columns) if column in TIME_COLUMNS]
    shuffle = secrets.SystemRandom().shuffle
    learners = (list(rows_of_one) for _id, rows_of_one in itertools.groupby(rows, lambda r: r[0]))
    while batch := list(itertools.islice(learners, BATCH)):
        shuffle(batch)
        for learner_rows in batch:
            for row in learner_rows:
                cells = [pseudonyms(row[0]), *row[identity:]]
                for index in days:
                    if cells[index] is not None:
                        cells[index] = cells[index][:DAY_LENGTH]
                yield tuple(cells)


def columns_of(columns: tuple[str, ...], pseudonymise: bool) -> tuple[str, ...]:
    if not pseudonymise:
        return columns
    return ("learner", *columns[len(IDENTITY) :])


def write_csv(rows: Iterator[Sequence], columns: tuple[str, ...], *, bom: bool) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quotes where needed), UTF-8, optionally with the BOM
    Excel needs to read accents right. Text that people typed and that a spreadsheet would
    run as a formula, or that starts with an apostrophe, gets one more apostrophe in front;
    None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" if bom else "") + _taken(buffer)
    typed = [number for number, column in enumerate(columns) if column in TYPED_BY_PEOPLE]
    # Rows go out a few hundred at a time: a chunk per row would cost more than the row.
    rows = iter(rows)
    while batch := list(itertools.islice(rows, CSV_ROWS_PER_CHUNK)):
        for number in typed:
            # A learner's cells repeat on each of their rows: each text is tested once.
            risky = {
                value
                for value in set(map(operator.itemgetter(number), batch))
                if starts_like_formula(value)
            }
            if risky:
                _neutralise(batch, number, risky)
        writer.writerows(batch)
        yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    """What the buffer holds, leaving it empty (for streaming)."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _neutralise(batch: list, number: int, risky: set[str]) -> None:
    """One more apostrophe in front of column `number`'s text in the rows where it is one
    of `risky`."""
    for index, row in enumerate(batch):
        if row[number] in risky:
            row = batch[index] = list(row)
            row[number] = "'" + row[number]


def write_json(rows: Iterator[Sequence], columns: tuple[str, ...]) -> Iterator[str]:
    """A JSON array of objects, one per row, written as it goes."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def write_xlsx(
    rows: Iterator[Sequence], columns: tuple[str, ...], sheet_rows: int = SHEET_ROWS
) -> Iterator[bytes]:
    """An XLSX workbook with a header row, frozen panes and typed cells: times as Excel
    dates (UTC), numbers as numbers, text always as text (so "=..." is never a formula)."""
    return write_workbook(rows, columns, TIME_COLUMNS, sheet_rows)


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

    def rows(self, session: Session, course: Course) -> Iterator[Sequence]:
        produce = progress_rows if self.kind == "progress" else summary_rows
        if self.pseudonymise:
            filters = replace(self.filters, without_objectors=True)
            rows = pseudonymised(produce(session, course, filters), Pseudonyms(), self.columns)
        else:
            rows = produce(session, course, self.filters)
        for row in rows:
            self.rows_written += 1
            yield row

    def chunks(self, rows: Iterator[dict]) -> Iterator[str | bytes]:
        options = {"bom": self.bom} if self.output == "csv" else {}
        return WRITERS[self.output](rows, self.columns, **options)

    def record(self, session: Session, actor_id: int | None, *, complete: bool = True) -> None:
        """Log the export once it has ended: who, which filters, how many rows were read
        for it, and whether it was sent whole (a download can be stopped half-way)."""
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
                "complete": complete,
            },
        )
