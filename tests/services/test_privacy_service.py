"""The privacy service on its own, without pages: what the register drives (notices, the
export, erasure, the purge) checked row by row, and the edges a page never reaches (a row
exactly at a retention cutoff, tables no foreign key ties to the user, ties in time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import yaml

from app.content import Lesson, load_register
from app.content.register import DataRegister
from app.extensions import content, db
from app.models import (
    AuditLogEntry,
    Certificate,
    Cohort,
    CohortTrainer,
    ConsentEvent,
    ConsentText,
    ContentRevision,
    Invitation,
    LessonProgress,
    LtiAccount,
    LtiGradeTarget,
    LtiPlatform,
    Membership,
    NoticeAcknowledgment,
    NoticeVersion,
    OutboxMessage,
    PasswordResetToken,
    Publication,
    QuizAnswer,
    QuizAttempt,
    RecoveryCode,
    Role,
    SecurityEvent,
    TokenPurpose,
    User,
    UserSession,
    XapiLearner,
    utcnow,
)
from app.services import privacy
from config import TestConfig
from tests.conftest import statements_run

# A fixed clock for the purge, with microseconds so that one either side of it is a
# different value on both databases.
NOW = dt.datetime(2030, 6, 15, 12, 0, 0, 500000, tzinfo=dt.UTC)
TICK = dt.timedelta(microseconds=1)
REGISTER_FILE = Path(TestConfig.DATA_REGISTER)


def texts(text: str) -> dict[str, str]:
    return {lang: f"{text} ({lang})" for lang in ("es", "pt", "en")}


def changed_register(tmp_path: Path, change: Callable[[dict], None]) -> DataRegister:
    """The app's data register with `change` made to its YAML, loaded as the app loads it."""
    raw = yaml.safe_load(REGISTER_FILE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "data_register.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_register(path)


def add_user(
    email: str,
    *,
    role: Role = Role.LEARNER,
    created_at: dt.datetime = NOW,
    last_active_at: dt.datetime | None = NOW,
    confirmed: bool = True,
    language: str | None = None,
) -> int:
    user = User(
        email=email,
        display_name=email.split("@")[0],
        password_hash="not a real hash",
        role=role,
        language=language,
        created_at=created_at,
        last_active_at=last_active_at,
        email_confirmed_at=created_at if confirmed else None,
    )
    db.session.add(user)
    db.session.commit()
    return user.id


def emails() -> list[str]:
    return sorted(db.session.scalars(sa.select(User.email)))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Notices and acknowledgments


def test_a_lesson_notice_lists_a_category_only_for_lessons_that_declare_it(tmp_path):
    def add_essays(raw: dict) -> None:
        raw["categories"].append(
            {
                "id": "essays",
                "collected": "when-declared",
                "legal_basis": "contract",
                "name": texts("Essays"),
                "data": texts("What you write"),
                "purpose": texts("Feedback"),
                "retention": {"text": texts("While the account exists")},
                "recipients": texts("Trainers"),
                "storage": [],
            }
        )

    register = changed_register(tmp_path, add_essays)
    declaring = SimpleNamespace(quiz=None, collects=("essays",))
    plain = SimpleNamespace(quiz=None, collects=())
    with_essays = privacy.lesson_notice(register, declaring, "Controller")
    without = privacy.lesson_notice(register, plain, "Controller")
    assert "essays" in [category.id for category in with_essays.categories]
    assert [c.id for c in with_essays.categories if c.id != "essays"] == [
        c.id for c in without.categories
    ]
    assert "essays" not in [category.id for category in without.categories]
    assert with_essays.version != without.version


def lesson(slug: str, course: str = "co-production") -> Lesson:
    """A lesson as the notices and acknowledgments know it: by its course and slug."""
    return Lesson(number=1, slug=slug, default_language="en", texts={}, course=course)


def test_a_notice_version_is_noted_when_first_shown_and_never_again(app_context):
    privacy.note_notice_shown(db.session, lesson("lesson"), "v1")
    [first] = db.session.scalars(sa.select(NoticeVersion.first_shown_at))
    privacy.note_notice_shown(db.session, lesson("lesson"), "v1")
    privacy.note_notice_shown(db.session, lesson("lesson"), "v2")
    privacy.note_notice_shown(db.session, lesson("other"), "v1")
    # Another course may name a lesson the same: its notice is its own.
    privacy.note_notice_shown(db.session, lesson("lesson", "writing-lessons"), "v1")
    shown = db.session.execute(
        sa.select(
            NoticeVersion.course,
            NoticeVersion.lesson_slug,
            NoticeVersion.version,
            NoticeVersion.first_shown_at,
        ).order_by(NoticeVersion.course, NoticeVersion.lesson_slug, NoticeVersion.version)
    ).all()
    assert [(course, slug, version) for course, slug, version, _ in shown] == [
        ("co-production", "lesson", "v1"),
        ("co-production", "lesson", "v2"),
        ("co-production", "other", "v1"),
        ("writing-lessons", "lesson", "v1"),
    ]
    assert shown[0].first_shown_at == first


def test_an_acknowledgment_is_one_learners_for_one_lesson_of_one_course_and_version(app_context):
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    for _ in range(2):  # a double click
        privacy.acknowledge(db.session, ana, lesson("lesson"), "v1", "pt")
    db.session.commit()
    [row] = db.session.scalars(sa.select(NoticeAcknowledgment))
    assert (row.user_id, row.course, row.lesson_slug, row.notice_version, row.language) == (
        ana,
        "co-production",
        "lesson",
        "v1",
        "pt",
    )
    assert privacy.has_acknowledged(db.session, ana, lesson("lesson"), "v1")
    assert not privacy.has_acknowledged(db.session, bo, lesson("lesson"), "v1")
    assert not privacy.has_acknowledged(db.session, ana, lesson("other"), "v1")
    assert not privacy.has_acknowledged(db.session, ana, lesson("lesson"), "v2")
    assert not privacy.has_acknowledged(db.session, ana, lesson("lesson", "writing-lessons"), "v1")
    privacy.acknowledge(db.session, ana, lesson("lesson"), "v2", "en")
    privacy.acknowledge(db.session, ana, lesson("other"), "v1", "en")
    privacy.acknowledge(db.session, bo, lesson("lesson"), "v1", "es")
    privacy.acknowledge(db.session, ana, lesson("lesson", "writing-lessons"), "v1", "es")
    db.session.commit()
    assert count(NoticeAcknowledgment) == 5
    assert privacy.has_acknowledged(db.session, ana, lesson("lesson", "writing-lessons"), "v1")


def test_a_notice_is_taken_as_read_only_from_the_same_version_in_the_same_course(app_context):
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    privacy.acknowledge(db.session, ana, lesson("lesson"), "v1", "pt")
    privacy.acknowledge(db.session, bo, lesson("lesson", "writing-lessons"), "v1", "pt")
    db.session.commit()
    assert privacy.acknowledgment(db.session, ana, lesson("other"), "v2", "en") is None
    assert privacy.acknowledgment(db.session, bo, lesson("other"), "v1", "en") is None, (
        "confirmed in another course"
    )
    taken = privacy.acknowledgment(db.session, ana, lesson("other"), "v1", "en")
    assert (taken.lesson_slug, taken.same_as, taken.language) == ("other", "lesson", "en")
    # A third lesson names where the notice was confirmed, not where it was taken as read.
    third = privacy.acknowledgment(db.session, ana, lesson("third"), "v1", "es")
    assert (third.lesson_slug, third.same_as) == ("third", "lesson")
    again = privacy.acknowledgment(db.session, ana, lesson("other"), "v1", "es")
    assert (again.id, again.language) == (taken.id, "en"), "recorded once"
    assert count(NoticeAcknowledgment) == 4
    assert not privacy.has_acknowledged(db.session, bo, lesson("other"), "v1")


def test_a_notice_confirmed_in_two_lessons_is_taken_as_read_from_the_first_confirmed(
    app_context,
):
    """Confirmed in two lessons (as before notices were taken as read), the lesson named is
    the one confirmed first, whatever the order the rows were written in or their names."""
    ana = add_user("ana@example.org")
    privacy.acknowledge(db.session, ana, lesson("a-later"), "v1", "pt")
    privacy.acknowledge(db.session, ana, lesson("b-earlier"), "v1", "pt")
    for slug, day in (("a-later", 2), ("b-earlier", 1)):
        db.session.execute(
            sa.update(NoticeAcknowledgment)
            .where(NoticeAcknowledgment.lesson_slug == slug)
            .values(acknowledged_at=dt.datetime(2026, 12, day, tzinfo=dt.UTC))
        )
    db.session.commit()
    taken = privacy.acknowledgment(db.session, ana, lesson("third"), "v1", "en")
    assert (taken.lesson_slug, taken.same_as) == ("third", "b-earlier")
    with statements_run(db.engine) as statements:
        own = privacy.acknowledgment(db.session, ana, lesson("a-later"), "v1", "en")
    assert (own.lesson_slug, own.same_as, own.language) == ("a-later", None, "pt"), "its own"
    assert len(statements) == 1, "one query when the lesson's own record is there"


def test_the_record_taken_as_read_is_the_learners_own_in_this_course_and_version(app_context):
    """Among rows of the same lesson: another learner's, another course's (whose name comes
    first), another version's."""
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    privacy.acknowledge(db.session, bo, lesson("other"), "v1", "pt")
    privacy.acknowledge(db.session, ana, lesson("other", "a-course"), "v1", "pt")
    privacy.acknowledge(db.session, ana, lesson("other"), "v0", "pt")
    privacy.acknowledge(db.session, ana, lesson("lesson"), "v1", "es")
    db.session.commit()
    taken = privacy.acknowledgment(db.session, ana, lesson("other"), "v1", "en")
    assert (taken.user_id, taken.course, taken.notice_version, taken.same_as) == (
        ana,
        lesson("other").course,
        "v1",
        "lesson",
    )


# Consents


def add_consent(
    user_id: int,
    purpose: str,
    granted: bool,
    at: dt.datetime,
    *,
    version: str = "v",
    language: str = "en",
) -> int:
    event = ConsentEvent(
        user_id=user_id,
        purpose=purpose,
        granted=granted,
        text_version=version,
        language=language,
        recorded_at=at,
    )
    db.session.add(event)
    db.session.commit()
    return event.id


def test_the_ledger_is_in_time_order_and_the_latest_choice_wins(app_context):
    ana = add_user("ana@example.org")
    bo = add_user("bo@example.org")
    # Written out of time order: the later grant has the smaller id.
    granted = add_consent(ana, "course-improvement", True, NOW)
    withdrawn = add_consent(ana, "course-improvement", False, NOW - dt.timedelta(days=1))
    other = add_consent(ana, "newsletter", True, NOW - dt.timedelta(days=2))
    add_consent(bo, "course-improvement", False, NOW + dt.timedelta(days=1))
    ledger = privacy.consent_ledger(db.session, ana)
    assert [event.id for event in ledger] == [other, withdrawn, granted]
    assert privacy.consents(db.session, ana) == {"course-improvement": True, "newsletter": True}
    assert privacy.consents(db.session, bo) == {"course-improvement": False}


def test_consents_recorded_at_the_same_moment_keep_their_order(app_context):
    ana = add_user("ana@example.org")
    # Written with their ids in reverse, so that the table's own order is not the ids'.
    ids = [1006, 1005, 1004, 1003, 1002, 1001]
    for number in ids:
        db.session.add(
            ConsentEvent(
                id=number,
                user_id=ana,
                purpose="course-improvement",
                granted=number % 2 == 0,
                text_version="v",
                language="en",
                recorded_at=NOW,
            )
        )
        db.session.commit()
    assert [event.id for event in privacy.consent_ledger(db.session, ana)] == sorted(ids)
    assert privacy.consents(db.session, ana) == {"course-improvement": True}


def test_recording_consents_writes_a_row_only_for_each_change(app_context):
    register = content.register
    [purpose] = register.purposes
    ana = add_user("ana@example.org")
    assert privacy.record_consents(db.session, register, ana, set(), "es") == []
    assert count(ConsentEvent) == 0, "nothing given, nothing to withdraw"
    [given] = privacy.record_consents(db.session, register, ana, {purpose.id}, "pt")
    assert (given.purpose, given.granted, given.text_version, given.language) == (
        purpose.id,
        True,
        purpose.version,
        "pt",
    )
    assert privacy.record_consents(db.session, register, ana, {purpose.id}, "en") == []
    [withdrawn] = privacy.record_consents(db.session, register, ana, set(), "en")
    assert (withdrawn.purpose, withdrawn.granted, withdrawn.language) == (purpose.id, False, "en")
    assert count(ConsentEvent) == 2


def test_the_consenting_learners_are_those_whose_latest_choice_is_a_grant(app_context):
    purpose = "course-improvement"
    users = {name: add_user(f"{name}@example.org") for name in ("yes", "no", "back", "never")}
    add_consent(users["yes"], purpose, True, NOW)
    add_consent(users["no"], purpose, True, NOW)
    add_consent(users["no"], purpose, False, NOW)
    add_consent(users["back"], purpose, False, NOW)
    add_consent(users["back"], purpose, True, NOW)
    add_consent(users["never"], "another-use", True, NOW)
    add_consent(users["never"], purpose, False, NOW)
    add_consent(users["no"], "another-use", True, NOW)  # the latest row, for another use
    consenting = set(db.session.scalars(privacy.consenting_user_ids(purpose)))
    assert consenting == {users["yes"], users["back"]}
    assert set(db.session.scalars(privacy.consenting_user_ids("another-use"))) == {
        users["never"],
        users["no"],
    }
    assert list(db.session.scalars(privacy.consenting_user_ids("nobody-asked"))) == []


def test_a_learner_is_written_to_in_their_language_if_the_course_has_it(app_context):
    course = content.course
    other = next(lang for lang in course.languages if lang != course.default_language)
    assert privacy.language_of(SimpleNamespace(language=other), course) == other
    for language in (None, "xx"):
        learner = SimpleNamespace(language=language)
        assert privacy.language_of(learner, course) == course.default_language


# The export


def data_everywhere(user_id: int, staff_id: int, language: str) -> dict[str, list[int]]:
    """Rows in every table the register lists, for one learner who consented in `language`
    (whose wording is kept); the ids written, by table."""
    [purpose] = content.register.purposes
    privacy.note_consent_texts(db.session, content.register, language)
    written: dict[str, list[int]] = {"users": [user_id]}

    def add(row) -> int:
        db.session.add(row)
        db.session.flush()
        written.setdefault(row.__tablename__, []).append(row.id)
        return row.id

    add(
        LessonProgress(
            course="co-production",
            user_id=user_id,
            lesson_slug="one",
            started_at=NOW,
            completed_at=NOW,
        )
    )
    attempt = add(
        QuizAttempt(
            course="co-production",
            user_id=user_id,
            lesson_slug="one",
            number=1,
            language="es",
            submitted_at=NOW,
            points=1,
            max_points=2,
            passed=False,
        )
    )
    add(QuizAnswer(attempt_id=attempt, question_id="q1", selected=["a", "b"], is_correct=False))
    add(
        NoticeAcknowledgment(
            course="co-production",
            user_id=user_id,
            lesson_slug="one",
            notice_version="v1",
            language="es",
            acknowledged_at=NOW,
        )
    )
    add(
        ConsentEvent(
            user_id=user_id,
            purpose=purpose.id,
            granted=True,
            text_version=purpose.version,
            language=language,
            recorded_at=NOW,
        )
    )
    add(SecurityEvent(user_id=user_id, kind="signed-in", ip_address="192.0.2.0", occurred_at=NOW))
    add(
        PasswordResetToken(
            user_id=user_id,
            purpose=TokenPurpose.CONFIRM_EMAIL.value,
            token_hash=f"secret-link-{user_id}",
            created_at=NOW,
            expires_at=NOW,
        )
    )
    add(
        UserSession(
            user_id=user_id,
            token_hash=f"secret-session-{user_id}",
            device="Firefox on Linux",
            created_at=NOW,
            last_used_at=NOW,
        )
    )
    add(RecoveryCode(user_id=user_id, code_hash=f"secret-code-{user_id}", created_at=NOW))
    cohort = Cohort(course="co-production", name=f"Spring {user_id}", join_code=f"code-{user_id}")
    db.session.add(cohort)
    db.session.flush()
    add(Membership(user_id=user_id, course="co-production", cohort_id=cohort.id, joined_at=NOW))
    db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=user_id))
    written["cohort_trainers"] = [cohort.id]
    email = db.session.scalar(sa.select(User.email).where(User.id == user_id))
    # Invited before the account was made, the address typed otherwise than it keeps it.
    add(
        Invitation(
            cohort_id=cohort.id,
            email=f" {email.upper()} ",
            display_name="As the trainer wrote it",
            language="pt",
            token_hash=f"secret-invitation-{user_id}",
            invited_by=staff_id,
            created_at=NOW,
            expires_at=NOW,
        )
    )
    sent = Invitation(
        cohort_id=cohort.id,
        email=f"invited-by-{user_id}@example.org",
        token_hash=f"secret-sent-{user_id}",
        invited_by=user_id,
        created_at=NOW,
        expires_at=NOW,
    )
    db.session.add(sent)
    db.session.flush()
    written["invitations sent"] = [sent.id]
    add(
        Certificate(
            code=f"code-of-{user_id}",
            user_id=user_id,
            course="co-production",
            cohort_id=cohort.id,
            cohort_name=cohort.name,
            name=f"Printed name {user_id}",
            course_title={"en": "Co-production"},
            organisation={"en": "The Lab"},
            signatories=[],
            lessons=2,
            issued_at=NOW,
            revoked_at=NOW,
            revoked_reason="Issued by mistake",
            revoked_by=staff_id,
        )
    )
    add(
        ContentRevision(
            course="co-production",
            path="01-what-is-co-production/es.md",
            data=b"texto",
            digest="0" * 64,
            author_id=user_id,
            origin="browser",
            created_at=NOW,
        )
    )
    add(Publication(course="co-production", published_by=user_id, published_at=NOW))
    platform = LtiPlatform(
        name=f"Moodle {user_id}",
        issuer="https://moodle.example.edu",
        client_id=f"client-{user_id}",
        deployment_ids=["1"],
        key_set_url="https://moodle.example.edu/certs",
        auth_url="https://moodle.example.edu/auth",
        token_url="https://moodle.example.edu/token",
    )
    db.session.add(platform)
    db.session.flush()
    add(LtiAccount(platform_id=platform.id, sub=f"sub-{user_id}", user_id=user_id, created_at=NOW))
    lineitem = f"https://moodle.example.edu/lineitems/{user_id}"
    add(
        LtiGradeTarget(
            user_id=user_id,
            platform_id=platform.id,
            course="co-production",
            lesson_slug="one",
            lineitem=lineitem,
            launched_at=NOW,
        )
    )
    add(
        OutboxMessage(
            kind="lti-score",
            key=f"lti-score:{user_id}",
            payload={"lineitem": lineitem, "score": {"userId": f"sub-{user_id}"}},
            user_id=user_id,
        )
    )
    db.session.add(XapiLearner(user_id=user_id, name=f"token-of-{user_id}", created_at=NOW))
    written["xapi_learners"] = [user_id]
    add(
        OutboxMessage(
            kind="xapi",
            key=f"xapi:statement-of-{user_id}",
            payload={"statement": {"id": f"statement-of-{user_id}"}},
            user_id=user_id,
            created_at=NOW,
            next_attempt_at=NOW,
        )
    )
    add(AuditLogEntry(actor_id=user_id, action="export", subject_ref="report", recorded_at=NOW))
    add(
        AuditLogEntry(
            actor_id=staff_id,
            action="another attempt",
            subject_ref=privacy.user_ref(user_id),
            details={"lesson": "one"},
            recorded_at=NOW,
        )
    )
    db.session.commit()
    return written


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_the_export_has_every_category_with_its_terms_and_only_the_learners_rows(app_context, lang):
    register = content.register
    ana = add_user("ana@example.org", language="pt")
    bo = add_user("bo@example.org", role=Role.ADMIN)
    written = data_everywhere(ana, bo, "es")
    # Someone else's rows, which are not in ana's export but for the one she did as staff.
    others = data_everywhere(bo, ana, "pt")
    [purpose] = register.purposes
    [(wording_shown,)] = db.session.execute(
        sa.select(ConsentText.first_shown_at).where(ConsentText.language == "es")
    ).all()
    before = utcnow()
    exported = privacy.export_data(db.session, register, ana, lang)

    assert set(exported) == {"exported_at", "categories"}
    assert before <= dt.datetime.fromisoformat(exported["exported_at"]) <= utcnow()
    assert [category["id"] for category in exported["categories"]] == [
        category.id for category in register.categories
    ]
    for category, found in zip(register.categories, exported["categories"], strict=True):
        hidden = {name for storage in category.storage for name in storage.hidden}
        assert found == {
            "id": category.id,
            "name": category.name[lang],
            "purpose": category.purpose[lang],
            "legal_basis": category.legal_basis.value,
            "retention": category.retention[lang],
            "recipients": category.recipients[lang],
            "records": found["records"],
            "withheld": sorted(hidden),
            # The wordings agreed to go with the consents, in the language they were read in.
            **(
                {
                    "wordings": [
                        {
                            "purpose": purpose.id,
                            "text_version": purpose.version,
                            "language": "es",
                            "text": purpose.text["es"],
                            "first_shown_at": wording_shown.isoformat(),
                        }
                    ]
                }
                if "consent_events" in {storage.table for storage in category.storage}
                else {}
            ),
        }
        assert set(found["records"]) == {storage.table for storage in category.storage}
        for storage in category.storage:
            rows = found["records"][storage.table]
            assert rows, f"{category.id}: nothing in {storage.table}"
            if storage.table == "audit_log" and storage.reference:
                expected_ids = [written["audit_log"][1]]
            elif storage.table == "audit_log":
                expected_ids = [written["audit_log"][0], others["audit_log"][1]]
            elif storage.table == "certificates" and storage.subject == "revoked_by":
                expected_ids = others["certificates"]
            elif storage.table == "outbox_messages":
                # Each category its own kind of message: the score first, then the statement.
                scores, statements = written["outbox_messages"]
                expected_ids = [scores if storage.rows_where["kind"] == "lti-score" else statements]
            elif storage.table == "invitations" and storage.holds is None:
                # Those she sent, and the one she sent Bo as his staff.
                expected_ids = [written["invitations sent"][0], others["invitations"][0]]
            else:
                expected_ids = written[storage.table]
            # A trainer's cohorts and a learner's xAPI name have no id of their own.
            key = next(name for name in ("id", "cohort_id", "user_id") if name in rows[0])
            assert [row[key] for row in rows] == expected_ids, storage.table
            for row in rows:
                assert not set(row) & set(storage.hidden), storage.table
                assert set(storage.columns) - set(storage.hidden) <= set(row), storage.table
    by_id = {category["id"]: category["records"] for category in exported["categories"]}
    [account] = by_id["account"]["users"]
    assert account["email"] == "ana@example.org" and account["role"] == "learner"
    assert account["created_at"] == NOW.isoformat()
    assert "password_hash" not in account and "session_token" not in account
    assert by_id["language"]["users"] == [{"id": ana, "language": "pt"}]
    [answer] = by_id["quiz-answers"]["quiz_answers"]
    assert answer["selected"] == ["a", "b"] and answer["attempt_id"] == written["quiz_attempts"][0]
    [about] = by_id["actions-on-your-account"]["audit_log"]
    assert about["subject_ref"] == f"user #{ana}" and about["details"] == {"lesson": "one"}
    withheld = {category["id"]: category["withheld"] for category in exported["categories"]}
    assert "password_hash" in withheld["account"]
    assert withheld["security-events"] == ["token_hash"]
    assert withheld["sessions"] == ["code_hash", "token_hash"]
    assert withheld["progress"] == []
    assert withheld["invitations"] == ["token_hash"]
    # A cohort is named beside its number, right after it.
    [membership] = by_id["courses"]["memberships"]
    assert list(membership) == [
        "id",
        "user_id",
        "course",
        "cohort_id",
        "cohort_name",
        "joined_at",
        "active_at",
    ]
    assert (membership["course"], membership["cohort_name"]) == ("co-production", f"Spring {ana}")
    [led] = by_id["cohorts-led"]["cohort_trainers"]
    assert led == {
        "user_id": ana,
        "cohort_id": written["cohort_trainers"][0],
        "course": "co-production",
        "cohort_name": f"Spring {ana}",
    }
    [invited] = by_id["invitations"]["invitations"]
    assert invited["email"] == " ANA@EXAMPLE.ORG " and invited["invited_by"] == bo
    assert invited["cohort_name"] == f"Spring {ana}" and "token_hash" not in invited
    sent = by_id["cohorts-led"]["invitations"]
    assert [row["cohort_name"] for row in sent] == [f"Spring {ana}", f"Spring {bo}"]
    assert not {"email", "display_name", "token_hash"} & set(sent[0]), "the invitee's own"


# Erasure


@pytest.fixture
def unlinked_tables(app_context) -> Iterator[dict[str, sa.Table]]:
    """Tables the erasure reaches only through the register: notes point at their owner with
    a foreign key that does nothing on delete (so the user cannot go first), their lines
    point at a note without one, messages at their sender without one."""
    metadata = db.metadata
    tables = {
        "notes": sa.Table(
            "erasure_notes",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id")),
            sa.Column("body", sa.String(50)),
        ),
        "lines": sa.Table(
            "erasure_note_lines",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("note_id", sa.Integer),
            sa.Column("text", sa.String(50)),
        ),
        "messages": sa.Table(
            "erasure_messages",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("sender_id", sa.Integer),
            sa.Column("recipient_id", sa.Integer),
            sa.Column("body", sa.String(50)),
        ),
    }
    ours = list(tables.values())
    metadata.drop_all(db.engine, tables=ours, checkfirst=True)
    metadata.create_all(db.engine, tables=ours)
    try:
        yield tables
    finally:
        db.session.rollback()
        metadata.drop_all(db.engine, tables=ours, checkfirst=True)
        for table in ours:
            metadata.remove(table)


def add_notes_category(raw: dict) -> None:
    """A category for the tables above, last: the register lists the users table first."""
    raw["categories"].append(
        {
            "id": "notes",
            "collected": "on-request",
            "legal_basis": "contract",
            "name": texts("Notes"),
            "data": texts("Notes and messages"),
            "purpose": texts("Taking notes"),
            "retention": {"text": texts("While the account exists")},
            "recipients": texts("Nobody"),
            "storage": [
                {
                    "table": "erasure_notes",
                    "subject": "owner_id",
                    "columns": ["body"],
                    "erasure": "delete",
                },
                {
                    "table": "erasure_note_lines",
                    "subject": "note_id -> erasure_notes.owner_id",
                    "columns": ["text"],
                    "erasure": "delete",
                },
                {
                    "table": "erasure_messages",
                    "subject": "sender_id",
                    "columns": ["body"],
                    "erasure": "anonymise",
                },
            ],
        }
    )


def test_erasure_deletes_and_anonymises_what_the_register_lists_in_its_order(
    tmp_path, unlinked_tables
):
    register = changed_register(tmp_path, add_notes_category)
    notes, lines, messages = (unlinked_tables[name] for name in ("notes", "lines", "messages"))
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    for owner in (ana, bo):
        note_id = db.session.execute(
            sa.insert(notes).values(owner_id=owner, body=f"note of {owner}")
        ).inserted_primary_key[0]
        db.session.execute(sa.insert(lines).values(note_id=note_id, text=f"line of {owner}"))
        db.session.execute(sa.insert(messages).values(sender_id=owner, body=f"from {owner}"))
    db.session.commit()
    exported = privacy.export_data(db.session, register, ana, "en")
    [category] = [c for c in exported["categories"] if c["id"] == "notes"]
    assert category["records"]["erasure_note_lines"][0]["text"] == f"line of {ana}"

    privacy.erase_account(db.session, register, ana)

    assert emails() == ["bo@example.org"]
    assert db.session.execute(sa.select(notes.c.owner_id, notes.c.body)).all() == [
        (bo, f"note of {bo}")
    ]
    assert db.session.scalars(sa.select(lines.c.text)).all() == [f"line of {bo}"]
    kept = db.session.execute(
        sa.select(messages.c.sender_id, messages.c.body).order_by(messages.c.id)
    ).all()
    assert kept == [(None, f"from {ana}"), (bo, f"from {bo}")], "anonymised, not deleted"


def add_recipients(raw: dict) -> None:
    """Messages point at the person by two columns: whoever sent and whoever received."""
    add_notes_category(raw)
    raw["categories"][-1]["storage"].append(
        {
            "table": "erasure_messages",
            "subject": "recipient_id",
            "columns": ["body"],
            "erasure": "anonymise",
        }
    )


def test_erasure_clears_every_column_that_points_at_the_person(tmp_path, unlinked_tables):
    register = changed_register(tmp_path, add_recipients)
    messages = unlinked_tables["messages"]
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    db.session.execute(
        sa.insert(messages),
        [
            {"sender_id": ana, "recipient_id": bo, "body": "to bo"},
            {"sender_id": bo, "recipient_id": ana, "body": "to ana"},
        ],
    )
    db.session.commit()
    privacy.erase_account(db.session, register, ana)
    kept = db.session.execute(
        sa.select(messages.c.sender_id, messages.c.recipient_id).order_by(messages.c.id)
    ).all()
    assert kept == [(None, bo), (bo, None)]


def test_erasure_goes_through_other_tables_first_and_the_users_row_last(tmp_path, app_context):
    register = changed_register(tmp_path, add_notes_category)
    order = [(storage.table, storage.via) for storage in privacy._erasure_order(register)]
    through = [index for index, (_, via) in enumerate(order) if via is not None]
    users = [index for index, (table, _) in enumerate(order) if table == "users"]
    others = [index for index, (table, via) in enumerate(order) if table != "users" and not via]
    assert through and users and others
    assert max(through) < min(others) and max(others) < min(users)
    assert users == list(range(len(order) - len(users), len(order)))


def add_cohort(name: str, course: str = "co-production") -> int:
    cohort = Cohort(course=course, name=name, join_code=f"code of {name}")
    db.session.add(cohort)
    db.session.commit()
    return cohort.id


def invite(cohort_id: int, email: str, by: int | None = None, expires_at=NOW) -> int:
    invitation = Invitation(
        cohort_id=cohort_id,
        email=email,
        token_hash=f"hash of {cohort_id} {email}",
        invited_by=by,
        created_at=NOW - dt.timedelta(days=7),
        expires_at=expires_at,
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


def test_erasure_takes_the_persons_memberships_cohorts_led_and_invitations_to_them(app_context):
    ana = add_user("ñandú@example.org", role=Role.TRAINER)
    bo = add_user("bo@example.org")
    spring, autumn = add_cohort("Spring"), add_cohort("Autumn", "writing-lessons")
    for user_id, course, cohort in ((ana, "co-production", spring), (bo, "co-production", None)):
        db.session.add(Membership(user_id=user_id, course=course, cohort_id=cohort, joined_at=NOW))
    db.session.add(
        Membership(user_id=ana, course="writing-lessons", cohort_id=autumn, joined_at=NOW)
    )
    db.session.add_all(
        [CohortTrainer(cohort_id=spring, user_id=ana), CohortTrainer(cohort_id=spring, user_id=bo)]
    )
    db.session.commit()
    # Invitations to her address as trainers type it, in any cohort; and others'.
    invite(spring, " ÑANDÚ@Example.org ")
    invite(autumn, "ñandú@example.org", by=bo)
    kept = [
        invite(spring, "xñandú@example.org"),
        invite(spring, "ñandú@example.org.pt"),
        invite(autumn, "cy@example.org", by=ana),
    ]

    privacy.erase_account(db.session, content.register, ana)

    assert db.session.execute(sa.select(Membership.user_id, Membership.course)).all() == [
        (bo, "co-production")
    ]
    assert db.session.execute(sa.select(CohortTrainer.user_id)).all() == [(bo,)]
    left = db.session.execute(
        sa.select(Invitation.id, Invitation.email, Invitation.invited_by).order_by(Invitation.id)
    ).all()
    assert [row.id for row in left] == kept
    assert left[-1].invited_by is None, "who sent it is the erased person"
    assert sorted(db.session.scalars(sa.select(Cohort.name))) == ["Autumn", "Spring"]
    assert emails() == ["bo@example.org"]


def test_deleting_a_cohort_keeps_accounts_progress_and_other_courses(app_context):
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    trainer = add_user("trainer@example.org", role=Role.TRAINER)
    spring, autumn, guide = add_cohort("Spring"), add_cohort("Autumn"), add_cohort("G", "guide")
    db.session.add_all(
        [
            Membership(user_id=ana, course="co-production", cohort_id=spring, joined_at=NOW),
            Membership(user_id=ana, course="guide", cohort_id=guide, joined_at=NOW),
            Membership(user_id=bo, course="co-production", cohort_id=autumn, joined_at=NOW),
            CohortTrainer(cohort_id=spring, user_id=trainer),
            CohortTrainer(cohort_id=guide, user_id=trainer),
        ]
        + [
            LessonProgress(user_id=user_id, course=course, lesson_slug="one", started_at=NOW)
            for user_id in (ana, bo)
            for course in ("co-production", "guide")
        ]
    )
    db.session.commit()
    invite(spring, "new@example.org", by=trainer)
    invite(guide, "new@example.org", by=trainer)

    db.session.execute(sa.delete(Cohort).where(Cohort.id == spring))
    db.session.commit()
    db.session.delete(db.session.get(Cohort, autumn))  # as the ORM deletes it
    db.session.commit()

    assert emails() == ["ana@example.org", "bo@example.org", "trainer@example.org"]
    assert count(LessonProgress) == 4, "progress is the course's, not the cohort's"
    assert db.session.execute(sa.select(Membership.user_id, Membership.cohort_id)).all() == [
        (ana, guide)
    ]
    assert db.session.execute(sa.select(CohortTrainer.cohort_id)).all() == [(guide,)]
    assert db.session.execute(sa.select(Invitation.cohort_id)).all() == [(guide,)]


def test_erasing_a_staff_member_empties_their_name_in_the_log_and_keeps_the_entries(
    app_context,
):
    ana = add_user("ana@example.org", role=Role.ADMIN)
    bo = add_user("bo@example.org", role=Role.ADMIN)
    learner = add_user("cy@example.org")
    privacy.record_audit(db.session, ana, "export", privacy.user_ref(learner))
    privacy.record_audit(db.session, bo, "erase", privacy.user_ref(learner))
    privacy.record_audit(db.session, bo, "export", privacy.user_ref(ana))
    privacy.erase_account(db.session, content.register, ana)
    log = db.session.execute(
        sa.select(AuditLogEntry.actor_id, AuditLogEntry.action, AuditLogEntry.subject_ref).order_by(
            AuditLogEntry.id
        )
    ).all()
    assert log == [
        (None, "export", f"user #{learner}"),
        (bo, "erase", f"user #{learner}"),
        (bo, "export", f"user #{ana}"),  # kept: it names the account by number only
    ]


# The audit log


def test_the_audit_log_lists_the_newest_entries_of_some_kinds_first(app_context):
    staff = add_user("staff@example.org", role=Role.ADMIN)
    day = dt.timedelta(days=1)

    def entry(action: str, subject: str, at: dt.datetime) -> int:
        row = AuditLogEntry(actor_id=staff, action=action, subject_ref=subject, recorded_at=at)
        db.session.add(row)
        db.session.commit()
        return row.id

    # Written out of time order, two at the same moment.
    oldest = entry("export", "user #1", NOW - 2 * day)
    newest = entry("erase", "user #2", NOW)
    middle = entry("export", "user #1", NOW - day)
    newest_too = entry("export", "user #1", NOW)
    entry("report", "progress report", NOW + day)
    db.session.expire_all()

    def ids(**kwargs) -> list[int]:
        return [e.id for e in privacy.audit_log(db.session, actions=("export", "erase"), **kwargs)]

    assert ids(limit=10) == [newest_too, newest, middle, oldest]
    assert ids(limit=2) == [newest_too, newest]
    assert ids(limit=10, subject="user #1") == [newest_too, middle, oldest]
    assert ids(limit=10, subject="user #3") == []
    [shown] = privacy.audit_log(db.session, limit=1, actions=["report"])
    assert shown.actor.email == "staff@example.org", "the actor comes with the entry"


def test_record_audit_says_who_acted(app_context):
    staff = add_user("staff@example.org", role=Role.ADMIN)
    privacy.record_audit(db.session, None, "export", "user #1", {"format": "json"})
    privacy.record_audit(db.session, staff, "export", "user #1")
    privacy.record_audit(db.session, staff, "erase", "user #2", by_the_person=True)
    before = utcnow()
    privacy.record_audit(db.session, None, "erase", "user #3", at=NOW)
    privacy.record_audit(db.session, None, "erase", "user #4")
    entries = db.session.execute(
        sa.select(AuditLogEntry.details, AuditLogEntry.recorded_at).order_by(AuditLogEntry.id)
    ).all()
    assert [details for details, _ in entries] == [
        {"format": "json", "by": privacy.BY_COMMAND_LINE},
        {"by": privacy.BY_STAFF},
        {"by": privacy.BY_THE_PERSON},
        {"by": privacy.BY_COMMAND_LINE},
        {"by": privacy.BY_COMMAND_LINE},
    ]
    assert entries[3].recorded_at == NOW, "when the caller says it happened"
    assert before <= entries[4].recorded_at <= utcnow(), "else now"


@pytest.mark.parametrize(
    ("subject", "account"),
    [
        ("user #7", 7),
        ("user #007", 7),
        ("user #", None),
        ("user #7a", None),
        ("user #-7", None),
        ("user #\uff17", None),  # a full-width seven: a digit, but not ASCII
        ("7", None),  # a number without the prefix names no account
        ("progress report", None),
    ],
)
def test_the_account_an_audit_log_subject_names(subject, account):
    assert privacy.account_of(subject) == account


# The retention purge


def purge(register: DataRegister | None = None, *, dry_run: bool = False) -> dict[str, int]:
    counts = privacy.purge(db.session, register or content.register, dry_run=dry_run, now=NOW)
    return {category: number for category, number in counts.items() if number}


def test_accounts_lapse_after_their_retention_from_the_last_activity_or_the_sign_up(
    app_context,
):
    account = content.register.category("account")
    cutoff = NOW - dt.timedelta(days=account.retention_days)
    long_ago = NOW - dt.timedelta(days=3 * account.retention_days)
    lapsed = add_user("lapsed@example.org", last_active_at=cutoff - TICK, created_at=long_ago)
    add_user("at-cutoff@example.org", last_active_at=cutoff, created_at=long_ago)
    add_user("after-cutoff@example.org", last_active_at=cutoff + TICK, created_at=long_ago)
    never = add_user("never-active@example.org", last_active_at=None, created_at=cutoff - TICK)
    add_user("never-active-at-cutoff@example.org", last_active_at=None, created_at=cutoff)
    add_user("never-active-new@example.org", last_active_at=None, created_at=cutoff + TICK)
    # Signed up long before the cutoff, but active yesterday.
    add_user(
        "old-but-active@example.org", last_active_at=NOW - dt.timedelta(days=1), created_at=long_ago
    )
    for role in (Role.ADMIN, Role.TRAINER):
        add_user(f"{role.value}@example.org", role=role, last_active_at=None, created_at=long_ago)
    kept = [
        "admin@example.org",
        "after-cutoff@example.org",
        "at-cutoff@example.org",
        "never-active-at-cutoff@example.org",
        "never-active-new@example.org",
        "old-but-active@example.org",
        "trainer@example.org",
    ]

    assert purge(dry_run=True) == {"account": 2}
    assert len(emails()) == len(kept) + 2 and count(AuditLogEntry) == 0
    assert purge() == {"account": 2}
    assert emails() == kept
    # Each erasure is noted at the purge's moment, to be repeated after a backup is restored.
    noted = db.session.execute(
        sa.select(
            AuditLogEntry.actor_id,
            AuditLogEntry.action,
            AuditLogEntry.subject_ref,
            AuditLogEntry.details,
            AuditLogEntry.recorded_at,
        )
    ).all()
    by = {"reason": "retention", "by": privacy.BY_COMMAND_LINE}
    assert sorted(noted, key=lambda entry: entry.subject_ref) == sorted(
        [(None, "erase", privacy.user_ref(user_id), by, NOW) for user_id in (lapsed, never)],
        key=lambda entry: entry[2],
    )
    assert purge() == {}


def test_a_sign_up_never_confirmed_is_erased_after_its_days_unless_a_link_still_works(
    app_context,
):
    days = content.register.category("account").unconfirmed_days
    week = NOW - dt.timedelta(days=days)
    older = week - dt.timedelta(days=1)

    def sign_up(email: str, created_at: dt.datetime, **link) -> None:
        user_id = add_user(email, created_at=created_at, last_active_at=created_at, confirmed=False)
        if link:
            db.session.add(
                PasswordResetToken(
                    user_id=user_id,
                    purpose=TokenPurpose.CONFIRM_EMAIL.value,
                    token_hash=f"hash of {email}",
                    created_at=created_at,
                    **link,
                )
            )
            db.session.commit()

    sign_up("unclaimed@example.org", week - TICK)
    sign_up("at-the-week@example.org", week)
    sign_up("link-expiring-now@example.org", older, expires_at=NOW)
    sign_up("link-expiring-later@example.org", older, expires_at=NOW + TICK)
    sign_up("link-used@example.org", older, expires_at=NOW + TICK, used_at=week)
    add_user("confirmed@example.org", created_at=older, last_active_at=older)

    assert purge() == {"account": 3}
    assert emails() == [
        "at-the-week@example.org",
        "confirmed@example.org",
        "link-expiring-later@example.org",
    ]


def test_rows_are_deleted_once_past_their_retention_and_not_at_the_cutoff(app_context):
    register = content.register
    ana = add_user("ana@example.org")

    def cutoff(category_id: str) -> dt.datetime:
        return NOW - dt.timedelta(days=register.category(category_id).retention_days)

    for offset in (-TICK, dt.timedelta(0), TICK):
        events, sessions = cutoff("security-events") + offset, cutoff("sessions") + offset
        db.session.add_all(
            [
                SecurityEvent(user_id=ana, kind="signed-in", occurred_at=events),
                PasswordResetToken(
                    user_id=ana,
                    token_hash=f"link {offset}",
                    created_at=events,
                    expires_at=events,
                ),
                UserSession(
                    user_id=ana,
                    token_hash=f"session {offset}",
                    created_at=sessions,
                    last_used_at=sessions,
                ),
                AuditLogEntry(
                    actor_id=ana,
                    action="export",
                    subject_ref="user #9",
                    recorded_at=cutoff("staff-actions") + offset,
                ),
            ]
        )
    db.session.commit()
    expected = {"security-events": 2, "sessions": 1, "staff-actions": 1}

    assert purge(dry_run=True) == expected
    assert [count(model) for model in (SecurityEvent, UserSession, AuditLogEntry)] == [3, 3, 3]
    assert purge() == expected
    assert db.session.scalars(sa.select(SecurityEvent.occurred_at)).all() == [
        cutoff("security-events"),
        cutoff("security-events") + TICK,
    ]
    assert count(PasswordResetToken) == count(UserSession) == count(AuditLogEntry) == 2
    assert purge() == {}
    assert emails() == ["ana@example.org"]


def test_invitations_are_deleted_the_day_after_they_expire(app_context):
    register = content.register
    cutoff = NOW - dt.timedelta(days=register.category("invitations").retention_days)
    cohort = add_cohort("Spring")
    staff = add_user("staff@example.org", role=Role.ADMIN)
    for number, expires_at in enumerate((cutoff - TICK, cutoff, cutoff + TICK, NOW)):
        invite(cohort, f"invited{number}@example.org", by=staff, expires_at=expires_at)
    assert purge(dry_run=True) == {"invitations": 1}
    assert count(Invitation) == 4
    assert purge() == {"invitations": 1}
    assert sorted(db.session.scalars(sa.select(Invitation.expires_at))) == [
        cutoff,
        cutoff + TICK,
        NOW,
    ]
    assert purge() == {}


def test_the_purge_reaches_every_storage_entry_of_a_category(tmp_path, app_context):
    def list_recovery_codes_first(raw: dict) -> None:
        [sessions] = [category for category in raw["categories"] if category["id"] == "sessions"]
        sessions["storage"].sort(key=lambda storage: "purge" in storage)

    register = changed_register(tmp_path, list_recovery_codes_first)
    assert register.category("sessions").storage[0].purge is None
    ana = add_user("ana@example.org")
    long_ago = NOW - dt.timedelta(days=register.category("sessions").retention_days + 1)
    db.session.add(
        UserSession(user_id=ana, token_hash="old", created_at=long_ago, last_used_at=long_ago)
    )
    db.session.commit()
    assert purge(register) == {"sessions": 1}
    assert count(UserSession) == 0


# Consent wordings, objection and restriction


def test_the_wording_of_each_consent_is_kept_once_per_version_and_language(tmp_path, app_context):
    register = content.register
    [purpose] = register.purposes
    privacy.note_consent_texts(db.session, register, "es")
    db.session.commit()
    [first] = db.session.scalars(sa.select(ConsentText))
    privacy.note_consent_texts(db.session, register, "es")
    privacy.note_consent_texts(db.session, register, "pt")
    reworded = changed_register(
        tmp_path, lambda raw: raw["purposes"][0]["text"].update(es="Otra redacción")
    )
    privacy.note_consent_texts(db.session, reworded, "es")
    db.session.commit()
    kept = db.session.execute(
        sa.select(
            ConsentText.purpose, ConsentText.version, ConsentText.language, ConsentText.text
        ).order_by(ConsentText.first_shown_at, ConsentText.language)
    ).all()
    [new_wording] = reworded.purposes
    assert kept == [
        (purpose.id, purpose.version, "es", purpose.text["es"]),
        (purpose.id, purpose.version, "pt", purpose.text["pt"]),
        (purpose.id, new_wording.version, "es", "Otra redacción"),
    ]
    assert new_wording.version != purpose.version
    assert db.session.get(ConsentText, (purpose.id, purpose.version, "es")).first_shown_at == (
        first.first_shown_at
    )


def test_recording_consents_keeps_the_wording_shown(app_context):
    register = content.register
    [purpose] = register.purposes
    ana = add_user("ana@example.org")
    privacy.record_consents(db.session, register, ana, {purpose.id}, "pt")
    db.session.rollback()  # it is committed with the events
    [kept] = db.session.scalars(sa.select(ConsentText))
    assert (kept.purpose, kept.version, kept.language, kept.text) == (
        purpose.id,
        purpose.version,
        "pt",
        purpose.text["pt"],
    )


def test_the_wordings_of_a_persons_consents_are_those_they_saw_oldest_first(tmp_path, app_context):
    def wording(purpose: str, version: str, language: str, at: dt.datetime) -> None:
        db.session.add(
            ConsentText(
                purpose=purpose,
                version=version,
                language=language,
                text=f"{purpose} {version} {language}",
                first_shown_at=at,
            )
        )

    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    day = dt.timedelta(days=1)
    wording("course-improvement", "v1", "pt", NOW - 3 * day)
    wording("course-improvement", "v1", "es", NOW - 3 * day)
    wording("course-improvement", "v2", "es", NOW - day)
    wording("another-use", "v1", "es", NOW - 3 * day)
    wording("another-use", "v1", "en", NOW - 2 * day)
    db.session.commit()
    add_consent(ana, "course-improvement", True, NOW - 3 * day, version="v1", language="es")
    add_consent(ana, "course-improvement", False, NOW - 2 * day, version="v1", language="es")
    add_consent(ana, "course-improvement", True, NOW, version="v2", language="es")
    add_consent(ana, "another-use", True, NOW, version="v1", language="es")
    add_consent(bo, "course-improvement", True, NOW, version="v1", language="pt")
    add_consent(bo, "another-use", True, NOW, version="v1", language="en")
    add_consent(bo, "course-improvement", False, NOW, version="v1", language="es")

    found = privacy.consent_wordings(db.session, ana)
    assert [(w["purpose"], w["text_version"], w["language"]) for w in found] == [
        ("another-use", "v1", "es"),
        ("course-improvement", "v1", "es"),
        ("course-improvement", "v2", "es"),
    ]
    assert found[1] == {
        "purpose": "course-improvement",
        "text_version": "v1",
        "language": "es",
        "text": "course-improvement v1 es",
        "first_shown_at": (NOW - 3 * day).isoformat(),
    }
    assert [(w["purpose"], w["language"]) for w in privacy.consent_wordings(db.session, bo)] == [
        ("course-improvement", "es"),
        ("course-improvement", "pt"),
        ("another-use", "en"),
    ]
    assert privacy.consent_wordings(db.session, add_user("cy@example.org")) == []


def test_restricted_and_objecting_accounts_are_left_out_of_figures_and_consents(app_context):
    purpose = "course-improvement"
    users = {name: add_user(f"{name}@example.org") for name in ("counted", "objects", "restricted")}
    for user_id in users.values():
        add_consent(user_id, purpose, True, NOW)
    assert privacy.object_to_figures(db.session, users["objects"], True)
    assert privacy.restrict(db.session, None, users["restricted"], True)
    left_out = set(db.session.scalars(privacy.left_out_of_figures()))
    assert left_out == {users["objects"], users["restricted"]}
    assert set(db.session.scalars(privacy.consenting_user_ids(purpose))) == {users["counted"]}

    assert privacy.object_to_figures(db.session, users["objects"], False)
    assert privacy.announce_lift(db.session, None, users["restricted"])
    assert privacy.restrict(db.session, None, users["restricted"], False)
    assert list(db.session.scalars(privacy.left_out_of_figures())) == []


def test_objecting_and_restricting_change_once_and_are_logged(app_context):
    ana = add_user("ana@example.org")
    admin = add_user("admin@example.org", role=Role.ADMIN)
    before = utcnow()
    assert privacy.object_to_figures(db.session, ana, True)
    assert not privacy.object_to_figures(db.session, ana, True), "already objecting"
    user = db.session.get(User, ana)
    assert before <= user.statistics_objection_at <= utcnow() and user.restricted_at is None
    assert privacy.restrict(db.session, admin, ana, True)
    assert not privacy.restrict(db.session, admin, ana, True), "already restricted"
    db.session.refresh(user)
    assert before <= user.restricted_at <= utcnow()
    assert privacy.object_to_figures(db.session, ana, False)
    assert not privacy.object_to_figures(db.session, ana, False)
    with pytest.raises(privacy.LiftNotAnnounced):
        privacy.restrict(db.session, None, ana, False)
    assert privacy.announce_lift(db.session, None, ana)
    assert not privacy.announce_lift(db.session, None, ana), "already told"
    db.session.refresh(user)
    assert before <= user.restriction_lift_told_at <= utcnow()
    assert privacy.restrict(db.session, None, ana, False)
    assert not privacy.restrict(db.session, None, ana, False)
    assert not privacy.announce_lift(db.session, None, ana), "nothing to lift"
    db.session.refresh(user)
    assert (user.statistics_objection_at, user.restricted_at) == (None, None)
    assert user.restriction_lift_told_at is None
    log = db.session.execute(
        sa.select(
            AuditLogEntry.actor_id,
            AuditLogEntry.action,
            AuditLogEntry.subject_ref,
            AuditLogEntry.details,
        ).order_by(AuditLogEntry.id)
    ).all()
    ref = privacy.user_ref(ana)
    assert log == [
        (ana, "objected", ref, {"by": privacy.BY_THE_PERSON}),
        (admin, "restricted", ref, {"by": privacy.BY_STAFF}),
        (ana, "objection withdrawn", ref, {"by": privacy.BY_THE_PERSON}),
        (None, "restriction lift announced", ref, {"by": privacy.BY_COMMAND_LINE}),
        (None, "restriction lifted", ref, {"by": privacy.BY_COMMAND_LINE}),
    ]


def test_a_lift_is_announced_for_one_account_and_logged_with_who_announced_it(app_context):
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    admin = add_user("admin@example.org", role=Role.ADMIN)
    for user_id in (ana, bo):
        assert privacy.restrict(db.session, admin, user_id, True)
    assert privacy.announce_lift(db.session, admin, ana)
    told = dict(db.session.execute(sa.select(User.id, User.restriction_lift_told_at)).all())
    assert told[ana] is not None and told[bo] is None and told[admin] is None
    with pytest.raises(privacy.LiftNotAnnounced):
        privacy.restrict(db.session, admin, bo, False)
    [announced] = db.session.scalars(
        sa.select(AuditLogEntry).where(AuditLogEntry.action == "restriction lift announced")
    )
    assert (announced.actor_id, announced.subject_ref) == (admin, privacy.user_ref(ana))
    assert announced.details == {"by": privacy.BY_STAFF}


# Requests by email, and backups restored


def test_an_export_for_a_request_says_by_when_the_copy_is_deleted(app_context):
    register = content.register
    [copies] = [entry for entry in register.elsewhere if entry.id == privacy.REQUEST_EXPORTS]
    ana = add_user("ana@example.org")
    exported = privacy.export_for_request(db.session, register, ana, "pt")
    assert list(exported) == ["delete_by", "exported_at", "categories"]
    exported_at = dt.datetime.fromisoformat(exported["exported_at"])
    delete_by = dt.datetime.fromisoformat(exported["delete_by"])
    assert delete_by - exported_at == dt.timedelta(days=copies.retention_days)
    assert exported["categories"][0]["name"] == register.categories[0].name["pt"]
    assert exported["categories"][0]["records"]["users"][0]["id"] == ana


def test_the_accounts_erased_since_a_moment_are_listed_oldest_first(app_context):
    day = dt.timedelta(days=1)

    def entry(action: str, subject: str, at: dt.datetime) -> int:
        row = AuditLogEntry(action=action, subject_ref=subject, recorded_at=at)
        db.session.add(row)
        db.session.commit()
        return row.id

    entry("erase", "user #1", NOW - day - TICK)  # before the moment
    first = entry("erase", "user #5", NOW)
    entry("erase", "user #2", NOW - day)  # at the moment itself
    entry("erase", "user #4", NOW)  # the same time as #5, written later
    entry("export", "user #3", NOW)
    entry("erase", "breach #6", NOW)
    # An update moves the row to the end of the table on PostgreSQL: ties keep the id order.
    db.session.execute(sa.update(AuditLogEntry).where(AuditLogEntry.id == first).values(details={}))
    db.session.commit()
    assert privacy.erased_since(db.session, NOW - day) == [2, 5, 4]
    assert privacy.erased_since(db.session, NOW + TICK) == []


def test_accounts_a_restored_backup_brought_back_are_erased_again_once_and_logged(app_context):
    ana, bo, cy = (add_user(f"{name}@example.org") for name in ("ana", "bo", "cy"))
    gone = cy + 100
    erased = privacy.erase_again(db.session, content.register, [bo, gone, ana, bo])
    assert erased == [bo, ana]
    assert emails() == ["cy@example.org"]
    log = db.session.execute(
        sa.select(AuditLogEntry.actor_id, AuditLogEntry.action, AuditLogEntry.subject_ref).order_by(
            AuditLogEntry.id
        )
    ).all()
    assert log == [(None, "erase", f"user #{bo}"), (None, "erase", f"user #{ana}")]
    details = list(db.session.scalars(sa.select(AuditLogEntry.details).order_by(AuditLogEntry.id)))
    assert details == [{"again": "backup restored", "by": privacy.BY_COMMAND_LINE}] * 2
    assert privacy.erase_again(db.session, content.register, [bo, ana]) == []


def test_the_accounts_present_are_listed_once_in_the_order_given(app_context):
    ana, bo, cy = (add_user(f"{name}@example.org") for name in ("ana", "bo", "cy"))
    listed = (number for number in [cy, cy + 100, ana, cy, bo + 200])  # read only once
    assert privacy.accounts_present(db.session, listed) == [cy, ana]
    assert privacy.accounts_present(db.session, []) == []


@pytest.mark.parametrize(
    ("prefix", "subject", "number"),
    [
        ("breach #", "breach #12", 12),
        ("breach #", "user #12", None),
        ("user #", "breach #12", None),
        ("breach #", "breach #", None),
        ("breach #", "breach #1.5", None),
    ],
)
def test_the_number_an_audit_log_subject_gives_after_a_prefix(prefix, subject, number):
    assert privacy.number_named(prefix, subject) == number


def test_lapsed_accounts_are_erased_and_noted_in_the_order_of_their_numbers(app_context):
    old = NOW - dt.timedelta(days=800)
    first, second, third = (
        add_user(f"{name}@example.org", created_at=old, last_active_at=old)
        for name in ("first", "second", "third")
    )
    # Rows changed after others were written move within the table (PostgreSQL writes a
    # new version of the row): read without an order, they would come back out of it.
    for user_id in (first, second):
        db.session.execute(sa.update(User).where(User.id == user_id).values(language="pt"))
        db.session.commit()
    privacy.purge(db.session, content.register, dry_run=False, now=NOW)
    noted = db.session.scalars(
        sa.select(AuditLogEntry.subject_ref).order_by(AuditLogEntry.id)
    ).all()
    assert noted == [privacy.user_ref(n) for n in (first, second, third)]


def test_lifting_an_unrestricted_account_changes_nothing_whatever_others_wait_for(app_context):
    ana, bo = add_user("ana@example.org"), add_user("bo@example.org")
    assert privacy.restrict(db.session, None, bo, True)  # Bo waits to be told
    assert not privacy.restrict(db.session, None, ana, False)
    assert db.session.get(User, ana).restricted_at is None
