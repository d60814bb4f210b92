"""Trainer pages. Trainers and admins only; learners get a 403 on every one.

The overview lists every course of the catalogue; a course's own pages (lessons and their
previews, translations, quiz answers) have the course in their address, which app/courses.py
reads (and refuses in a language the course is not given in) and fills in for the links."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.author import bp
from app.content import Course, Lesson
from app.content.problems import Level, Problem, shown_from
from app.extensions import content, db
from app.guards import role_required
from app.i18n import current_language
from app.learn.views import send_lesson_file
from app.models import Role
from app.services import authoring, privacy, progress, publishing
from config import ROOT

STAFF = (Role.TRAINER, Role.ADMIN)
# The optional purpose under which learners let their answers count in item analysis.
STATISTICS_PURPOSE = "course-improvement"

# A problem as the page shows it: its level, and its line in the page's language.
Shown = tuple[Level, str]


@dataclass(frozen=True, slots=True)
class CourseOverview:
    """One course as the trainers' overview shows it."""

    course: Course
    # The language its pages are opened in: the page's, unless the course is not given in it.
    language: str
    translations: dict[authoring.TranslationState, int]
    # Lesson names learners have progress under that the course no longer has.
    orphaned: dict[str, int]
    problems: list[Shown]
    # Lessons started in the browser and not yet published, by slug.
    started: list[str]
    # Files saved in the browser that learners are not given yet.
    waiting: int


@bp.context_processor
def _catalogue() -> dict[str, object]:
    # The navigation offers the overview of all courses only where there are several.
    return {"catalogue": content.catalogue}


def _language_for(course: Course) -> str:
    language = current_language()
    return language if course.offers(language) else course.default_language


def _shown(problems: Sequence[Problem]) -> list[Shown]:
    # Trainers know the lessons folder, not where it lies on the server, and run commands
    # from the repository root, as README does; they read the problems in the language of
    # the page.
    root = Path(current_app.config["LESSONS_DIR"])
    return [(problem.level, problem.relative_to(root, ROOT).described(_)) for problem in problems]


def _found_in(problem: Problem, course: Course) -> bool:
    return course.directory is not None and Path(problem.path).is_relative_to(course.directory)


def overview(courses: Sequence[Course], problems: Sequence[Problem], status: int):
    """The trainers' page of `courses`, each with the problems found in its folder; those
    found elsewhere (a course folder added since, the lessons folder itself) come first."""
    entries = []
    left = list(problems)
    for course in courses:
        own = [problem for problem in left if _found_in(problem, course)]
        left = [problem for problem in left if not _found_in(problem, course)]
        entries.append(
            CourseOverview(
                course=course,
                language=_language_for(course),
                translations=authoring.translation_summary(course),
                orphaned=progress.progress_without_lesson(db.session, course),
                problems=_shown(own),
                started=sorted(
                    set(publishing.lesson_folders(db.session, course))
                    - {lesson.slug for lesson in course.lessons}
                ),
                waiting=len(publishing.pending(db.session, course.slug)),
            )
        )
    page = render_template(
        "author/index.html",
        entries=entries,
        problems=_shown(left),
        state_words=authoring.STATE_WORDS,
    )
    return page, status


@bp.get("/<lang:lang>/author/")
@role_required(*STAFF)
def index():
    """Every course and its lessons, drafts included, with a preview in each language."""
    return overview(content.catalogue.courses, (), 200)


@bp.get("/<lang:lang>/author/courses/<course>/")
@role_required(*STAFF)
def course():
    """One course's lessons, drafts included, with a preview in each language."""
    return overview((content.course,), (), 200)


@bp.post("/<lang:lang>/author/reload")
@role_required(*STAFF)
def reload():
    """Re-read every course of the lessons directory; on errors in any, the previous
    version of all stays online. Otherwise what changed in the files is kept as revisions
    and published, so that every host gives learners the same."""
    app = current_app._get_current_object()
    follower = app.extensions["publications"]
    # What other hosts published first, so that it is not taken for changes in the files.
    follower.catch_up(app, db.session, now=True)
    problems = content.reload(app)
    failed = any(problem.level is Level.ERROR for problem in problems)
    if not failed:
        # Every other process and host reads them too.
        follower.took_in(
            db.session, publishing.take_in_files(db.session, content.catalogue, current_user)
        )
    if failed:
        flash(_("The lessons have errors: learners still see the previous version."), "error")
    else:
        flash(_("Lessons reloaded."), "success")
    return overview(content.catalogue.courses, problems, 422 if failed else 200)


def any_lesson_or_404(slug: str) -> Lesson:
    """A lesson of the request's course, drafts included."""
    lesson = next((lesson for lesson in content.course.lessons if lesson.slug == slug), None)
    if lesson is None:
        abort(404)
    return lesson


@bp.get("/<lang:lang>/author/courses/<course>/lessons/<slug>")
@role_required(*STAFF)
def preview(slug: str):
    """A lesson as learners will see it, in any of its languages, with the quiz's right
    answers marked."""
    lesson = any_lesson_or_404(slug)
    # Unless another is asked for, in the page's language where the lesson has it: its
    # labels are in that language.
    page = current_language()
    language = request.args.get("show", page if page in lesson.texts else lesson.default_language)
    text = lesson.texts.get(language)
    if text is None:
        abort(404)
    return render_template("author/preview.html", lesson=lesson, text=text, shown=language)


@bp.get("/<lang:lang>/author/courses/<course>/lessons/<slug>/files/<path:filename>")
@role_required(*STAFF)
def preview_file(slug: str, filename: str):
    """The pictures of a previewed lesson, drafts included: the preview's relative links
    lead here, as the lesson page's lead to the learners' copy. A picture uploaded in the
    browser and not yet published is served from its revision."""
    course = content.course
    folder = publishing.lesson_folders(db.session, course).get(slug)
    path = f"{folder}/{filename}"
    if folder is not None and publishing.PICTURE_FILE.match(path):
        data = publishing.newest_file(db.session, course.slug, path)
        if data is not None:
            response = send_file(io.BytesIO(data), download_name=filename)
            response.headers["Cache-Control"] = "private, no-cache"
            return response
    return send_lesson_file(any_lesson_or_404(slug), filename)


@bp.get("/<lang:lang>/author/courses/<course>/translations")
@role_required(*STAFF)
def translations():
    """Which lesson is translated, missing, stale, unstamped or draft in each of the
    course's languages; how to stamp the unstamped, with their files named from where
    commands run."""
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


@bp.get("/<lang:lang>/author/courses/<course>/quizzes")
@role_required(*STAFF)
def quizzes():
    """How learners who agreed to it answer each question of the course's quizzes: counts
    only, no names, and none about fewer learners than QUIZ_STATISTICS_MIN_LEARNERS."""
    consenting = privacy.consenting_user_ids(STATISTICS_PURPOSE)
    minimum = current_app.config["QUIZ_STATISTICS_MIN_LEARNERS"]
    quizzed = [lesson for lesson in content.course.lessons if lesson.quiz is not None]
    found = authoring.item_analyses(db.session, quizzed, consenting, minimum)
    analyses = [(lesson, found[lesson.slug]) for lesson in quizzed]
    return render_template(
        "author/quizzes.html",
        course=content.course,
        analyses=analyses,
        min_learners=minimum,
        too_easy=authoring.TOO_EASY,
        too_hard=authoring.TOO_HARD,
    )


@bp.get("/<lang:lang>/author/lessons/<slug>")
@bp.get("/<lang:lang>/author/lessons/<slug>/files/<path:filename>")
@bp.get("/<lang:lang>/author/<any(translations, quizzes):page>")
@role_required(*STAFF)
def moved(slug: str | None = None, filename: str | None = None, page: str | None = None):
    """Trainer addresses from before a site held several courses: the same page of the
    default course, for good (in its default language if it is not given in the page's)."""
    course = content.catalogue.default
    where = {"course": course.slug, "lang": _language_for(course)}
    if filename is not None:
        target = url_for("author.preview_file", slug=slug, filename=filename, **where)
    elif slug is not None:
        target = url_for("author.preview", slug=slug, **where)
    else:
        target = url_for(f"author.{page}", **where)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, 301)
