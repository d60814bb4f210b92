"""Trainers follow their cohorts, and admins filter the dashboard, the accounts and every
report by course and cohort: what each page counts is what its export lists."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import content, db
from app.models import AuditLogEntry, LessonProgress, Membership, QuizAnswer, QuizAttempt
from app.services import accounts, privacy
from tests.conftest import sign_in_as
from tests.web.cohort_site import COURSE, FIRST, LEARNERS, OTHER_COURSE, SECOND, build

FUNNEL_ROW = re.compile(
    r'<th scope="row">(\d+) · [^<]*</th>\s*<td>([\d,.]+)</td><td>([\d,.]+)</td>'
)
COHORT_ROW = re.compile(
    r'<tr data-lesson="([^"]+)">\s*<th scope="row">[^<]*</th>\s*'
    r"<td>([\d,.]+)</td><td>([\d,.]+)</td>"
)


@pytest.fixture
def site(app):
    return build(app)


def rows(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return json.loads(response.text)


def headline(page: str) -> int:
    section = page.split('class="headline"', 1)[1]
    return int(re.search(r"<strong>([\d,.]+)</strong>", section)[1].replace(",", ""))


def started_and_completed(progress: list[dict]) -> dict[int, tuple[int, int]]:
    counts: dict[int, tuple[int, int]] = {}
    for row in progress:
        started, completed = counts.get(row["lesson_number"], (0, 0))
        counts[row["lesson_number"]] = (
            started + (row["started_at"] is not None),
            completed + (row["completed_at"] is not None),
        )
    return counts


@pytest.mark.parametrize(
    "scope",
    [
        "",
        f"course={COURSE}",
        f"course={COURSE}&cohort=none",
        "cohort={spring}",
        f"course={COURSE}&cohort={{autumn}}",
        "cohort={guide}",
    ],
)
def test_each_dashboard_counts_what_its_export_lists(site, scope):
    """The figures leave out those who object to them: the export to compare them with is
    the one without names, which leaves them out too."""
    query = scope.format(**site.cohorts)
    page = site.admin.get(f"/en/admin/?{query}")
    assert page.status_code == 200
    summary = rows(site.admin, f"/admin/reports/summary.json?pseudonymise=1&{query}")
    assert headline(page.text) == len(summary)
    progress = rows(site.admin, f"/admin/reports/progress.json?pseudonymise=1&{query}")
    funnel = page.text.split('id="funnel"', 1)[1].split("<h2", 1)[0]
    shown = {
        int(number): (int(started), int(completed))
        for number, started, completed in FUNNEL_ROW.findall(funnel)
    }
    assert shown, "the funnel lists the course's lessons"
    exported = started_and_completed(progress)
    assert {number: exported.get(number, (0, 0)) for number in shown} == shown


def test_the_cohort_page_counts_what_the_cohorts_export_lists(site):
    page = site.trainer_a.get(f"/en/author/cohorts/{site.cohorts['spring']}")
    assert page.status_code == 200
    summary = rows(site.trainer_a, f"/author/cohorts/{site.cohorts['spring']}/reports/summary.json")
    # Its learners, the objector too (a named list is not a figure); not the restricted.
    names = sorted(row["display_name"] for row in summary)
    assert names == ["Alice Spring", "Bruno Spring", "Carla Spring"]
    assert headline(page.text) == len(summary) == 3
    progress = rows(
        site.trainer_a, f"/author/cohorts/{site.cohorts['spring']}/reports/progress.json"
    )
    exported = {
        slug: (
            sum(1 for row in progress if row["lesson_slug"] == slug and row["started_at"]),
            sum(1 for row in progress if row["lesson_slug"] == slug and row["completed_at"]),
        )
        for slug in (FIRST, SECOND)
    }
    shown = {slug: (int(s), int(c)) for slug, s, c in COHORT_ROW.findall(page.text)}
    assert shown[FIRST] == exported[FIRST] == (3, 2)
    assert shown[SECOND] == exported[SECOND] == (1, 0)
    for name in names:
        assert name in page.text and LEARNERS[name][0] in page.text
    for other in ("Dario Spring", "Eva Autumn", "Filipe Open", "Gil Guide", "Hana Removed"):
        assert other not in page.text


def test_a_trainer_sees_who_has_gone_quiet_for_the_days_asked(site):
    cohort = f"/en/author/cohorts/{site.cohorts['spring']}"
    page = site.trainer_a.get(cohort).text
    assert "1 learner has not been active in the course for 14 days." in page
    quiet = site.trainer_a.get(f"{cohort}?show=quiet").text
    listed = quiet.split('class="cohort-learners"', 1)[1]
    assert "Bruno Spring" in listed and "Alice Spring" not in listed
    longer = site.trainer_a.get(f"{cohort}?show=quiet&days=30").text
    assert "0 learners have not been active in the course for 30 days." in longer
    shorter = site.trainer_a.get(f"{cohort}?days=3").text
    assert "2 learners have not been active in the course for 3 days." in shorter
    for bad in ("days=0", "days=x", "days=99999", "show=everyone", "page=-1", "days=1&days=2"):
        response = site.trainer_a.get(f"{cohort}?{bad}")
        assert response.status_code == 400, bad


def test_a_trainer_allows_another_attempt_to_a_learner_of_their_cohort_only(site):
    cohort = site.cohorts["spring"]
    page = site.trainer_a.get(f"/en/author/cohorts/{cohort}").text
    alice = site.learners["Alice Spring"]
    action = f"/en/author/cohorts/{cohort}/learners/{alice}/lessons/{SECOND}/another-attempt"
    assert f'action="{action}"' in page, "Alice used her three attempts at lesson 2"
    allowed = site.trainer_a.submit(f"/en/author/cohorts/{cohort}", action)
    assert allowed.status_code == 303
    assert "1 attempt left" in site.trainer_a.get(allowed.location).text
    again = site.trainer_a.submit(f"/en/author/cohorts/{cohort}", action)
    assert again.status_code == 409
    with site.app.app_context():
        entry = db.session.scalar(
            sa.select(AuditLogEntry).where(AuditLogEntry.action == "another attempt")
        )
        extra = db.session.scalar(
            sa.select(LessonProgress.extra_attempts).where(
                LessonProgress.user_id == alice, LessonProgress.lesson_slug == SECOND
            )
        )
    assert entry.subject_ref == privacy.user_ref(alice)
    assert entry.details["lesson"] == SECOND and entry.details["course"] == COURSE
    assert extra == 1
    # Someone else's learner, or another trainer's cohort: not there.
    eva = site.learners["Eva Autumn"]
    elsewhere = f"/en/author/cohorts/{cohort}/learners/{eva}/lessons/{SECOND}/another-attempt"
    assert site.trainer_a.submit(f"/en/author/cohorts/{cohort}", elsewhere).status_code == 404
    assert site.trainer_b.submit("/en/author/cohorts", action).status_code == 404


def test_a_trainer_follows_only_the_cohorts_they_lead(site):
    listed = site.trainer_a.get("/en/author/cohorts").text
    assert "Spring: city council" in listed
    assert "Guide for trainers" not in listed and "Autumn: NGOs" not in listed
    everything = site.admin.get("/en/author/cohorts").text
    assert all(name in everything for name in ("Spring", "Autumn", "Guide for trainers"))
    for cohort in ("autumn", "guide"):
        number = site.cohorts[cohort]
        for path in (
            f"/en/author/cohorts/{number}",
            f"/en/author/cohorts/{number}/quizzes",
            f"/author/cohorts/{number}/reports/summary.csv",
        ):
            response = site.trainer_a.get(path)
            assert response.status_code == 404, path
            assert "Gil" not in response.text and "Autumn" not in response.text
    assert site.admin.get(f"/en/author/cohorts/{site.cohorts['guide']}").status_code == 200
    assert site.trainer_a.get("/en/author/cohorts/999999").status_code == 404
    learner = sign_in_as(site.app, None, "someone@example.org")
    assert learner.get("/en/author/cohorts").status_code == 403


def test_a_cohort_report_takes_no_course_cohort_or_role_of_its_own(site):
    base = f"/author/cohorts/{site.cohorts['spring']}/reports/summary.json"
    for query in (f"cohort={site.cohorts['guide']}", f"course={OTHER_COURSE}", "role=admin"):
        response = site.trainer_a.get(f"{base}?{query}")
        assert response.status_code == 400, query
        assert "Gil" not in response.text
    portuguese = rows(site.trainer_a, f"{base}?language=pt&pseudonymise=1")
    # The objector is left out of a report without names, as from the admins'.
    assert len(portuguese) == 2 and "learner" in portuguese[0]
    with site.app.app_context():
        entry = db.session.scalar(
            sa.select(AuditLogEntry)
            .where(AuditLogEntry.action == "report")
            .order_by(AuditLogEntry.id.desc())
        )
    assert entry.details["filters"] == {
        "course": COURSE,
        "cohort": str(site.cohorts["spring"]),
        "language": "pt",
        "role": "learner",
    }


def test_the_cohort_quiz_answers_count_its_consenting_learners_only(site):
    site.app.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 2
    with site.app.app_context():
        quiz = content.catalogue.course(COURSE).published_lesson(FIRST).quiz
        for attempt in db.session.scalars(
            sa.select(QuizAttempt).where(QuizAttempt.lesson_slug == FIRST)
        ):
            db.session.add_all(
                QuizAnswer(
                    attempt_id=attempt.id,
                    question_id=question.id,
                    selected=[question.options[0].id],
                    is_correct=question.options[0].is_correct,
                )
                for question in quiz.questions
            )
        for name in ("Alice Spring", "Bruno Spring", "Eva Autumn", "Filipe Open"):
            privacy.record_consents(
                db.session, content.register, site.learners[name], {"course-improvement"}, "pt"
            )
        db.session.commit()
    page = site.trainer_a.get(f"/en/author/cohorts/{site.cohorts['spring']}/quizzes").text
    # Only Alice took lesson 1's quiz among the consenting learners of spring: too few.
    assert "Not enough learners have answered yet" in page
    site.app.config["QUIZ_STATISTICS_MIN_LEARNERS"] = 1
    page = site.trainer_a.get(f"/en/author/cohorts/{site.cohorts['spring']}/quizzes").text
    lesson = page.split(f'id="quiz-{FIRST}"', 1)[1].split("</section>", 1)[0]
    assert '<tr data-language="all">' in lesson
    assert "Alice" not in page and "@example.org" not in page


def test_admins_filter_accounts_and_learner_pages_by_course_and_cohort(site):
    spring = site.admin.get(f"/en/admin/users?cohort={site.cohorts['spring']}").text
    assert "alice.spring@example.org" in spring and "eva.autumn@example.org" not in spring
    open_group = site.admin.get(f"/en/admin/users?course={COURSE}&cohort=none").text
    assert "filipe.open@example.org" in open_group and "alice.spring" not in open_group
    assert "hana.removed" not in open_group, "in no cohort: a member, of none of its cohorts"
    course = site.admin.get(f"/en/admin/users?course={COURSE}").text
    assert "hana.removed" in course and "gil.guide" not in course
    other = site.admin.get(f"/en/admin/users?course={OTHER_COURSE}&q=gil").text
    assert "gil.guide@example.org" in other
    learner = site.admin.get(f"/en/admin/learners/{site.learners['Gil Guide']}").text
    assert "Guide for trainers" in learner and "The lesson file" in learner
    writing = site.admin.get(f"/en/admin/?course={OTHER_COURSE}").text
    funnel = writing.split('id="funnel"', 1)[1].split("<h2", 1)[0]
    assert "The lesson file" in funnel and "What is co-production?" not in funnel


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("course=nowhere", 404, "There is no such course."),
        ("cohort=abc", 400, "This filter value is not valid: Cohort."),
        ("cohort=999999", 404, "There is no such cohort in this course."),
        ("cohort=99999999999999999999", 404, "There is no such cohort in this course."),
        ("cohort=none", 400, "Choose a course to see its learners who are in none of its cohorts."),
        (
            f"course={OTHER_COURSE}&cohort={{spring}}",
            404,
            "There is no such cohort in this course.",
        ),
        (
            f"course={COURSE}&course={OTHER_COURSE}",
            400,
            "This filter is given more than once: Course.",
        ),
    ],
)
def test_a_course_or_cohort_the_site_has_not_is_refused_everywhere(site, query, status, message):
    query = query.format(**site.cohorts)
    for path in ("/en/admin/", "/admin/reports/summary.csv", "/en/admin/users"):
        response = site.admin.get(f"{path}?{query}")
        assert response.status_code == status, path
        if path.startswith("/en/"):
            assert message in response.text, path
    with site.app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditLogEntry)
                .where(AuditLogEntry.action == "report")
            )
            == 0
        )


def test_the_command_line_exports_a_course_or_a_cohort(site, tmp_path):
    target = tmp_path / "spring.json"
    result = site.app.test_cli_runner().invoke(
        args=[
            "reports",
            "export",
            "--summary",
            "--format",
            "json",
            "--cohort",
            str(site.cohorts["spring"]),
            "--output",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    exported = json.loads(target.read_text(encoding="utf-8"))
    # Staff are in no cohort; the restricted learner is in no report.
    assert sorted(row["display_name"] for row in exported) == [
        "Alice Spring",
        "Bruno Spring",
        "Carla Spring",
    ]
    assert {row["cohort"] for row in exported} == {"Spring: city council"}
    for bad in (["--course", "nowhere"], ["--cohort", "999999"], ["--cohort", "none"]):
        assert site.app.test_cli_runner().invoke(args=["reports", "export", *bad]).exit_code == 2


def test_a_large_cohort_is_listed_a_page_at_a_time(site):
    spring = site.cohorts["spring"]
    with site.app.app_context():
        for number in range(55):
            user = accounts.create_user(
                db.session,
                email=f"many{number:02d}@example.org",
                password="",
                password_hash="not a real hash",
                display_name=f"Many {number:02d}",
            )
            db.session.add(Membership(user_id=user.id, course=COURSE, cohort_id=spring))
        db.session.commit()
    first = site.trainer_a.get(f"/en/author/cohorts/{spring}").text
    assert headline(first) == 58
    assert first.count("<tr data-learner=") == 50 and "Page 1 of 2" in first
    assert "Alice Spring" in first and "Many 46" in first and "Many 47" not in first
    second = site.trainer_a.get(f"/en/author/cohorts/{spring}?page=2").text
    assert second.count("<tr data-learner=") == 8 and "Many 54" in second
    beyond = site.trainer_a.get(f"/en/author/cohorts/{spring}?page=9").text
    assert "Page 2 of 2" in beyond, "a page past the last shows the last"
    summary = rows(site.trainer_a, f"/author/cohorts/{spring}/reports/summary.json")
    assert len(summary) == 58
