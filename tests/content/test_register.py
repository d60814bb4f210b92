"""The data register: what it lists, what each lesson's notice is made of, and lessons
declaring extra data."""

from __future__ import annotations

import pytest

from app.content import ContentError, check_catalogue, load_course, load_register
from app.content.register import Collected, Erasure, LegalBasis
from config import ROOT, TestConfig
from tests.content.conftest import lesson_file, two_courses

REGISTER = load_register(TestConfig.DATA_REGISTER)


def test_the_register_lists_every_kind_of_data_the_issue_names():
    ids = {category.id for category in REGISTER.categories}
    assert {
        "account",
        "language",
        "progress",
        "quiz-answers",
        "consents",
        "security-events",
        "notice-acknowledgments",
    } <= ids
    for category in REGISTER.categories:
        for language in ("es", "pt", "en"):
            for texts in (category.name, category.data, category.purpose, category.retention):
                assert texts[language], (category.id, language)
        assert category.storage, category.id


def test_a_lesson_notice_lists_quiz_answers_only_when_the_lesson_has_a_quiz():
    with_quiz = {c.id for c in REGISTER.for_lesson(has_quiz=True)}
    without = {c.id for c in REGISTER.for_lesson(has_quiz=False)}
    assert "quiz-answers" in with_quiz and "quiz-answers" not in without
    assert {"progress", "notice-acknowledgments"} <= without
    assert "account" not in with_quiz  # given at sign-up, not by a lesson


def test_a_change_to_a_category_changes_its_digest(tmp_path):
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(text.replace("90 days.", "60 days.", 1), encoding="utf-8")
    before = {c.id: c.digest for c in REGISTER.categories}
    after = {c.id: c.digest for c in load_register(changed).categories}
    assert [cid for cid in before if before[cid] != after[cid]] == ["security-events"]


DECLARABLE = """
categories:
  - id: reflections
    collected: when-declared
    legal_basis: consent
    name: {en: Reflections, es: Reflexiones, pt: Reflexões}
    data: {en: What you write, es: Lo que escribes, pt: O que escreve}
    purpose: {en: Feedback, es: Comentarios, pt: Comentários}
    retention: {text: {en: A year, es: Un año, pt: Um ano}}
    recipients: {en: Trainers, es: Formadores, pt: Formadores}
    storage:
      - {table: reflections, subject: user_id, columns: [text], erasure: delete}
"""


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        ("7", "retention.unconfirmed_days needs a purge: erase-account"),
        ("true", "retention.unconfirmed_days is a number of days"),
    ],
)
def test_only_a_category_that_erases_accounts_can_erase_the_unconfirmed_ones(
    tmp_path, days, problem
):
    path = tmp_path / "register.yml"
    path.write_text(
        DECLARABLE.replace("retention: {", f"retention: {{unconfirmed_days: {days}, "),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_register(path)
    assert f"category reflections: {problem}" in str(caught.value)
    account = next(c for c in REGISTER.categories if c.id == "account")
    assert account.unconfirmed_days == 7


def test_a_purge_never_takes_yes_for_a_number_of_days(tmp_path):
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(text.replace("days: 730", "days: true", 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_register(changed)
    assert "category account: a purged category needs retention.days" in str(caught.value)


@pytest.fixture
def declarable_register(tmp_path):
    path = tmp_path / "register.yml"
    path.write_text(DECLARABLE, encoding="utf-8")
    return load_register(path)


def test_a_lesson_can_declare_extra_data_it_collects(lessons_dir, declarable_register):
    for language in ("es", "pt", "en"):
        lessons_dir.write(f"01-first/{language}.md", lesson_file(collects="[reflections]"))
    lesson = load_course(lessons_dir.root, declarable_register).lessons[0]
    assert lesson.collects == ("reflections",)
    notice = declarable_register.for_lesson(False, lesson.collects)
    assert [c.id for c in notice] == ["reflections"]
    assert declarable_register.categories[0].collected is Collected.WHEN_DECLARED
    assert declarable_register.categories[0].storage[0].erasure is Erasure.DELETE


def test_a_lesson_cannot_declare_data_the_register_does_not_let_it(lessons_dir):
    path = lessons_dir.write("01-first/es.md", lesson_file(collects="[progress, photos]"))
    with pytest.raises(ContentError) as caught:
        load_course(lessons_dir.root, REGISTER)
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        f"{path}:5:1: error: 'collects' names '{item}', but this register lets lessons declare "
        "nothing"
        for item in ("progress", "photos")
    ]


def test_a_lesson_is_told_which_data_it_may_declare(lessons_dir, declarable_register):
    path = lessons_dir.write("01-first/es.md", lesson_file(collects="[photos]"))
    with pytest.raises(ContentError) as caught:
        load_course(lessons_dir.root, declarable_register)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:5:1: error: 'collects' names 'photos', not a category lessons can declare "
        "(reflections)"
    ]


def test_translations_must_declare_the_same_data(lessons_dir, declarable_register):
    lessons_dir.write("01-first/es.md", lesson_file(collects="[reflections]"))
    path = lessons_dir.write("01-first/pt.md", lesson_file())
    with pytest.raises(ContentError) as caught:
        load_course(lessons_dir.root, declarable_register)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1:1: error: 'collects' must list the same data as es.md"
    ]


def test_a_broken_register_is_refused(tmp_path):
    path = tmp_path / "register.yml"
    path.write_text(DECLARABLE.replace("legal_basis: consent", "legal_basis: whim"), "utf-8")
    with pytest.raises(ContentError, match="legal_basis must be one of"):
        load_register(path)


def test_every_use_on_legitimate_interests_states_its_balancing():
    based_on_interests = [
        *(c for c in REGISTER.categories if c.legal_basis is LegalBasis.LEGITIMATE_INTERESTS),
        *(e for e in REGISTER.elsewhere if e.legal_basis is LegalBasis.LEGITIMATE_INTERESTS),
    ]
    assert {entry.id for entry in based_on_interests} >= {
        "course-figures",
        "security-events",
        "web-server-log",
        "backups",
    }
    for entry in based_on_interests:
        assert all(entry.balancing[language] for language in ("es", "pt", "en")), entry.id


def test_a_legitimate_interest_without_its_balancing_is_refused(tmp_path):
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    start = text.index("    balancing:", text.index("id: course-figures"))
    end = text.index("    retention:", start)
    changed = tmp_path / "register.yml"
    changed.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_register(changed)
    assert "category course-figures.balancing needs a text for each of" in str(caught.value)


def test_a_balancing_text_belongs_only_to_legitimate_interests(tmp_path):
    path = tmp_path / "register.yml"
    path.write_text(
        DECLARABLE.replace("    storage:", "    balancing: {en: a, es: a, pt: a}\n    storage:", 1),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_register(path)
    assert "only legitimate interests need a balancing text" in str(caught.value)


def test_logs_backups_and_export_copies_are_in_the_register_with_their_retention():
    kept = {entry.id: entry.retention_days for entry in REGISTER.elsewhere}
    assert kept == {
        "web-server-log": 14,
        "application-log": 30,
        "rate-limit-counters": 1,
        "backups": 35,
        "request-exports": 30,
    }


def test_data_kept_elsewhere_needs_a_number_of_days(tmp_path):
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(text.replace("days: 14\n", "days: two weeks\n", 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_register(changed)
    assert "elsewhere web-server-log: data kept elsewhere needs retention.days" in str(caught.value)


def test_the_record_of_processing_names_data_subjects_and_security_measures():
    for texts in (REGISTER.data_subjects, REGISTER.security_measures):
        assert all(texts[language] for language in ("es", "pt", "en"))


def test_each_cookie_has_a_lifetime_in_days(tmp_path):
    assert {cookie.name: cookie.days for cookie in REGISTER.cookies} == {
        "session": 30,
        "aula_signed_in_before": 365,
        "aula_lti_state": 1,
    }
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(text.replace("days: 365\n    purpose", "days: ever\n    purpose"), "utf-8")
    with pytest.raises(ContentError) as caught:
        load_register(changed)
    assert "cookie aula_signed_in_before needs a name and its lifetime in days" in str(caught.value)


def test_only_the_users_table_can_erase_accounts(tmp_path):
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    start = text.index("      - table: security_events")
    changed = tmp_path / "register.yml"
    changed.write_text(
        text[:start] + text[start:].replace("purge: delete", "purge: erase-account", 1), "utf-8"
    )
    with pytest.raises(ContentError) as caught:
        load_register(changed)
    assert "category security-events.storage[0]: only the users table can erase accounts" in str(
        caught.value
    )


def test_every_course_of_a_catalogue_declares_from_the_register(tmp_path, declarable_register):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    test_course.lesson("01-first")
    guide.write("01-first/pt.md", lesson_file(collects="[reflections]"))
    catalogue, problems = check_catalogue(root, declarable_register)
    assert not [problem for problem in problems if "'collects'" in str(problem)]
    assert catalogue.course("guia").lessons[0].collects == ("reflections",)


def test_certificates_are_anonymised_with_the_columns_that_say_who_it_was():
    [learners] = [s for s in REGISTER.category("certificates").storage if s.table == "certificates"]
    assert (learners.erasure, learners.subject) == (Erasure.ANONYMISE, "user_id")
    assert learners.clears == ("cohort_id", "cohort_name", "name", "revoked_reason")


@pytest.mark.parametrize(
    ("change", "told"),
    [
        ("clears: [cohort_id, cohort_name, name, nickname]", "clears names columns the entry"),
        ("erasure: delete", "clears goes with anonymise"),
    ],
)
def test_clears_names_listed_columns_of_an_anonymised_entry(tmp_path, change, told):
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    start = text.index("        clears: [cohort_id, cohort_name, name, revoked_reason]")
    before, after = text[:start], text[start:]
    if change.startswith("clears"):
        after = after.replace("clears: [cohort_id, cohort_name, name, revoked_reason]", change, 1)
    else:
        after = after.replace("erasure: anonymise", change, 1)
    changed = tmp_path / "register.yml"
    changed.write_text(before + after, "utf-8")
    with pytest.raises(ContentError) as caught:
        load_register(changed)
    assert f"category certificates.storage[0]: {told}" in str(caught.value)
