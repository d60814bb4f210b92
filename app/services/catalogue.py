"""The catalogue: the courses a person may take part in, in a language, with their own
progress in each."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.content import Catalogue, Course
from app.models import LessonProgress, Membership, Role, User
from app.services import cohorts


@dataclass(frozen=True, slots=True)
class Listed:
    """A course as the catalogue lists it."""

    course: Course
    # Lessons the person completed in it (0 for a visitor).
    completed: int
    # Whether they have started it.
    started: bool

    @property
    def published(self) -> int:
        return len(self.course.published_lessons)


def listing(
    session: Session, user: User | None, catalogue: Catalogue, language: str
) -> list[Listed]:
    """The courses given in `language` that `user` (None: a visitor) may take part in, in
    the catalogue's order: staff see them all; others the open ones and those they belong
    to. Three queries however many courses there are."""
    offered = catalogue.offered_in(language)
    slugs = [course.slug for course in offered]
    closed = cohorts.closed_courses(session, slugs)
    member_of: set[str] = set()
    done: dict[str, set[str]] = {}
    if user is not None:
        member_of = set(
            session.scalars(
                sa.select(Membership.course).where(
                    Membership.user_id == user.id, Membership.course.in_(slugs)
                )
            )
        )
        for course, lesson, completed_at in session.execute(
            sa.select(
                LessonProgress.course, LessonProgress.lesson_slug, LessonProgress.completed_at
            ).where(LessonProgress.user_id == user.id, LessonProgress.course.in_(slugs))
        ):
            lessons = done.setdefault(course, set())
            if completed_at is not None:
                lessons.add(lesson)
    staff = user is not None and user.role in (Role.TRAINER, Role.ADMIN)
    return [
        Listed(
            course,
            completed=sum(
                lesson.slug in done.get(course.slug, ()) for lesson in course.published_lessons
            ),
            started=course.slug in done,
        )
        for course in offered
        if staff or course.slug not in closed or course.slug in member_of
    ]
