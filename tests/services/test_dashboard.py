"""Dashboard figures, without HTTP, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import datetime as dt

from app.extensions import content, db
from app.models import LessonProgress, Membership, QuizAttempt, Role, User
from app.services import accounts, dashboard
from app.services.reports import ReportFilters

# A Wednesday: its week began on Monday 2026-11-23.
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def complete_at(user_id: int, slug: str, moment: dt.datetime) -> None:
    db.session.add(
        LessonProgress(
            course="co-production",
            user_id=user_id,
            lesson_slug=slug,
            started_at=moment,
            completed_at=moment,
        )
    )


def learner(email: str, language: str) -> User:
    user = accounts.create_user(
        db.session, email=email, password="a long password", display_name=language
    )
    user.language = language
    return user


def figures(filters: dict[str, str]) -> dashboard.Figures:
    course = content.course
    parsed = ReportFilters.parse(filters, course.languages)
    return dashboard.figures(db.session, course, parsed, "en", now=NOW)


def test_completions_are_counted_by_week_monday_to_sunday_for_the_filtered_learners(
    app_context,
):
    # Completion times are counted whatever the lesson: even one no longer published.
    slugs = ["first", "second", "third"]
    learners = {}
    for language in ("pt", "es"):
        learners[language] = learner(f"{language}@example.org", language).id
    at = dt.datetime.fromisoformat
    pt, es = learners["pt"], learners["es"]
    complete_at(pt, slugs[0], at("2026-11-23T00:00:00+00:00"))  # this Monday, first second
    complete_at(pt, slugs[1], at("2026-11-22T23:59:59+00:00"))  # last Sunday, last second
    complete_at(pt, slugs[2], at("2026-09-07T08:00:00+00:00"))  # twelve weeks' first Monday
    complete_at(es, slugs[0], at("2026-11-24T10:00:00+00:00"))
    complete_at(es, slugs[1], at("2026-09-06T08:00:00+00:00"))  # thirteen weeks ago
    db.session.commit()

    every = figures({}).weeks
    assert len(every) == 12
    assert every[0] == (dt.date(2026, 9, 7), 1)
    assert every[-2] == (dt.date(2026, 11, 16), 1)
    assert every[-1] == (dt.date(2026, 11, 23), 2)
    assert sum(count for _, count in every) == 4

    portuguese = figures({"language": "pt"}).weeks
    assert portuguese[-1] == (dt.date(2026, 11, 23), 1)
    assert sum(count for _, count in portuguese) == 3


def test_every_figure_counts_the_filtered_learners_only(app_context):
    course = content.course
    first, second = (lesson.slug for lesson in course.published_lessons[:2])
    for language, lessons_completed in (("pt", 2), ("es", 1), ("es", 0)):
        user = learner(f"{language}{lessons_completed}@example.org", language)
        user.last_active_at = NOW - dt.timedelta(days=10)
        for slug in (first, second)[:lessons_completed]:
            complete_at(user.id, slug, NOW - dt.timedelta(days=1))
        # Each learner who completed a lesson failed its quiz once; the Portuguese learner
        # then passed lesson 1's quiz twice: they are counted once.
        outcomes = (False, True, True) if language == "pt" else (False,) * lessons_completed
        for number, passed in enumerate(outcomes, start=1):
            db.session.add(
                QuizAttempt(
                    course="co-production",
                    user_id=user.id,
                    lesson_slug=first,
                    number=number,
                    language=language,
                    submitted_at=NOW,
                    points=int(passed),
                    max_points=1,
                    passed=passed,
                )
            )
    db.session.commit()

    every, spanish = figures({}), figures({"language": "es"})
    assert (every.headline.registered, every.headline.active_7_days) == (3, 0)
    assert every.headline.active_30_days == 3
    assert every.by_language == {"es": 2, "pt": 1}
    assert spanish.by_language == {"es": 2}
    assert spanish.headline.registered == 2
    assert [(lesson.started, lesson.completed) for lesson in every.lessons[:3]] == [
        (2, 2),
        (1, 1),
        (0, 0),
    ]
    assert [(lesson.started, lesson.completed) for lesson in spanish.lessons[:2]] == [
        (1, 1),
        (0, 0),
    ]
    assert (every.lessons[0].quiz_takers, every.lessons[0].quiz_passed) == (2, 1)
    assert (spanish.lessons[0].quiz_takers, spanish.lessons[0].quiz_passed) == (1, 0)
    assert (every.lessons[1].quiz_takers, every.lessons[1].quiz_passed) == (0, 0)
    assert every.lessons[0].title == course.published_lessons[0].text_for("en").title
    assert len(every.lessons) == course.planned_lessons
    assert spanish.weeks[-1] == (dt.date(2026, 11, 23), 1)


def test_a_course_with_no_lesson_published_yet_shows_every_lesson_as_to_come(app_context):
    user = learner("early@example.org", "pt")
    complete_at(user.id, content.course.lessons[0].slug, NOW - dt.timedelta(days=1))
    db.session.commit()
    unpublished = dataclasses.replace(content.course, lessons=())
    shown = dashboard.figures(db.session, unpublished, ReportFilters(), "en", now=NOW)
    assert [(lesson.slug, lesson.started) for lesson in shown.lessons] == [
        (None, 0)
    ] * unpublished.planned_lessons
    assert shown.weeks[-1] == (dt.date(2026, 11, 23), 1)


def test_figures_counted_by_subtraction_are_those_counted_learner_by_learner(app_context):
    """Without filters, or with a course alone, the figures count every row less those of
    the accounts left out; with any other filter, the rows of the learners kept. A filter
    that keeps everyone (registered since 1900) gives the second way: both must agree, with
    learners in two courses, one taken out of a course (their progress stays, and is still
    the course's), one objecting, one restricted and one in no course at all."""
    catalogue = content.catalogue
    lab, guide = catalogue.default, catalogue.course("writing-lessons")
    first, second = (lesson.slug for lesson in lab.published_lessons[:2])
    guide_first = guide.published_lessons[0].slug
    people = {}
    for name in ("both", "lab", "guide", "removed", "objecting", "restricted", "nowhere"):
        people[name] = learner(f"{name}@example.org", "pt")
    db.session.flush()
    for name, courses in (
        ("both", (lab, guide)),
        ("lab", (lab,)),
        ("guide", (guide,)),
        ("objecting", (lab,)),
        ("restricted", (lab, guide)),
    ):
        for course in courses:
            db.session.add(Membership(user_id=people[name].id, course=course.slug))
    for name, course, slug, days in (
        ("both", lab.slug, first, 3),
        ("both", lab.slug, second, 2),
        ("both", guide.slug, guide_first, 1),
        ("lab", lab.slug, first, 40),
        ("guide", guide.slug, guide_first, 5),
        ("removed", lab.slug, first, 6),
        ("objecting", lab.slug, first, 4),
        ("restricted", lab.slug, second, 2),
        ("restricted", guide.slug, guide_first, 2),
    ):
        db.session.add(
            LessonProgress(
                course=course,
                user_id=people[name].id,
                lesson_slug=slug,
                started_at=NOW - dt.timedelta(days=days + 1),
                completed_at=NOW - dt.timedelta(days=days),
            )
        )
        db.session.add(
            QuizAttempt(
                course=course,
                user_id=people[name].id,
                lesson_slug=slug,
                number=1,
                language="pt",
                submitted_at=NOW - dt.timedelta(days=days),
                points=1,
                max_points=1,
                passed=name != "lab",
            )
        )
    people["objecting"].statistics_objection_at = NOW
    people["restricted"].restricted_at = NOW
    db.session.commit()

    everyone = {"registered_from": "1900-01-01"}
    for course, scope in ((lab, {}), (lab, {"course": lab.slug}), (guide, {"course": guide.slug})):
        parsed = ReportFilters.parse(scope, catalogue.languages, [lab.slug, guide.slug])
        directly = ReportFilters.parse(
            {**scope, **everyone}, catalogue.languages, [lab.slug, guide.slug]
        )
        subtracted = dashboard.figures(db.session, course, parsed, "en", now=NOW)
        counted = dashboard.figures(db.session, course, directly, "en", now=NOW)
        assert subtracted == counted, scope
    lab_only = dashboard.figures(db.session, lab, ReportFilters(course=lab.slug), "en", now=NOW)
    # Lesson 1: "both", "lab" and the one taken out of the course; not the objector.
    assert (lab_only.lessons[0].started, lab_only.lessons[0].quiz_passed) == (3, 2)
    assert lab_only.headline.registered == 3
    # Completions in the course: two of "both", one of "lab", one of "removed".
    assert sum(count for _week, count in lab_only.weeks) == 4


def test_learners_as_the_role_are_counted_as_every_row_less_the_staffs(app_context):
    """Learners as the role count every row less those of the accounts set apart (staff
    among them): the same figures as counting the learners' rows one by one."""
    lab = content.catalogue.default
    first = lab.published_lessons[0].slug
    people = {}
    for name in ("learner", "trainer", "admin", "objecting"):
        people[name] = learner(f"{name}@example.org", "es")
    people["trainer"].role = Role.TRAINER
    people["admin"].role = Role.ADMIN
    people["objecting"].statistics_objection_at = NOW
    db.session.flush()
    for person in people.values():
        complete_at(person.id, first, NOW - dt.timedelta(days=2))
        db.session.add(
            QuizAttempt(
                course=lab.slug,
                user_id=person.id,
                lesson_slug=first,
                number=1,
                language="es",
                submitted_at=NOW - dt.timedelta(days=2),
                points=1,
                max_points=1,
                passed=True,
            )
        )
    db.session.commit()

    learners = figures({"role": "learner"})
    counted_directly = figures({"role": "learner", "registered_from": "1900-01-01"})
    assert learners == counted_directly
    assert learners.headline.registered == 1
    assert (learners.lessons[0].started, learners.lessons[0].quiz_passed) == (1, 1)
    assert sum(count for _week, count in learners.weeks) == 1
    trainers = figures({"role": "trainer"})
    assert (trainers.lessons[0].completed, trainers.lessons[0].quiz_takers) == (1, 1)
    # Without a role, the staff count too (the objector does not).
    assert figures({}).lessons[0].started == 3


def test_a_period_counts_the_rows_of_those_who_signed_up_in_it_only(app_context):
    """Learners who signed up before, during and after the period, in that order, all with
    rows: only the middle ones count, whatever lies around them."""
    first = content.course.published_lessons[0].slug
    for days_ago, name in ((90, "before"), (60, "during"), (59, "during too"), (30, "after")):
        person = learner(f"{name.replace(' ', '-')}@example.org", "pt")
        person.created_at = NOW - dt.timedelta(days=days_ago)
        complete_at(person.id, first, NOW - dt.timedelta(days=1))
    db.session.commit()
    period = {
        "registered_from": (NOW - dt.timedelta(days=61)).date().isoformat(),
        "registered_to": (NOW - dt.timedelta(days=59)).date().isoformat(),
    }
    shown = figures(period)
    assert shown.headline.registered == 2
    assert (shown.lessons[0].started, shown.lessons[0].completed) == (2, 2)
    assert shown.weeks[-1][1] == 2
    nobody = figures({"registered_from": (NOW + dt.timedelta(days=1)).date().isoformat()})
    assert (nobody.headline.registered, nobody.lessons[0].started, nobody.weeks[-1][1]) == (0, 0, 0)


def test_a_courses_week_counts_the_completions_of_every_lesson(app_context):
    """A course's weekly completions are counted lesson by lesson: a week with completions
    of two lessons shows both, as counting the learners' rows one by one does."""
    lab = content.catalogue.default
    first, second = (lesson.slug for lesson in lab.published_lessons[:2])
    for name, slug in (("one", first), ("two", second), ("three", second)):
        person = learner(f"{name}@example.org", "es")
        db.session.add(Membership(user_id=person.id, course=lab.slug))
        complete_at(person.id, slug, NOW - dt.timedelta(days=1))
    db.session.commit()
    scope = {"course": lab.slug}
    in_the_course = dashboard.figures(
        db.session, lab, ReportFilters.parse(scope, lab.languages, [lab.slug]), "en", now=NOW
    )
    counted_directly = dashboard.figures(
        db.session,
        lab,
        ReportFilters.parse({**scope, "language": "es"}, lab.languages, [lab.slug]),
        "en",
        now=NOW,
    )
    assert in_the_course.weeks[-1] == (dt.date(2026, 11, 23), 3)
    assert counted_directly.weeks == in_the_course.weeks
