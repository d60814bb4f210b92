"""Trainers write in the browser: save a lesson's text (every save a revision), compare and
restore revisions, start a lesson or a translation, upload pictures, and publish a lesson
or the whole course once it has no errors. The editor page itself is app/author/lesson_editor.py."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from app.author import bp
from app.author.lesson_editor import editor_page, front_matter_title, lesson_folder_or_404
from app.author.views import STAFF, overview
from app.content import Course
from app.content.pictures import PictureRefused, prepare_picture
from app.errors import refuse
from app.extensions import content, csrf, db
from app.guards import role_required
from app.services import publishing

LESSON_PAGES = "/<lang:lang>/author/courses/<course>/lessons/<slug>"


def _revision_number(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        refuse(400, _("The form was changed or is out of date. Please reload the page."))
    return int(value)


def _back_to_editor(slug: str, language: str):
    return redirect(url_for("author.edit", slug=slug, language=language), 303)


def _publish_result(published: publishing.Published) -> None:
    """Tell the trainer how a publication went, and take it in at once on this host."""
    if published.is_done:
        follower = current_app.extensions["publications"]
        if follower.catch_up(current_app._get_current_object(), db.session, now=True):
            content.reload(current_app._get_current_object())
        flash(
            _("Published: learners see the new version within a few seconds."),
            "success",
        )
    elif published.problems:
        flash(_("Not published: fix the errors first. Learners still see the previous version."))
    else:
        flash(_("Nothing to publish: learners already see the latest version."))


@bp.post(f"{LESSON_PAGES}/edit/<language>")
@role_required(*STAFF)
def save(slug: str, language: str):
    """Keep the text as a new revision; if someone saved after the trainer opened it, save
    nothing and show what they changed, with both changes merged in the editor."""
    course = content.course
    folder = lesson_folder_or_404(slug, language)
    text = request.form.get("text")
    if text is None:
        refuse(400, _("The form was changed or is out of date. Please reload the page."))
    base = _revision_number(request.form.get("base"))
    path = publishing.lesson_text_path(folder, language)
    result = publishing.save_text(
        db.session, course, content.register, path, text, base, current_user
    )
    if isinstance(result, publishing.Conflict):
        flash(
            _(
                "Not saved: someone else saved this text after you opened it. Their changes "
                "and yours are merged below; check them, then save again."
            ),
            "error",
        )
        return editor_page(slug, folder, language, result.merged, result.latest_id, result, 409)
    if result.has_errors:
        flash(
            _("Saved as a draft with errors: it cannot be published until they are fixed."),
            "error",
        )
    else:
        flash(_("Saved. Learners see it once you publish the lesson."), "success")
    return _back_to_editor(slug, language)


@bp.get(f"{LESSON_PAGES}/history/<language>")
@role_required(*STAFF)
def history(slug: str, language: str):
    """Every revision of one of the lesson's texts; one compared with the newest."""
    course = content.course
    folder = lesson_folder_or_404(slug, language)
    path = publishing.lesson_text_path(folder, language)
    revisions = publishing.history(db.session, course.slug, path)
    asked = _revision_number(request.args.get("compare"))
    compared = next((entry for entry in revisions if entry.id == asked), None)
    if asked is not None and compared is None:
        refuse(404, _("This text has no such version."))
    changes = None
    if compared is not None:
        older = publishing.revision_text(db.session, course.slug, path, compared.id)
        changes = publishing.compare(
            older or "", publishing.open_text(db.session, course, path).text
        )
    opened = publishing.open_text(db.session, course, path)
    return render_template(
        "author/history.html",
        course=course,
        slug=slug,
        language=language,
        path=path,
        title=front_matter_title(opened.text) or slug,
        revisions=revisions,
        compared=compared,
        changes=changes,
    )


@bp.post(f"{LESSON_PAGES}/history/<language>/restore")
@role_required(*STAFF)
def restore(slug: str, language: str):
    """Bring an earlier revision back as the newest (the ones after it stay)."""
    course = content.course
    folder = lesson_folder_or_404(slug, language)
    revision = _revision_number(request.form.get("revision"))
    if revision is None:
        refuse(400, _("The form was changed or is out of date. Please reload the page."))
    path = publishing.lesson_text_path(folder, language)
    restored = publishing.restore(
        db.session, course, content.register, path, revision, current_user
    )
    if restored is None:
        refuse(404, _("This text has no such version."))
    flash(
        _("The earlier version is back, as the newest. Publish the lesson to give it to learners."),
        "success",
    )
    return _back_to_editor(slug, language)


@bp.post(f"{LESSON_PAGES}/publish")
@role_required(*STAFF)
def publish_lesson(slug: str):
    """Give learners the newest version of the lesson's texts and pictures."""
    course = content.course
    folder = lesson_folder_or_404(slug)
    published = publishing.publish(
        db.session, course, content.register, current_user, folders=[folder]
    )
    _publish_result(published)
    if published.problems and not published.is_done:
        return _problems_page(course, published)
    return redirect(url_for("author.course"), 303)


@bp.post("/<lang:lang>/author/courses/<course>/publish")
@role_required(*STAFF)
def publish_course(**_ignored):
    """Give learners the newest version of every lesson of the course."""
    course = content.course
    published = publishing.publish(db.session, course, content.register, current_user)
    _publish_result(published)
    if published.problems and not published.is_done:
        return _problems_page(course, published)
    return redirect(url_for("author.course"), 303)


def _problems_page(course: Course, published: publishing.Published):
    return overview((course,), published.problems, 422)


@bp.route("/<lang:lang>/author/courses/<course>/lessons/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_lesson(**_ignored):
    """Start a lesson: its number, short name and title in the course's default language."""
    course = content.course
    wrong: list[str] = []
    number_text = request.form.get("number", "").strip()
    slug = request.form.get("slug", "").strip()
    title = request.form.get("title", "").strip()
    if request.method == "POST":
        number = int(number_text) if number_text.isdigit() and len(number_text) < 4 else 0
        wrong = [
            _(each) for each in publishing.new_lesson_problems(course, db.session, number, slug)
        ]
        if not title:
            wrong.append(_("Give the lesson a title."))
        if not wrong:
            publishing.start_lesson(db.session, course, number, slug, title, current_user)
            flash(_("Lesson started. Write it, then publish it when it is ready."), "success")
            return _back_to_editor(slug, course.default_language)
    else:
        number_text = str(max((lesson.number for lesson in course.lessons), default=0) + 1)
    return render_template(
        "author/new_lesson.html",
        course=course,
        wrong=wrong,
        number=number_text,
        slug=slug,
        title=title,
    ), (422 if wrong else 200)


@bp.post(f"{LESSON_PAGES}/translate/<language>")
@role_required(*STAFF)
def start_translation(slug: str, language: str):
    """A translation's first text: the source's, stamped as translated from it."""
    course = content.course
    folder = lesson_folder_or_404(slug, language)
    if language in publishing.folder_languages(db.session, course, folder):
        return _back_to_editor(slug, language)
    source_path = publishing.lesson_text_path(folder, course.default_language)
    source = publishing.open_text(db.session, course, source_path)
    if not source.exists:
        refuse(404, _("The lesson has no text in its source language yet."))
    publishing.start_translation(db.session, course, folder, language, source.text, current_user)
    flash(_("Translation started from the source text: write over it."), "success")
    return _back_to_editor(slug, language)


@bp.post(f"{LESSON_PAGES}/pictures")
@csrf.exempt
@role_required(*STAFF)
def upload_picture(slug: str):
    """Keep an uploaded picture in the lesson's folder, made safe (metadata such as a
    photo's position removed), and give the Markdown that shows it."""
    limit = current_app.config["MAX_PICTURE_BYTES"]
    # The form's token is checked here, once the form may be as large as a picture
    # (app/security.py allows it): checked before, it was read under every form's limit.
    csrf.protect()
    course = content.course
    folder = lesson_folder_or_404(slug)
    upload = request.files.get("picture")
    alt = " ".join(request.form.get("alt", "").split())
    wants_json = request.accept_mimetypes.best == "application/json"
    if upload is None or not upload.filename:
        return _picture_refused(_("Choose a picture to upload."), wants_json, slug)
    try:
        picture = prepare_picture(upload.read(limit + 1), upload.filename, max_bytes=limit)
    except PictureRefused as refused:
        return _picture_refused(refused.in_words(_, format_decimal), wants_json, slug)
    publishing.add_picture(db.session, course, folder, picture.name, picture.data, current_user)
    markdown = f"![{_escape_alt(alt)}]({picture.name})"
    if wants_json:
        return jsonify(markdown=markdown, name=picture.name)
    flash(
        _("Picture uploaded. Put this where it goes in the text: %(markdown)s", markdown=markdown),
        "success",
    )
    language = request.form.get("language", course.default_language)
    return _back_to_editor(
        slug, language if language in course.languages else course.default_language
    )


def _escape_alt(alt: str) -> str:
    return alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _picture_refused(message: str, wants_json: bool, slug: str):
    if wants_json:
        return jsonify(error=message), 422
    refuse(422, message)
