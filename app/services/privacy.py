"""Personal data, driven by the data register: lesson notices and their acknowledgment,
consents, the learner's export, erasure, the retention purge and the audit log.

Export, erasure and purge walk the register's storage entries rather than naming tables,
so a table added to the register is exported and erased without further code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, selectinload

from app.content import Course, DataCategory, DataRegister, Lesson
from app.content.register import Erasure, Purge, ShownWith, Storage, digest
from app.database import flush_erased_pages, insert_unless_present, unicode_lower
from app.extensions import db
from app.mail import forget_mail_to, outbox_exists, purge_outbox
from app.models import (
    AuditLogEntry,
    ConsentEvent,
    ConsentText,
    NoticeAcknowledgment,
    NoticeVersion,
    PasswordResetToken,
    Role,
    User,
    set_apart,
    utcnow,
)
from app.services import xapi


@dataclass(frozen=True, slots=True)
class Notice:
    """What one lesson records about a learner, and the version of that notice."""

    categories: tuple[DataCategory, ...]
    version: str


def lesson_notice(
    register: DataRegister,
    lesson: Lesson,
    controller: str,
    settings: Mapping[str, str] | None = None,
) -> Notice:
    """The lesson's notice, derived from the register, what the lesson does and the
    `settings` the register's categories depend on (those set, with their values). Its
    version changes with any word of the categories it lists, with the controller's
    identity, or with who a category is sent to."""
    settings = settings or {}
    categories = register.for_lesson(lesson.quiz is not None, lesson.collects, frozenset(settings))
    recipients = [settings.get(c.sent_to) for c in categories if c.sent_to is not None]
    return Notice(categories, digest([controller, *(c.digest for c in categories), *recipients]))


def note_notice_shown(session: Session, lesson: Lesson, version: str) -> None:
    """Remember when a notice version was first shown, for the record of processing."""
    insert_unless_present(
        session,
        NoticeVersion,
        {
            "course": lesson.course,
            "lesson_slug": lesson.slug,
            "version": version,
            "first_shown_at": utcnow(),
        },
        ["course", "lesson_slug", "version"],
    )
    session.commit()


def _acknowledged_in(user_id: int, lesson: Lesson, version: str) -> tuple[sa.ColumnElement, ...]:
    """The learner's own acknowledgment of this version of the lesson's notice."""
    return (
        NoticeAcknowledgment.user_id == user_id,
        NoticeAcknowledgment.course == lesson.course,
        NoticeAcknowledgment.lesson_slug == lesson.slug,
        NoticeAcknowledgment.notice_version == version,
    )


_HAS_ACKNOWLEDGED = sa.select(NoticeAcknowledgment.id).where(
    NoticeAcknowledgment.user_id == sa.bindparam("user_id"),
    NoticeAcknowledgment.course == sa.bindparam("course"),
    NoticeAcknowledgment.lesson_slug == sa.bindparam("lesson"),
    NoticeAcknowledgment.notice_version == sa.bindparam("version"),
)


def has_acknowledged(session: Session, user_id: int, lesson: Lesson, version: str) -> bool:
    """Whether the learner acknowledged this version of the lesson's notice: asked by every
    answer and completion, so built once."""
    found = session.scalar(
        _HAS_ACKNOWLEDGED,
        {"user_id": user_id, "course": lesson.course, "lesson": lesson.slug, "version": version},
    )
    return found is not None


def acknowledge(
    session: Session,
    user_id: int,
    lesson: Lesson,
    version: str,
    language: str,
    same_as: str | None = None,
) -> None:
    """Record that the learner read this notice version (once, whatever the double clicks),
    confirming it here, or taken as read from the lesson `same_as` (see `acknowledgment`).
    The caller commits, together with whatever the acknowledgment allows."""
    insert_unless_present(
        session,
        NoticeAcknowledgment,
        {
            "user_id": user_id,
            "course": lesson.course,
            "lesson_slug": lesson.slug,
            "notice_version": version,
            "language": language,
            "acknowledged_at": utcnow(),
            "same_as": same_as,
        },
        ["user_id", "course", "lesson_slug", "notice_version"],
    )


# Built once: every signed-in opening of a lesson asks it.
_ACKNOWLEDGMENT = (
    sa.select(NoticeAcknowledgment.__table__)
    .where(
        NoticeAcknowledgment.user_id == sa.bindparam("user_id"),
        NoticeAcknowledgment.course == sa.bindparam("course"),
        NoticeAcknowledgment.notice_version == sa.bindparam("version"),
    )
    # This lesson's own record first, else the earliest.
    .order_by(
        sa.case((NoticeAcknowledgment.lesson_slug == sa.bindparam("lesson"), 0), else_=1),
        NoticeAcknowledgment.acknowledged_at,
    )
    .limit(1)
)


def acknowledgment(
    session: Session, user_id: int, lesson: Lesson, version: str, language: str
) -> sa.Row | None:
    """The learner's acknowledgment of this version of the lesson's notice, as they open
    the lesson (a read-only row of its columns); None while they have it to read.

    A version is the hash of every word the notice says and of the controller's identity,
    not of the lesson: a notice of the same version in another lesson of the course, which
    the learner confirmed, told them all this one does. This lesson's notice is then taken
    as read, and recorded so, in `language`, naming the lesson where they confirmed it:
    each lesson keeps its own record of how its learner was informed before it recorded
    anything. One query when the record is there already."""
    about = {"user_id": user_id, "course": lesson.course, "lesson": lesson.slug, "version": version}
    found = session.connection().execute(_ACKNOWLEDGMENT, about).first()
    if found is None or found.lesson_slug == lesson.slug:
        return found
    # Named after the lesson where the notice was confirmed, not one where it was taken as read.
    acknowledge(session, user_id, lesson, version, language, found.same_as or found.lesson_slug)
    session.commit()
    return session.connection().execute(_ACKNOWLEDGMENT, about).first()


def consent_ledger(session: Session, user_id: int) -> list[ConsentEvent]:
    """Every grant and withdrawal, oldest first."""
    return list(
        session.scalars(
            sa.select(ConsentEvent)
            .where(ConsentEvent.user_id == user_id)
            .order_by(ConsentEvent.recorded_at, ConsentEvent.id)
        )
    )


def consents(session: Session, user_id: int) -> dict[str, bool]:
    """Each optional purpose's current state: the latest ledger row wins; none means no."""
    return {event.purpose: event.granted for event in consent_ledger(session, user_id)}


def left_out_of_figures() -> sa.Select:
    """The accounts no figure may count: restricted by an admin (GDPR Art. 18) or whose
    owner objects to the course figures (Art. 21)."""
    return set_apart(
        sa.or_(User.restricted_at.is_not(None), User.statistics_objection_at.is_not(None))
    )


def consenting_user_ids(purpose_id: str, among: sa.Select | None = None) -> sa.Select:
    """The ids of learners whose latest choice for an optional purpose is a grant, but for
    those left out of every figure whatever they consented to; only of those `among` (a
    cohort's members, say), if given: their choices are then read from their own index
    rather than every learner's."""
    latest = sa.select(sa.func.max(ConsentEvent.id)).where(ConsentEvent.purpose == purpose_id)
    if among is not None:
        latest = latest.where(ConsentEvent.user_id.in_(among))
    latest = latest.group_by(ConsentEvent.user_id)
    return sa.select(ConsentEvent.user_id).where(
        ConsentEvent.id.in_(latest),
        ConsentEvent.granted.is_(True),
        ConsentEvent.user_id.not_in(left_out_of_figures()),
    )


def note_consent_texts(session: Session, register: DataRegister, language: str) -> None:
    """Keep the wording of every optional purpose as shown in `language`, once per version:
    each consent event can then be shown with what it agreed to, after the text changes.
    The caller commits."""
    for purpose in register.purposes:
        insert_unless_present(
            session,
            ConsentText,
            {
                "purpose": purpose.id,
                "version": purpose.version,
                "language": language,
                "text": purpose.text[language],
                "first_shown_at": utcnow(),
            },
            ["purpose", "version", "language"],
        )


def consent_wordings(session: Session, user_id: int) -> list[dict[str, Any]]:
    """The wording of every consent the person gave or withdrew, as they saw it."""
    seen = (
        sa.select(ConsentEvent.purpose, ConsentEvent.text_version, ConsentEvent.language)
        .where(ConsentEvent.user_id == user_id)
        .distinct()
        .subquery()
    )
    query = (
        sa.select(ConsentText)
        .join(
            seen,
            sa.and_(
                ConsentText.purpose == seen.c.purpose,
                ConsentText.version == seen.c.text_version,
                ConsentText.language == seen.c.language,
            ),
        )
        .order_by(ConsentText.first_shown_at, ConsentText.purpose, ConsentText.language)
    )
    return [
        {
            "purpose": text.purpose,
            "text_version": text.version,
            "language": text.language,
            "text": text.text,
            "first_shown_at": _plain(text.first_shown_at),
        }
        for text in session.scalars(query)
    ]


def record_consents(
    session: Session, register: DataRegister, user_id: int, granted: set[str], language: str
) -> list[ConsentEvent]:
    """Record a ledger row for every purpose whose state changes (given or withdrawn).
    Purposes not in `granted` are withdrawn if they were given; nothing is overwritten."""
    current = consents(session, user_id)
    now = utcnow()
    changes = [
        ConsentEvent(
            user_id=user_id,
            purpose=purpose.id,
            granted=purpose.id in granted,
            text_version=purpose.version,
            language=language,
            recorded_at=now,
        )
        for purpose in register.purposes
        if current.get(purpose.id, False) != (purpose.id in granted)
    ]
    # The wording is kept in the same transaction as the events that point at it.
    note_consent_texts(session, register, language)
    session.add_all(changes)
    session.commit()
    return changes


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def _normalised(column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """Text as `accounts.normalise_email` keeps an address: trimmed, in lower case."""
    return unicode_lower(sa.func.trim(column))


def _about(storage: Storage, user_id: int) -> sa.ColumnElement[bool]:
    """The condition selecting a storage entry's rows about one person."""
    table = _table(storage.table)
    theirs = _about_person(storage, table, user_id)
    return sa.and_(
        theirs, *(table.c[column] == value for column, value in storage.rows_where.items())
    )


def _about_person(storage: Storage, table: sa.Table, user_id: int) -> sa.ColumnElement[bool]:
    if storage.reference is not None:
        return table.c[storage.subject] == storage.reference.format(id=user_id)
    if storage.holds is not None:
        # Written by someone else, before the person had an account: it may differ from
        # the account's address in case or spaces.
        users = _table(User.__tablename__)
        theirs = sa.select(_normalised(users.c[storage.holds])).where(users.c.id == user_id)
        return _normalised(table.c[storage.subject]) == theirs.scalar_subquery()
    if storage.via is None:
        return table.c[storage.subject] == user_id
    via_table, via_column = storage.via
    owner = _table(via_table)
    return table.c[storage.subject].in_(sa.select(owner.c.id).where(owner.c[via_column] == user_id))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _pointed_at(table: sa.Table, shown: ShownWith) -> sa.ColumnElement[Any]:
    target = _table(shown.table)
    return (
        sa.select(target.c[shown.target])
        .where(target.c.id == table.c[shown.column])
        .scalar_subquery()
        .label(shown.name)
    )


def stored_rows(session: Session, storage: Storage, user_id: int) -> list[dict[str, Any]]:
    """A storage entry's rows about the person: its listed columns, plus the keys that tie
    rows together (the row id and the subject column), minus hidden columns; each with what
    the register says it stands for (`shown_with`) after it."""
    table = _table(storage.table)
    keys = [name for name in ("id", storage.subject) if name in table.c]
    names = list(dict.fromkeys([*keys, *storage.columns]))
    columns: list[sa.ColumnElement[Any]] = []
    for name in names:
        if name in storage.hidden:
            continue
        columns.append(table.c[name])
        # What a number stands for comes right after it.
        columns.extend(
            _pointed_at(table, shown) for shown in storage.shown_with if shown.column == name
        )
    query = sa.select(*columns).where(_about(storage, user_id)).order_by(*table.primary_key.columns)
    return [
        {name: _plain(value) for name, value in row.items()}
        for row in session.execute(query).mappings()
    ]


def language_of(user: User, course: Course) -> str:
    """The language to write to a learner in, when they are not the one reading a page:
    the one they last read the course in, else the course's own."""
    return user.language if user.language in course.languages else course.default_language


def export_data(
    session: Session, register: DataRegister, user_id: int, language: str
) -> dict[str, Any]:
    """Everything stored about the person, by register category (GDPR Arts. 15 and 20)."""
    return {
        "exported_at": utcnow().isoformat(),
        "categories": [
            {
                "id": category.id,
                "name": category.name[language],
                "purpose": category.purpose[language],
                "legal_basis": category.legal_basis.value,
                "retention": category.retention[language],
                "recipients": category.recipients[language],
                "records": {
                    storage.table: stored_rows(session, storage, user_id)
                    for storage in category.storage
                },
                "withheld": sorted({name for s in category.storage for name in s.hidden}),
                **(
                    {"wordings": consent_wordings(session, user_id)}
                    if any(s.table == ConsentEvent.__tablename__ for s in category.storage)
                    else {}
                ),
            }
            for category in register.categories
        ],
    }


# The register's entry for the copies admins download to answer a request.
REQUEST_EXPORTS = "request-exports"


def export_for_request(
    session: Session, register: DataRegister, user_id: int, language: str
) -> dict[str, Any]:
    """The export an admin makes to answer a request received by email, saying by when the
    admin's copy must be deleted: the register's retention for such copies."""
    data = export_data(session, register, user_id, language)
    copies = next(entry for entry in register.elsewhere if entry.id == REQUEST_EXPORTS)
    delete_by = dt.datetime.fromisoformat(data["exported_at"]) + dt.timedelta(
        days=copies.retention_days
    )
    return {"delete_by": delete_by.isoformat(), **data}


def erased_since(session: Session, since: dt.datetime) -> list[int]:
    """The account numbers erased since a moment, oldest first: what a restored backup
    must erase again."""
    refs = session.scalars(
        sa.select(AuditLogEntry.subject_ref)
        .where(AuditLogEntry.action == "erase", AuditLogEntry.recorded_at >= since)
        .order_by(AuditLogEntry.recorded_at, AuditLogEntry.id)
    )
    return [number for ref in refs if (number := account_of(ref)) is not None]


def accounts_present(session: Session, user_ids: Iterable[int]) -> list[int]:
    """Which of these account numbers have an account here, in the order given, once."""
    wanted = list(dict.fromkeys(user_ids))
    present = set(session.scalars(sa.select(User.id).where(User.id.in_(wanted))))
    return [user_id for user_id in wanted if user_id in present]


def erase_again(session: Session, register: DataRegister, user_ids: Iterable[int]) -> list[int]:
    """After a backup is restored: erase again every listed account it brought back, and
    log it as the erasure it repeats. The accounts erased, in order."""
    erased = accounts_present(session, user_ids)
    for user_id in erased:
        erase_account(session, register, user_id)
        record_audit(session, None, "erase", user_ref(user_id), {"again": "backup restored"})
    return erased


def _erasure_order(register: DataRegister) -> list[Storage]:
    """Rows reached through another table go first, then rows pointing at the user, and the
    users row itself last, so nothing is left pointing at a deleted row."""
    storages = [storage for category in register.categories for storage in category.storage]
    return sorted(storages, key=lambda s: (s.via is None, s.table == User.__tablename__))


def erase_account(session: Session, register: DataRegister, user_id: int) -> None:
    """Delete or anonymise, as the register says, every row about the person, then make
    sure the erased values are gone from the database files too, and from the development
    outbox: the messages to them carry their address and name."""
    email = session.scalar(sa.select(User.email).where(User.id == user_id))
    # Asked of the LRS in the erasure's own transaction, before the messages that say what
    # it was sent go with the account.
    sent_statements = xapi.void_statements_of(session, user_id)
    # Every entry in turn, even of a table already reached: an entry names its own column
    # pointing at the person, and a row can point at them by two (who sent, who received).
    for storage in _erasure_order(register):
        if storage.erasure is Erasure.KEEP:
            continue
        table = _table(storage.table)
        condition = _about(storage, user_id)
        if storage.erasure is Erasure.DELETE:
            session.execute(sa.delete(table).where(condition))
        else:
            cleared = dict.fromkeys((storage.subject, *storage.clears))
            session.execute(sa.update(table).where(condition).values(cleared))
    session.commit()
    if sent_statements and not xapi.is_configured(current_app.config):
        # The store that has them is no longer known: whoever answers for it is told here.
        record_audit(
            session, None, xapi.NOT_VOIDED, user_ref(user_id), {"statements": sent_statements}
        )
    flush_erased_pages(session)
    session.commit()
    if email is not None:
        forget_mail_to(email)


# Who acted, as an audit log entry's details say.
BY_COMMAND_LINE = "command line"
BY_STAFF = "staff"
BY_THE_PERSON = "the person"


def record_audit(
    session: Session,
    actor_id: int | None,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
    *,
    by_the_person: bool = False,
    at: dt.datetime | None = None,
) -> None:
    """Note what was done with whose data: a person only as "user #id". The entry says
    whether a staff member's account did it, so that once that account is erased (and
    `actor_id` emptied) it is still not taken for the command line; or whether the person
    did it themselves (erasing their own account: the request handled leaves a trace)."""
    if by_the_person:
        by = BY_THE_PERSON
    elif actor_id is None:
        by = BY_COMMAND_LINE
    else:
        by = BY_STAFF
    session.add(
        AuditLogEntry(
            actor_id=actor_id,
            action=action,
            subject_ref=subject,
            details={**(details or {}), "by": by},
            recorded_at=at or utcnow(),
        )
    )
    session.commit()


def audit_log(
    session: Session, *, limit: int, actions: Iterable[str], subject: str | None = None
) -> list[AuditLogEntry]:
    """The newest entries of these kinds first (only those about `subject`, if given), each
    with the staff member who acted: the log stores only their id, and shows who they are
    while their account exists."""
    query = (
        sa.select(AuditLogEntry)
        .options(selectinload(AuditLogEntry.actor))
        .where(AuditLogEntry.action.in_(list(actions)))
        .order_by(AuditLogEntry.recorded_at.desc(), AuditLogEntry.id.desc())
        .limit(limit)
    )
    if subject is not None:
        query = query.where(AuditLogEntry.subject_ref == subject)
    return list(session.scalars(query))


def _update_account(
    session: Session, user_id: int, *only_if: sa.ColumnElement[bool], **values: Any
) -> bool:
    """Change the account as `values` say if it is still as `only_if` says, and commit;
    whether it changed. Conditional, so that two clicks at once change it (and are logged)
    once."""
    result = session.execute(sa.update(User).where(User.id == user_id, *only_if).values(**values))
    session.commit()
    return result.rowcount == 1


def object_to_figures(session: Session, user_id: int, objecting: bool) -> bool:
    """The person objects to being counted in the course figures (GDPR Art. 21), or
    withdraws the objection; logged as their own request. Whether it changed."""
    since = User.statistics_objection_at
    if objecting:
        changed = _update_account(
            session, user_id, since.is_(None), statistics_objection_at=utcnow()
        )
    else:
        changed = _update_account(
            session, user_id, since.is_not(None), statistics_objection_at=None
        )
    if changed:
        action = "objected" if objecting else "objection withdrawn"
        record_audit(session, user_id, action, user_ref(user_id), by_the_person=True)
    return changed


class LiftNotAnnounced(Exception):
    """A restriction is lifted only once the person has been told it will be."""


def restrict(session: Session, actor_id: int | None, user_id: int, restricted: bool) -> bool:
    """Restrict the use of an account's data (GDPR Art. 18): kept, but left out of every
    report and figure; or lift the restriction, once the person has been told it will be
    (Art. 18(3)), else LiftNotAnnounced. Logged. Whether it changed."""
    if restricted:
        changed = _update_account(
            session,
            user_id,
            User.restricted_at.is_(None),
            restricted_at=utcnow(),
        )
    else:
        changed = _update_account(
            session,
            user_id,
            # Told only while restricted: being told says it is restricted too.
            User.restriction_lift_told_at.is_not(None),
            restricted_at=None,
            restriction_lift_told_at=None,
        )
        still_restricted = sa.select(User.id).where(
            User.id == user_id, User.restricted_at.is_not(None)
        )
        if not changed and session.scalar(still_restricted) is not None:
            raise LiftNotAnnounced
    if changed:
        action = "restricted" if restricted else "restriction lifted"
        record_audit(session, actor_id, action, user_ref(user_id))
    return changed


def announce_lift(session: Session, actor_id: int | None, user_id: int) -> bool:
    """Note that the person is being told their restriction is to be lifted; logged.
    Whether it is news: the account is restricted and they had not been told yet."""
    changed = _update_account(
        session,
        user_id,
        User.restricted_at.is_not(None),
        User.restriction_lift_told_at.is_(None),
        restriction_lift_told_at=utcnow(),
    )
    if changed:
        record_audit(session, actor_id, "restriction lift announced", user_ref(user_id))
    return changed


USER_REF = "user #"


def user_ref(user_id: int) -> str:
    """How the audit log names an account: its number only, never its email or name."""
    return f"{USER_REF}{user_id}"


def number_named(prefix: str, subject_ref: str) -> int | None:
    """The number an audit log subject such as "user #12" gives after `prefix`, if any."""
    number = subject_ref.removeprefix(prefix)
    if number != subject_ref and number.isascii() and number.isdigit():
        return int(number)
    return None


def account_of(subject_ref: str) -> int | None:
    """The account number an audit log subject names (see `user_ref`), if it names one."""
    return number_named(USER_REF, subject_ref)


def _never_confirmed(users: sa.Table, days: int, now: dt.datetime) -> sa.ColumnElement[bool]:
    """Accounts whose address was not confirmed within `days` of signing up, and that no
    emailed link can still confirm (a password reset link confirms the address too): an
    address its owner never claimed is not kept."""
    links = _table(PasswordResetToken.__tablename__)
    live_link = (
        sa.exists()
        .where(links.c.user_id == users.c.id)
        .where(links.c.used_at.is_(None), links.c.expires_at > now)
    )
    return sa.and_(
        users.c.email_confirmed_at.is_(None),
        users.c.created_at < now - dt.timedelta(days=days),
        ~live_link,
    )


def _expired(storage: Storage, category: DataCategory, now: dt.datetime) -> sa.ColumnElement[bool]:
    column = _table(storage.table).c[storage.retention_from]
    cutoff = now - dt.timedelta(days=category.retention_days)
    if storage.purge is Purge.ERASE_ACCOUNT:
        # Never active since signing up counts from the sign-up; only learners' accounts
        # lapse, so the course team cannot be purged out of its own platform.
        users = _table(User.__tablename__)
        lapsed = sa.or_(column < cutoff, sa.and_(column.is_(None), users.c.created_at < cutoff))
        if category.unconfirmed_days is not None:
            lapsed = sa.or_(lapsed, _never_confirmed(users, category.unconfirmed_days, now))
        return sa.and_(lapsed, users.c.role == Role.LEARNER.value)
    return column < cutoff


def purge(
    session: Session, register: DataRegister, *, dry_run: bool, now: dt.datetime | None = None
) -> dict[str, int]:
    """Delete, or erase whole accounts, past each category's retention period, and the
    development outbox's messages past theirs (`outbox`, when there is one). Returns the
    count per category; a dry run counts without changing anything. Running it twice in a
    row finds nothing the second time."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    for category in register.categories:
        for storage in category.storage:
            if storage.purge is None or category.retention_days is None:
                continue
            table = _table(storage.table)
            expired = _expired(storage, category, now)
            if storage.purge is Purge.ERASE_ACCOUNT:
                ids = list(
                    session.scalars(sa.select(table.c.id).where(expired).order_by(table.c.id))
                )
                if not dry_run:
                    for user_id in ids:
                        erase_account(session, register, user_id)
                        # Listed with the other erasures: a restored backup must lose it too.
                        record_audit(
                            session,
                            None,
                            "erase",
                            user_ref(user_id),
                            {"reason": "retention"},
                            at=now,
                        )
                count = len(ids)
            else:
                count = session.scalar(sa.select(sa.func.count()).select_from(table).where(expired))
                if not dry_run:
                    session.execute(sa.delete(table).where(expired))
            counts[category.id] = counts.get(category.id, 0) + count
    if not dry_run:
        session.commit()
    if outbox_exists():
        # Not in the register: only development has an outbox (see app.mail).
        counts["outbox"] = purge_outbox(dry_run=dry_run, now=now)
    return counts
