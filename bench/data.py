"""Fixtures of the benchmark: a generated course of any size, a site of several generated
courses, and databases seeded in bulk with learners, their progress and quiz attempts (and on
the site, cohorts, trainers, memberships, answers and consents), the same for every run
(fixed seed)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml
from werkzeug.security import generate_password_hash

from app import create_app, database
from app.extensions import db
from app.models import (
    Cohort,
    CohortTrainer,
    ConsentEvent,
    Enrolment,
    LessonProgress,
    Membership,
    QuizAnswer,
    QuizAttempt,
    Role,
    User,
)
from config import ROOT, TestConfig

SHIPPED = ROOT / "lessons"
# The lab's course, whose settings and first lesson every generated course is made of.
LAB_SLUG = "co-production"
LAB_COURSE = SHIPPED / LAB_SLUG
SEED = 2026
CHUNK = 50_000
# Learners sign up over the SIGN_UP_DAYS up to the day before the run, and take the course
# that day: the dashboard's last twelve weeks hold the completions of those who signed up
# in them, as in a course that keeps enrolling. Dates move with the run, nothing else.
SIGN_UP_DAYS = 300
# One hash for every seeded learner: hashing 100,000 passwords would measure nothing useful.
PASSWORD = "bench passphrase"
# The servers and the in-process app share it, so that cookies made here are valid there.
SECRET_KEY = "bench-secret-key"


def write_course(folder: Path, lessons: int, slug: str = LAB_SLUG, number: int = 0) -> Path:
    """The lab's course with `lessons` lessons, each a copy of lesson 1's three texts, as a
    lessons directory of its own, under the slug `slug` (the lab's by default, so that its
    addresses are those of the shipped course). A `number` tells courses of a site apart
    by their titles."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    settings = yaml.safe_load((LAB_COURSE / "course.yml").read_text(encoding="utf-8"))
    settings["slug"] = slug
    settings["planned_lessons"] = max(lessons, settings["planned_lessons"])
    if number:
        settings["title"] = {lang: f"{title} {number}" for lang, title in settings["title"].items()}
    (folder / "course.yml").write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    source = next(path for path in sorted(LAB_COURSE.iterdir()) if path.is_dir())
    for number in range(1, lessons + 1):
        shutil.copytree(source, folder / f"{number:02d}-lesson-{number}")
    return folder


def bench_app(database_url: str, lessons: Path, instance: Path, **settings):
    return create_app(
        TestConfig,
        {
            "DATABASE_URL": database_url,
            "LESSONS_DIR": str(lessons),
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": SECRET_KEY,
            **settings,
        },
    )


@dataclass(frozen=True)
class Seeded:
    learners: int
    progress_rows: int
    attempts: int
    seconds: float
    tenth_signed_up_before: dt.date  # the registered_to date that keeps a tenth of them


def _first_sign_up() -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=SIGN_UP_DAYS + 1)


def _signed_up(first: dt.datetime, index: int, count: int) -> dt.datetime:
    return first + dt.timedelta(days=SIGN_UP_DAYS) / max(count, 1) * index


def _learner(
    index: int, count: int, password_hash: str, language: str, first: dt.datetime, **more
) -> dict:
    created = _signed_up(first, index, count)
    return {
        "id": index,
        "email": f"learner{index}@example.org",
        "display_name": f"Learner {index}",
        "password_hash": password_hash,
        "role": Role.LEARNER,
        "language": language,
        "is_active": True,
        "created_at": created,
        "email_confirmed_at": created,
        "session_token": f"{index:064x}",
        **more,
    }


def _learners(
    count: int, password_hash: str, rng: random.Random, first: dt.datetime
) -> Iterator[dict]:
    languages = ("es", "pt", "en")
    for index in range(1, count + 1):
        yield _learner(index, count, password_hash, rng.choice(languages), first)


def _staff(user_id: int, name: str, role: Role, password_hash: str, first: dt.datetime) -> dict:
    return {
        "id": user_id,
        "email": f"{name}@example.org",
        "display_name": name.capitalize(),
        "password_hash": password_hash,
        "role": role,
        "language": "en",
        "is_active": True,
        "created_at": first,
        "email_confirmed_at": first,
        "session_token": f"{user_id:064x}",
    }


def _progress(learners: int, course: str, slugs: list[str], rng: random.Random, first: dt.datetime):
    """Every learner has started every lesson, an hour apart from signing up; how far they
    completed drops off."""
    for user_id in range(1, learners + 1):
        signed_up = _signed_up(first, user_id, learners)
        reached = min(len(slugs), int(rng.expovariate(1 / 6)))
        for position, slug in enumerate(slugs):
            started = signed_up + dt.timedelta(hours=position)
            completed = started + dt.timedelta(hours=1) if position < reached else None
            progress = {
                "user_id": user_id,
                "course": course,
                "lesson_slug": slug,
                "started_at": started,
                "completed_at": completed,
            }
            attempts = []
            if completed is not None:
                tries = 1 if rng.random() < 0.7 else 2
                for number in range(1, tries + 1):
                    points = 5 if number == tries else rng.randint(1, 3)
                    attempts.append(
                        {
                            "user_id": user_id,
                            "course": course,
                            "lesson_slug": slug,
                            "number": number,
                            "language": "es",
                            "submitted_at": completed,
                            "points": points,
                            "max_points": 5,
                            "passed": points == 5,
                        }
                    )
            yield progress, attempts


class _Bulk:
    """Rows for several tables, inserted through SQLAlchemy Core a chunk at a time, each
    table's after those it refers to (a table's rows are held until those before it in
    `tables` are flushed)."""

    def __init__(self, connection: sa.Connection, tables: list[sa.Table]):
        self.connection = connection
        self.tables = tables
        self.rows: dict[str, list[dict]] = {table.name: [] for table in tables}
        self.counts: dict[str, int] = dict.fromkeys(self.rows, 0)

    def add(self, table: sa.Table, row: dict) -> None:
        self.rows[table.name].append(row)
        if len(self.rows[table.name]) >= CHUNK:
            self.flush(upto=table)

    def flush(self, upto: sa.Table | None = None) -> None:
        for table in self.tables:
            if self.rows[table.name]:
                self.connection.execute(table.insert(), self.rows[table.name])
                self.counts[table.name] += len(self.rows[table.name])
                self.rows[table.name] = []
            if table is upto:
                return


def _without_state_triggers(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        # The load is history, with no page kept for anyone yet: the triggers that raise
        # learners' state versions would update each learner's row once per row loaded,
        # leaving PostgreSQL a users table twenty times its size that no vacuum shrinks,
        # which steady use, vacuumed as it goes, never builds.
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))


def _after_bulk_load(tables: list[sa.Table]) -> None:
    """Sequences past the ids given, then statistics, and on PostgreSQL the visibility map,
    as autovacuum leaves them after a bulk load: index-only scans then need not visit the
    table for every entry."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in tables:
                connection.execute(
                    sa.text(
                        f"SELECT setval('{table.name}_id_seq', "
                        f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                    )
                )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        postgresql = connection.dialect.name == "postgresql"
        connection.execute(sa.text("VACUUM ANALYZE" if postgresql else "ANALYZE"))


def seed(app, learners: int, with_progress: bool = True) -> Seeded:
    """Learners of the default course, with their progress: bulk inserts in chunks through
    SQLAlchemy Core, on SQLite or PostgreSQL alike."""
    started = dt.datetime.now()
    rng = random.Random(SEED)
    first = _first_sign_up()
    with app.app_context():
        database.upgrade_to_latest()
        course = app.extensions["catalogue"].default
        slugs = [lesson.slug for lesson in course.published_lessons]
        password_hash = generate_password_hash(PASSWORD)
        users, progress_table, attempts_table = (
            User.__table__,
            LessonProgress.__table__,
            QuizAttempt.__table__,
        )
        with db.engine.begin() as connection:
            _without_state_triggers(connection)
            bulk = _Bulk(connection, [users, progress_table, attempts_table])
            for row in _learners(learners, password_hash, rng, first):
                bulk.add(users, row)
            bulk.flush()
            progress_rows = _progress(
                learners if with_progress else 0, course.slug, slugs, rng, first
            )
            for progress, attempts in progress_rows:
                bulk.add(progress_table, progress)
                for attempt in attempts:
                    bulk.add(attempts_table, attempt)
            bulk.flush()
        _after_bulk_load([users])
        db.engine.dispose()
    tenth = _signed_up(first, learners // 10, learners)
    return Seeded(
        learners=learners,
        progress_rows=bulk.counts[progress_table.name],
        attempts=bulk.counts[attempts_table.name],
        seconds=(dt.datetime.now() - started).total_seconds(),
        tenth_signed_up_before=tenth.date() - dt.timedelta(days=1),
    )


def write_site(folder: Path, courses: int, lessons: int) -> Path:
    """A lessons directory of `courses` courses (`course-01`, `course-02` …), each the
    lab's course with `lessons` lessons; the first is the default course."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for number in range(1, courses + 1):
        write_course(folder / site_course(number), lessons, site_course(number), number)
    return folder


def site_course(number: int) -> str:
    return f"course-{number:02d}"


# How a site's learners spread over its courses: the n-th course draws in proportion to
# 1 / (n + 1), so the first has about a quarter of them and the last a twentieth, as a
# site's first course is its best known. A quarter of the learners take a second course.
SECOND_COURSE = 0.25
# Learners of a course in none of its cohorts (its open, implicit group).
IN_NO_COHORT = 0.1
# Learners who agreed to have their answers used in the quiz statistics, and who object to
# being counted in the figures at all.
SHARING_ANSWERS = 0.4
OBJECTING = 0.01
STATISTICS_PURPOSE = "course-improvement"
# Each course's cohorts, one after another over the sign-up period: 40 for 10 courses.
COHORTS_PER_COURSE = 4


@dataclass(frozen=True)
class SiteCohort:
    id: int
    course: str
    members: int
    trainer_id: int
    member_id: int  # one of its learners, the first to join


@dataclass(frozen=True)
class Site:
    learners: int
    memberships: int
    progress_rows: int
    attempts: int
    answers: int
    seconds: float
    admin_id: int
    members: dict[str, int]  # learners per course, largest first
    cohorts: list[SiteCohort]  # largest first

    @property
    def largest_course(self) -> str:
        return next(iter(self.members))

    @property
    def median_cohort(self) -> SiteCohort:
        return self.cohorts[len(self.cohorts) // 2]


def _cohort_rows(
    courses: list[str], trainers: list[int], first: dt.datetime
) -> Iterator[tuple[dict, dict]]:
    """Each course's cohorts, one after another over the sign-up period, each taking the
    learners who joined while it ran: those before are closed, the one running now is
    open to anyone in every other course and by invitation in the rest (members-only
    courses). Each comes with its trainer: every trainer leads cohorts of several courses."""
    per_course = COHORTS_PER_COURSE
    window = SIGN_UP_DAYS / per_course
    for index, course in enumerate(courses):
        for edition in range(per_course):
            cohort_id = index * per_course + edition + 1
            starts = (first + dt.timedelta(days=edition * window)).date()
            running = edition == per_course - 1
            if not running:
                enrolment = Enrolment.CLOSED
            else:
                enrolment = Enrolment.OPEN if index % 2 == 0 else Enrolment.INVITATION
            cohort = {
                "id": cohort_id,
                "course": course,
                "name": f"{course} edition {edition + 1}",
                "starts_on": starts,
                "ends_on": None if running else starts + dt.timedelta(days=window - 1),
                "enrolment": enrolment,
                "join_code": f"bench-cohort-{cohort_id:05d}",
                "created_at": first,
            }
            trainer = {"cohort_id": cohort_id, "user_id": trainers[cohort_id % len(trainers)]}
            yield cohort, trainer


def _answers(
    attempt_id: int, questions: list[tuple[str, list[str], str | None]], wrong: set[str]
) -> Iterator[dict]:
    for question_id, right, wrong_choice in questions:
        correct = question_id not in wrong or wrong_choice is None
        yield {
            "attempt_id": attempt_id,
            "question_id": question_id,
            "selected": right if correct else [wrong_choice],
            "is_correct": correct,
        }


def _quiz_of(lesson) -> list[tuple[str, list[str], str | None]]:
    """Each question of the lesson's quiz: its id, its right options, and a wrong one."""
    if lesson.quiz is None:
        return []
    return [
        (
            question.id,
            sorted(question.correct_ids),
            next((o.id for o in question.options if o.id not in question.correct_ids), None),
        )
        for question in lesson.quiz.questions
    ]


class _SiteSeeder:
    """The rows of a site's learners, one learner at a time, and what the measures need to
    know of them: who is in which course and cohort, and who leads each cohort."""

    def __init__(self, bulk: _Bulk, catalogue, learners: int, first: dt.datetime):
        self.bulk = bulk
        self.learners = learners
        self.first = first
        # The start of the run's day, not its moment: seeded on both databases, minutes
        # apart, the site is the same.
        self.today = first + dt.timedelta(days=SIGN_UP_DAYS + 1)
        self.rng = random.Random(SEED)
        self.courses = [course.slug for course in catalogue.courses]
        self.weights = [1 / (number + 1) for number in range(1, len(self.courses) + 1)]
        self.lessons = {
            course.slug: [(lesson.slug, _quiz_of(lesson)) for lesson in course.published_lessons]
            for course in catalogue.courses
        }
        self.members = dict.fromkeys(self.courses, 0)
        self.cohort_members: dict[int, int] = {}
        self.first_member: dict[int, int] = {}
        self.trainer_of: dict[int, int] = {}
        self.course_of: dict[int, str] = {}
        self.attempt_id = 0

    def staff(self, password_hash: str) -> int:
        """The trainers (one for every two cohorts), each cohort with its trainer, and an
        admin, whose id is returned."""
        cohorts = len(self.courses) * COHORTS_PER_COURSE
        trainers = list(range(self.learners + 1, self.learners + max(1, cohorts // 2) + 1))
        for number, user_id in enumerate(trainers, start=1):
            trainer = _staff(user_id, f"trainer{number}", Role.TRAINER, password_hash, self.first)
            self.bulk.add(User.__table__, trainer)
        admin_id = trainers[-1] + 1
        self.bulk.add(
            User.__table__, _staff(admin_id, "admin", Role.ADMIN, password_hash, self.first)
        )
        for cohort, trainer in _cohort_rows(self.courses, trainers, self.first):
            self.bulk.add(Cohort.__table__, cohort)
            self.bulk.add(CohortTrainer.__table__, trainer)
            self.trainer_of[cohort["id"]] = trainer["user_id"]
            self.course_of[cohort["id"]] = cohort["course"]
        return admin_id

    def learner(self, user_id: int, password_hash: str) -> None:
        rng = self.rng
        signed_up = _signed_up(self.first, user_id, self.learners)
        taken = [rng.choices(range(len(self.courses)), self.weights)[0]]
        if len(self.courses) > 1 and rng.random() < SECOND_COURSE:
            others = [index for index in range(len(self.courses)) if index != taken[0]]
            taken += rng.choices(others, [self.weights[index] for index in others])
        language = rng.choice(("es", "pt", "en"))
        objection = signed_up if rng.random() < OBJECTING else None
        rows: list[tuple[sa.Table, dict]] = []
        last_active = signed_up
        for order, index in enumerate(taken):
            # A second course is taken half-way between signing up and the run's day.
            begun = signed_up + (self.today - signed_up) / 2 * order
            last_active = max(last_active, self.membership(rows, user_id, index, begun, language))
        if rng.random() < SHARING_ANSWERS:
            consent = {
                "user_id": user_id,
                "purpose": STATISTICS_PURPOSE,
                "granted": True,
                "text_version": "bench",
                "language": language,
                "recorded_at": signed_up,
            }
            rows.append((ConsentEvent.__table__, consent))
        # The learner's row first: the others refer to it.
        learner = _learner(
            user_id,
            self.learners,
            password_hash,
            language,
            self.first,
            last_active_at=last_active,
            statistics_objection_at=objection,
        )
        self.bulk.add(User.__table__, learner)
        for table, row in rows:
            self.bulk.add(table, row)

    def membership(
        self,
        rows: list[tuple[sa.Table, dict]],
        user_id: int,
        index: int,
        begun: dt.datetime,
        language: str,
    ) -> dt.datetime:
        """The learner's membership of a course, joined at `begun`, in the cohort running
        then, and their progress in it, added to `rows`. Returns the time of their last
        activity in it."""
        rng = self.rng
        course = self.courses[index]
        cohort_id = None
        if rng.random() >= IN_NO_COHORT:
            window = dt.timedelta(days=SIGN_UP_DAYS) / COHORTS_PER_COURSE
            edition = min(COHORTS_PER_COURSE - 1, int((begun - self.first) / window))
            cohort_id = index * COHORTS_PER_COURSE + edition + 1
            self.cohort_members[cohort_id] = self.cohort_members.get(cohort_id, 0) + 1
            self.first_member.setdefault(cohort_id, user_id)
        self.members[course] += 1
        membership = {
            "user_id": user_id,
            "course": course,
            "cohort_id": cohort_id,
            "joined_at": begun,
        }
        rows.append((Membership.__table__, membership))
        reached = min(len(self.lessons[course]), int(rng.expovariate(1 / 6)))
        latest = begun
        for position, (slug, questions) in enumerate(self.lessons[course]):
            started = begun + dt.timedelta(hours=position)
            completed = started + dt.timedelta(hours=1) if position < reached else None
            progress = {
                "user_id": user_id,
                "course": course,
                "lesson_slug": slug,
                "started_at": started,
                "completed_at": completed,
            }
            rows.append((LessonProgress.__table__, progress))
            latest = completed or started
            if completed is None or not questions:
                continue
            tries = 1 if rng.random() < 0.7 else 2
            for number in range(1, tries + 1):
                wrong: set[str] = set()
                if number < tries:
                    count = rng.randint(1, max(1, len(questions) - 1))
                    wrong = {question[0] for question in rng.sample(questions, count)}
                self.attempt_id += 1
                attempt = {
                    "id": self.attempt_id,
                    "user_id": user_id,
                    "course": course,
                    "lesson_slug": slug,
                    "number": number,
                    "language": language,
                    "submitted_at": completed,
                    "points": len(questions) - len(wrong),
                    "max_points": len(questions),
                    "passed": not wrong,
                }
                rows.append((QuizAttempt.__table__, attempt))
                rows += [
                    (QuizAnswer.__table__, answer)
                    for answer in _answers(self.attempt_id, questions, wrong)
                ]
        membership["active_at"] = latest
        return latest

    def cohorts(self) -> list[SiteCohort]:
        """The cohorts with members, the largest first."""
        ranked = sorted(
            self.cohort_members, key=lambda cohort: (-self.cohort_members[cohort], cohort)
        )
        return [
            SiteCohort(
                cohort,
                self.course_of[cohort],
                self.cohort_members[cohort],
                self.trainer_of[cohort],
                self.first_member[cohort],
            )
            for cohort in ranked
        ]


def seed_site(app, learners: int) -> Site:
    """A site of several courses, each with its cohorts and their trainers, and `learners`
    learners spread over them, with their memberships, progress, quiz attempts, answers
    and consents: bulk inserts in chunks through SQLAlchemy Core, on SQLite or PostgreSQL
    alike. Every member of a course has started each of its lessons; how far they completed
    drops off as in `seed`."""
    started = dt.datetime.now()
    first = _first_sign_up()
    tables = [
        User.__table__,
        Cohort.__table__,
        CohortTrainer.__table__,
        Membership.__table__,
        LessonProgress.__table__,
        QuizAttempt.__table__,
        QuizAnswer.__table__,
        ConsentEvent.__table__,
    ]
    with app.app_context():
        database.upgrade_to_latest()
        password_hash = generate_password_hash(PASSWORD)
        with db.engine.begin() as connection:
            _without_state_triggers(connection)
            bulk = _Bulk(connection, tables)
            seeder = _SiteSeeder(bulk, app.extensions["catalogue"], learners, first)
            admin_id = seeder.staff(password_hash)
            # Apart: staff rows have fewer columns, and one insert takes rows all alike.
            bulk.flush()
            for user_id in range(1, learners + 1):
                seeder.learner(user_id, password_hash)
            bulk.flush()
        _after_bulk_load([User.__table__, Cohort.__table__, QuizAttempt.__table__])
        db.engine.dispose()
    counts = bulk.counts
    return Site(
        learners=learners,
        memberships=counts[Membership.__tablename__],
        progress_rows=counts[LessonProgress.__tablename__],
        attempts=counts[QuizAttempt.__tablename__],
        answers=counts[QuizAnswer.__tablename__],
        seconds=(dt.datetime.now() - started).total_seconds(),
        admin_id=admin_id,
        members=dict(sorted(seeder.members.items(), key=lambda item: -item[1])),
        cohorts=seeder.cohorts(),
    )
