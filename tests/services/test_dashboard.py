"""Dashboard figures, without HTTP, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

from app.extensions import content, db
from app.models import LessonProgress
from app.services import accounts, dashboard
from app.services.reports import ReportFilters

# A Wednesday: its week began on Monday 2026-11-23.
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def complete_at(user_id: int, slug: str, moment: dt.datetime) -> None:
    db.session.add(
        LessonProgress(user_id=user_id, lesson_slug=slug, started_at=moment, completed_at=moment)
    )


def test_completions_are_counted_by_week_monday_to_sunday_for_the_filtered_learners(
    app_context,
):
    # Completion times are counted whatever the lesson: even one no longer published.
    slugs = ["first", "second", "third"]
    learners = {}
    for language in ("pt", "es"):
        user = accounts.create_user(
            db.session,
            email=f"{language}@example.org",
            password="a long password",
            display_name=language,
        )
        user.language = language
        learners[language] = user.id
    at = dt.datetime.fromisoformat
    pt, es = learners["pt"], learners["es"]
    complete_at(pt, slugs[0], at("2026-11-23T00:00:00+00:00"))  # this Monday, first second
    complete_at(pt, slugs[1], at("2026-11-22T23:59:59+00:00"))  # last Sunday, last second
    complete_at(pt, slugs[2], at("2026-09-07T08:00:00+00:00"))  # twelve weeks' first Monday
    complete_at(es, slugs[0], at("2026-11-24T10:00:00+00:00"))
    complete_at(es, slugs[1], at("2026-09-06T08:00:00+00:00"))  # thirteen weeks ago
    db.session.commit()

    every = dashboard.completions_by_week(
        db.session, ReportFilters.parse({}, content.course.languages), now=NOW
    )
    assert len(every) == 12
    assert every[0] == (dt.date(2026, 9, 7), 1)
    assert every[-2] == (dt.date(2026, 11, 16), 1)
    assert every[-1] == (dt.date(2026, 11, 23), 2)
    assert sum(count for _, count in every) == 4

    portuguese = dashboard.completions_by_week(
        db.session, ReportFilters.parse({"language": "pt"}, content.course.languages), now=NOW
    )
    assert portuguese[-1] == (dt.date(2026, 11, 23), 1)
    assert sum(count for _, count in portuguese) == 3
