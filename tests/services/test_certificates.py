"""Certificates without HTTP: the issuing rule, issued once, revoked and reissued, scoped by
cohort for trainers, and erased without a trace of the name."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from app.content.model import CertificateQuizzes, CertificateRule
from app.extensions import content, db
from app.models import AuditLogEntry, Certificate, Cohort, Membership, QuizAttempt, utcnow
from app.services import accounts, certificates, privacy, progress
from tests.conftest import assert_gone_from_database_files, run_at_once

NAME = "João Conceição Núñez"


@pytest.fixture
def learner_id(app_context) -> int:
    user = accounts.create_user(
        db.session, email="lu@example.org", password="a long password", display_name="Lu"
    )
    return user.id


def another_account(email: str, name: str) -> int:
    return accounts.create_user(
        db.session, email=email, password="a long password", display_name=name
    ).id


def in_spring_cohort(user_id: int, course) -> Cohort:
    """The learner placed in a cohort of the course, "Primavera 2027"."""
    cohort = Cohort(course=course.slug, name="Primavera 2027", join_code="spring")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(Membership(user_id=user_id, course=course.slug, cohort_id=cohort.id))
    db.session.commit()
    return cohort


def complete_all(user_id: int, course) -> None:
    for lesson in course.published_lessons:
        progress.record_completion(db.session, user_id, lesson)


def with_rule(**changes):
    course = content.catalogue.course("co-production")
    return dataclasses.replace(
        course, certificate=dataclasses.replace(course.certificate, **changes)
    )


def test_the_shipped_course_gives_a_certificate_for_every_published_lesson(learner_id):
    course = content.catalogue.course("co-production")
    assert [lesson.slug for lesson in course.certificate_lessons] == [
        lesson.slug for lesson in course.published_lessons
    ]
    first, second = course.published_lessons
    progress.record_completion(db.session, learner_id, first)
    assert certificates.issue_if_earned(db.session, learner_id, course, name=NAME) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    progress.record_completion(db.session, learner_id, second)

    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=f" {NAME}  ")

    assert certificate is not None and certificate.is_valid
    assert certificate.name == NAME
    assert certificate.course == "co-production" and certificate.lessons == 2
    assert certificate.course_title == dict(course.title)
    assert certificate.signatories == [
        {
            "name": "Ruben",
            "role": {"es": "Autor del curso", "pt": "Autor do curso", "en": "Course author"},
        }
    ]
    assert certificate.organisation == dict(course.organisation) and certificate.organisation
    assert certificate.cohort_id is None and certificate.cohort_name is None
    assert len(certificate.code) == 32  # 192 random bits, base64url
    assert db.session.get(accounts.User, learner_id).certificate_name == NAME


def test_it_is_issued_once_and_a_revoked_one_is_not_issued_again(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    first = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    again = certificates.issue_if_earned(db.session, learner_id, course, name="Another Name")
    assert again.id == first.id and again.name == NAME

    assert certificates.revoke(db.session, None, first, "  Issued by   mistake ")
    assert not certificates.revoke(db.session, None, first, "Twice")
    still = certificates.issue_if_earned(db.session, learner_id, course)
    assert still.id == first.id and still.revoked_reason == "Issued by mistake"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1


def test_without_a_name_given_the_page_asks_for_one(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    learner_progress = progress.course_progress(db.session, learner_id, course)

    assert certificates.issue_if_earned(db.session, learner_id, course) is None
    shown = certificates.state(db.session, learner_id, course, learner_progress)
    assert shown.offered and shown.claimable and shown.suggested_name == "Lu"

    certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    shown = certificates.state(db.session, learner_id, course, learner_progress)
    assert not shown.claimable and shown.certificate.name == NAME


def test_a_name_given_once_is_used_for_the_next_certificate(learner_id):
    course = content.catalogue.course("co-production")
    db.session.get(accounts.User, learner_id).certificate_name = NAME
    db.session.commit()
    complete_all(learner_id, course)
    assert certificates.issue_if_earned(db.session, learner_id, course).name == NAME


@pytest.mark.parametrize("typed", ["", "   ", "x" * 201])
def test_an_empty_or_overlong_name_is_refused(learner_id, typed):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    with pytest.raises(certificates.CertificateRefused):
        certificates.issue_if_earned(db.session, learner_id, course, name=typed)


def test_a_course_without_a_certificate_section_gives_none(learner_id):
    course = dataclasses.replace(content.catalogue.course("co-production"), certificate=None)
    complete_all(learner_id, course)
    assert certificates.issue_if_earned(db.session, learner_id, course, name=NAME) is None
    assert not certificates.state(
        db.session, learner_id, course, progress.course_progress(db.session, learner_id, course)
    ).offered


def test_a_rule_naming_some_lessons_asks_only_for_those(learner_id):
    course = content.catalogue.course("co-production")
    first, _second = course.published_lessons
    named = with_rule(lessons=(first.slug,))
    progress.record_completion(db.session, learner_id, first)
    certificate = certificates.issue_if_earned(db.session, learner_id, named, name=NAME)
    assert certificate is not None and certificate.lessons == 1


def optional_quiz(course):
    """The course with its first lesson's quiz made optional."""
    first = course.published_lessons[0]
    texts = {
        language: dataclasses.replace(
            text,
            quiz=dataclasses.replace(
                text.quiz, settings=dataclasses.replace(text.quiz.settings, required=False)
            ),
        )
        for language, text in first.texts.items()
    }
    changed = dataclasses.replace(first, texts=texts)
    lessons = tuple(changed if lesson is first else lesson for lesson in course.lessons)
    return dataclasses.replace(course, lessons=lessons), changed


@pytest.mark.parametrize("quizzes", list(CertificateQuizzes))
def test_optional_quizzes_count_only_when_the_rule_says_all(learner_id, quizzes):
    course, first = optional_quiz(with_rule(quizzes=quizzes))
    complete_all(learner_id, course)
    issued = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    assert (issued is not None) == (quizzes is CertificateQuizzes.REQUIRED)
    if issued is None:
        db.session.add(
            QuizAttempt(
                course=course.slug,
                user_id=learner_id,
                lesson_slug=first.slug,
                number=1,
                language="es",
                submitted_at=utcnow(),
                points=3,
                max_points=3,
                passed=True,
            )
        )
        db.session.commit()
        assert certificates.issue_if_earned(db.session, learner_id, course, name=NAME) is not None


def test_the_cohort_is_printed_and_trainers_see_only_their_cohorts(learner_id):
    course = content.catalogue.course("co-production")
    spring = Cohort(course=course.slug, name="Primavera 2027", join_code="spring")
    autumn = Cohort(course=course.slug, name="Outono 2027", join_code="autumn")
    db.session.add_all([spring, autumn])
    db.session.flush()
    other = another_account("mo@example.org", "Mo")
    db.session.add_all(
        [
            Membership(user_id=learner_id, course=course.slug, cohort_id=spring.id),
            Membership(user_id=other, course=course.slug, cohort_id=autumn.id),
        ]
    )
    db.session.commit()
    for user_id in (learner_id, other):
        complete_all(user_id, course)
        certificates.issue_if_earned(db.session, user_id, course, name=f"Learner {user_id}")

    [mine] = certificates.issued(db.session, course.slug, [spring.id])
    assert mine.certificate.cohort_name == "Primavera 2027" and mine.email == "lu@example.org"
    assert mine.certificate.cohort_id == spring.id and mine.display_name == "Lu"
    assert len(certificates.issued(db.session, course.slug)) == 2
    assert certificates.issued(db.session, "writing-lessons") == []


def test_reissuing_replaces_the_certificate_with_a_corrected_one(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    wrong = certificates.issue_if_earned(db.session, learner_id, course, name="Joao Conceicao")
    staff = another_account("st@example.org", "St")

    corrected = certificates.reissue(db.session, staff, wrong, NAME, "Accents were missing")

    db.session.refresh(wrong)
    assert corrected.name == NAME and corrected.code != wrong.code and corrected.is_valid
    assert wrong.replaced_by_code == corrected.code and not wrong.is_valid
    assert certificates.standing(db.session, learner_id, course.slug).id == corrected.id
    assert [(entry.action, entry.subject_ref, entry.actor_id) for entry in audit()] == [
        ("certificate reissued", f"user #{learner_id}", staff)
    ]
    with pytest.raises(certificates.CertificateRefused):
        certificates.reissue(db.session, staff, wrong, NAME, "Again")


def test_revoking_needs_a_reason_and_is_logged_under_the_holder(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    with pytest.raises(certificates.CertificateRefused):
        certificates.revoke(db.session, None, certificate, "   ")
    assert certificates.revoke(db.session, None, certificate, "Plagiarised answers")
    db.session.refresh(certificate)
    assert certificate.revoked_at is not None and not certificate.is_valid
    assert [(entry.action, entry.subject_ref, entry.details) for entry in audit()] == [
        (
            "certificate revoked",
            f"user #{learner_id}",
            {"certificate": f"certificate #{certificate.id}", "by": "command line"},
        )
    ]


def audit() -> list[AuditLogEntry]:
    return list(db.session.scalars(sa.select(AuditLogEntry).order_by(AuditLogEntry.id)))


def test_erasure_keeps_only_the_code_date_and_course(learner_id, database_url):
    course = content.catalogue.course("co-production")
    in_spring_cohort(learner_id, course)
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    certificates.revoke(db.session, None, certificate, f"Asked by {NAME}")
    code, issued_at = certificate.code, certificate.issued_at

    privacy.erase_account(db.session, content.register, learner_id)

    db.session.expire_all()
    kept = certificates.by_code(db.session, code)
    assert kept.issued_at == issued_at and kept.course == course.slug
    assert (kept.user_id, kept.name, kept.cohort_id, kept.cohort_name, kept.revoked_reason) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert_gone_from_database_files(database_url, [NAME, f"Asked by {NAME}"])


def test_an_unknown_or_absurd_code_finds_nothing(app_context):
    assert certificates.by_code(db.session, "no-such-code") is None
    assert certificates.by_code(db.session, "") is None
    assert certificates.by_code(db.session, "x" * 5000) is None


def test_the_rule_is_read_from_course_yml():
    rule = content_rule()
    assert rule == CertificateRule(
        lessons=None, quizzes=CertificateQuizzes.REQUIRED, signatories=rule.signatories
    )
    assert [signatory.name for signatory in rule.signatories] == ["Ruben"]


def content_rule() -> CertificateRule:
    from app.content import load_course
    from tests.conftest import ROOT

    return load_course(ROOT / "lessons" / "co-production").certificate


def test_the_cohort_printed_is_the_learners_own_not_another_members(learner_id):
    course = content.catalogue.course("co-production")
    other = another_account("mo@example.org", "Mo")
    theirs = Cohort(course=course.slug, name="Theirs", join_code="theirs")
    mine = Cohort(course=course.slug, name="Mine", join_code="mine")
    guide = Cohort(course="writing-lessons", name="Guide", join_code="guide")
    db.session.add_all([theirs, mine, guide])
    db.session.flush()
    db.session.add_all(
        [
            Membership(user_id=other, course=course.slug, cohort_id=theirs.id),
            Membership(user_id=learner_id, course="writing-lessons", cohort_id=guide.id),
            Membership(user_id=learner_id, course=course.slug, cohort_id=mine.id),
        ]
    )
    db.session.commit()
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    assert (certificate.cohort_id, certificate.cohort_name) == (mine.id, "Mine")
    # The trainer of the learner's cohort in another course does not see this one.
    assert certificates.issued(db.session, course.slug, [guide.id]) == []


def test_two_requests_at_once_issue_one_certificate(app, learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    codes = run_at_once(
        app,
        4,
        lambda: certificates.issue_if_earned(db.session, learner_id, course, name=NAME).code,
    )
    assert len(set(codes)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1


def test_no_lesson_to_complete_earns_nothing(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    progress_now = progress.course_progress(db.session, learner_id, course)
    assert certificates.has_earned(course, progress_now)
    assert not certificates.has_earned(with_rule(lessons=("not-published",)), progress_now)
    without = dataclasses.replace(course, certificate=None)
    assert not certificates.has_earned(without, progress_now)


def test_what_the_course_page_is_told_at_each_step(learner_id):
    course = content.catalogue.course("co-production")
    none_yet = progress.course_progress(db.session, None, course)
    visitor = certificates.state(db.session, None, course, none_yet)
    assert (visitor.offered, visitor.claimable, visitor.certificate) == (True, False, None)
    mine = progress.course_progress(db.session, learner_id, course)
    early = certificates.state(db.session, learner_id, course, mine)
    assert (early.offered, early.claimable, early.certificate) == (True, False, None)
    assert early.to_go == 2
    progress.record_completion(db.session, learner_id, course.published_lessons[0])
    halfway = progress.course_progress(db.session, learner_id, course)
    assert certificates.state(db.session, learner_id, course, halfway).to_go == 1
    without = dataclasses.replace(course, certificate=None)
    assert certificates.state(db.session, learner_id, without, halfway).offered is False
    assert certificates.lessons_to_go(without, halfway) == 0
    complete_all(learner_id, course)
    issued = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    done = certificates.state(
        db.session, learner_id, course, progress.course_progress(db.session, learner_id, course)
    )
    assert (done.offered, done.claimable, done.certificate.id) == (True, False, issued.id)


def test_the_standing_certificate_is_the_one_of_the_course_asked_for(learner_id):
    course = content.catalogue.course("co-production")
    guide = dataclasses.replace(
        content.catalogue.course("writing-lessons"), certificate=CertificateRule()
    )
    for each in (guide, course):
        complete_all(learner_id, each)
    first = certificates.issue_if_earned(db.session, learner_id, guide, name=NAME)
    second = certificates.issue_if_earned(db.session, learner_id, course)
    assert certificates.standing(db.session, learner_id, guide.slug).id == first.id
    assert certificates.standing(db.session, learner_id, course.slug).id == second.id
    # The newest first, on the account page.
    assert [c.id for c in certificates.of_learner(db.session, learner_id)] == [
        second.id,
        first.id,
    ]


@pytest.mark.parametrize("length", [200, 201])
def test_a_name_of_two_hundred_characters_fits_and_one_more_does_not(learner_id, length):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    if length > certificates.NAME_LENGTH:
        with pytest.raises(certificates.CertificateRefused):
            certificates.issue_if_earned(db.session, learner_id, course, name="n" * length)
    else:
        issued = certificates.issue_if_earned(db.session, learner_id, course, name="n" * length)
        assert issued.name == "n" * length


@pytest.mark.parametrize("length", [500, 501])
def test_a_reason_of_five_hundred_characters_fits_and_one_more_does_not(learner_id, length):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    if length > certificates.REASON_LENGTH:
        with pytest.raises(certificates.CertificateRefused):
            certificates.revoke(db.session, None, certificate, "r" * length)
        with pytest.raises(certificates.CertificateRefused):
            certificates.reissue(db.session, None, certificate, NAME, "r" * length)
    else:
        assert certificates.revoke(db.session, None, certificate, "r" * length)


def test_revoking_one_certificate_leaves_the_others_and_names_who_did_it(learner_id):
    course = content.catalogue.course("co-production")
    other = another_account("mo@example.org", "Mo")
    staff = another_account("st@example.org", "St")
    issued = []
    for user_id in (learner_id, other):
        complete_all(user_id, course)
        issued.append(certificates.issue_if_earned(db.session, user_id, course, name=NAME))
    mine, theirs = issued
    assert certificates.revoke(db.session, staff, mine, "Copied answers")
    db.session.expire_all()
    assert (mine.revoked_by, mine.revoked_reason) == (staff, "Copied answers")
    assert theirs.is_valid
    [entry] = audit()
    assert entry.actor_id == staff
    corrected = certificates.reissue(db.session, staff, theirs, "Mo Moreira", "Surname")
    assert not certificates.revoke(db.session, staff, theirs, "Replaced already")
    assert corrected.is_valid


def test_a_corrected_certificate_keeps_everything_but_the_name(learner_id):
    course = content.catalogue.course("co-production")
    other = another_account("mo@example.org", "Mo")
    in_spring_cohort(learner_id, course)
    for user_id in (learner_id, other):
        complete_all(user_id, course)
        certificates.issue_if_earned(db.session, user_id, course, name=f"Name {user_id}")
    wrong = certificates.standing(db.session, learner_id, course.slug)
    untouched = certificates.standing(db.session, other, course.slug)
    staff = another_account("st@example.org", "St")

    corrected = certificates.reissue(db.session, staff, wrong, NAME, "Accents were missing")

    db.session.expire_all()
    kept = ("course", "cohort_id", "cohort_name", "course_title", "organisation", "lessons")
    for column in (*kept, "signatories", "user_id", "issued_at"):
        assert getattr(corrected, column) == getattr(wrong, column), column
    assert corrected.cohort_name == "Primavera 2027" and corrected.signatories
    # The old one says when, why and by whom it was replaced.
    assert (wrong.revoked_reason, wrong.revoked_by) == ("Accents were missing", staff)
    assert wrong.revoked_at is not None and wrong.replaced_by_code == corrected.code
    assert untouched.is_valid and untouched.replaced_by_code is None
    [reissued] = audit()
    assert reissued.details == {
        "certificate": f"certificate #{wrong.id}",
        "new": f"certificate #{corrected.id}",
        "by": "staff",
    }


def test_a_revoked_certificate_stays_revoked_and_cannot_be_corrected(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    revoked = certificates.issue_if_earned(db.session, learner_id, course, name="Joao")
    certificates.revoke(db.session, None, revoked, "Copied answers")
    with pytest.raises(certificates.CertificateRefused):
        certificates.reissue(db.session, None, revoked, NAME, "Accents were missing")
    db.session.expire_all()
    assert revoked.replaced_by_code is None and revoked.revoked_reason == "Copied answers"
    assert certificates.standing(db.session, learner_id, course.slug).id == revoked.id


def test_a_certificate_that_names_no_one_cannot_be_corrected(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    privacy.erase_account(db.session, content.register, learner_id)
    db.session.expire_all()
    with pytest.raises(certificates.CertificateRefused):
        certificates.reissue(db.session, None, certificate, NAME, "Bring it back")


def test_completing_the_last_lesson_issues_it_with_the_name_given_before(learner_id):
    course = content.catalogue.course("co-production")
    first, second = course.published_lessons
    progress.record_completion(db.session, learner_id, first)
    assert certificates.after_completion(db.session, learner_id, course) is None
    progress.record_completion(db.session, learner_id, second)

    awaiting = certificates.after_completion(db.session, learner_id, course)
    assert awaiting.claimable and awaiting.certificate is None

    other = another_account("mo@example.org", "Mo")
    assert certificates.set_name(db.session, learner_id, f" {NAME} ")
    assert not certificates.set_name(db.session, learner_id, NAME)
    assert certificates.set_name(db.session, learner_id, "Another")
    assert certificates.set_name(db.session, learner_id, NAME)
    assert db.session.get(accounts.User, other).certificate_name is None
    issued = certificates.after_completion(db.session, learner_id, course)
    assert issued.certificate.name == NAME and not issued.claimable and issued.offered is True
    # Already issued: nothing new to tell.
    assert certificates.after_completion(db.session, learner_id, course) is None
    without = dataclasses.replace(course, certificate=None)
    assert certificates.after_completion(db.session, learner_id, without) is None


def test_an_empty_name_for_the_next_certificates_is_refused(learner_id):
    with pytest.raises(certificates.CertificateRefused):
        certificates.set_name(db.session, learner_id, "  ")
    assert db.session.get(accounts.User, learner_id).certificate_name is None


@pytest.mark.parametrize(
    ("language", "title", "role"),
    [
        ("es", "Coproducción e innovación social", "Autor del curso"),
        ("pt", "Coprodução e inovação social", "Autor do curso"),
        ("en", "Co-production and social innovation", "Course author"),
    ],
)
def test_the_pdf_prints_what_the_certificate_kept_in_the_language_chosen(
    learner_id, language, title, role
):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    address = f"https://aula.example.org/verify/{certificate.code}"

    printed = certificates.printed(certificate, language, address)

    assert printed.language == language and printed.course_title == title
    assert printed.organisation == course.organisation[language]
    assert printed.signatories == (("Ruben", role),)
    assert (printed.name, printed.code, printed.verify_url) == (NAME, certificate.code, address)
    assert printed.issued_on == certificate.issued_at.date() and printed.lessons == 2
    assert printed.cohort_name is None


def test_a_text_missing_in_the_language_chosen_is_printed_in_one_the_certificate_has(
    learner_id,
):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    certificate.course_title = {"pt": "Coprodução"}
    certificate.signatories = [{"name": "Ruben", "role": {}}]
    printed = certificates.printed(certificate, "es", "https://aula.example.org/verify/x")
    assert printed.course_title == "Coprodução" and printed.signatories == (("Ruben", ""),)


def test_lists_put_the_latest_earned_first_and_show_each_learner_their_own(learner_id):
    """A corrected certificate keeps its date, so the lists follow the date, not the order
    of the rows."""
    course = content.catalogue.course("co-production")
    guide = dataclasses.replace(
        content.catalogue.course("writing-lessons"), certificate=CertificateRule()
    )
    other = another_account("mo@example.org", "Mo")
    complete_all(learner_id, course)
    earlier = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    complete_all(learner_id, guide)
    later = certificates.issue_if_earned(db.session, learner_id, guide)
    complete_all(other, course)
    theirs = certificates.issue_if_earned(db.session, other, course, name="Mo")
    corrected = certificates.reissue(db.session, None, earlier, "Núria", "Name")

    assert [c.id for c in certificates.of_learner(db.session, learner_id)] == [
        later.id,
        corrected.id,
    ]
    assert [h.certificate.id for h in certificates.issued(db.session, course.slug)] == [
        theirs.id,
        corrected.id,
    ]


def test_a_certificate_revoked_meanwhile_elsewhere_is_not_corrected(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    read_before = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    db.session.execute(
        sa.update(Certificate)
        .where(Certificate.id == read_before.id)
        .values(revoked_at=utcnow(), revoked_reason="On another host")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    with pytest.raises(certificates.CertificateRefused):
        certificates.reissue(db.session, None, read_before, "Núria", "Name")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1


def test_revoking_a_certificate_that_names_no_one_is_logged_under_the_certificate(learner_id):
    course = content.catalogue.course("co-production")
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    privacy.erase_account(db.session, content.register, learner_id)
    db.session.expire_all()
    assert certificates.revoke(db.session, None, certificate, "Issued by mistake")
    assert [entry.subject_ref for entry in audit() if entry.action == "certificate revoked"] == [
        f"certificate #{certificate.id}"
    ]


def test_the_pdf_prints_the_cohort_the_certificate_kept(learner_id):
    course = content.catalogue.course("co-production")
    in_spring_cohort(learner_id, course)
    complete_all(learner_id, course)
    certificate = certificates.issue_if_earned(db.session, learner_id, course, name=NAME)
    printed = certificates.printed(certificate, "pt", "https://aula.example.org/verify/x")
    assert printed.cohort_name == "Primavera 2027"
