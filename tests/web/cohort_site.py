"""A site with two courses and three cohorts, two of them led by two different trainers, and
learners in each with progress, quiz attempts and the odd objection or restriction: what
the follow-up pages, the filtered reports and the route × role matrix are tested on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import Flask

from app.extensions import db
from app.models import (
    Cohort,
    CohortTrainer,
    Enrolment,
    LessonProgress,
    Membership,
    QuizAttempt,
    Role,
    User,
    utcnow,
)
from app.services import accounts
from tests.conftest import Browser, sign_in_as

COURSE = "co-production"
OTHER_COURSE = "writing-lessons"
FIRST = "what-is-co-production"
SECOND = "towards-co-production-of-public-policies"
GUIDE_FIRST = "the-lesson-file"

# name: (email, {course: cohort key or None for the implicit group}, what they did). Each
# step is (course, lesson, days ago started, days ago completed or None, quiz attempts as
# passed or not).
LEARNERS = {
    "Alice Spring": (
        "alice.spring@example.org",
        {COURSE: "spring"},
        [(COURSE, FIRST, 5, 2, (False, True)), (COURSE, SECOND, 2, None, (False,) * 3)],
    ),
    "Bruno Spring": (
        "bruno.spring@example.org",
        {COURSE: "spring"},
        [(COURSE, FIRST, 20, None, ())],
    ),
    # Objects to the course figures: in named lists and reports, in no figure.
    "Carla Spring": (
        "carla.spring@example.org",
        {COURSE: "spring"},
        [(COURSE, FIRST, 3, 3, (True,))],
    ),
    # Restricted: in nothing at all.
    "Dario Spring": (
        "dario.spring@example.org",
        {COURSE: "spring"},
        [(COURSE, FIRST, 1, None, ())],
    ),
    "Eva Autumn": (
        "eva.autumn@example.org",
        {COURSE: "autumn"},
        [(COURSE, FIRST, 9, 8, (True,)), (COURSE, SECOND, 7, 6, (True,))],
    ),
    "Filipe Open": (
        "filipe.open@example.org",
        {COURSE: None},
        [(COURSE, FIRST, 4, None, (False,))],
    ),
    # Taken out of the course, or of a cohort deleted since: what she did stays the course's.
    "Hana Removed": ("hana.removed@example.org", {}, [(COURSE, FIRST, 8, 7, (True,))]),
    "Gil Guide": (
        "gil.guide@example.org",
        {OTHER_COURSE: "guide"},
        [(OTHER_COURSE, GUIDE_FIRST, 6, 5, (True,))],
    ),
}
# Learners whom only the trainer of each cohort, and admins, may see.
ONLY_IN = {"spring": ("Alice Spring", "Bruno Spring", "Carla Spring"), "guide": ("Gil Guide",)}


@dataclass
class CohortSite:
    app: Flask
    admin: Browser
    trainer_a: Browser  # leads "spring", in the default course
    trainer_b: Browser  # leads "guide", in the other course
    cohorts: dict[str, int] = field(default_factory=dict)
    learners: dict[str, int] = field(default_factory=dict)

    def email(self, name: str) -> str:
        return LEARNERS[name][0]


def build(app: Flask) -> CohortSite:
    """The site, its staff signed in (the admin first: account 1)."""
    site = CohortSite(
        app,
        sign_in_as(app, Role.ADMIN, "admin@example.org"),
        sign_in_as(app, Role.TRAINER, "trainer.a@example.org"),
        sign_in_as(app, Role.TRAINER, "trainer.b@example.org"),
    )
    now = utcnow()
    with app.app_context():
        spring = Cohort(
            course=COURSE, name="Spring: city council", enrolment=Enrolment.OPEN, join_code="s1"
        )
        autumn = Cohort(
            course=COURSE,
            name="Autumn: NGOs",
            enrolment=Enrolment.INVITATION,
            join_code="a1",
            starts_on=dt.date(2026, 9, 1),
        )
        guide = Cohort(
            course=OTHER_COURSE, name="Guide for trainers", enrolment=Enrolment.OPEN, join_code="g1"
        )
        db.session.add_all([spring, autumn, guide])
        db.session.flush()
        site.cohorts = {"spring": spring.id, "autumn": autumn.id, "guide": guide.id}
        for cohort, email in (
            ("spring", "trainer.a@example.org"),
            ("guide", "trainer.b@example.org"),
        ):
            trainer = accounts.find_user(db.session, email)
            db.session.add(CohortTrainer(cohort_id=site.cohorts[cohort], user_id=trainer.id))
        db.session.commit()
        for name, (email, memberships, steps) in LEARNERS.items():
            user = accounts.create_user(
                db.session,
                email=email,
                password="",
                password_hash="not a real hash",
                display_name=name,
                language="pt",
            )
            site.learners[name] = user.id
            _take_part(user, memberships, steps, site.cohorts, now)
        alice = db.session.get(User, site.learners["Alice Spring"])
        alice.last_active_at = now
        db.session.get(User, site.learners["Carla Spring"]).statistics_objection_at = now
        db.session.get(User, site.learners["Dario Spring"]).restricted_at = now
        db.session.commit()
    return site


def _take_part(user: User, memberships, steps, cohorts: dict[str, int], now: dt.datetime) -> None:
    joined = now - dt.timedelta(days=30)
    for course, cohort in memberships.items():
        # As the services keep it: the latest of joining and each step in the course (a
        # step's attempts are submitted the day it started, before it is completed).
        days_ago = min(
            completed if completed is not None else started
            for c, _, started, completed, _ in steps
            if c == course
        )
        db.session.add(
            Membership(
                user_id=user.id,
                course=course,
                cohort_id=cohorts[cohort] if cohort else None,
                joined_at=joined,
                active_at=max(joined, now - dt.timedelta(days=days_ago)),
            )
        )
    for course, slug, started, completed, outcomes in steps:
        db.session.add(
            LessonProgress(
                user_id=user.id,
                course=course,
                lesson_slug=slug,
                started_at=now - dt.timedelta(days=started),
                completed_at=now - dt.timedelta(days=completed) if completed is not None else None,
            )
        )
        for number, passed in enumerate(outcomes, start=1):
            db.session.add(
                QuizAttempt(
                    user_id=user.id,
                    course=course,
                    lesson_slug=slug,
                    number=number,
                    language="pt",
                    submitted_at=now - dt.timedelta(days=started),
                    points=4 if passed else 1,
                    max_points=5,
                    passed=passed,
                )
            )
