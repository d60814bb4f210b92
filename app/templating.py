"""Helpers every template can use: course texts in the page's language, language names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from flask import Flask, g, request, url_for
from flask_babel import format_datetime, format_number, get_locale, get_translations, ngettext
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.content.markdown import BACK_TO_TEXT, LESSON_PAGE, TABLE_REGION
from app.content.model import in_language
from app.content.register import LegalBasis
from app.database import row_id
from app.extensions import content, db
from app.i18n import current_language, switch_language_url
from app.labels import (
    ANSWER_REVIEWS,
    AUDIT_ACTIONS,
    FILTERS,
    GRADINGS,
    LEGAL_BASES,
    REPORTS,
    ROLES,
    STORED_CODES,
    WITHHELD,
)
from app.models import AuditLogEntry, Role
from app.notices import categories_in_use, controller, localised_setting, sent_to
from app.services import cohorts
from app.services.breaches import breach_of
from app.services.cohorts import cohort_of
from app.services.privacy import account_of


def in_course() -> bool:
    """Whether the page is one course's (its address names it), or the site has only one."""
    return g.get("course_slug") is not None or len(content.catalogue.courses) == 1


def course_title() -> str:
    """The page's course title; outside a course, on a site of several, the name of the
    organisation running the default course, which the site is."""
    if not in_course():
        return content.catalogue.name(current_language())
    course = content.course
    return course.text(course.title, current_language())


def page_description() -> str:
    """What search engines show under the page's title, unless the page says more: its
    course's description, or, outside a course or for a course without one, the site's."""
    if in_course() and content.course.description:
        return content.course.text(content.course.description, current_language())
    return _("Online courses: read the lessons, take the quizzes and follow your progress.")


def site_part(name: str) -> tuple[str, str | None, str]:
    """What a part of the page that shows only the course (or the site) and the page's
    language is kept by (see kept_fragment): the part, the course, the language."""
    return (name, content.course.slug if in_course() else None, current_language())


def course_organisation() -> str:
    course = content.course
    return course.text(course.organisation, current_language()) if in_course() else ""


def course_languages() -> tuple[str, ...]:
    """The languages the page can be switched to: its course's, or every course's."""
    return content.course.languages if in_course() else content.catalogue.languages


def planned_lessons() -> int:
    return content.course.planned_lessons


def language_name(code: str) -> str:
    """A language's name in the page's language: 'es' on a Portuguese page is 'espanhol'."""
    return Locale.parse(code).get_display_name(current_language()) or code


def language_endonym(code: str) -> str:
    """A language's name in itself, as language switchers show it: 'Português'."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def sign_in_next() -> str | None:
    """Where to come back to after signing in: this page, unless it is an account page or
    an address that matches no page (it would only answer with the same error)."""
    if request.method != "GET" or (request.blueprint or "") == "account":
        return None
    if g.get("error_page"):
        return None
    return request.full_path.rstrip("?")


def localised(texts: Mapping[str, str]) -> str:
    """A per-language text of the data register, in the page's language."""
    return texts.get(current_language(), "")


def legal_basis(basis: LegalBasis) -> str:
    return str(LEGAL_BASES[basis])


def role_label(role: Role) -> str:
    return str(ROLES[role])


def withheld_label(name: str) -> str:
    return str(WITHHELD.get(name, name))


def lesson_name(slug: str, course: str | None = None) -> str:
    """A lesson as people know it, "1 · What is co-production?", in the page's language;
    a lesson no longer in the course (the page's, or the one named) keeps its slug."""
    found = content.catalogue.course(course) if course else content.course
    lesson = found.published_lesson(slug) if found else None
    if lesson is None:
        return slug
    return f"{lesson.number} · {lesson.text_for(current_language()).title}"


def data_value(value: Any, column: str = "", table: str = "") -> str:
    """A stored code as a learner reads it on their data page: roles, courses, optional
    uses, security events, emailed links and what the course team did, in the page's
    language (the JSON download keeps the stored values)."""
    codes = STORED_CODES.get((table, column))
    if codes is not None and value in codes:
        return str(codes[value])
    if (table, column) == ("consent_events", "purpose"):
        purposes = {purpose.id: purpose.text for purpose in content.register.purposes}
        return localised(purposes[value]) if value in purposes else str(value)
    if (table, column) == ("audit_log", "details"):
        return _audit_change(value)
    if column == "role":
        return role_label(Role(value))
    if column == "course":
        course = content.catalogue.course(value)
        return course.text(course.title, current_language()) if course else str(value)
    return str(value)


def utc_moment(moment: dt.datetime) -> str:
    """A time as pages show it: stored and shown in UTC, which the reader's own clock may
    not be, so the page says so."""
    return f"{format_datetime(moment, 'medium')} UTC"


def moment(value: dt.datetime | str) -> Markup:
    """A time as the data page shows it: a <time> giving it in UTC, written out in the
    page's language, "6 de diciembre de 2026, 19:30 UTC". The server does not know the
    reader's time zone; static/js/local-times.js rewrites the text in the browser's own."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    value = value.astimezone(dt.UTC)
    locale = get_locale()
    written = (
        get_datetime_format("long", locale)
        .replace("{1}", format_date(value, "long", locale=locale))
        .replace("{0}", format_time(value, "short", tzinfo=dt.UTC, locale=locale))
        .replace("'", "")
    )
    iso = value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return Markup('<time class="local-time" datetime="{}">{} UTC</time>').format(iso, written)


def audit_subject(subject_ref: str) -> str:
    """What an audit log entry is about, in the page's language: an account by its number
    (the log never names people), or a report."""
    if (account := account_of(subject_ref)) is not None:
        return _("Account #%(number)s", number=account)
    if (breach := breach_of(subject_ref)) is not None:
        return _("Breach #%(number)d", number=breach)
    if (cohort := cohort_of(subject_ref)) is not None:
        return _("Cohort #%(number)d", number=cohort)
    return str(REPORTS.get(subject_ref, subject_ref))


def audit_action(entry: AuditLogEntry) -> str:
    """What an audit log entry about an account says was done, in the page's language,
    with what it changed."""
    words = str(AUDIT_ACTIONS.get(entry.action, entry.action))
    changed = _audit_change(entry.details or {})
    return f"{words}: {changed}" if changed else words


def _audit_change(details: Mapping[str, Any]) -> str:
    """What an audit log entry's details say was changed, if anything: a lesson, a role."""
    if "lesson" in details:
        return lesson_name(details["lesson"], details.get("course"))
    if "role" in details:
        return role_label(Role(details["role"]))
    return ""


def _filter_value(name: str, value: str) -> str:
    if name == "language":
        return language_endonym(value)
    if name == "role":
        return role_label(Role(value))
    if name == "course":
        course = content.catalogue.course(value)
        return course.text(course.title, current_language()) if course else value
    if name == "cohort":
        return _cohort_name(value)
    return value


def _cohort_name(value: str) -> str:
    """A cohort filter's value in words: the cohort's name while it exists, else its number."""
    if value == "none":
        return _("In no cohort")
    number = row_id(value)
    cohort = cohorts.get(db.session, number) if number is not None else None
    return cohort.name if cohort else f"#{value}"


def report_details(details: Mapping[str, Any]) -> str:
    """A report download's logged details in words: format, rows, pseudonyms, filters, and
    whether it was sent whole."""
    parts = [
        str(details["format"]).upper(),
        ngettext(
            "%(rows)s row", "%(rows)s rows", details["rows"], rows=format_number(details["rows"])
        ),
    ]
    if details.get("pseudonymised"):
        parts.append(_("with pseudonyms"))
    for name, value in details.get("filters", {}).items():
        parts.append(f"{FILTERS[name]}: {_filter_value(name, value)}")
    if details.get("complete") is False:
        parts.append(_("stopped before the end"))
    return " · ".join(parts)


# In a link or a picture, as the loader leaves it: "aula-lesson:<slug>", then the picture's
# path or the link's anchor.
LESSON_ADDRESS = f'"{LESSON_PAGE}'
SLUG = re.compile(r'[^/"#?]*')


def lesson_html(html: str, lesson_page: str = "learn.lesson") -> Markup:
    """Lesson HTML (text, question, option or feedback) rendered once at load, its links to
    lessons and its pictures pointed at the lesson pages of the `lesson_page` endpoint: the
    learners' lessons, or the trainers' previews (which also show drafts' pictures). Split
    rather than searched with a pattern: four times as fast on a long lesson."""
    first, *addresses = html.split(LESSON_ADDRESS)
    pieces = [first]
    for address in addresses:
        slug = SLUG.match(address)[0]
        pieces.append(f'"{url_for(lesson_page, slug=slug)}{address[len(slug) :]}')
    return Markup("".join(pieces))


def lesson_body(html: str, lesson_page: str = "learn.lesson") -> Markup:
    """A lesson's text, as `lesson_html`, with the words it leaves to the page: the spoken
    names of each footnote's way back to the text and of each table's region."""
    back, table = escape(_("Back to the text")), escape(_("Table"))
    html = html.replace(BACK_TO_TEXT, f'aria-label="{back}"')
    return lesson_html(html.replace(TABLE_REGION, f'aria-label="{table}"'), lesson_page)


def _translations(context: Context) -> Any:
    """The translations of the page being rendered: looked up once per page (see
    `init_app`), not for each of the few dozen words a page translates."""
    return context.get(TRANSLATIONS) or get_translations()


# The template variable holding them.
TRANSLATIONS = "translations_of_page"


def _install_translations(app: Flask) -> None:
    """Flask-Babel's words for the templates, each of which finds the request's language
    anew; these find it once per page, when the page's variables are set."""
    app.context_processor(lambda: {TRANSLATIONS: get_translations()})
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=pass_context(lambda context, s: _translations(context).ugettext(s)),
        ngettext=pass_context(lambda context, s, p, n: _translations(context).ungettext(s, p, n)),
        newstyle=True,
        pgettext=pass_context(lambda context, c, s: _translations(context).upgettext(c, s)),
        npgettext=pass_context(
            lambda context, c, s, p, n: _translations(context).unpgettext(c, s, p, n)
        ),
    )


def init_app(app: Flask) -> None:
    _install_translations(app)
    app.jinja_env.globals.update(
        privacy_controller=controller,
        categories_in_use=categories_in_use,
        sent_to=sent_to,
        localised_setting=localised_setting,
        role_label=role_label,
        grading_label=lambda grading: str(GRADINGS[grading]),
        answers_label=lambda review: str(ANSWER_REVIEWS[review]),
        course_title=course_title,
        site_part=site_part,
        in_course=in_course,
        course_organisation=course_organisation,
        page_description=page_description,
        course_languages=course_languages,
        planned_lessons=planned_lessons,
        current_language=current_language,
        switch_language_url=switch_language_url,
        sign_in_next=sign_in_next,
        cookie_days=lambda name: content.register.cookie(name).days,
    )
    app.jinja_env.filters.update(
        language_name=language_name,
        language_endonym=language_endonym,
        localised=localised,
        legal_basis=legal_basis,
        withheld_label=withheld_label,
        lesson_name=lesson_name,
        data_value=data_value,
        audit_subject=audit_subject,
        utc_moment=utc_moment,
        moment=moment,
        audit_action=audit_action,
        report_details=report_details,
        lesson_body=lesson_body,
        lesson_html=lesson_html,
        in_language=in_language,
    )
