"""Bulk enrolment from a CSV file, and the invitations it makes, without HTTP, on SQLite
and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Cohort,
    Enrolment,
    Invitation,
    LessonProgress,
    Membership,
    Role,
    User,
    utcnow,
)
from app.services import accounts, cohorts, enrolment
from app.services.enrolment import FileProblem, RowProblem, UnusableFile
from tests.conftest import report

LAB = "co-production"
LANGUAGES = ("es", "pt", "en")


def read(text: str, encoding: str = "utf-8") -> enrolment.Sheet:
    return enrolment.read_sheet(text.encode(encoding), LANGUAGES)


def refusals(sheet_or_outcome) -> list[tuple[int, RowProblem]]:
    return [(refusal.line, refusal.problem) for refusal in sheet_or_outcome.refusals]


def new_cohort(name: str = "Spring", course: str = LAB, **settings) -> Cohort:
    details = cohorts.CohortDetails(
        name=name,
        starts_on=settings.get("starts_on"),
        ends_on=settings.get("ends_on"),
        enrolment=settings.get("enrolment", Enrolment.INVITATION),
        trainer_ids=frozenset(),
    )
    return cohorts.create(db.session, course, details)


def account(email: str, role: Role = Role.LEARNER, **fields) -> User:
    user = accounts.create_user(
        db.session, email=email, password="a long password", display_name="Ana", role=role
    )
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.commit()
    return user


def place_of(user_id: int, course: str = LAB) -> int | None:
    found = cohorts.membership(db.session, user_id, course)
    return found.cohort_id if found else None


# Reading the file


def test_a_sheet_without_a_header_reads_email_name_and_language_in_that_order():
    sheet = read("ana@example.org,Ana Pérez,pt\nLUIS@Example.org\n")
    assert [(e.line, e.email, e.name, e.language) for e in sheet.entries] == [
        (1, "ana@example.org", "Ana Pérez", "pt"),
        (2, "luis@example.org", None, None),
    ]
    assert sheet.refusals == []


def test_a_first_row_with_an_address_is_a_learners_whatever_the_name():
    sheet = read("nome@example.org,Nome,pt\n")
    assert [(e.line, e.email, e.name) for e in sheet.entries] == [(1, "nome@example.org", "Nome")]


def test_a_header_row_names_the_columns_in_any_order_and_language():
    sheet = read("Nombre;Correo electrónico;Idioma\nAna;ana@example.org;Português\n")
    assert [(e.line, e.email, e.name, e.language) for e in sheet.entries] == [
        (2, "ana@example.org", "Ana", "pt")
    ]


def test_excel_files_with_a_byte_order_mark_semicolons_and_quotes_are_read_as_excel_wrote_them():
    text = (
        "email;name;language\r\n"
        '"ana@example.org";"Pérez; Ana ""la jefa""";es-ES\r\n'
        '"luis@example.org";"Luis\r\nSegunda línea";en\r\n'
        "not-an-address;;\r\n"
    )
    sheet = enrolment.read_sheet(b"\xef\xbb\xbf" + text.encode("utf-8"), LANGUAGES)
    assert [(e.line, e.email, e.name, e.language) for e in sheet.entries] == [
        (2, "ana@example.org", 'Pérez; Ana "la jefa"', "es")
    ]
    # The quoted line break keeps Luis's row on lines 3 and 4, and names it by its first:
    # a name on two lines is refused; the next row is line 5.
    assert refusals(sheet) == [(3, RowProblem.INVALID_NAME), (5, RowProblem.INVALID_EMAIL)]


def test_every_unusable_row_is_kept_with_its_line_and_reason():
    sheet = read(
        "email,name,language\n"
        "ana@example.org,Ana,\n"
        "\n"
        "not-an-address,X,\n"
        "ANA@example.org,Ana again,\n"
        "luis@example.org,Luis,de\n"
        "marta@example.org,Marta,es,extra\n"
        ",Nobody,\n"
        f"long@example.org,{'x' * 101},\n"
        "marta@example.org,Marta,es,,\n"
    )
    assert [e.line for e in sheet.entries] == [2, 10]
    assert refusals(sheet) == [
        (4, RowProblem.INVALID_EMAIL),
        (5, RowProblem.REPEATED),
        (6, RowProblem.UNKNOWN_LANGUAGE),
        (7, RowProblem.TOO_MANY_COLUMNS),
        (8, RowProblem.NO_EMAIL),
        (9, RowProblem.INVALID_NAME),
    ]
    repeated = sheet.refusals[1]
    assert (repeated.value, repeated.first_line) == ("ANA@example.org", 2)
    assert sheet.refusals[2].value == "de"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("ana@example.org,Añá\n".encode("latin-1"), FileProblem.NOT_UTF8),
        (b"", FileProblem.EMPTY),
        (b"\n ; \n", FileProblem.EMPTY),
        (b"email,phone\nana@example.org,555\n", FileProblem.UNKNOWN_COLUMN),
        (b"name,language\nAna,es\n", FileProblem.NO_EMAIL_COLUMN),
        (b"email,mail\nana@example.org,ana@example.org\n", FileProblem.REPEATED_COLUMN),
        (b"a@example.org\n" * (enrolment.MOST_BYTES // 14 + 1), FileProblem.TOO_LARGE),
        (
            "".join(f"{n}@example.org\n" for n in range(enrolment.MOST_ROWS + 1)).encode(),
            FileProblem.TOO_MANY_ROWS,
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, problem):
    with pytest.raises(UnusableFile) as refused:
        enrolment.read_sheet(data, LANGUAGES)
    assert refused.value.problem is problem


# Enrolling


def test_accounts_are_enrolled_or_moved_and_other_addresses_invited(app_context):
    spring, autumn = new_cohort("Spring"), new_cohort("Autumn")
    joining = account("ana@example.org")
    moving = account("luis@example.org")
    cohorts.join(db.session, moving.id, autumn)
    db.session.add(
        LessonProgress(
            user_id=moving.id,
            course=LAB,
            lesson_slug="what-is-co-production",
            started_at=utcnow(),
            completed_at=utcnow(),
        )
    )
    db.session.commit()
    sheet = read(
        "ana@example.org\nluis@example.org\nnew@example.org,Nuno,pt\nmarta@example.org,,es\n"
    )

    outcome = enrolment.enrol(db.session, spring, sheet, invited_by=None)

    assert (outcome.enrolled, outcome.moved, outcome.already_members) == (1, 1, 0)
    assert place_of(joining.id) == place_of(moving.id) == spring.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 1
    invited = {(i.email, i.name, i.language) for i in outcome.invited}
    assert invited == {("new@example.org", "Nuno", "pt"), ("marta@example.org", None, "es")}
    stored = db.session.scalars(sa.select(Invitation).order_by(Invitation.email)).all()
    assert [row.email for row in stored] == ["marta@example.org", "new@example.org"]
    tokens = {i.token for i in outcome.invited}
    # Only a hash of each link's secret is kept.
    assert not tokens & {row.token_hash for row in stored}
    assert all(enrolment.invitation(db.session, token) is not None for token in tokens)
    assert outcome.counts() == {
        "enrolled": 1,
        "moved": 1,
        "already members": 0,
        "invited": 2,
        "already invited": 0,
        "refused": 0,
    }


def test_enrolling_the_same_sheet_again_changes_nothing_and_invites_nobody_twice(app_context):
    spring = new_cohort()
    account("ana@example.org")
    sheet = read("ana@example.org\nnew@example.org\n")
    enrolment.enrol(db.session, spring, sheet, invited_by=None)
    before = db.session.execute(sa.select(Invitation.email, Invitation.token_hash)).all()

    again = enrolment.enrol(db.session, spring, sheet, invited_by=None)

    assert (again.enrolled, again.moved, again.already_members) == (0, 0, 1)
    assert (again.invited, again.already_invited) == ([], 1)
    assert db.session.execute(sa.select(Invitation.email, Invitation.token_hash)).all() == before


def test_staff_and_deactivated_accounts_are_refused(app_context):
    spring = new_cohort()
    account("tess@example.org", Role.TRAINER)
    account("gone@example.org", is_active=False)
    outcome = enrolment.enrol(
        db.session, spring, read("tess@example.org\ngone@example.org\n"), invited_by=None
    )
    assert refusals(outcome) == [(1, RowProblem.STAFF), (2, RowProblem.INACTIVE)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 0


def test_an_address_awaiting_confirmation_is_invited_rather_than_enrolled(app_context):
    spring = new_cohort()
    unconfirmed = account("new@example.org", email_confirmed_at=None)
    outcome = enrolment.enrol(db.session, spring, read("new@example.org\n"), invited_by=None)
    assert [i.email for i in outcome.invited] == ["new@example.org"]
    assert place_of(unconfirmed.id) is None


def test_an_expired_invitation_is_made_again_and_one_to_another_cohort_replaced(app_context):
    spring, autumn = new_cohort("Spring"), new_cohort("Autumn")
    sheet = read("late@example.org\nmoved@example.org\n")
    enrolment.enrol(db.session, spring, read("late@example.org\n"), invited_by=None)
    enrolment.enrol(db.session, autumn, read("moved@example.org\n"), invited_by=None)
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.email == "late@example.org")
        .values(expires_at=utcnow() - dt.timedelta(days=1))
    )
    db.session.commit()

    outcome = enrolment.enrol(db.session, spring, sheet, invited_by=None)

    assert sorted(i.email for i in outcome.invited) == ["late@example.org", "moved@example.org"]
    rows = db.session.execute(sa.select(Invitation.email, Invitation.cohort_id)).all()
    assert sorted(rows) == [("late@example.org", spring.id), ("moved@example.org", spring.id)]


def test_confirming_an_invited_address_joins_the_cohorts_still_running(app_context):
    spring = new_cohort("Spring")
    other = new_cohort("Guide", course="writing-lessons")
    ended = new_cohort("Old", course="third", ends_on=dt.date(2020, 1, 31))
    for cohort in (spring, other, ended):
        enrolment.enrol(db.session, cohort, read("new@example.org\n"), invited_by=None)
    user = account("new@example.org")

    joined = enrolment.accept_invitations_for(db.session, user)

    assert sorted(cohort.name for cohort in joined) == ["Guide", "Spring"]
    assert place_of(user.id) == spring.id
    assert place_of(user.id, "writing-lessons") == other.id
    assert place_of(user.id, "third") is None
    # Used or of no more use, the invitations (an address and a name) are gone.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_deleting_a_cohort_deletes_its_memberships_and_invitations_only(app_context):
    spring, autumn = new_cohort("Spring"), new_cohort("Autumn")
    learner = account("ana@example.org")
    other = account("luis@example.org")
    cohorts.join(db.session, learner.id, spring)
    cohorts.join(db.session, other.id, autumn)
    cohorts.join(db.session, learner.id, new_cohort("Guide", course="writing-lessons"))
    enrolment.enrol(db.session, spring, read("new@example.org\n"), invited_by=None)
    db.session.add(
        LessonProgress(user_id=learner.id, course=LAB, lesson_slug="x", started_at=utcnow())
    )
    db.session.commit()

    assert cohorts.delete(db.session, spring) == 1

    assert db.session.get(User, learner.id) is not None
    assert place_of(learner.id) is None
    assert place_of(other.id) == autumn.id
    assert place_of(learner.id, "writing-lessons") is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_a_thousand_rows_are_enrolled_in_under_five_seconds(app_context, request):
    spring, autumn = new_cohort("Spring"), new_cohort("Autumn")
    now = utcnow()
    # 400 learners with accounts (half of them in another cohort), 600 new addresses.
    db.session.execute(
        sa.insert(User),
        [
            {
                "email": f"learner{n}@example.org",
                "display_name": f"Learner {n}",
                "password_hash": "unused",
                "role": Role.LEARNER,
                "email_confirmed_at": now,
                "created_at": now,
            }
            for n in range(400)
        ],
    )
    ids = db.session.scalars(sa.select(User.id).order_by(User.id).limit(200)).all()
    db.session.execute(
        sa.insert(Membership),
        [{"user_id": i, "course": LAB, "cohort_id": autumn.id, "joined_at": now} for i in ids],
    )
    db.session.commit()
    rows = [f"learner{n}@example.org;Learner {n};es" for n in range(400)]
    rows += [f"new{n}@example.org;New {n};pt" for n in range(600)]
    data = ("email;name;language\n" + "\n".join(rows) + "\n").encode()

    started = time.perf_counter()
    outcome = enrolment.enrol(
        db.session, spring, enrolment.read_sheet(data, LANGUAGES), invited_by=None
    )
    took = time.perf_counter() - started

    assert (outcome.enrolled, outcome.moved, len(outcome.invited)) == (200, 200, 600)
    assert took < 5, f"1,000 rows took {took:.2f} s"
    report(request, f"1,000 rows enrolled in {took:.2f} s")
