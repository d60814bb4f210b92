"""course.yml's `certificate` section: read into a rule, each mistake told at its line."""

from __future__ import annotations

import pytest

from app.content import load_course
from app.content.model import CertificateQuizzes, CertificateRule, Signatory
from tests.content.conftest import COURSE_YML
from tests.content.test_loader import problems_of


def with_certificate(lessons_dir, section: str):
    lessons_dir.lesson("01-first")
    lessons_dir.lesson("02-second")
    return lessons_dir.write("course.yml", COURSE_YML + section)


def test_a_course_without_the_section_gives_no_certificate(lessons_dir):
    lessons_dir.lesson("01-first")
    course = load_course(lessons_dir.root)
    assert course.certificate is None and course.certificate_lessons == ()


def test_an_empty_section_gives_one_for_every_published_lesson(lessons_dir):
    with_certificate(lessons_dir, "certificate:\n")
    lessons_dir.lesson("03-third", draft="true")
    course = load_course(lessons_dir.root)
    assert course.certificate == CertificateRule()
    assert [lesson.slug for lesson in course.certificate_lessons] == ["first", "second"]


def test_the_whole_section_is_read(lessons_dir):
    with_certificate(
        lessons_dir,
        "certificate:\n"
        "  lessons: [second]\n"
        "  quizzes: all\n"
        "  signed_by:\n"
        "    - name: Ana Conceição\n"
        "      role: {es: Directora, pt: Diretora, en: Director}\n"
        "    - name: Rubén\n",
    )
    course = load_course(lessons_dir.root)
    assert course.certificate == CertificateRule(
        lessons=("second",),
        quizzes=CertificateQuizzes.ALL,
        signatories=(
            Signatory("Ana Conceição", {"es": "Directora", "pt": "Diretora", "en": "Director"}),
            Signatory("Rubén", {}),
        ),
    )
    assert [lesson.slug for lesson in course.certificate_lessons] == ["second"]


@pytest.mark.parametrize(
    ("section", "line", "told"),
    [
        ("certificate: yes\n", 9, "'certificate' must be a list of settings"),
        ("certificate:\n  signed: [Ana]\n", 10, "unknown key 'certificate.signed'"),
        ("certificate:\n  lessons: first\n", 10, "'certificate.lessons' must be 'all' or a list"),
        ("certificate:\n  lessons: []\n", 10, "'certificate.lessons' must be 'all' or a list"),
        (
            "certificate:\n  lessons: [first, third]\n",
            10,
            "'certificate.lessons' names 'third', which is no lesson here",
        ),
        (
            "certificate:\n  quizzes: some\n",
            10,
            "'certificate.quizzes' must be 'required' or 'all'",
        ),
        (
            "certificate:\n  signed_by: Ana\n",
            10,
            "'certificate.signed_by' must be a list of people, each with a name",
        ),
        (
            "certificate:\n  signed_by:\n    - role: {es: Directora}\n",
            10,
            "each of 'certificate.signed_by' needs a 'name:'",
        ),
        (
            "certificate:\n  signed_by:\n    - name: Ana\n      title: Dr\n",
            10,
            "unknown key 'signed_by.title' (allowed: name, role)",
        ),
        (
            "certificate:\n  signed_by:\n    - name: Ana\n      role: {es: Directora}\n",
            10,
            "'role' is missing its 'pt' text",
        ),
        (
            "certificate:\n  signed_by:\n    - name: Ana\n"
            "      role: {es: a, pt: b, en: c, fr: d}\n",
            10,
            "'role' has text for 'fr', not a course language",
        ),
    ],
)
def test_each_mistake_is_told_at_its_line(lessons_dir, section, line, told):
    path = with_certificate(lessons_dir, section)
    problems = problems_of(lessons_dir.root)
    assert any(problem.startswith(f"{path}:{line}:") and told in problem for problem in problems), (
        problems
    )
