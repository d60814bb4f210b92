"""Course and lesson pages, and the lesson's quiz."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from urllib.parse import urlencode

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.certificates.forms import CertificateNameForm
from app.certificates.views import verification_address
from app.content import Course, Lesson
from app.content.lint import IMAGE_TYPES
from app.courses import hide_course
from app.errors import CSRF_MESSAGE, refuse
from app.extensions import content, csrf, db
from app.i18n import current_language, preferred_language
from app.kept_pages import for_learner, for_visitors
from app.learn import KEPT_ANSWERS, bp
from app.models import User
from app.notices import note_shown, notice_for
from app.services import (
    catalogue,
    certificates,
    cohorts,
    learner_pages,
    learning_events,
    privacy,
    progress,
    quizzes,
)

# Why answers come back ticked, not yet sent (see `_keep_answers`).
KEPT_NOTES = {
    "signed-in": _l(
        "Here are the answers you chose before your session ended: send them when ready."
    ),
    "out-of-date": _l(
        "This page was out of date, so your answers were not sent: here they are, ready to send."
    ),
    "already-sent": _l(
        "Attempt %(number)d had already been sent from another page, with other answers:"
        " yours were not graded. Here they are, ready to send as your next attempt."
    ),
    "switched-language": _l("Your answers are still ticked below, ready to send."),
}

# The quiz form's id: the language switcher's buttons send it (see `answer_quiz`).
QUIZ_FORM = "quiz-form"
# The category of what an answered quiz's outcome flashes: said in the quiz's own section
# (learn/_quiz.html), where the page opens after an answer, not at the top of the page.
QUIZ_OUTCOME = "quiz"


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _published_lesson_or_404(slug: str) -> Lesson:
    course_or_404()
    lesson = content.course.published_lesson(slug)
    if lesson is None:
        abort(404)
    return lesson


def course_or_404() -> Course:
    """The request's course, to those who may take part in it: to anyone else a course
    open to its members only is not there."""
    course = content.course
    user = current_user if current_user.is_authenticated else None
    if not cohorts.may_take_part(db.session, user, course.slug):
        hide_course()
        refuse(404, _("There is no course at this address."))
    return course


def _render_lesson(
    lesson: Lesson,
    page: learner_pages.LessonPage | None,
    *,
    status: int = 200,
    chosen: Mapping[str, list[str]] | None = None,
    unanswered: Collection[str] = (),
    kept_note: str | None = None,
):
    """The lesson page: for a visitor when `page` is None, else the signed-in learner's."""
    course = content.course
    previous, following = course.neighbours(lesson)
    notice = notice_for(lesson)
    note_shown(lesson, notice)
    if page is None:
        learner_progress = progress.course_progress(db.session, None, course)
        quiz_status, acknowledged = None, False
    else:
        learner_progress, quiz_status, acknowledged = page.progress, page.quiz, page.acknowledged
    form_shown = acknowledged and quiz_status is not None and quiz_status.can_attempt
    rendered = render_template(
        "learn/lesson.html",
        course=course,
        lesson=lesson,
        text=lesson.text_for(current_language()),
        previous=previous,
        following=following,
        progress=learner_progress,
        quiz_status=quiz_status,
        chosen=chosen or {},
        unanswered=set(unanswered),
        kept_note=kept_note,
        notice=notice,
        acknowledged=acknowledged,
        same_as=page.same_as if page is not None else None,
        quiz_form=QUIZ_FORM,
        # Switching language sends the unsent ticks along, so that they come back ticked.
        language_switch_form=QUIZ_FORM if form_shown else None,
        keep_language_nav=True,
    )
    return rendered, status


def _learner_page(lesson: Lesson, *, opening: bool = True) -> learner_pages.LessonPage:
    return learner_pages.lesson_page(
        db.session,
        current_user.id,
        content.course,
        lesson,
        notice_version=notice_for(lesson).version,
        language=current_language(),
        opening=opening,
    )


def _has_acknowledged(lesson: Lesson) -> bool:
    """Whether the signed-in learner has read the lesson's current data notice."""
    return current_user.is_authenticated and privacy.has_acknowledged(
        db.session, current_user.id, lesson, notice_for(lesson).version
    )


def _require_acknowledgment(lesson: Lesson) -> None:
    """Nothing is recorded for a lesson before its data notice is acknowledged."""
    if not _has_acknowledged(lesson):
        refuse(409, _("Please confirm that you have read this lesson's data notice first."))


@bp.get("/")
def root():
    """Send the visitor to the courses in their language."""
    return redirect(url_for("learn.home", lang=preferred_language()))


@bp.get("/<lang:lang>/")
def home():
    """The catalogue of the courses given in the page's language that the person may take
    part in; with only one, that course's page itself, as a single-course site has it."""
    for_learner()
    user = current_user if current_user.is_authenticated else None
    listed = catalogue.listing(db.session, user, content.catalogue, current_language())
    if len(listed) == 1:
        g.course_slug = listed[0].course.slug
        return course_page(listed[0].course)
    return for_visitors(lambda: render_template("learn/catalogue.html", listed=listed))


@bp.get("/<lang:lang>/courses/<course>/")
def course():
    """The course page: every planned lesson, the learner's progress, where to resume."""
    for_learner()
    return course_page(course_or_404())


def course_page(course: Course, certificate_form=None, status: int = 200):
    """The course page, with the learner's certificate or the form that asks for it (as
    sent, with its errors, when it was refused)."""

    def render():
        learner_progress = progress.course_progress(db.session, _user_id(), course)
        certificate = certificates.state(db.session, _user_id(), course, learner_progress)
        form = certificate_form
        if form is None and certificate.claimable:
            form = CertificateNameForm(name=certificate.suggested_name)
        page = render_template(
            "learn/course.html",
            course=course,
            progress=learner_progress,
            certificate=certificate,
            certificate_form=form,
            profile_link=profile_link(course, certificate.certificate),
            keep_language_nav=True,
        )
        return page, status

    return for_visitors(render)


def profile_link(course: Course, certificate) -> str | None:
    """LinkedIn's address that adds the certificate to the learner's profile, filled in
    from its parameters (no script of theirs on our page); None where it is turned off."""
    if certificate is None or not certificate.is_valid:
        return None
    if not current_app.config["CERTIFICATE_PROFILE_LINK"]:
        return None
    issued = certificate.issued_at
    query = urlencode(
        {
            "startTask": "CERTIFICATION_NAME",
            "name": course.text(course.title, current_language()),
            "organizationName": course.text(course.organisation, current_language()),
            "issueYear": issued.year,
            "issueMonth": issued.month,
            "certUrl": verification_address(certificate.code),
            "certId": certificate.code,
        }
    )
    return f"https://www.linkedin.com/profile/add?{query}"


@bp.get("/<lang:lang>/courses/<course>/lessons/<slug>")
def lesson(slug: str):
    """A lesson in the page's language, or in the default one with a note saying so."""
    lesson = _published_lesson_or_404(slug)
    # A page kept for the learner is served before Flask, where no opening can be told:
    # while someone listens for openings (a learning record store), each is made anew.
    if not learning_events.has_listeners(learning_events.LessonOpened):
        for_learner()
    if not current_user.is_authenticated:
        return for_visitors(lambda: _render_lesson(lesson, None))
    page = _learner_page(lesson)
    if not page.acknowledged:
        return _render_lesson(lesson, page)
    kept = session.get(KEPT_ANSWERS)
    if kept and _kept_for(kept, lesson) and kept["account"] == current_user.id:
        # Kept until they are sent: a reload, or coming back later, still finds them. The
        # quiz says once why they are ticked, where the page opens.
        note = None
        if not kept.get("told"):
            note = str(KEPT_NOTES[kept.get("note", "signed-in")]) % {"number": kept.get("number")}
            session[KEPT_ANSWERS] = {**kept, "told": True}
        return _render_lesson(lesson, page, chosen=kept["answers"], kept_note=note)
    return _render_lesson(lesson, page)


@bp.get("/<lang:lang>/courses/<course>/lessons/<slug>/files/<path:filename>")
def lesson_file(slug: str, filename: str):
    """A picture from the lesson's folder (the loader checked that the lesson uses it)."""
    return send_lesson_file(_published_lesson_or_404(slug), filename)


def send_lesson_file(lesson: Lesson, filename: str):
    """A picture from the lesson's folder; anything else there is not served."""
    if Path(filename).suffix.lower() not in IMAGE_TYPES:
        abort(404)
    return send_from_directory(lesson.folder, filename)


@bp.post("/<lang:lang>/courses/<course>/lessons/<slug>/acknowledge")
def acknowledge(slug: str):
    """The learner confirms reading the lesson's data notice; the lesson starts."""
    lesson = _published_lesson_or_404(slug)
    if not current_user.is_authenticated:
        return _sign_in_first(lesson)
    version = notice_for(lesson).version
    if not request.form.get("version"):
        refuse(400, _("The data notice's form was incomplete. Please reload the page."))
    if request.form.get("version") != version:
        flash(_("The data notice has changed since you opened the page. Please read it again."))
        return redirect(url_for("learn.lesson", slug=lesson.slug, _anchor="data-notice"), 303)
    privacy.acknowledge(db.session, current_user.id, lesson, version, current_language())
    progress.record_start(db.session, current_user.id, lesson)
    return redirect(url_for("learn.lesson", slug=lesson.slug), 303)


@bp.get("/<lang:lang>/privacy")
def privacy_notice():
    """The full privacy notice: every category in the register, the optional purposes,
    the controller and the learner's rights."""
    return render_template("learn/privacy.html", register=content.register)


def _sign_in_first(lesson: Lesson, message: str | None = None, anchor: str | None = None):
    flash(message or _("Please sign in to continue."), "info")
    back = url_for("learn.lesson", slug=lesson.slug, _anchor=anchor)
    return redirect(url_for("account.login", next=back))


@bp.post("/<lang:lang>/courses/<course>/lessons/<slug>/complete")
def complete(slug: str):
    """Mark the lesson complete; anonymous readers are sent to sign in and back."""
    lesson = _published_lesson_or_404(slug)
    if not current_user.is_authenticated:
        return _sign_in_first(lesson)
    if lesson.quiz is not None and lesson.quiz.settings.required:
        refuse(409, _("This lesson is completed by passing its quiz."))
    _require_acknowledgment(lesson)
    user_id = current_user.id  # not read again once committing expires the account
    if progress.record_completion(db.session, user_id, lesson, language=current_language()):
        flash(_("Well done: lesson %(number)d is complete.", number=lesson.number), "success")
        _tell_of_certificate("success", user_id)
    return redirect(url_for("learn.lesson", slug=lesson.slug, _anchor="lesson-status"), code=303)


def _tell_of_certificate(category: str, user_id: int) -> None:
    """Issue the course's certificate if the lesson just completed earned it, and say so."""
    news = certificates.after_completion(db.session, user_id, content.course)
    if news is None:
        return
    if news.certificate is not None:
        told = _("You have earned the course's certificate: it is on the course page.")
    else:
        told = _(
            "You have earned the course's certificate: tell us on the course page how to"
            " print your name."
        )
    flash(told, category)


def _page_learner() -> int | None:
    """The learner a quiz form was made for, as the page says (an account number, read as
    a session id's is)."""
    return User.read_id(request.form.get("learner", ""))[0]


def _kept_for(kept: Mapping, lesson: Lesson) -> bool:
    """Whether answers kept in the session are to `lesson` (answers kept before courses
    named no course, and were the default course's)."""
    course = kept.get("course", content.catalogue.default.slug)
    return kept["lesson"] == lesson.slug and course == lesson.course


def _keep_answers(lesson: Lesson, account: int, note: str, **values) -> bool:
    """Keep the answers of a form that could not be graded, for `account` only, to come
    back ticked on the lesson page with `note` (see KEPT_NOTES). False if there are none."""
    answers = quizzes.answers_to_keep(lesson.quiz, request.form.to_dict(flat=False))
    if not answers:
        return False
    session[KEPT_ANSWERS] = {
        "course": lesson.course,
        "lesson": lesson.slug,
        "account": account,
        "answers": answers,
        "note": note,
        **values,
    }
    return True


def _drop_kept_answers(lesson: Lesson, account: int) -> None:
    """Forget `account`'s kept answers to `lesson`; another account's wait on."""
    kept = session.get(KEPT_ANSWERS)
    if kept and _kept_for(kept, lesson) and kept["account"] == account:
        session.pop(KEPT_ANSWERS)


def _language_asked() -> str:
    """The language a quiz form's switcher button asked for, or else the page's."""
    asked = request.form.get("switch_language")
    return asked if content.course.offers(asked or "") else current_language()


def _answers_not_sent(lesson: Lesson):
    """A quiz form that cannot be graded as it is: its session ended (signed out here or
    elsewhere), or it is older than the session (signed out and in again in another tab).
    Its answers wait for the learner whose page it was, and for nobody else."""
    account = _page_learner()
    if not current_user.is_authenticated:
        # A session that ended elsewhere still names its account.
        account = account or User.read_id(session.get("_user_id", ""))[0]
        if account is not None and _keep_answers(lesson, account, "signed-in"):
            return _sign_in_first(
                lesson,
                _("Please sign in to send your answers: they are kept until you do."),
                anchor="quiz",
            )
        return _sign_in_first(lesson)
    # A form without its token is no page's: refused, with nothing kept.
    if not request.form.get("csrf_token") or account is None:
        refuse(400, str(CSRF_MESSAGE))
    if account == current_user.id:
        kept = _keep_answers(lesson, account, "out-of-date")
        if kept or "switch_language" in request.form:
            return redirect(
                url_for("learn.lesson", slug=lesson.slug, lang=_language_asked(), _anchor="quiz"),
                code=303,
            )
        refuse(400, str(CSRF_MESSAGE))
    # Another account has signed in here since the page was opened: the answers wait for
    # the page's own, shown to nobody else.
    _keep_answers(lesson, account, "signed-in")
    refuse(
        409,
        _(
            "This page was opened by another account than the one signed in now. Its answers"
            " are kept for that account: they come back when it signs in on this browser."
        ),
    )


@bp.post("/<lang:lang>/courses/<course>/lessons/<slug>/quiz")
@csrf.exempt  # checked in the view, so that a form it refuses keeps its answers
def answer_quiz(slug: str):
    """Grade a quiz attempt on the server and show the result on the lesson page."""
    lesson = _published_lesson_or_404(slug)
    if lesson.quiz is None:
        refuse(404, _("This lesson has no quiz."))
    try:
        csrf.protect()
    except CSRFError:
        return _answers_not_sent(lesson)
    if not current_user.is_authenticated:
        return _answers_not_sent(lesson)
    _require_acknowledgment(lesson)
    tampered = _("The quiz form was changed or is out of date. Please reload the page.")
    if (language := request.form.get("switch_language")) is not None:
        if not content.course.offers(language):
            refuse(400, tampered)
        anchor = "quiz"
        if not _keep_answers(lesson, current_user.id, "switched-language"):
            _drop_kept_answers(lesson, current_user.id)  # all unticked since they were kept
            # Nothing to come back to: the page's start, as a link would open it (without
            # a fragment of its own, the browser would keep the form's #quiz).
            anchor = "content"
        return redirect(
            url_for("learn.lesson", slug=lesson.slug, lang=language, _anchor=anchor), code=303
        )
    number = request.form.get("attempt", "")
    if not (number.isascii() and number.isdigit()):
        refuse(400, tampered)
    form = request.form.to_dict(flat=False)
    # Kept, as committing the attempt expires the signed-in account: it is not read again.
    user_id = current_user.id
    try:
        answers = quizzes.read_answers(lesson.quiz, form)
        submission = quizzes.submit_attempt(
            db.session,
            user_id,
            lesson,
            number=int(number),
            language=current_language(),
            answers=answers,
        )
    except quizzes.UnansweredQuestions as missing:
        return _render_lesson(
            lesson,
            _learner_page(lesson, opening=False),
            status=422,
            chosen=form,
            unanswered=missing.question_ids,
        )
    except quizzes.NoAttemptsLeft:
        refuse(403, _("You have used all your attempts at this quiz."))
    except quizzes.TamperedForm:
        refuse(400, tampered)
    attempt = submission.attempt
    _drop_kept_answers(lesson, user_id)  # sent at last

    def can_try_again() -> bool:
        return quizzes.quiz_status(db.session, user_id, lesson).can_attempt

    if submission.is_duplicate and quizzes.same_answers(attempt, answers):
        flash(_("This attempt was already submitted; here is its result."), QUIZ_OUTCOME)
    elif submission.is_duplicate and can_try_again():
        # Sent from another tab first, with other answers: these were not graded.
        _keep_answers(lesson, user_id, "already-sent", number=attempt.number)
    elif submission.is_duplicate:
        flash(
            _(
                "Attempt %(number)d had already been sent from another page, with other"
                " answers: these were not graded, and no attempts are left.",
                number=attempt.number,
            ),
            QUIZ_OUTCOME,
        )
    elif submission.completed_lesson:
        flash(
            _("You passed the quiz: lesson %(number)d is complete.", number=lesson.number),
            QUIZ_OUTCOME,
        )
        _tell_of_certificate(QUIZ_OUTCOME, user_id)
    elif attempt.passed:
        flash(_("You passed the quiz."), QUIZ_OUTCOME)
    elif can_try_again():
        flash(_("Not passed this time; you can try again."), QUIZ_OUTCOME)
    else:
        flash(_("Not passed, and no attempts are left."), QUIZ_OUTCOME)
    return redirect(url_for("learn.lesson", slug=lesson.slug, _anchor="quiz"), code=303)


@bp.get("/<lang:lang>/lessons/<slug>")
@bp.route("/<lang:lang>/lessons/<slug>/<any(acknowledge, complete, quiz):action>", methods=["POST"])
@bp.get("/<lang:lang>/lessons/<slug>/files/<path:filename>")
@csrf.exempt  # a form sent here is sent on, and checked where it arrives
def moved_lesson(slug: str, action: str | None = None, filename: str | None = None):
    """Lesson addresses from before a site held several courses: the same page of the
    default course, for good (forms sent on as they are, with 308); of another course
    when only that one has such a lesson (an address copied from an older guide)."""
    course = _course_of_moved(slug)
    if filename is not None:
        target = url_for("learn.lesson_file", course=course, slug=slug, filename=filename)
    elif action is not None:
        target = url_for(f"learn.{_MOVED_FORMS[action]}", course=course, slug=slug)
    else:
        target = url_for("learn.lesson", course=course, slug=slug)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, 301 if request.method == "GET" else 308)


def _course_of_moved(slug: str) -> str:
    catalogue = content.catalogue
    if catalogue.default.published_lesson(slug) is None:
        holding = [course for course in catalogue.courses if course.published_lesson(slug)]
        if len(holding) == 1:
            return holding[0].slug
    return catalogue.default.slug


# The endpoint each form of a lesson is sent to, by the last part of its old address.
_MOVED_FORMS = {"acknowledge": "acknowledge", "complete": "complete", "quiz": "answer_quiz"}
