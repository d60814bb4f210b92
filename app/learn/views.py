"""Course and lesson pages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import content, db
from app.i18n import current_language, preferred_language
from app.learn import bp
from app.services import progress


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _published_lesson_or_404(slug: str):
    lesson = content.course.published_lesson(slug)
    if lesson is None:
        abort(404)
    return lesson


@bp.get("/")
def root():
    """Send the visitor to the course in their language."""
    return redirect(url_for("learn.course", lang=preferred_language()))


@bp.get("/<lang:lang>/")
def course():
    """The course page: every planned lesson, the learner's progress, where to resume."""
    course = content.course
    return render_template(
        "learn/course.html",
        course=course,
        progress=progress.course_progress(db.session, _user_id(), course),
    )


@bp.get("/<lang:lang>/lessons/<slug>")
def lesson(slug: str):
    """A lesson in the page's language, or in the default one with a note saying so."""
    course = content.course
    lesson = _published_lesson_or_404(slug)
    if current_user.is_authenticated:
        progress.record_start(db.session, current_user.id, lesson)
    previous, following = course.neighbours(lesson)
    return render_template(
        "learn/lesson.html",
        course=course,
        lesson=lesson,
        text=lesson.text_for(current_language()),
        previous=previous,
        following=following,
        progress=progress.course_progress(db.session, _user_id(), course),
    )


@bp.post("/<lang:lang>/lessons/<slug>/complete")
def complete(slug: str):
    """Mark the lesson complete; anonymous readers are sent to sign in and back."""
    lesson = _published_lesson_or_404(slug)
    lesson_url = url_for("learn.lesson", slug=lesson.slug)
    if not current_user.is_authenticated:
        return redirect(url_for("account.login", next=lesson_url))
    if progress.record_completion(db.session, current_user.id, lesson):
        flash(_("Well done: lesson %(number)d is complete.", number=lesson.number), "success")
    return redirect(f"{lesson_url}#lesson-status", code=303)
