"""The lesson editor: a lesson file's text in the browser, checked and previewed as the
trainer types. Trainers and admins only.

The page is a plain form with a textarea that posts the text to its own address (saving is
the revisions' business); app/static/js/editor.js turns the textarea into a code editor and
asks `check_text` for the preview and the problems after each pause in the typing."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from app.author import bp
from app.author.views import STAFF, any_lesson_or_404
from app.content import Lesson
from app.content.loader import read_text
from app.content.problems import Problem, Problems
from app.errors import refuse
from app.extensions import content
from app.guards import role_required
from app.services import lesson_preview
from config import ROOT

EDIT_PAGE = "/<lang:lang>/author/courses/<course>/lessons/<slug>/edit/<language>"


def _file_or_404(lesson: Lesson, language: str) -> Path:
    path = lesson_preview.lesson_file(content.course, lesson, language)
    if path is None:
        abort(404)
    return path


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


def _checked(lesson: Lesson, language: str, text: str) -> dict[str, object]:
    """The preview of `text` as that language's file of `lesson` (None while the course
    would not load with it), with its problems."""
    checked = lesson_preview.check_text(content.course, lesson, language, text, content.register)
    html = None
    if checked.lesson is not None and checked.text is not None:
        html = render_template("author/_lesson.html", lesson=checked.lesson, text=checked.text)
    return {"html": html, "problems": [_problem_entry(problem) for problem in checked.problems]}


@bp.get(EDIT_PAGE)
@role_required(*STAFF)
def edit(slug: str, language: str):
    """A lesson's file in one language, as it is on disk now, to edit beside its preview."""
    lesson = any_lesson_or_404(slug)
    problems = Problems()
    text = read_text(_file_or_404(lesson, language), problems)
    if text is None:
        refuse(422, problems.items[0].in_words(_))
    return render_template(
        "author/edit.html",
        lesson=lesson,
        language=language,
        text=text,
        # The revision the text was read from, which saving compares with the latest.
        base="",
        checked=_checked(lesson, language, text),
        phrases=_editor_phrases(),
    )


@bp.post(f"{EDIT_PAGE}/check")
@role_required(*STAFF)
def check_text(slug: str, language: str):
    """The editor's question after each pause in the typing: the preview of the `text`
    posted and its problems, as JSON; nothing is written to the lessons folder."""
    lesson = any_lesson_or_404(slug)
    _file_or_404(lesson, language)
    return jsonify(_checked(lesson, language, request.form.get("text", "")))
