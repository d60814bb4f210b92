"""Report downloads, as admins and trainers ask for them: the filters and options of the
query string, checked the same way on every page that offers them, and the report streamed
as a file, logged however the download ends."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import NoReturn

from flask import Response, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.extensions import content, db
from app.labels import FILTERS, SWITCHES
from app.models import utcnow
from app.services import reports
from app.services.reports import (
    CohortWithoutCourse,
    EmptyPeriod,
    InvalidFilter,
    ReportExport,
    ReportFilters,
    UnknownCohort,
    UnknownCourse,
)

# Refuses the request with a status and a message (each page adds its own way back).
Refusal = Callable[[int, str], NoReturn]


def refuse_repeated(args: MultiDict[str, str], refuse: Refusal) -> None:
    """Every filter and option takes one value. Given twice, which would it be? A report
    meant to be pseudonymised, or a filtered one, must never quietly take the other."""
    for name in args:
        if len(args.getlist(name)) <= 1:
            continue
        if name in FILTERS:
            refuse(400, _("This filter is given more than once: %(field)s.", field=FILTERS[name]))
        if name in SWITCHES:
            refuse(400, _("This option is not valid: %(option)s.", option=SWITCHES[name]))
        refuse(400, _("This form gives a value more than once."))


def filters(
    refuse: Refusal,
    *,
    allowed: Collection[str] = FILTERS.keys(),
    switches: Collection[str] = (),
    fixed: Mapping[str, str] | None = None,
) -> ReportFilters:
    """The report filters in the query string, those `allowed` only, with the `fixed` ones
    (a trainer's cohort) on top, `checked`. A name that is neither an allowed filter nor
    one of `switches` is a 400: a misspelt `pseudonymize=1` quietly ignored would send out
    a report with names."""
    for name in request.args:
        if name not in allowed and name not in switches:
            refuse(400, _("There is no report option called “%(option)s”.", option=name))
    args = {name: request.args[name] for name in allowed if name in request.args}
    return checked({**args, **(fixed or {})}, refuse)


def checked(args: Mapping[str, str], refuse: Refusal) -> ReportFilters:
    """The filters `args` give, checked against the site's courses and cohorts: a bad value
    is a 400 naming the field, an unknown course or cohort a 404."""
    try:
        return reports.read_filters(db.session, args, content.catalogue)
    except UnknownCourse:
        refuse(404, _("There is no such course."))
    except UnknownCohort:
        refuse(404, _("There is no such cohort in this course."))
    except CohortWithoutCourse:
        refuse(400, _("Choose a course to see its learners who are in none of its cohorts."))
    except EmptyPeriod:
        refuse(400, _("The registration period ends before it starts."))
    except InvalidFilter as invalid:
        refuse(400, _("This filter value is not valid: %(field)s.", field=FILTERS[invalid.field]))


def switch(name: str, refuse: Refusal) -> bool:
    """An on/off option in the query string: "1" is on, absent or "0" off; anything else
    is refused rather than quietly read as off (a report meant to be pseudonymised must
    never come out with names)."""
    value = request.args.get(name, "0")
    if value not in {"0", "1"}:
        refuse(400, _("This option is not valid: %(option)s.", option=SWITCHES[name]))
    return value == "1"


def send(export: ReportExport, actor_id: int) -> Response:
    """The report as a file, streamed; recorded in the audit log with its filters and row
    count once it has been sent, or once the download stopped."""
    body = export.chunks(
        export.rows(db.session, reports.course_of(export.filters, content.catalogue))
    )

    def sent():
        # Logged however the download ends: rows a browser received before it stopped
        # reading have left the platform all the same.
        complete = False
        try:
            yield from body
            complete = True
        except BaseException:
            # A failed read leaves the session unusable; the log entry needs it.
            db.session.rollback()
            raise
        finally:
            export.record(db.session, actor_id, complete=complete)

    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    # Named so that a file to share is told apart from one with names at a glance.
    name = f"{export.kind}-pseudonymised" if export.pseudonymise else export.kind
    return Response(
        stream_with_context(sent()),
        content_type=reports.MEDIA_TYPES[export.output],
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.{export.output}"'},
    )
