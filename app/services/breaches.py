"""The breach register (GDPR Art. 33(5)): every personal data breach, notified or not, with
the 72 hours the supervisory authority allows from the moment the team became aware of it,
and the register as a file (CSV, XLSX or JSON) written by the reports' writers.

Who recorded or changed a breach is in the audit log, which notes which fields changed but
never what they say: the descriptions are for the register alone."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import AuditLogEntry, Breach, utcnow
from app.services.privacy import audit_log, number_named, record_audit
from app.services.reports import starts_like_formula, write_csv, write_json
from app.services.xlsx import write_workbook

# GDPR Art. 33(1): the supervisory authority is notified within 72 hours of becoming aware.
NOTIFICATION_WINDOW = dt.timedelta(hours=72)

# What an admin fills in, in the order the form and the files give them.
FIELDS = (
    "what_happened",
    "occurred_at",
    "discovered_at",
    "data_affected",
    "people_affected",
    "people_count",
    "likely_consequences",
    "measures",
    "authority_notified_at",
    "people_told_at",
    "not_notified_because",
)
# The audit log's actions and its name for one breach.
RECORDED = "breach recorded"
UPDATED = "breach updated"
# The audit log's name for a download of the register (as a report's, in `subject_ref`).
REGISTER = "breach register"
HISTORY_SHOWN = 200

# The files put first what an admin scans a list for: where each breach stands.
EXPORT_COLUMNS = ("id", "status", "notify_authority_by", *FIELDS, "recorded_at", "updated_at")
TIME_COLUMNS = frozenset(
    {
        "discovered_at",
        "notify_authority_by",
        "occurred_at",
        "authority_notified_at",
        "people_told_at",
        "recorded_at",
        "updated_at",
    }
)
# Text typed by people, which a spreadsheet could take for a formula in a CSV file.
TEXT_COLUMNS = frozenset(
    {
        "what_happened",
        "data_affected",
        "people_affected",
        "likely_consequences",
        "measures",
        "not_notified_because",
    }
)


class Status(enum.StrEnum):
    """Where a breach stands with the supervisory authority."""

    NOTIFIED = "notified"
    # Not notified, and the reason is recorded (a risk to people is unlikely, say).
    NOT_NOTIFIED = "not notified"
    # Neither notified nor decided, and the 72 hours are not over.
    PENDING = "pending"
    # Neither notified nor decided, and the 72 hours are over.
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Deadline:
    """The 72 hours of one breach, as they stand at `now`."""

    due: dt.datetime
    status: Status
    # Notified after the 72 hours: Art. 33(1) asks for the reasons of the delay.
    late: bool


def deadline(breach: Breach, now: dt.datetime | None = None) -> Deadline:
    """When the supervisory authority must be notified by (72 hours after the team became
    aware), and whether that is overdue: not notified, no reason recorded for not
    notifying, and the deadline past. At the deadline itself there is still time."""
    now = now or utcnow()
    due = breach.discovered_at + NOTIFICATION_WINDOW
    if breach.authority_notified_at is not None:
        # Late, the reasons for the delay must go with it (Art. 33(1)).
        late = breach.authority_notified_at > due and not breach.not_notified_because.strip()
        return Deadline(due, Status.NOTIFIED, late=late)
    if breach.not_notified_because.strip():
        return Deadline(due, Status.NOT_NOTIFIED, late=False)
    return Deadline(due, Status.OVERDUE if now > due else Status.PENDING, late=False)


def is_overdue(breach: Breach, now: dt.datetime | None = None) -> bool:
    return deadline(breach, now).status is Status.OVERDUE


def all_breaches(session: Session) -> list[Breach]:
    """Every breach, the one discovered last first."""
    return list(
        session.scalars(sa.select(Breach).order_by(Breach.discovered_at.desc(), Breach.id.desc()))
    )


def get(session: Session, breach_id: int) -> Breach | None:
    return session.get(Breach, breach_id)


BREACH_REF = "breach #"


def subject(breach_id: int) -> str:
    """How the audit log names a breach."""
    return f"{BREACH_REF}{breach_id}"


def breach_of(subject_ref: str) -> int | None:
    """The breach number an audit log subject names (see `subject`), if it names one."""
    return number_named(BREACH_REF, subject_ref)


def history(session: Session, breach_id: int) -> list[AuditLogEntry]:
    """Who recorded the breach and who changed which fields, the latest first."""
    return audit_log(
        session, limit=HISTORY_SHOWN, actions=(RECORDED, UPDATED), subject=subject(breach_id)
    )


def _empty(value: Any) -> bool:
    return value is None or value == ""


def record(session: Session, actor_id: int | None, values: Mapping[str, Any]) -> Breach:
    """Add a breach to the register with `values` (FIELDS), and log who did it and which
    fields were filled in; committed together."""
    now = utcnow()
    breach = Breach(
        **{name: _stored(name, values.get(name)) for name in FIELDS},
        recorded_at=now,
        updated_at=now,
    )
    session.add(breach)
    session.flush()
    filled = [name for name in FIELDS if not _empty(values.get(name))]
    record_audit(session, actor_id, RECORDED, subject(breach.id), {"fields": filled})
    return breach


def update(
    session: Session, breach: Breach, actor_id: int | None, values: Mapping[str, Any]
) -> list[str]:
    """Change a breach to `values` (FIELDS) and log which fields changed, committed
    together; returns them. Nothing changed is nothing to log."""
    changed = []
    for name in FIELDS:
        value = _stored(name, values.get(name))
        if getattr(breach, name) != value:
            setattr(breach, name, value)
            changed.append(name)
    if not changed:
        return []
    breach.updated_at = utcnow()
    record_audit(session, actor_id, UPDATED, subject(breach.id), {"fields": changed})
    return changed


def _stored(name: str, value: Any) -> Any:
    """A value as the model keeps it: text columns are never NULL."""
    if name in TEXT_COLUMNS:
        return value or ""
    return value


def _iso(moment: dt.datetime | None) -> str | None:
    """A time as the reports write it: ISO 8601 UTC to the second."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_rows(session: Session, now: dt.datetime | None = None) -> list[tuple]:
    """The register as rows of EXPORT_COLUMNS, newest discovered first: times as ISO 8601
    UTC text, the number of people as a number, text as typed (empty text as "") and
    times or numbers not given as None."""
    now = now or utcnow()
    rows = []
    for breach in all_breaches(session):
        state = deadline(breach, now)
        cells = {
            "id": breach.id,
            "status": state.status.value,
            "notify_authority_by": _iso(state.due),
            "recorded_at": _iso(breach.recorded_at),
            "updated_at": _iso(breach.updated_at),
        }
        for name in FIELDS:
            value = getattr(breach, name)
            cells[name] = _iso(value) if name in TIME_COLUMNS else value
        rows.append(tuple(cells[column] for column in EXPORT_COLUMNS))
    return rows


def _formulas_as_text(rows: Sequence[tuple]) -> Iterator[tuple]:
    """Rows for a CSV file, in which text that starts like a formula (or with an apostrophe)
    gets an apostrophe in front, as the reports' own typed text does: taking one leading
    apostrophe away gives back what was typed."""
    text = [number for number, column in enumerate(EXPORT_COLUMNS) if column in TEXT_COLUMNS]
    for row in rows:
        cells = list(row)
        for number in text:
            if starts_like_formula(cells[number]):
                cells[number] = "'" + cells[number]
        yield tuple(cells)


def write(rows: Sequence[tuple], output: str, *, bom: bool = False) -> Iterator[str | bytes]:
    """The register in a format, by the reports' writers: CSV (with the BOM Excel needs, if
    asked), XLSX with typed cells (times as dates, text never a formula), or JSON."""
    if output == "csv":
        return write_csv(_formulas_as_text(rows), EXPORT_COLUMNS, bom=bom)
    if output == "xlsx":
        # Empty text is an empty cell, not a cell of no text.
        cells = (tuple(None if value == "" else value for value in row) for row in rows)
        return write_workbook(cells, EXPORT_COLUMNS, TIME_COLUMNS)
    return write_json(iter(rows), EXPORT_COLUMNS)


def record_download(session: Session, actor_id: int | None, output: str, rows: int) -> None:
    """Log a download of the register as the reports' downloads are logged."""
    record_audit(session, actor_id, "report", REGISTER, {"format": output, "rows": rows})
