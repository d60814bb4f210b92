"""Admin pages: the register as a record of processing, and privacy requests."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import ErasureRequestForm, ExportRequestForm
from app.extensions import content, db
from app.guards import role_required
from app.i18n import current_language
from app.models import AuditLogEntry, NoticeVersion, Role
from app.services import accounts, privacy

AUDIT_ROWS_SHOWN = 200


def _privacy_page(
    export_form: ExportRequestForm | None = None,
    erasure_form: ErasureRequestForm | None = None,
    status: int = 200,
):
    versions = db.session.scalars(
        sa.select(NoticeVersion).order_by(NoticeVersion.lesson_slug, NoticeVersion.first_shown_at)
    )
    audit = db.session.scalars(
        sa.select(AuditLogEntry).order_by(AuditLogEntry.recorded_at.desc()).limit(AUDIT_ROWS_SHOWN)
    )
    return render_template(
        "admin/privacy.html",
        register=content.register,
        versions=list(versions),
        audit=list(audit),
        export_form=export_form or ExportRequestForm(),
        erasure_form=erasure_form or ErasureRequestForm(),
    ), status


@bp.get("/<lang:lang>/admin/privacy")
@role_required(Role.ADMIN)
def privacy_record():
    """The data register as a record of processing (GDPR Art. 30), notice versions, and the
    log of requests handled."""
    return _privacy_page()


@bp.post("/<lang:lang>/admin/privacy/export")
@role_required(Role.ADMIN)
def export_for_request():
    """Export a learner's data for a request received by email; the export is logged."""
    form = ExportRequestForm()
    if not form.validate():
        return _privacy_page(export_form=form, status=422)
    user = accounts.find_user(db.session, form.email.data)
    if user is None:
        form.email.errors.append(_("There is no account with this email."))
        return _privacy_page(export_form=form, status=404)
    data = privacy.export_data(db.session, content.register, user.id, current_language())
    privacy.record_audit(db.session, current_user.id, "export", user.id)
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="user-{user.id}-data.json"'
    return response


@bp.post("/<lang:lang>/admin/privacy/erase")
@role_required(Role.ADMIN)
def erase_for_request():
    """Erase a learner's account for a request received by email, after the admin's
    password; the log keeps who did it and when, not whose data it was beyond a number."""
    form = ErasureRequestForm()
    if not form.validate():
        return _privacy_page(erasure_form=form, status=422)
    if not accounts.password_matches(current_user, form.password.data):
        form.password.errors.append(_("That is not your password."))
        return _privacy_page(erasure_form=form, status=401)
    user = accounts.find_user(db.session, form.email.data)
    if user is None:
        form.email.errors.append(_("There is no account with this email."))
        return _privacy_page(erasure_form=form, status=404)
    if user.id == current_user.id:
        form.email.errors.append(_("To erase your own account, use your data page."))
        return _privacy_page(erasure_form=form, status=409)
    user_id = user.id
    privacy.erase_account(db.session, content.register, user_id)
    privacy.record_audit(db.session, current_user.id, "erase", user_id)
    flash(_("The account and its data have been erased."), "success")
    return redirect(url_for("admin.privacy_record"), code=303)
