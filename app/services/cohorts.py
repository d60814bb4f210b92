"""Cohorts: the editions or groups a course runs, who may join them, and who leads them.

A learner takes part in a course through a membership: in one of its cohorts, or in none
(the course's implicit group, as on a site without cohorts). A course with no cohort of
its own (a learning platform's do not count), or with an open one, lets anyone signed in
take part; otherwise only its members may.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.database import built_once, dialect_insert, insert_unless_present, unicode_lower
from app.models import (
    Cohort,
    CohortTrainer,
    Enrolment,
    Invitation,
    LtiContext,
    Membership,
    Role,
    User,
    utcnow,
)
from app.services.privacy import number_named

# Built once: every lesson page asks it (see `may_take_part`).
_COURSE_COHORTS = sa.select(Cohort.course, Cohort.enrolment, Cohort.ends_on).where(
    Cohort.course.in_(sa.bindparam("courses", expanding=True)),
    ~sa.exists().where(LtiContext.cohort_id == Cohort.id),
)


def closed_courses(
    session: Session, courses: Iterable[str], today: dt.date | None = None
) -> set[str]:
    """Those of `courses` that only their members may take part in: they have cohorts, and
    none open to all that has not ended. A learning platform's cohorts (of its courses'
    launches) are not the course's to close: closed to anyone the platform does not launch,
    they leave the course as open as it was."""
    today = today or dt.date.today()
    # Plain rows, read on the session's connection: no objects for the session to track.
    rows = session.connection().execute(_COURSE_COHORTS, {"courses": list(courses)}).all()
    with_cohorts = {course for course, _mode, _ends_on in rows}
    open_now = {
        course
        for course, mode, ends_on in rows
        if mode is Enrolment.OPEN and (ends_on is None or ends_on >= today)
    }
    return with_cohorts - open_now


def is_open(session: Session, course: str) -> bool:
    """Whether anyone signed in may take part in the course: it has no cohort of its own, or
    one open to all that has not ended."""
    return not closed_courses(session, [course])


_MEMBERSHIP = sa.select(Membership).where(
    Membership.user_id == sa.bindparam("user_id"), Membership.course == sa.bindparam("course")
)


def membership(session: Session, user_id: int, course: str) -> Membership | None:
    return session.scalar(_MEMBERSHIP, {"user_id": user_id, "course": course})


def may_take_part(session: Session, user: User | None, course: str) -> bool:
    """Whether `user` (None: a visitor) may open the course's lessons: staff always, learners
    in an open course or as its members."""
    if user is not None and user.role in (Role.TRAINER, Role.ADMIN):
        return True
    if is_open(session, course):
        return True
    return user is not None and membership(session, user.id, course) is not None


def open_cohort(session: Session, course: str, today: dt.date | None = None) -> Cohort | None:
    """The cohort that someone taking part on their own joins: the course's open cohort
    running today (the one that started first), or None for the implicit group."""
    return session.scalar(_OPEN_COHORT, {"course": course, "today": today or dt.date.today()})


# Built once, as every learner's first start in a course and every answer asks them.
_OPEN_COHORT = (
    sa.select(Cohort)
    .where(
        Cohort.course == sa.bindparam("course"),
        Cohort.enrolment == Enrolment.OPEN,
        sa.or_(Cohort.starts_on.is_(None), Cohort.starts_on <= sa.bindparam("today")),
        sa.or_(Cohort.ends_on.is_(None), Cohort.ends_on >= sa.bindparam("today")),
    )
    .order_by(Cohort.starts_on.is_(None), Cohort.starts_on, Cohort.id)
    .limit(1)
)
_NOTE_ACTIVITY = (
    sa.update(Membership)
    .where(
        Membership.user_id == sa.bindparam("member"),
        Membership.course == sa.bindparam("course_slug"),
        Membership.active_at < sa.bindparam("now"),
    )
    .values(active_at=sa.bindparam("now"))
    .execution_options(synchronize_session=False)
)


def _note_membership(session: Session) -> sa.Insert:
    now = sa.bindparam("now")
    return (
        dialect_insert(session, Membership)
        .values(
            user_id=sa.bindparam("member"),
            course=sa.bindparam("course_slug"),
            cohort_id=sa.bindparam("cohort"),
            joined_at=now,
            active_at=now,
        )
        .on_conflict_do_update(
            index_elements=["user_id", "course"],
            set_={"active_at": now},
            where=Membership.active_at < now,
        )
    )


def note_taking_part(session: Session, user_id: int, course: str, now: dt.datetime) -> None:
    """In the current transaction, note that the learner took part in the course at `now`,
    making them a member of it unless they are one: of its open cohort running now, or of
    its implicit group."""
    # A member already (nearly always): one statement, without looking for the cohort a
    # newcomer would join. Two first steps at once both find none, and both insert below.
    noted = session.execute(
        _NOTE_ACTIVITY, {"member": user_id, "course_slug": course, "now": now}
    ).rowcount
    if noted:
        return
    cohort = open_cohort(session, course, now.date())
    member = {"member": user_id, "course_slug": course, "cohort": cohort.id if cohort else None}
    statement = built_once(session, ("note membership",), lambda: _note_membership(session))
    session.execute(statement, {**member, "now": now})


def led_by(session: Session, trainer_id: int) -> list[Cohort]:
    """The cohorts a trainer leads, course by course."""
    return list(
        session.scalars(
            sa.select(Cohort)
            .join(CohortTrainer, CohortTrainer.cohort_id == Cohort.id)
            .where(CohortTrainer.user_id == trainer_id)
            .order_by(Cohort.course, Cohort.starts_on, Cohort.id)
        )
    )


def leads(session: Session, trainer_id: int, cohort_id: int) -> bool:
    return (
        session.scalar(
            sa.select(CohortTrainer.user_id).where(
                CohortTrainer.user_id == trainer_id, CohortTrainer.cohort_id == cohort_id
            )
        )
        is not None
    )


# The code of a cohort's invitation link: capitals and digits that cannot be mistaken for
# one another (no 0/O, 1/I/L), so that it can also be read out or typed. Ten of them are 50
# bits: not found by guessing, so joining needs no rate limit a classroom behind one
# address would run into.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 10


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(typed: str) -> str:
    """A code as stored, from one typed in any case, with spaces or dashes in it."""
    return "".join(character for character in typed.upper() if character.isalnum())


def by_join_code(session: Session, code: str) -> Cohort | None:
    normalised = normalise_join_code(code)
    if not normalised:
        return None
    return session.scalar(sa.select(Cohort).where(Cohort.join_code == normalised))


def has_ended(cohort: Cohort, today: dt.date | None = None) -> bool:
    return cohort.ends_on is not None and cohort.ends_on < (today or dt.date.today())


@dataclass(frozen=True, slots=True)
class CohortSummary:
    """A cohort as the list of a course's cohorts shows it."""

    cohort: Cohort
    trainers: list[User]
    members: int
    invitations: int


def cohorts_of(session: Session, course: str) -> list[CohortSummary]:
    """The course's cohorts, the first to start first, with their trainers and how many
    members and pending invitations each has: four queries, whatever their number."""
    found = list(
        session.scalars(
            sa.select(Cohort)
            .where(Cohort.course == course)
            .order_by(Cohort.starts_on.is_(None), Cohort.starts_on, Cohort.name, Cohort.id)
        )
    )
    ids = [cohort.id for cohort in found]
    members = dict(
        session.execute(
            sa.select(Membership.cohort_id, sa.func.count())
            .where(Membership.cohort_id.in_(ids))
            .group_by(Membership.cohort_id)
        ).all()
    )
    invitations = dict(
        session.execute(
            sa.select(Invitation.cohort_id, sa.func.count())
            .where(Invitation.cohort_id.in_(ids))
            .group_by(Invitation.cohort_id)
        ).all()
    )
    trainers: dict[int, list[User]] = {cohort_id: [] for cohort_id in ids}
    for cohort_id, user in session.execute(
        sa.select(CohortTrainer.cohort_id, User)
        .join(User, User.id == CohortTrainer.user_id)
        .where(CohortTrainer.cohort_id.in_(ids))
        .order_by(User.display_name, User.id)
    ).all():
        trainers[cohort_id].append(user)
    return [
        CohortSummary(
            cohort, trainers[cohort.id], members.get(cohort.id, 0), invitations.get(cohort.id, 0)
        )
        for cohort in found
    ]


# How the audit log names a cohort.
COHORT_REF = "cohort #"


def cohort_ref(cohort_id: int) -> str:
    return f"{COHORT_REF}{cohort_id}"


def cohort_of(subject_ref: str) -> int | None:
    """The cohort number an audit entry is about, if it is about one."""
    return number_named(COHORT_REF, subject_ref)


def get(session: Session, cohort_id: int) -> Cohort | None:
    return session.get(Cohort, cohort_id)


def trainer_accounts(session: Session) -> list[User]:
    """The accounts a cohort's trainers are chosen from: every active trainer."""
    return list(
        session.scalars(
            sa.select(User)
            .where(User.role == Role.TRAINER, User.is_active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )


def trainer_ids(session: Session, cohort_id: int) -> set[int]:
    return set(
        session.scalars(
            sa.select(CohortTrainer.user_id).where(CohortTrainer.cohort_id == cohort_id)
        )
    )


class NotATrainer(Exception):
    """A cohort's trainers are chosen among the accounts with the trainer role."""


@dataclass(frozen=True, slots=True)
class CohortDetails:
    """What an admin sets of a cohort."""

    name: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    enrolment: Enrolment
    trainer_ids: frozenset[int]


def _check_trainers(session: Session, chosen: frozenset[int]) -> None:
    if chosen and len(chosen) != session.scalar(
        sa.select(sa.func.count()).where(User.id.in_(chosen), User.role == Role.TRAINER)
    ):
        raise NotATrainer


def _set_trainers(session: Session, cohort_id: int, chosen: frozenset[int]) -> bool:
    """Whether the cohort's trainers changed."""
    before = trainer_ids(session, cohort_id)
    if before == chosen:
        return False
    if before - chosen:
        session.execute(
            sa.delete(CohortTrainer).where(
                CohortTrainer.cohort_id == cohort_id, CohortTrainer.user_id.in_(before - chosen)
            )
        )
    session.add_all(
        CohortTrainer(cohort_id=cohort_id, user_id=user_id) for user_id in chosen - before
    )
    return True


class NameTaken(Exception):
    """Another cohort of the course has this name: lists, reports and the move form could
    not tell the two apart."""


def _check_name(session: Session, course: str, name: str, cohort_id: int | None) -> None:
    same = session.scalar(
        sa.select(Cohort.id).where(
            Cohort.course == course,
            unicode_lower(Cohort.name) == name.strip().lower(),
            Cohort.id != (cohort_id or 0),
        )
    )
    if same is not None:
        raise NameTaken


def create(session: Session, course: str, details: CohortDetails) -> Cohort:
    """A new cohort of the course with a fresh invitation code; raises NotATrainer, or
    NameTaken."""
    _check_trainers(session, details.trainer_ids)
    _check_name(session, course, details.name, None)
    cohort = Cohort(
        course=course,
        name=details.name,
        starts_on=details.starts_on,
        ends_on=details.ends_on,
        enrolment=details.enrolment,
        join_code=new_join_code(),
    )
    session.add(cohort)
    session.flush()
    _set_trainers(session, cohort.id, details.trainer_ids)
    session.commit()
    return cohort


def update(session: Session, cohort: Cohort, details: CohortDetails) -> list[str]:
    """Change the cohort as `details` say; the names of the fields that changed (for the
    audit log: names, not values). Raises NotATrainer, or NameTaken."""
    _check_trainers(session, details.trainer_ids)
    _check_name(session, cohort.course, details.name, cohort.id)
    changed = []
    for name in ("name", "starts_on", "ends_on", "enrolment"):
        value = getattr(details, name)
        if getattr(cohort, name) != value:
            setattr(cohort, name, value)
            changed.append(name)
    if _set_trainers(session, cohort.id, details.trainer_ids):
        changed.append("trainers")
    session.commit()
    return changed


def delete(session: Session, cohort: Cohort) -> int:
    """Delete the cohort: its memberships, trainers and invitations go with it (the
    database cascades), its learners' accounts and progress stay. How many members it had."""
    members = session.scalar(sa.select(sa.func.count()).where(Membership.cohort_id == cohort.id))
    session.delete(cohort)
    session.commit()
    return members or 0


def replace_join_code(session: Session, cohort: Cohort) -> None:
    """A new code for the cohort's invitation link: the old link stops working."""
    cohort.join_code = new_join_code()
    session.commit()


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    display_name: str
    email: str
    joined_at: dt.datetime


def members(session: Session, cohort_id: int, limit: int) -> tuple[list[Member], int]:
    """The cohort's members by name, at most `limit` of them, and how many there are."""
    rows = session.execute(
        sa.select(User.id, User.display_name, User.email, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id)
        .order_by(User.display_name, User.id)
        .limit(limit)
    ).all()
    total = session.scalar(sa.select(sa.func.count()).where(Membership.cohort_id == cohort_id))
    return [Member(*row) for row in rows], total or 0


def invitations(session: Session, cohort_id: int, limit: int) -> tuple[list[Invitation], int]:
    """The cohort's invitations still waiting for an account, at most `limit`, and how
    many there are."""
    found = session.scalars(
        sa.select(Invitation)
        .where(Invitation.cohort_id == cohort_id)
        .order_by(Invitation.email)
        .limit(limit)
    )
    total = session.scalar(sa.select(sa.func.count()).where(Invitation.cohort_id == cohort_id))
    return list(found), total or 0


def place(session: Session, user_id: int, cohort: Cohort, now: dt.datetime) -> None:
    """In the current transaction, make the learner a member of `cohort`: joining its
    course, or moving from another cohort of it (progress is kept by course, so it stays)."""
    insert_unless_present(
        session,
        Membership,
        {"user_id": user_id, "course": cohort.course, "cohort_id": cohort.id, "joined_at": now},
        ["user_id", "course"],
    )
    session.execute(
        sa.update(Membership)
        .where(
            Membership.user_id == user_id,
            Membership.course == cohort.course,
            Membership.cohort_id.is_distinct_from(cohort.id),
        )
        .values(cohort_id=cohort.id, joined_at=now, active_at=now)
    )


def join(session: Session, user_id: int, cohort: Cohort, now: dt.datetime | None = None) -> None:
    """Make the learner a member of `cohort` (see `place`), and commit."""
    place(session, user_id, cohort, now or utcnow())
    session.commit()


def is_member(session: Session, user_id: int, cohort_id: int) -> bool:
    return (
        session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user_id, Membership.cohort_id == cohort_id
            )
        )
        is not None
    )


def move(session: Session, user_id: int, cohort: Cohort, to: Cohort) -> bool:
    """Move a member of `cohort` to another cohort of the same course; whether they were a
    member of `cohort` to move."""
    if to.course != cohort.course:
        raise ValueError("a learner moves between cohorts of one course")
    moved = session.execute(
        sa.update(Membership)
        .where(Membership.user_id == user_id, Membership.cohort_id == cohort.id)
        .values(cohort_id=to.id, joined_at=(now := utcnow()), active_at=now)
    )
    session.commit()
    return moved.rowcount == 1


def remove(session: Session, user_id: int, cohort: Cohort) -> bool:
    """Take a member out of the cohort, and so of its course; their progress stays, should
    they come back. Whether they were a member."""
    removed = session.execute(
        sa.delete(Membership).where(
            Membership.user_id == user_id, Membership.cohort_id == cohort.id
        )
    )
    session.commit()
    return removed.rowcount == 1
