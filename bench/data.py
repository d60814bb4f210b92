"""Fixtures of the benchmark: a generated course of any size, and a database seeded in bulk
with learners, their progress and quiz attempts, the same for every run (fixed seed)."""

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
from app.models import LessonProgress, QuizAttempt, Role, User
from config import ROOT, TestConfig

SHIPPED = ROOT / "lessons"
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


def write_course(folder: Path, lessons: int) -> Path:
    """The shipped course with `lessons` lessons, each a copy of lesson 1's three texts."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    settings = yaml.safe_load((SHIPPED / "course.yml").read_text(encoding="utf-8"))
    settings["planned_lessons"] = max(lessons, settings["planned_lessons"])
    (folder / "course.yml").write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    source = next(path for path in sorted(SHIPPED.iterdir()) if path.is_dir())
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


def _learners(
    count: int, password_hash: str, rng: random.Random, first: dt.datetime
) -> Iterator[dict]:
    languages = ("es", "pt", "en")
    for index in range(1, count + 1):
        created = _signed_up(first, index, count)
        yield {
            "id": index,
            "email": f"learner{index}@example.org",
            "display_name": f"Learner {index}",
            "password_hash": password_hash,
            "role": Role.LEARNER,
            "language": rng.choice(languages),
            "is_active": True,
            "created_at": created,
            "email_confirmed_at": created,
            "session_token": f"{index:064x}",
        }


def _progress(learners: int, slugs: list[str], rng: random.Random, first: dt.datetime):
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


def seed(app, learners: int, with_progress: bool = True) -> Seeded:
    """Bulk inserts in chunks through SQLAlchemy Core, on SQLite or PostgreSQL alike."""
    started = dt.datetime.now()
    rng = random.Random(SEED)
    first = _first_sign_up()
    with app.app_context():
        database.upgrade_to_latest()
        course = app.extensions["course"]
        slugs = [lesson.slug for lesson in course.published_lessons]
        password_hash = generate_password_hash(PASSWORD)
        users = User.__table__
        rows_in = {"progress": 0, "attempts": 0}
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # The load is history, with no page kept for anyone yet: the triggers that
                # raise learners' state versions would update each learner's row once per
                # row loaded, leaving PostgreSQL a users table twenty times its size that
                # no vacuum shrinks, which steady use, vacuumed as it goes, never builds.
                connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            batch: list[dict] = []
            for row in _learners(learners, password_hash, rng, first):
                batch.append(row)
                if len(batch) == CHUNK:
                    connection.execute(users.insert(), batch)
                    batch = []
            if batch:
                connection.execute(users.insert(), batch)
            progress_batch: list[dict] = []
            attempt_batch: list[dict] = []
            progress_rows = _progress(learners if with_progress else 0, slugs, rng, first)
            for progress, attempts in progress_rows:
                progress_batch.append(progress)
                attempt_batch.extend(attempts)
                if len(progress_batch) >= CHUNK:
                    connection.execute(LessonProgress.__table__.insert(), progress_batch)
                    connection.execute(QuizAttempt.__table__.insert(), attempt_batch)
                    rows_in["progress"] += len(progress_batch)
                    rows_in["attempts"] += len(attempt_batch)
                    progress_batch, attempt_batch = [], []
            if progress_batch:
                connection.execute(LessonProgress.__table__.insert(), progress_batch)
                rows_in["progress"] += len(progress_batch)
            if attempt_batch:
                connection.execute(QuizAttempt.__table__.insert(), attempt_batch)
                rows_in["attempts"] += len(attempt_batch)
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
                )
        # Statistics, and on PostgreSQL the visibility map, as autovacuum leaves them after
        # a bulk load: index-only scans then need not visit the table for every entry.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            postgresql = connection.dialect.name == "postgresql"
            connection.execute(sa.text("VACUUM ANALYZE" if postgresql else "ANALYZE"))
        db.engine.dispose()
    tenth = _signed_up(first, learners // 10, learners)
    return Seeded(
        learners=learners,
        progress_rows=rows_in["progress"],
        attempts=rows_in["attempts"],
        seconds=(dt.datetime.now() - started).total_seconds(),
        tenth_signed_up_before=tenth.date() - dt.timedelta(days=1),
    )
