"""The lesson editor: a lesson file's text in the browser, checked and previewed as the
trainer types. Trainers and admins only.

The page is a plain form with a textarea that posts the text to its own address (saving,
app/author/writing.py); app/static/js/editor.js turns the textarea into a code editor and
asks `check_text` for the preview and the problems after each pause in the typing."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, jsonify, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.author import bp
from app.author.views import STAFF
from app.content.problems import Problem
from app.errors import refuse
from app.extensions import content, db
from app.guards import role_required
from app.services import publishing
from config import ROOT

EDIT_PAGE = "/<lang:lang>/author/courses/<course>/lessons/<slug>/edit/<language>"


def _problem_entry(problem: Problem) -> dict[str, object]:
    """A problem of the edited file as the editor lists and marks it: where, and what in
    the page's language (a command's file named from where commands run, as elsewhere)."""
    shown = problem.relative_to(Path(current_app.config["LESSONS_DIR"]), ROOT)
    return {
        "line": problem.line,
        "column": problem.column,
        "level": problem.level.value,
        "message": shown.in_words(_),
    }


def _editor_phrases() -> dict[str, str]:
    """CodeMirror's own words (its search panel, its announcements), by the English phrase
    it asks for, in the page's language."""
    return {
        "Find": _("Find"),
        "Replace": _("Replace"),
        "next": _("next"),
        "previous": _("previous"),
        "all": _("all"),
        "match case": _("match case"),
        "regexp": _("regexp"),
        "by word": _("by word"),
        "replace": _("replace"),
        "replace all": _("replace all"),
        "close": _("close"),
        "current match": _("current match"),
        "on line": _("on line"),
        "replaced $ matches": _("replaced $ matches"),
        "replaced match on line $": _("replaced match on line $"),
        "Go to line": _("Go to line"),
        "go": _("go"),
        "Control character": _("Control character"),
        "Selection deleted": _("Selection deleted"),
        "Diagnostics": _("Problems"),
        "No diagnostics": _("No problems found."),
    }


def _checked(folder: str, language: str, text: str) -> dict[str, object]:
    """The preview of `text` as that language's file of the lesson in `folder` (None while
    the course would not load with it), with its problems."""
    draft = publishing.check_draft(
        db.session, content.course, content.register, folder, language, text
    )
    html = None
    if draft.lesson is not None and draft.text is not None:
        html = render_template("author/_lesson.html", lesson=draft.lesson, text=draft.text)
    return {"html": html, "problems": [_problem_entry(problem) for problem in draft.problems]}


def lesson_folder_or_404(slug: str, language: str | None = None) -> str:
    """The folder of the request course's lesson `slug`, also one only saved so far; with
    `language`, one the course is given in."""
    course = content.course
    if language is not None and language not in course.languages:
        refuse(404, _("This course is not given in that language."))
    folder = publishing.lesson_folders(db.session, course).get(slug)
    if folder is None:
        refuse(404, _("This course has no lesson with that name."))
    return folder


def editor_page(
    slug: str,
    folder: str,
    language: str,
    text: str,
    base: int | None,
    conflict: publishing.Conflict | None = None,
    status: int = 200,
):
    """The editor on `text`, saved next as coming from revision `base`; after a refused
    save, with what someone else changed meanwhile."""
    course = content.course
    checked = _checked(folder, language, text)
    languages = publishing.folder_languages(db.session, course, folder)
    path = publishing.lesson_text_path(folder, language)
    page = render_template(
        "author/edit.html",
        course=course,
        slug=slug,
        folder=folder,
        title=front_matter_title(text) or slug,
        language=language,
        languages=languages,
        text=text,
        base="" if base is None else base,
        checked=checked,
        phrases=_editor_phrases(),
        conflict=conflict,
        waiting=publishing.pending(db.session, course.slug, [folder]),
        is_published=publishing.open_text(db.session, course, path).is_published,
        previewable=any(
            lesson.slug == slug and language in lesson.texts for lesson in course.lessons
        ),
        max_picture_mb=format_decimal(current_app.config["MAX_PICTURE_BYTES"] / 1_000_000),
    )
    return page, status


def front_matter_title(text: str) -> str | None:
    """The title a lesson text's front matter gives, as written (the text may not load)."""
    for line in text.splitlines()[1:20]:
        if line.startswith("title:"):
            return line.removeprefix("title:").strip().strip("\"'") or None
    return None


@bp.get(EDIT_PAGE)
@role_required(*STAFF)
def edit(slug: str, language: str):
    """A lesson's file in one language, as last saved (or as on disk), to edit beside its
    preview."""
    folder = lesson_folder_or_404(slug, language)
    opened = publishing.open_text(
        db.session, content.course, publishing.lesson_text_path(folder, language)
    )
    if not opened.exists:
        refuse(404, _("This lesson has no text in that language yet: start its translation first."))
    return editor_page(slug, folder, language, opened.text, opened.revision_id)


@bp.post(f"{EDIT_PAGE}/check")
@role_required(*STAFF)
def check_text(slug: str, language: str):
    """The editor's question after each pause in the typing: the preview of the `text`
    posted and its problems, as JSON; nothing is written or saved."""
    folder = lesson_folder_or_404(slug, language)
    return jsonify(_checked(folder, language, request.form.get("text", "")))
