"""Trainer pages. Trainers and admins only; learners get a 403 on every one."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, render_template, request
from flask_babel import gettext as _

from app.author import bp
from app.content import Lesson
from app.content.problems import Level, shown_from
from app.extensions import content, db
from app.guards import role_required
from app.learn.views import send_lesson_file
from app.models import Role
from app.services import authoring, privacy, progress
from config import ROOT

STAFF = (Role.TRAINER, Role.ADMIN)
# The optional purpose under which learners let their answers count in item analysis.
STATISTICS_PURPOSE = "course-improvement"


def _index(problems=(), status: int = 200):
    # Trainers know the lessons folder, not where it lies on the server, and run commands
    # from the repository root, as README does; they read the problems in the language of
    # the page.
    root = Path(current_app.config["LESSONS_DIR"])
    shown = [(problem.level, problem.relative_to(root, ROOT).described(_)) for problem in problems]
    return render_template(
        "author/index.html",
        course=content.course,
        problems=shown,
        orphaned=progress.progress_without_lesson(db.session, content.course),
    ), status


@bp.get("/<lang:lang>/author/")
@role_required(*STAFF)
def index():
    """Every lesson, drafts included, with a preview in each language."""
    return _index()


@bp.post("/<lang:lang>/author/reload")
@role_required(*STAFF)
def reload():
    """Re-read the lessons directory; on errors the previous version stays online."""
    problems = content.reload(current_app._get_current_object())
    if any(problem.level is Level.ERROR for problem in problems):
        flash(_("The lessons have errors: learners still see the previous version."), "error")
        return _index(problems, 422)
    flash(_("Lessons reloaded."), "success")
    return _index(problems)


def _any_lesson_or_404(slug: str) -> Lesson:
    """A lesson, drafts included."""
    lesson = next((lesson for lesson in content.course.lessons if lesson.slug == slug), None)
    if lesson is None:
        abort(404)
    return lesson


@bp.get("/<lang:lang>/author/lessons/<slug>")
@role_required(*STAFF)
def preview(slug: str):
    """A lesson as learners will see it, in any of its languages, with the quiz's right
    answers marked."""
    lesson = _any_lesson_or_404(slug)
    language = request.args.get("show", lesson.default_language)
    text = lesson.texts.get(language)
    if text is None:
        abort(404)
    return render_template("author/preview.html", lesson=lesson, text=text, shown=language)


@bp.get("/<lang:lang>/author/lessons/<slug>/files/<path:filename>")
@role_required(*STAFF)
def preview_file(slug: str, filename: str):
    """The pictures of a previewed lesson, drafts included: the preview's relative links
    lead here, as the lesson page's lead to the learners' copy."""
    return send_lesson_file(_any_lesson_or_404(slug), filename)


@bp.get("/<lang:lang>/author/translations")
@role_required(*STAFF)
def translations():
    """Which lesson is translated, missing, stale, unstamped or draft in each language; how
    to stamp the unstamped, with their files named from where commands run."""
    course = content.course
    return render_template(
        "author/translations.html",
        course=course,
        matrix=authoring.translation_matrix(course),
        state_words=authoring.STATE_WORDS,
        from_root=lambda path: shown_from(path, ROOT),
        interface=authoring.catalogue_completeness(
            Path(current_app.config["TRANSLATIONS_DIR"]), course.languages
        ),
    )


@bp.get("/<lang:lang>/author/quizzes")
@role_required(*STAFF)
def quizzes():
    """How learners who agreed to it answer each question: counts only, no names, and none
    about fewer learners than QUIZ_STATISTICS_MIN_LEARNERS."""
    consenting = privacy.consenting_user_ids(STATISTICS_PURPOSE)
    minimum = current_app.config["QUIZ_STATISTICS_MIN_LEARNERS"]
    analyses = [
        (lesson, authoring.item_analysis(db.session, lesson, consenting, minimum))
        for lesson in content.course.lessons
        if lesson.quiz is not None
    ]
    return render_template(
        "author/quizzes.html",
        course=content.course,
        analyses=analyses,
        min_learners=minimum,
        too_easy=authoring.TOO_EASY,
        too_hard=authoring.TOO_HARD,
    )
