"""Database models (SQLAlchemy 2.0, typed). The schema changes only through Alembic."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC: the only clock the models use."""
    return dt.datetime.now(dt.UTC)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Stores UTC without a zone (SQLite has none) and always hands back aware UTC values."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Role(enum.StrEnum):
    """What a user may do: learners follow the course, trainers write it, admins run it."""

    LEARNER = "learner"
    TRAINER = "trainer"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person with an account."""

    __tablename__ = "users"
    # On SQLite, an erased account's number is never given to a new one (PostgreSQL's
    # sequences never do): the audit log names accounts by number.
    __table_args__ = (
        # The admin list of accounts pages through each of its orders in an index (by email,
        # in the email's unique one).
        sa.Index("ix_users_display_name_id", "display_name", "id"),
        sa.Index("ix_users_role_email", "role", "email"),
        sa.Index("ix_users_created_at_id", "created_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(
            Role,
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda roles: [role.value for role in roles],
            name="user_role",
        ),
        default=Role.LEARNER,
    )
    # The language the learner last read the course in; `/` sends them back to it.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counted from by the retention purge of inactive accounts.
    last_active_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when the owner of the address follows the link sent at registration.
    email_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Part of the id every session cookie carries; replacing it signs out every session.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    # Raised by database triggers whenever the account or any row of the learner's changes
    # (whatever wrote it): a page kept for the learner holds only while it is unchanged.
    state_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The authenticator app's shared secret, once two-step sign-in is turned on.
    two_step_secret: Mapped[str | None] = mapped_column(sa.String(64))
    # The time step of the last code accepted: a code works once, even within its 30 s.
    two_step_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Since when the learner objects to being counted in the course team's figures (GDPR
    # Art. 21): left out of statistics and the dashboard while it is set.
    statistics_objection_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Since when an admin restricted the account's data (GDPR Art. 18): kept, but left out
    # of reports, statistics and the dashboard while it is set.
    restricted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the person was told the restriction is to be lifted: Art. 18(3) has them told
    # before it is.
    restriction_lift_told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The name as the person wants it printed on their certificates: asked the first time
    # they earn one, and theirs to change for the next.
    certificate_name: Mapped[str | None] = mapped_column(sa.String(200))

    @property
    def has_two_step(self) -> bool:
        return self.two_step_secret is not None

    @property
    def is_authenticated(self) -> bool:
        """An account is only ever the signed-in user once `load_user` found it active:
        asking again must not read the row back after every commit, as Flask-Login's
        `is_active` check would."""
        return True

    def get_id(self) -> str:
        return f"{self.id}-{self.session_token}"

    @staticmethod
    def read_id(session_id: str) -> tuple[int | None, str]:
        """The account number and token of a `get_id()` value; None for a number that is
        not one (a session can outlive its account, or be forged)."""
        number, _, token = session_id.partition("-")
        return (int(number) if number.isascii() and number.isdigit() else None), token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


# The accounts that are not simply learners counted in everything: staff, sign-ups never
# confirmed, accounts restricted or objecting to the figures. They are few, and this index
# of theirs finds them without reading every account: a query whose conditions include
# ACCOUNTS_SET_APART, word for word, can use it (`set_apart`).
ACCOUNTS_SET_APART = sa.or_(
    User.role != Role.LEARNER,
    User.email_confirmed_at.is_(None),
    User.restricted_at.is_not(None),
    User.statistics_objection_at.is_not(None),
)
# The migration makes it on PostgreSQL with the same condition, not said here since naming
# a PostgreSQL option loads that dialect in every process.
sa.Index("ix_users_set_apart", User.id, sqlite_where=ACCOUNTS_SET_APART)


def set_apart(condition: sa.ColumnElement[bool]) -> sa.Select:
    """The ids of the accounts that meet `condition`, which only accounts set apart can
    meet (staff, restricted, ...): read from their own index."""
    return sa.select(User.id).where(ACCOUNTS_SET_APART, condition)


class LessonProgress(db.Model):
    """One learner's progress in one lesson; the unique key makes completion idempotent."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        # On PostgreSQL, the migration has it carry the times too (a cohort's page counts
        # its learners' progress from it alone); not said here, since naming a PostgreSQL
        # option loads that dialect in every process.
        sa.UniqueConstraint("user_id", "course", "lesson_slug"),
        # The dashboard's funnel counts per lesson from this index alone, and its weekly
        # completions read a range of the second.
        sa.Index(
            "ix_lesson_progress_course_lesson_slug_completed_at",
            "course",
            "lesson_slug",
            "completed_at",
        ),
        sa.Index("ix_lesson_progress_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The course's slug: each course names its lessons, and two may give one the same name.
    course: Mapped[str] = mapped_column(sa.String(100))
    lesson_slug: Mapped[str] = mapped_column(sa.String(100))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Attempts at the lesson's quiz that the course team allowed beyond the quiz's own number.
    extra_attempts: Mapped[int] = mapped_column(default=0, server_default="0")


class QuizAttempt(db.Model):
    """One graded attempt at a lesson's quiz. Numbered per learner and lesson: posting the
    same number twice (a double submit, two tabs) can only ever store one attempt."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # On PostgreSQL, the migration has it carry the time and result too (a cohort's
        # page counts its learners' attempts from it alone).
        sa.UniqueConstraint("user_id", "course", "lesson_slug", "number"),
        # The dashboard's pass rates group attempts by lesson and learner from this index.
        sa.Index(
            "ix_quiz_attempts_course_lesson_slug_user_id_passed",
            "course",
            "lesson_slug",
            "user_id",
            "passed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course: Mapped[str] = mapped_column(sa.String(100))
    lesson_slug: Mapped[str] = mapped_column(sa.String(100))
    number: Mapped[int]
    language: Mapped[str] = mapped_column(sa.String(8))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    points: Mapped[int]
    max_points: Mapped[int]
    passed: Mapped[bool]
    answers: Mapped[list[QuizAnswer]] = relationship(
        back_populates="attempt",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="QuizAnswer.id",
    )

    @property
    def percent(self) -> float:
        return 100 * self.points / self.max_points if self.max_points else 0.0


class QuizAnswer(db.Model):
    """What the learner chose for one question of an attempt, and whether it was right."""

    __tablename__ = "quiz_answers"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(sa.String(100))
    # The option ids chosen ("true"/"false" for a true/false question), in form order.
    selected: Mapped[list[str]] = mapped_column(sa.JSON)
    is_correct: Mapped[bool]
    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class TokenPurpose(enum.StrEnum):
    RESET_PASSWORD = "reset"
    CONFIRM_EMAIL = "confirm"
    CHANGE_EMAIL = "change-email"


class PasswordResetToken(db.Model):
    """A single-use, expiring link sent by email (password reset, or confirming the address
    at registration); only a hash of its secret is kept."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16), default=TokenPurpose.RESET_PASSWORD.value)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # For an email change: the address the link confirms, which becomes the account's.
    new_email: Mapped[str | None] = mapped_column(sa.String(254))


class UserSession(db.Model):
    """One signed-in browser of an account: listed for its owner, who can end it. The
    session cookie holds the secret; only its hash is kept."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The browser and system, as its User-Agent names them ("Firefox on Android").
    device: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app; kept hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class NoticeAcknowledgment(db.Model):
    """A learner confirmed reading one version of a lesson's personal-data notice."""

    __tablename__ = "notice_acknowledgments"
    __table_args__ = (sa.UniqueConstraint("user_id", "course", "lesson_slug", "notice_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course: Mapped[str] = mapped_column(sa.String(100))
    lesson_slug: Mapped[str] = mapped_column(sa.String(100))
    notice_version: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(8))
    acknowledged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Set when the notice was not confirmed in this lesson but taken as read, folded, on
    # its first opening: the lesson of the course where the learner confirmed a notice of
    # this same version (every word and the controller's identity alike).
    same_as: Mapped[str | None] = mapped_column(sa.String(100))


class NoticeVersion(db.Model):
    """When each version of a lesson's notice was first shown: no personal data here."""

    __tablename__ = "notice_versions"

    course: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    lesson_slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    first_shown_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ConsentEvent(db.Model):
    """One grant or withdrawal of consent to an optional purpose; rows are never updated."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(64))
    granted: Mapped[bool]
    # Which wording the learner saw (a hash of the purpose's texts).
    text_version: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(8))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ConsentText(db.Model):
    """The wording of a consent, in one language, as first shown: kept after the register's
    text changes, so that every consent event can be shown with what it agreed to."""

    __tablename__ = "consent_texts"

    purpose: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    text: Mapped[str] = mapped_column(sa.Text)
    first_shown_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SecurityEvent(db.Model):
    """A sign-in, sign-out or failed sign-in on an account, kept for a limited time."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class AuditLogEntry(db.Model):
    """What the course team did with someone's personal data, without the data itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null when the action came from the command line, or once the actor is erased.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Loaded with the entries that show it (privacy.audit_log), never one at a time.
    actor: Mapped[User | None] = relationship(lazy="raise")
    action: Mapped[str] = mapped_column(sa.String(32))
    # What the action was about, as "user #id" or "progress report": no email, no name.
    subject_ref: Mapped[str] = mapped_column(sa.String(64))
    # For reports: the format, filters and number of rows; never personal data.
    details: Mapped[dict | None] = mapped_column(sa.JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class Breach(db.Model):
    """A personal data breach, as GDPR Art. 33(5) asks it documented: the facts, their
    effects and what was done, whether or not it was notified. Described without naming
    people; who recorded or changed it is in the audit log."""

    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    what_happened: Mapped[str] = mapped_column(sa.Text)
    # When it happened may be unknown; when the team learnt of it starts the 72 hours.
    occurred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    discovered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    data_affected: Mapped[str] = mapped_column(sa.Text)
    people_affected: Mapped[str] = mapped_column(sa.Text)
    people_count: Mapped[int | None]
    likely_consequences: Mapped[str] = mapped_column(sa.Text, default="")
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    authority_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    people_told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Why the authority or the people were not told, where they were not.
    not_notified_because: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Enrolment(enum.StrEnum):
    """Who may join a cohort: anyone signed in, whoever has its invitation, or nobody more."""

    OPEN = "open"
    INVITATION = "invitation"
    CLOSED = "closed"


class Cohort(db.Model):
    """One edition of a course, or one group in it, led by its trainers."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course: Mapped[str] = mapped_column(sa.String(100), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    starts_on: Mapped[dt.date | None]
    ends_on: Mapped[dt.date | None]
    enrolment: Mapped[Enrolment] = mapped_column(
        sa.Enum(
            Enrolment,
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda modes: [mode.value for mode in modes],
            name="cohort_enrolment",
        ),
        default=Enrolment.OPEN,
    )
    # The code of the cohort's invitation link, which its trainers share as they like: the
    # link itself is the invitation, so it is kept as it is given (a new one ends the old).
    join_code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortTrainer(db.Model):
    """A trainer who leads a cohort, and so follows its learners."""

    __tablename__ = "cohort_trainers"

    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Membership(db.Model):
    """A learner's place in a course: in one cohort of it at a time, or in none (the course's
    open, implicit group). Progress is kept by course, so moving keeps it."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course"),
        # The dashboard and reports of a course, or of one of its cohorts, find its learners
        # from this index.
        sa.Index("ix_memberships_course_cohort_id", "course", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course: Mapped[str] = mapped_column(sa.String(100))
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The latest of joining and taking part (starting or completing a lesson of the course,
    # answering one of its quizzes): a cohort's page tells who has gone quiet from it
    # without reading every row of its learners.
    active_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=lambda context: context.get_current_parameters()["joined_at"]
    )


class Invitation(db.Model):
    """An invitation mailed to an address without an account yet, to join a cohort; kept
    until it is used or expires. Only a hash of the link's secret is kept."""

    __tablename__ = "invitations"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(100))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ContentRevision(db.Model):
    """One saved version of a file of a course's folder: a lesson text or a picture, as a
    trainer saved or uploaded it in the browser, or as it was found in the files. Kept with
    the course, so that every host can write the published ones into its own folder."""

    __tablename__ = "content_revisions"
    __table_args__ = (sa.Index("ix_content_revisions_course_path_id", "course", "path", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course: Mapped[str] = mapped_column(sa.String(100))
    # Inside the course's folder, with forward slashes: "01-what-is-co-production/pt.md".
    path: Mapped[str] = mapped_column(sa.String(300))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # SHA-256 of `data`, in hex: tells a file on disk that is an older version from one
    # written there by someone else.
    digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    # Null for what was found in the files, or once the author's account is erased.
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The revision its author started from: what a later save compares with to see that
    # someone else saved in between.
    based_on_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("content_revisions.id", ondelete="SET NULL")
    )
    origin: Mapped[str] = mapped_column(sa.String(16))
    has_errors: Mapped[bool] = mapped_column(default=False)


class Publication(db.Model):
    """A moment the course's learners were given new versions of its files. Every host
    compares the newest publication's number with the last it took in, and writes what is
    new into its own folder: they share nothing but the database."""

    __tablename__ = "content_publications"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    course: Mapped[str] = mapped_column(sa.String(100))
    published_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublishedFile(db.Model):
    """The revision of each file of a course that learners are given."""

    __tablename__ = "published_files"

    course: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("content_revisions.id"))
    publication_id: Mapped[int] = mapped_column(
        sa.ForeignKey("content_publications.id"), index=True
    )


class Certificate(db.Model):
    """A certificate of completion of a course, as it was issued: what it says is kept with
    it (the course's title, its signatories), so that a later change of the course does not
    change a certificate someone has already shown."""

    __tablename__ = "certificates"
    __table_args__ = (
        # One standing certificate per learner and course; a reissued one is replaced by the
        # new one's code, and a revoked one still stands in the way of issuing it again. The
        # migration gives PostgreSQL the same condition (see ix_users_set_apart).
        sa.Index(
            "uq_certificates_user_id_course",
            "user_id",
            "course",
            unique=True,
            sqlite_where=sa.text("replaced_by_code IS NULL"),
        ),
        sa.Index("ix_certificates_course_issued_at", "course", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code in the verification address: anyone holding it may see the certificate.
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Null once the person erased their account: the code then names no one.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    course: Mapped[str] = mapped_column(sa.String(100))
    cohort_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    cohort_name: Mapped[str | None] = mapped_column(sa.String(120))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    # Per language, as course.yml said them on the day of issue.
    course_title: Mapped[dict] = mapped_column(sa.JSON)
    organisation: Mapped[dict] = mapped_column(sa.JSON)
    # [{"name": ..., "role": {language: ...}}, ...]
    signatories: Mapped[list] = mapped_column(sa.JSON)
    lessons: Mapped[int]
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.Text)
    revoked_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The code of the certificate issued in its place after a correction.
    replaced_by_code: Mapped[str | None] = mapped_column(sa.String(64))

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.replaced_by_code is None


class SigningKey(db.Model):
    """A key the site signs its credentials with. Only the newest signs; every key stays
    published, so that a credential signed before a rotation still verifies."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The key's JWK thumbprint (RFC 7638), which credentials name it by.
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # PKCS#8 PEM, encrypted with a key derived from the site's SECRET_KEY.
    private_key: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LtiPlatform(db.Model):
    """A learning platform (Moodle, Canvas, ...) an admin registered to launch the site as
    an LTI 1.3 tool: what identifies it and where to reach it. About the platform, not
    people."""

    __tablename__ = "lti_platforms"
    __table_args__ = (sa.UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The admin's own name for it, shown in the list.
    name: Mapped[str] = mapped_column(sa.String(120))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    # The deployments of the tool on the platform the site accepts launches from.
    deployment_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    key_set_url: Mapped[str] = mapped_column(sa.String(1000))
    # The platform's OIDC authorisation endpoint, where the login initiation sends people.
    auth_url: Mapped[str] = mapped_column(sa.String(1000))
    # Where the tool gets access tokens to send scores back (Assignment and Grade Services).
    token_url: Mapped[str] = mapped_column(sa.String(1000))
    # Whether a first launch may sign in to an existing account with the same address, when
    # the platform says it verified the address.
    links_verified_email: Mapped[bool] = mapped_column(default=False)
    # Whether the platform's Instructors (and the other roles leading its course) become
    # trainers of this site, not only trainers of their course's cohort.
    instructors_become_trainers: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiLogin(db.Model):
    """A login started by a platform and not yet finished by its launch: the state and
    nonce the launch must bring back, each usable once and for a few minutes. In the
    database, so that the launch may reach another host than the login did."""

    __tablename__ = "lti_logins"

    state: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True
    )
    # What the login was started for: the launch must claim the same.
    target_link_uri: Mapped[str] = mapped_column(sa.String(1000))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class LtiAccount(db.Model):
    """The account a platform's user (its `sub`) signs in to."""

    __tablename__ = "lti_accounts"
    __table_args__ = (sa.UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiContext(db.Model):
    """The cohort a platform's course (its LTI context) takes part in a course of the site
    as: made on its first launch. About groups, not people."""

    __tablename__ = "lti_contexts"
    __table_args__ = (sa.UniqueConstraint("platform_id", "context_id", "course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(sa.String(255))
    course: Mapped[str] = mapped_column(sa.String(100))
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )


class LtiGradeTarget(db.Model):
    """A platform's gradebook column (line item) that a person's results in a course, or in
    one of its lessons, go to: named by the launch's Assignment and Grade Services claim."""

    __tablename__ = "lti_grade_targets"
    __table_args__ = (sa.UniqueConstraint("user_id", "lineitem"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True
    )
    course: Mapped[str] = mapped_column(sa.String(100))
    # None for a launch into the whole course: its score is the share of lessons completed.
    lesson_slug: Mapped[str | None] = mapped_column(sa.String(100))
    lineitem: Mapped[str] = mapped_column(sa.String(1000))
    launched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """A message for an outside service (a learning record store, an institution's
    platform), written in the same transaction as what it reports, and kept until that
    service has taken it: a partner that is down or slow never loses a message and never
    holds up a page. Sent messages stay a while as the record of what was sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.Index("ix_outbox_messages_due", "sent_at", "failed_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which sender delivers it ("xapi", "lti-score").
    kind: Mapped[str] = mapped_column(sa.String(40))
    # Names what the message reports, so that reporting it twice queues it once.
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # A message about a person waiting when they erase their account goes with it.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While a host is sending it, until when the others leave it alone.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when the service refused it in a way trying again cannot mend; kept for the admins.
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class XapiLearner(db.Model):
    """The name a learner goes by in the xAPI statements sent to a learning record store: a
    random token, so that the store can tell one learner's statements from another's but
    cannot learn who they are, and nobody can work it out from the account number. Erasing
    the row leaves the statements sent under it naming nobody."""

    __tablename__ = "xapi_learners"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
