"""Enrolling learners in a cohort in bulk, from a spreadsheet of email addresses, and the
invitations mailed to the addresses that have no account yet.

A sheet is read whole before anything is written: every row that cannot be used is kept
with its line number and the reason, the others are enrolled together in one transaction
with a handful of queries, however many rows there are. Enrolling the same sheet again
changes nothing: members stay where they are, and a pending invitation is not sent twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import io
import secrets
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from babel import Locale
from sqlalchemy.orm import Session

from app.content import SUPPORTED_LANGUAGES
from app.models import Cohort, Invitation, Membership, Role, User, utcnow
from app.names import keeps_to_one_line
from app.services import cohorts
from app.services.accounts import normalise_email

# A sheet of 5,000 learners is far larger than any cohort, and is read in about a second;
# a larger file is more likely the wrong one.
MOST_BYTES = 512 * 1024
MOST_ROWS = 5_000
INVITATION_DAYS = 30
# As the account forms have them.
LONGEST_EMAIL = 254
LONGEST_NAME = 100

# The columns a sheet may have, by what a header row may call them (compared without case
# or accents): in the platform's three languages, and as spreadsheets often name them.
COLUMNS = ("email", "name", "language")
HEADER_NAMES = {
    "email": {
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "correo",
        "correo electronico",
        "correo-e",
        "endereco de email",
        "endereco de e-mail",
        "endereco eletronico",
    },
    "name": {
        "name",
        "full name",
        "display name",
        "nombre",
        "nombre completo",
        "nome",
        "nome completo",
    },
    "language": {"language", "lang", "idioma", "lengua", "lingua"},
}
_HEADER_COLUMNS = {name: column for column, names in HEADER_NAMES.items() for name in names}


class FileProblem(enum.StrEnum):
    """Why nothing of a file could be used."""

    TOO_LARGE = "too-large"
    TOO_MANY_ROWS = "too-many-rows"
    NOT_UTF8 = "not-utf8"
    NOT_CSV = "not-csv"
    EMPTY = "empty"
    UNKNOWN_COLUMN = "unknown-column"
    REPEATED_COLUMN = "repeated-column"
    NO_EMAIL_COLUMN = "no-email-column"


class UnusableFile(Exception):
    def __init__(self, problem: FileProblem, value: str = "") -> None:
        super().__init__(problem.value)
        self.problem = problem
        # The header cell the problem is about, if it is about one.
        self.value = value


class RowProblem(enum.StrEnum):
    """Why one row of a sheet could not be used."""

    TOO_MANY_COLUMNS = "too-many-columns"
    NO_EMAIL = "no-email"
    INVALID_EMAIL = "invalid-email"
    REPEATED = "repeated"
    UNKNOWN_LANGUAGE = "unknown-language"
    INVALID_NAME = "invalid-name"
    STAFF = "staff"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int
    problem: RowProblem
    # The cell at fault, as typed (an email, a language), where there is one.
    value: str = ""
    # For a repeated address: the line it was first on.
    first_line: int | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A usable row: a valid address, with the name and language it came with."""

    line: int
    email: str
    name: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class Sheet:
    entries: list[Entry]
    refusals: list[Refusal]


def _folded(text: str) -> str:
    """Text compared without case, accents or surrounding spaces: "Correo electrónico" is
    "correo electronico"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def _language_names(languages: Collection[str]) -> dict[str, str]:
    """The course's languages by their codes and by their names in each of the platform's
    languages ("es", "Spanish", "español", "espanhol")."""
    names = {}
    for code in languages:
        names[code] = code
        locale = Locale.parse(code)
        for reader in SUPPORTED_LANGUAGES:
            names[_folded(locale.get_display_name(reader) or code)] = code
    return names


def _language(typed: str, names: dict[str, str]) -> str | None:
    folded = _folded(typed)
    # A regional variant is its language: "pt-PT", "es_ES".
    return names.get(folded) or names.get(folded.replace("_", "-").split("-")[0])


def _delimiter(text: str) -> str:
    """Comma or semicolon (Excel's choice where the comma is the decimal separator): the
    one that splits the first line into more cells."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    by_semicolon = next(csv.reader([first_line], delimiter=";"), [])
    by_comma = next(csv.reader([first_line], delimiter=","), [])
    return ";" if len(by_semicolon) > len(by_comma) else ","


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each row that is not blank with the line it starts on: a quoted cell may hold a
    line break."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error:
        raise UnusableFile(FileProblem.NOT_CSV) from None


def _header(cells: list[str]) -> list[str | None] | None:
    """The columns a header row names, in order (None for an empty cell), or None when the
    row is not a header but a learner's."""
    folded = [_folded(cell) for cell in cells]
    # A row with an address is a learner's, even one called Nome.
    if any("@" in cell for cell in cells) or not any(name in _HEADER_COLUMNS for name in folded):
        return None
    columns: list[str | None] = []
    for cell, name in zip(cells, folded, strict=True):
        if not name:
            columns.append(None)
            continue
        if name not in _HEADER_COLUMNS:
            raise UnusableFile(FileProblem.UNKNOWN_COLUMN, cell.strip())
        column = _HEADER_COLUMNS[name]
        if column in columns:
            raise UnusableFile(FileProblem.REPEATED_COLUMN, cell.strip())
        columns.append(column)
    if "email" not in columns:
        raise UnusableFile(FileProblem.NO_EMAIL_COLUMN)
    return columns


def _is_usable_name(name: str) -> bool:
    """A name as the sign-up form takes it."""
    return len(name) <= LONGEST_NAME and keeps_to_one_line(name)


def _is_valid_email(email: str) -> bool:
    # Only a trainer's list of learners to enrol needs it: imported at start-up, its rules
    # took every process about 15 ms.
    from email_validator import EmailNotValidError, validate_email

    if len(email) > LONGEST_EMAIL:
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def read_sheet(data: bytes, languages: Collection[str]) -> Sheet:
    """The rows of a CSV file of email addresses, each with an optional name and language
    (one of `languages`, by code or name): with or without a header row, separated by
    commas or semicolons, in UTF-8 with or without a byte order mark, quoted as Excel
    quotes. Raises UnusableFile when nothing of it can be used."""
    if len(data) > MOST_BYTES:
        raise UnusableFile(FileProblem.TOO_LARGE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnusableFile(FileProblem.NOT_UTF8) from None
    rows = _rows(text)
    first = next(rows, None)
    if first is None:
        raise UnusableFile(FileProblem.EMPTY)
    columns = _header(first[1])
    if columns is None:
        columns = list(COLUMNS)
        rows = _chained(first, rows)
    names = _language_names(languages)
    entries: list[Entry] = []
    refusals: list[Refusal] = []
    first_lines: dict[str, int] = {}
    for count, (line, cells) in enumerate(rows, start=1):
        if count > MOST_ROWS:
            raise UnusableFile(FileProblem.TOO_MANY_ROWS)
        if any(cell.strip() for cell in cells[len(columns) :]) or any(
            cell.strip() and column is None for cell, column in zip(cells, columns, strict=False)
        ):
            refusals.append(Refusal(line, RowProblem.TOO_MANY_COLUMNS))
            continue
        values = {
            column: cell.strip() for cell, column in zip(cells, columns, strict=False) if column
        }
        typed_email = values.get("email", "")
        if not typed_email:
            refusals.append(Refusal(line, RowProblem.NO_EMAIL))
            continue
        if not _is_valid_email(typed_email):
            refusals.append(Refusal(line, RowProblem.INVALID_EMAIL, typed_email))
            continue
        email = normalise_email(typed_email)
        if email in first_lines:
            refusals.append(
                Refusal(line, RowProblem.REPEATED, typed_email, first_line=first_lines[email])
            )
            continue
        first_lines[email] = line
        typed_language = values.get("language", "")
        language = _language(typed_language, names) if typed_language else None
        if typed_language and language is None:
            refusals.append(Refusal(line, RowProblem.UNKNOWN_LANGUAGE, typed_language))
            continue
        name = values.get("name") or None
        if name is not None and not _is_usable_name(name):
            refusals.append(Refusal(line, RowProblem.INVALID_NAME))
            continue
        entries.append(Entry(line, email, name, language))
    return Sheet(entries, refusals)


def _chained(
    first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """An invitation made by `enrol`, with the secret of its link, to be mailed: only a
    hash of it is kept."""

    email: str
    name: str | None
    language: str | None
    token: str
    expires_at: dt.datetime


@dataclass(slots=True)
class Outcome:
    """What enrolling a sheet did, row by row."""

    # Accounts that joined the cohort, and those moved into it from another of its course.
    enrolled: int = 0
    moved: int = 0
    # Accounts already in the cohort, and addresses already invited to it.
    already_members: int = 0
    already_invited: int = 0
    invited: list[NewInvitation] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The outcome in numbers, as the audit log keeps it: nobody's address."""
        return {
            "enrolled": self.enrolled,
            "moved": self.moved,
            "already members": self.already_members,
            "invited": len(self.invited),
            "already invited": self.already_invited,
            "refused": len(self.refusals),
        }


def _token_hash(token: str) -> str:
    # As the other emailed links' secrets are kept (app/services/accounts.py).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _insert_ignoring_present(session: Session, model: type, keys: list[str]):
    """An INSERT of `model` that leaves out rows whose `keys` are already there (another
    upload or a join at the same moment), on SQLite and PostgreSQL alike."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).on_conflict_do_nothing(index_elements=keys)


def enrol(
    session: Session,
    cohort: Cohort,
    sheet: Sheet,
    *,
    invited_by: int | None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Enrol the sheet's addresses in the cohort, in one transaction. An address with a
    confirmed learner's account becomes a member (moved from another cohort of the course
    if it was in one); any other is invited, its pending invitations to other cohorts of
    the course replaced; one already invited keeps its invitation until it expires.
    Staff and deactivated accounts are refused: staff see every course without joining."""
    now = now or utcnow()
    outcome = Outcome(refusals=list(sheet.refusals))
    emails = [entry.email for entry in sheet.entries]
    # MOST_ROWS keeps each IN list within both databases' limits on parameters.
    found = {
        row.email: row
        for row in session.execute(
            sa.select(
                User.id, User.email, User.role, User.is_active, User.email_confirmed_at
            ).where(User.email.in_(emails))
        )
    }
    places = dict(
        session.execute(
            sa.select(Membership.user_id, Membership.cohort_id).where(
                Membership.course == cohort.course,
                Membership.user_id.in_([row.id for row in found.values()]),
            )
        ).all()
    )
    pending: dict[str, list[sa.Row]] = {}
    for row in session.execute(
        sa.select(Invitation.id, Invitation.email, Invitation.cohort_id, Invitation.expires_at)
        .join(Cohort, Cohort.id == Invitation.cohort_id)
        .where(Cohort.course == cohort.course, Invitation.email.in_(emails))
    ):
        pending.setdefault(row.email, []).append(row)

    joining: list[int] = []
    moving: list[int] = []
    withdrawn: list[int] = []
    inviting: list[Entry] = []
    for entry in sheet.entries:
        account = found.get(entry.email)
        if account is not None and account.email_confirmed_at is not None:
            if account.role is not Role.LEARNER:
                outcome.refusals.append(Refusal(entry.line, RowProblem.STAFF, entry.email))
            elif not account.is_active:
                outcome.refusals.append(Refusal(entry.line, RowProblem.INACTIVE, entry.email))
            elif account.id not in places:
                joining.append(account.id)
            elif places[account.id] == cohort.id:
                outcome.already_members += 1
            else:
                moving.append(account.id)
            continue
        # No account yet, or one whose address is still to be confirmed: confirming it is
        # what proves the address is the learner's (see `accept_invitations_for`).
        waiting = pending.get(entry.email, [])
        if any(row.cohort_id == cohort.id and row.expires_at > now for row in waiting):
            outcome.already_invited += 1
            continue
        withdrawn.extend(row.id for row in waiting)
        inviting.append(entry)

    if joining:
        session.execute(
            _insert_ignoring_present(session, Membership, ["user_id", "course"]),
            [
                {
                    "user_id": user_id,
                    "course": cohort.course,
                    "cohort_id": cohort.id,
                    "joined_at": now,
                }
                for user_id in joining
            ],
        )
    if moving:
        session.execute(
            sa.update(Membership)
            .where(Membership.course == cohort.course, Membership.user_id.in_(moving))
            .values(cohort_id=cohort.id, joined_at=now, active_at=now)
        )
    if withdrawn:
        session.execute(sa.delete(Invitation).where(Invitation.id.in_(withdrawn)))
    invitations = []
    expires_at = now + dt.timedelta(days=INVITATION_DAYS)
    for entry in inviting:
        token = secrets.token_urlsafe(32)
        invitations.append(
            NewInvitation(entry.email, entry.name, entry.language, token, expires_at)
        )
    if invitations:
        inserted = set(
            session.scalars(
                _insert_ignoring_present(session, Invitation, ["cohort_id", "email"]).returning(
                    Invitation.email
                ),
                [
                    {
                        "cohort_id": cohort.id,
                        "email": invitation.email,
                        "display_name": invitation.name,
                        "language": invitation.language,
                        "token_hash": _token_hash(invitation.token),
                        "invited_by": invited_by,
                        "created_at": now,
                        "expires_at": expires_at,
                    }
                    for invitation in invitations
                ],
            )
        )
        outcome.invited = [invitation for invitation in invitations if invitation.email in inserted]
        outcome.already_invited += len(invitations) - len(outcome.invited)
    session.commit()
    outcome.enrolled = len(joining)
    outcome.moved = len(moving)
    outcome.refusals.sort(key=lambda refusal: refusal.line)
    return outcome


def invitation(session: Session, token: str) -> Invitation | None:
    """The invitation an emailed link's secret belongs to, expired or not."""
    return session.scalar(sa.select(Invitation).where(Invitation.token_hash == _token_hash(token)))


def is_expired(invitation: Invitation, now: dt.datetime | None = None) -> bool:
    return invitation.expires_at <= (now or utcnow())


def accept(session: Session, invitation: Invitation, user_id: int) -> Cohort:
    """The invited learner, signed in with the invited address, joins the cohort; the
    invitation, used, is deleted (it holds their address and name)."""
    cohort = session.get_one(Cohort, invitation.cohort_id)
    cohorts.place(session, user_id, cohort, utcnow())
    session.delete(invitation)
    session.commit()
    return cohort


def accept_invitations_for(session: Session, user: User) -> list[Cohort]:
    """Once an address is confirmed as the account's: the cohorts it was invited to, which
    have not ended, are joined (the latest invitation where there are two in one course),
    and every invitation of the address is deleted, used or of no more use."""
    now = utcnow()
    found = session.execute(
        sa.select(Invitation, Cohort)
        .join(Cohort, Cohort.id == Invitation.cohort_id)
        .where(Invitation.email == user.email)
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    if not found:
        return []
    chosen: dict[str, Cohort] = {}
    for invited, cohort in found:
        if not is_expired(invited, now) and not cohorts.has_ended(cohort, now.date()):
            chosen[cohort.course] = cohort
    for cohort in chosen.values():
        cohorts.place(session, user.id, cohort, now)
    session.execute(sa.delete(Invitation).where(Invitation.email == user.email))
    session.commit()
    return list(chosen.values())
