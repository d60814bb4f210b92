"""The breach register (GDPR Arts. 33 and 34): admins record every personal data breach,
whether or not it was notified, see which are due or overdue for the supervisory
authority, and download the register."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import BreachForm
from app.errors import refuse
from app.extensions import csrf, db
from app.guards import recent_authentication, role_required
from app.labels import SWITCHES
from app.models import Breach, Role, utcnow
from app.services import breaches as register
from app.services.reports import MEDIA_TYPES


def _form_page(form: BreachForm, breach: Breach | None = None, status: int = 200):
    return render_template(
        "admin/breach_form.html",
        form=form,
        breach=breach,
        state=register.deadline(breach) if breach is not None else None,
        history=register.history(db.session, breach.id) if breach is not None else [],
        now=utcnow(),
    ), status


def _values(form: BreachForm) -> dict:
    return {name: form[name].data for name in register.FIELDS}


@bp.get("/<lang:lang>/admin/breaches")
@role_required(Role.ADMIN)
def breaches():
    """Every breach recorded, the last discovered first, with its 72-hour deadline and
    where it stands with the supervisory authority."""
    now = utcnow()
    found = register.all_breaches(db.session)
    return render_template(
        "admin/breaches.html",
        breaches=[(breach, register.deadline(breach, now)) for breach in found],
        now=now,
    )


# Recording and changing a breach ask for no recent password: describing one can take
# longer than the 15 minutes it lasts, and sending the admin to confirm it would lose
# what they typed. Downloads, which take the whole register away, ask for it.
@bp.route("/<lang:lang>/admin/breaches/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@role_required(Role.ADMIN)
def new_breach():
    """Record a breach; the audit log notes who did and which fields were filled in."""
    form = BreachForm()
    if form.is_submitted():
        if not form.validate():
            return _form_page(form, status=422)
        breach = register.record(db.session, current_user.id, _values(form))
        flash(_("Breach #%(number)d is recorded.", number=breach.id), "success")
        return redirect(url_for("admin.breaches"), code=303)
    return _form_page(form)


@bp.route("/<lang:lang>/admin/breaches/<id:breach_id>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@role_required(Role.ADMIN)
def breach(breach_id: int):
    """Change a breach as more is learnt or done; each change is in the audit log."""
    found = register.get(db.session, breach_id) or abort(404)
    if request.method != "POST":
        return _form_page(BreachForm(obj=found), found)
    form = BreachForm()
    if not form.validate():
        return _form_page(form, found, status=422)
    if register.update(db.session, found, current_user.id, _values(form)):
        flash(_("Breach #%(number)d is updated.", number=found.id), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("admin.breaches"), code=303)


@bp.get("/admin/breaches.<any(csv, xlsx, json):output>")
@role_required(Role.ADMIN)
@recent_authentication
def export_breaches(output: str):
    """The register as a file; the download is in the audit log with the reports'."""
    back = [(url_for("admin.breaches"), _("Back to the breach register"))]
    for name in request.args:
        if name != "bom":
            refuse(400, _("There is no report option called “%(option)s”.", option=name), back)
    bom = request.args.get("bom", "0")
    if bom not in {"0", "1"}:
        refuse(400, _("This option is not valid: %(option)s.", option=SWITCHES["bom"]), back)
    rows = register.export_rows(db.session)
    chunks = list(register.write(rows, output, bom=bom == "1"))
    body = b"".join(chunks) if output == "xlsx" else "".join(chunks)
    register.record_download(db.session, current_user.id, output, len(rows))
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Response(
        body,
        content_type=MEDIA_TYPES[output],
        headers={"Content-Disposition": f'attachment; filename="breaches-{stamp}.{output}"'},
    )
