"""Certificates of completion: when a learner has earned one, issuing it once, and the
course team's revocations and corrections. What a certificate says is copied into it on
the day of issue, so that it reads the same to whoever checks it later."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.content import Course
from app.content.model import CertificateQuizzes, in_language
from app.models import Certificate, Cohort, Membership, User, utcnow
from app.services import learning_events, progress
from app.services.certificate_pdf import PrintedCertificate, unprintable
from app.services.privacy import record_audit, user_ref

# As people type a name for a diploma: long enough for every part of a full name.
NAME_LENGTH = 200
REASON_LENGTH = 500


class CertificateRefused(ValueError):
    """A request about a certificate that cannot be met: a name or reason empty or too
    long, or a certificate that can no longer be reissued."""


def new_code() -> str:
    """A verification code: 192 random bits, as 32 characters safe in an address."""
    return secrets.token_urlsafe(24)


def certificate_ref(certificate: Certificate) -> str:
    """How the audit log names a certificate: by its number, never its holder's name."""
    return f"certificate #{certificate.id}"


def lessons_to_go(course: Course, learner_progress: progress.CourseProgress) -> int:
    """How many of the lessons the course's certificate asks for the learner has still to
    complete (a lesson with a required quiz is complete once that quiz is passed) or,
    where the rule asks for every quiz, whose optional quiz they have still to pass."""
    if course.certificate is None:
        return 0
    every_quiz = course.certificate.quizzes is CertificateQuizzes.ALL
    return sum(
        1
        for lesson in course.certificate_lessons
        if not learner_progress.is_complete(lesson)
        or (every_quiz and lesson.quiz is not None and not learner_progress.has_passed_quiz(lesson))
    )


def has_earned(course: Course, learner_progress: progress.CourseProgress) -> bool:
    """Whether the learner meets the course's certificate rule: it asks for some lessons,
    and none is still to go."""
    return bool(course.certificate_lessons) and lessons_to_go(course, learner_progress) == 0


# Built once: every signed-in learner's course page asks it.
_STANDING = sa.select(Certificate).where(
    Certificate.user_id == sa.bindparam("user_id"),
    Certificate.course == sa.bindparam("course"),
    Certificate.replaced_by_code.is_(None),
)


def standing(session: Session, user_id: int, course: str) -> Certificate | None:
    """The learner's certificate of the course as it stands (valid or revoked), not one
    replaced by a corrected one."""
    return session.scalar(_STANDING, {"user_id": user_id, "course": course})


@dataclass(frozen=True, slots=True)
class CertificateState:
    """What the course page says of the learner's certificate."""

    offered: bool
    certificate: Certificate | None = None
    # Earned and not yet issued: the page asks for the name to print.
    claimable: bool = False
    # The name the form starts with: the one they gave before, else their display name.
    suggested_name: str = ""
    # Lessons still to complete before it is earned.
    to_go: int = 0


def state(
    session: Session, user_id: int | None, course: Course, learner_progress: progress.CourseProgress
) -> CertificateState:
    """The course's certificate as the learner's course page shows it."""
    if course.certificate is None:
        return CertificateState(offered=False)
    if user_id is None:
        return CertificateState(offered=True)
    certificate = standing(session, user_id, course.slug)
    if certificate is not None:
        return CertificateState(offered=True, certificate=certificate)
    if not has_earned(course, learner_progress):
        return CertificateState(offered=True, to_go=lessons_to_go(course, learner_progress))
    return _claimable(session.get(User, user_id))


def _claimable(user: User) -> CertificateState:
    """Earned and not issued: the form asks for the name to print, starting with the one
    they gave before, else their display name."""
    suggested = user.certificate_name or user.display_name
    return CertificateState(offered=True, claimable=True, suggested_name=suggested)


def after_completion(session: Session, user_id: int, course: Course) -> CertificateState | None:
    """What a completed lesson did to the learner's certificate, when it did something: it
    was issued now (with the name they gave before), or it is earned and awaits the name
    to print. None otherwise (no certificate, not earned yet, or issued before)."""
    if course.certificate is None or standing(session, user_id, course.slug) is not None:
        return None
    if not has_earned(course, progress.course_progress(session, user_id, course)):
        return None
    user = session.get(User, user_id)
    if user.certificate_name is None:
        return _claimable(user)
    return CertificateState(offered=True, certificate=_issue(session, user, course))


def clean_name(typed: str) -> str:
    """The name as it will be printed: spaces trimmed and runs of them made one; refused
    when empty, longer than a certificate has room for, or with letters its fonts cannot
    print (the forms say which, `certificate_pdf.unprintable`)."""
    name = " ".join(typed.split())
    if not name or len(name) > NAME_LENGTH or unprintable(name):
        raise CertificateRefused
    return name


def set_name(session: Session, user_id: int, typed: str) -> bool:
    """The name the learner wants printed on their next certificates (those issued keep
    theirs: the course team corrects one). Whether it changed."""
    name = clean_name(typed)
    changed = session.execute(
        sa.update(User)
        .where(User.id == user_id, User.certificate_name.is_distinct_from(name))
        .values(certificate_name=name)
    )
    session.commit()
    return changed.rowcount == 1


def issue_if_earned(
    session: Session, user_id: int, course: Course, *, name: str | None = None
) -> Certificate | None:
    """Issue the learner's certificate of the course if they meet its rule and none was
    issued yet; `name` (as they want it printed) is kept with their account for the next
    one. Without a name, the one they gave before is used; with neither, nothing is
    issued (the course page asks for it). Returns the standing certificate, if any.

    Issued once: a revoked certificate is not issued again on its own, and two requests at
    once leave one certificate (the database's unique index decides)."""
    if course.certificate is None:
        return None
    existing = standing(session, user_id, course.slug)
    if existing is not None:
        return existing
    if not has_earned(course, progress.course_progress(session, user_id, course)):
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    if name is not None:
        user.certificate_name = clean_name(name)
    if user.certificate_name is None:
        return None
    return _issue(session, user, course)


def _issue(session: Session, user: User, course: Course) -> Certificate:
    """Issue the certificate of `course`, earned and not issued yet, to `user` under the
    name they gave; the standing one if another request issued it first."""
    user_id = user.id
    membership = session.execute(
        sa.select(Membership).where(Membership.user_id == user_id, Membership.course == course.slug)
    ).scalar_one_or_none()
    cohort = (
        session.get(Cohort, membership.cohort_id) if membership and membership.cohort_id else None
    )
    certificate = Certificate(
        code=new_code(),
        user_id=user_id,
        course=course.slug,
        cohort_id=cohort.id if cohort is not None else None,
        cohort_name=cohort.name if cohort is not None else None,
        name=user.certificate_name,
        course_title=dict(course.title),
        organisation=dict(course.organisation),
        signatories=[
            {"name": signatory.name, "role": dict(signatory.role)}
            for signatory in course.certificate.signatories
        ],
        lessons=len(course.certificate_lessons),
        issued_at=utcnow(),
    )
    session.add(certificate)
    try:
        session.flush()
        learning_events.announce(
            session,
            learning_events.CertificateEarned(
                user_id=user_id, course=course.slug, code=certificate.code, at=certificate.issued_at
            ),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        return standing(session, user_id, course.slug)
    return certificate


def by_code(session: Session, code: str) -> Certificate | None:
    """The certificate with this verification code, whatever its state."""
    return session.scalar(sa.select(Certificate).where(Certificate.code == code))


def of_learner(session: Session, user_id: int) -> list[Certificate]:
    """The learner's standing certificates, newest first: their account lists them."""
    return list(
        session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user_id, Certificate.replaced_by_code.is_(None))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


@dataclass(frozen=True, slots=True)
class Holder:
    """A certificate in the course team's list, with the account it belongs to."""

    certificate: Certificate
    email: str | None
    display_name: str | None


def _holders(course: str, cohort_ids: list[int] | None) -> sa.Select:
    """The course's standing certificates with their holders; only those of the listed
    cohorts' learners when `cohort_ids` is given (a trainer sees their own)."""
    query = (
        sa.select(Certificate, User.email, User.display_name)
        .outerjoin(User, User.id == Certificate.user_id)
        .where(Certificate.course == course, Certificate.replaced_by_code.is_(None))
    )
    if cohort_ids is not None:
        members = sa.select(Membership.user_id).where(
            Membership.course == course, Membership.cohort_id.in_(cohort_ids)
        )
        query = query.where(Certificate.user_id.in_(members))
    return query


def issued(session: Session, course: str, cohort_ids: list[int] | None = None) -> list[Holder]:
    """The course's standing certificates, newest first, with their holders, as the course
    team's list shows them (see `_holders` for whose)."""
    query = _holders(course, cohort_ids).order_by(
        Certificate.issued_at.desc(), Certificate.id.desc()
    )
    return [Holder(certificate, email, name) for certificate, email, name in session.execute(query)]


def held_in_view(
    session: Session, course: str, cohort_ids: list[int] | None, certificate_id: int
) -> Certificate | None:
    """One certificate of the list the staff member sees that still names its holder: the
    one they may revoke or correct. None for any other."""
    return session.scalar(
        _holders(course, cohort_ids).where(
            Certificate.id == certificate_id, Certificate.user_id.is_not(None)
        )
    )


def _clean_reason(typed: str) -> str:
    """Why the course team revoked or corrected a certificate, on one line; refused when
    empty or too long for the record."""
    reason = " ".join(typed.split())
    if not reason or len(reason) > REASON_LENGTH:
        raise CertificateRefused
    return reason


def revoke(session: Session, actor_id: int | None, certificate: Certificate, reason: str) -> bool:
    """Revoke a valid certificate, saying why; logged. False if it was not valid (already
    revoked or replaced): two clicks revoke it once."""
    reason = _clean_reason(reason)
    result = session.execute(
        sa.update(Certificate)
        # Not revoked yet; a replaced certificate is revoked too (see `reissue`).
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason, revoked_by=actor_id)
    )
    session.commit()
    if result.rowcount != 1:
        return False
    record_audit(
        session,
        actor_id,
        "certificate revoked",
        _subject(certificate),
        {"certificate": certificate_ref(certificate)},
    )
    return True


def reissue(
    session: Session, actor_id: int | None, certificate: Certificate, name: str, reason: str
) -> Certificate:
    """Issue a corrected certificate in place of `certificate` (a misspelt name, say): a
    new code, the same course and date; the old one is marked as replaced, so its page
    leads to the new one. Logged. Only a valid certificate that still names someone: a
    revoked one stays revoked."""
    if certificate.user_id is None or not certificate.is_valid:
        raise CertificateRefused
    reason = _clean_reason(reason)
    corrected = clean_name(name)
    now = utcnow()
    code = new_code()
    replaced = session.execute(
        sa.update(Certificate)
        # Still valid in the database, not only in the copy read: revoked on another host
        # meanwhile, it is not corrected.
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(replaced_by_code=code, revoked_at=now, revoked_reason=reason, revoked_by=actor_id)
    )
    if replaced.rowcount != 1:
        session.rollback()
        raise CertificateRefused
    new = Certificate(
        code=code,
        user_id=certificate.user_id,
        course=certificate.course,
        cohort_id=certificate.cohort_id,
        cohort_name=certificate.cohort_name,
        name=corrected,
        course_title=certificate.course_title,
        organisation=certificate.organisation,
        signatories=certificate.signatories,
        lessons=certificate.lessons,
        # The day it was earned, which the correction does not change.
        issued_at=certificate.issued_at,
    )
    session.add(new)
    session.commit()
    record_audit(
        session,
        actor_id,
        "certificate reissued",
        _subject(certificate),
        {"certificate": certificate_ref(certificate), "new": certificate_ref(new)},
    )
    return new


def _subject(certificate: Certificate) -> str:
    """The audit log's subject: the holder, so that the entry is among the actions on their
    account they can see; the certificate itself once it names no one."""
    if certificate.user_id is None:
        return certificate_ref(certificate)
    return user_ref(certificate.user_id)


def issued_on(certificate: Certificate) -> dt.date:
    """The day of issue, in UTC (as every time is kept): what the certificate prints."""
    return certificate.issued_at.date()


def printed(certificate: Certificate, language: str, verify_url: str) -> PrintedCertificate:
    """What the certificate's PDF prints, in `language`."""
    return PrintedCertificate(
        language=language,
        name=certificate.name or "",
        course_title=in_language(certificate.course_title, language),
        organisation=in_language(certificate.organisation, language),
        issued_on=issued_on(certificate),
        lessons=certificate.lessons,
        cohort_name=certificate.cohort_name,
        signatories=tuple(
            (signatory["name"], in_language(signatory.get("role") or {}, language))
            for signatory in certificate.signatories
        ),
        code=certificate.code,
        verify_url=verify_url,
    )
