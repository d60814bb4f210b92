"""An account's security, in the owner's hands: confirming it is them before a sensitive
action, the browsers signed in, the password, the email address and two-step sign-in."""

from __future__ import annotations

import datetime as dt

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from app.account import bp, tries
from app.account.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmIdentityForm,
    TwoStepSetupForm,
)
from app.account.views import safe_next
from app.errors import refuse
from app.extensions import content, db, limiter
from app.guards import (
    MUST_CHANGE_PASSWORD,
    SESSION_SECRET,
    mark_authenticated,
    recent_authentication,
    signed_in,
    two_step_required,
)
from app.i18n import current_language
from app.mail import send_course_mail, send_later, tell_of_change
from app.models import TokenPurpose
from app.services import accounts, sessions, two_step
from app.services.accounts import SecurityEventKind

# The secret shown while two-step sign-in is being set up, until a code proves the app has it.
SETUP_SECRET = "two_step_setup_secret"


def _record(kind: SecurityEventKind) -> None:
    accounts.record_security_event(db.session, current_user.id, kind, request.remote_addr)


def _sign_out_other_browsers(user) -> int:
    """End every session of the account but this browser's; returns how many ended."""
    ended = sessions.end_all_but(db.session, user, session.get(SESSION_SECRET))
    # The account's session key changed with it: this browser signs in again under the new
    # one, without asking for anything.
    login_user(user, remember=False)
    return ended


@bp.route("/<lang:lang>/account/confirm", methods=["GET", "POST"])
@signed_in
def confirm_identity():
    """The password again (and the second step, where it is on) before a sensitive action."""
    form = ConfirmIdentityForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            user = current_user._get_current_object()
            right = tries.password_is_right(user, form.password.data)
            if right and user.has_two_step:
                code = form.code.data or ""
                right = tries.checked(
                    tries.second_step_counts(user),
                    lambda: (
                        two_step.verify_code(db.session, user, code)
                        or two_step.use_recovery_code(db.session, user, code)
                    ),
                )
            if right:
                mark_authenticated()
                return redirect(safe_next() or url_for("account.security"), code=303)
            status = 401
            _record(SecurityEventKind.SIGN_IN_FAILED)
            form.form_errors.append(
                _("The password or the code is not right.")
                if user.has_two_step
                else _("That is not your password.")
            )
    return render_template("account/confirm_identity.html", form=form, next=safe_next()), status


@bp.get("/<lang:lang>/account/security")
@signed_in
def security():
    """Password, email, two-step sign-in, and every browser signed in to the account."""
    user_id = current_user.id
    this_session = sessions.find(db.session, user_id, session.get(SESSION_SECRET))
    return render_template(
        "account/security.html",
        sessions=sessions.of_account(db.session, user_id),
        this_session_id=this_session.id if this_session else None,
        recovery_codes_left=two_step.recovery_codes_left(db.session, user_id),
        two_step_required=two_step_required(current_user),
    )


@bp.post("/<lang:lang>/account/sessions/<id:session_id>/end")
@signed_in
def end_session(session_id: int):
    """Sign out of another browser (this one signs out with "Sign out")."""
    this_session = sessions.find(db.session, current_user.id, session.get(SESSION_SECRET))
    if this_session is not None and this_session.id == session_id:
        refuse(400, _("To sign out of this browser, use “Sign out”."))
    if sessions.end(db.session, current_user.id, session_id):
        _record(SecurityEventKind.SESSION_ENDED)
        flash(_("That browser is signed out."), "success")
    else:
        flash(_("That browser was already signed out."), "info")
    return redirect(url_for("account.security", _anchor="sessions"), code=303)


@bp.post("/<lang:lang>/account/sessions/end-others")
@signed_in
def end_other_sessions():
    """Sign out of every browser but this one."""
    ended = _sign_out_other_browsers(current_user._get_current_object())
    _record(SecurityEventKind.SESSION_ENDED)
    flash(
        _("Every other browser is signed out.") if ended else _("No other browser was signed in."),
        "success" if ended else "info",
    )
    return redirect(url_for("account.security", _anchor="sessions"), code=303)


@bp.route("/<lang:lang>/account/password", methods=["GET", "POST"])
@recent_authentication
def change_password():
    """Choose a new password: the current one first. Every other browser is signed out."""
    user = current_user._get_current_object()
    form = ChangePasswordForm(account_email=user.email, account_name=user.display_name)
    if form.is_submitted():
        if not form.validate():
            return render_template("account/change_password.html", form=form), 422
        if not tries.password_is_right(user, form.current_password.data):
            _record(SecurityEventKind.SIGN_IN_FAILED)
            form.current_password.errors.append(_("That is not your password."))
            return render_template("account/change_password.html", form=form), 401
        accounts.change_password(db.session, user, form.password.data)
        _sign_out_other_browsers(user)
        session.pop(MUST_CHANGE_PASSWORD, None)
        _record(SecurityEventKind.PASSWORD_CHANGED)
        tell_of_change(
            current_user,
            current_language(),
            _l("Your password was changed"),
            _l("The password of your account was changed."),
        )
        flash(_("Your password has been changed. Other browsers are signed out."), "success")
        return redirect(safe_next() or url_for("account.security"), code=303)
    return render_template("account/change_password.html", form=form)


@bp.route("/<lang:lang>/account/email", methods=["GET", "POST"])
@recent_authentication
def change_email():
    """Ask to change the account's address: a link goes to the new one, which changes it."""
    form = ChangeEmailForm()
    if form.is_submitted():
        if form.validate() and accounts.normalise_email(form.email.data) == current_user.email:
            form.email.errors.append(_("This is already your address."))
        if form.errors:
            return render_template("account/change_email.html", form=form), 422
        minutes = current_app.config["PASSWORD_RESET_MINUTES"]
        started = accounts.start_email_change(
            db.session,
            current_user._get_current_object(),
            form.email.data,
            dt.timedelta(minutes=minutes),
        )
        language = current_language()
        if started is not None:
            new_email, token = started
            with force_locale(language):
                send_later(
                    send_course_mail,
                    language,
                    new_email,
                    _("Confirm your new email address"),
                    _(
                        "Hello %(name)s,\n\nTo make this the address of your account, open "
                        "this link within %(minutes)d minutes:\n\n%(link)s\n\nIf you did not "
                        "ask for it, ignore this message: nothing will change.",
                        name=current_user.display_name,
                        minutes=minutes,
                        link=url_for("account.confirm_email_change", token=token, _external=True),
                    ),
                )
            tell_of_change(
                current_user,
                current_language(),
                _l("Someone asked to change your email address"),
                _l(
                    "Someone signed in to your account asked to change its email address to "
                    "%(email)s. Nothing changes until the link sent there is opened.",
                    email=new_email,
                ),
            )
        # The same answer for an address already in use: nobody learns here who has an account.
        flash(
            _(
                "We have sent a link to %(email)s. Your address changes when you open it.",
                email=accounts.normalise_email(form.email.data),
            ),
            "info",
        )
        return redirect(url_for("account.security"), code=303)
    return render_template("account/change_email.html", form=form)


@bp.route("/<lang:lang>/account/email/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def confirm_email_change(token: str):
    """The link sent to the new address: its button makes it the account's (opening the
    link alone changes nothing: mail scanners open links too)."""
    if accounts.usable_link_owner(db.session, token, TokenPurpose.CHANGE_EMAIL) is None:
        refuse(410, _("This link has expired or has already been used. Please ask again."))
    if request.method == "GET":
        return render_template("account/confirm_email_change.html")
    try:
        changed = accounts.confirm_email_change(db.session, token)
    except accounts.EmailTaken:
        refuse(409, _("This address now belongs to another account."))
    if changed is None:
        refuse(410, _("This link has expired or has already been used. Please ask again."))
    user, old_email = changed
    accounts.record_security_event(
        db.session, user.id, SecurityEventKind.EMAIL_CHANGED, request.remote_addr
    )
    language = current_language()
    with force_locale(language):
        send_later(
            send_course_mail,
            language,
            old_email,
            _("Your email address was changed"),
            _(
                "Hello %(name)s,\n\nYour account now uses another email address, and this one "
                "no longer signs in. If it was not you, please tell the course team at once.",
                name=user.display_name,
            ),
        )
    flash(_("Your email address has been changed."), "success")
    return redirect(url_for("account.security"), code=303)


@bp.route("/<lang:lang>/account/two-step", methods=["GET", "POST"])
@recent_authentication
def two_step_setup():
    """Turn on two-step sign-in: scan the QR code (or type the key), then a code proves it."""
    user = current_user._get_current_object()
    if user.has_two_step:
        return redirect(url_for("account.security", _anchor="two-step"), code=303)
    secret = session.get(SETUP_SECRET) or two_step.new_secret()
    session[SETUP_SECRET] = secret
    form = TwoStepSetupForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            codes = two_step.enable(db.session, user, secret, form.code.data)
            if codes is not None:
                session.pop(SETUP_SECRET, None)
                _record(SecurityEventKind.TWO_STEP_ENABLED)
                tell_of_change(
                    current_user,
                    current_language(),
                    _l("Two-step sign-in is on"),
                    _l("Two-step sign-in was turned on for your account."),
                )
                return _show_recovery_codes(codes, turned_on=True)
            status = 401
            form.code.errors.append(
                _("This code is not right. Check the time on your phone, and try the next code.")
            )
    issuer = content.catalogue.name(current_language())
    address = two_step.setup_address(secret, user.email, issuer)
    return render_template(
        "account/two_step_setup.html",
        form=form,
        qr_code=two_step.qr_code_svg(address),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        next=safe_next(),
    ), status


@bp.post("/<lang:lang>/account/two-step/off")
@recent_authentication
def two_step_off():
    user = current_user._get_current_object()
    if two_step_required(user):
        refuse(409, _("Administrators of this site must keep two-step sign-in on."))
    if user.has_two_step:
        two_step.disable(db.session, user)
        _record(SecurityEventKind.TWO_STEP_DISABLED)
        tell_of_change(
            current_user,
            current_language(),
            _l("Two-step sign-in is off"),
            _l("Two-step sign-in was turned off for your account."),
        )
        flash(_("Two-step sign-in is off."), "info")
    return redirect(url_for("account.security", _anchor="two-step"), code=303)


@bp.post("/<lang:lang>/account/two-step/recovery-codes")
@recent_authentication
def renew_recovery_codes():
    user = current_user._get_current_object()
    if not user.has_two_step:
        return redirect(url_for("account.security", _anchor="two-step"), code=303)
    codes = two_step.renew_recovery_codes(db.session, user)
    _record(SecurityEventKind.RECOVERY_CODES_RENEWED)
    tell_of_change(
        user,
        current_language(),
        _l("New recovery codes"),
        _l("New recovery codes were made for your account: the earlier ones no longer work."),
    )
    return _show_recovery_codes(codes, turned_on=False)


def _show_recovery_codes(codes: list[str], *, turned_on: bool):
    """Shown once, in the answer itself: they are kept nowhere but as hashes, not even in
    the session cookie. The language switcher is left off this page, where following it
    would lose them."""
    return render_template(
        "account/recovery_codes.html",
        codes=codes,
        turned_on=turned_on,
        next=safe_next(),
        without_language_switch=True,
    )


# What stays open to an account whose password must be changed first.
_OPEN_WHILE_PASSWORD_MUST_CHANGE = {
    "account.change_password",
    "account.logout",
    "account.confirm_identity",
    "static",
    "learn.lesson_file",
    "health.healthz",
}


@bp.before_app_request
def _password_first():
    if (
        session.get(MUST_CHANGE_PASSWORD)
        and current_user.is_authenticated
        and request.endpoint not in _OPEN_WHILE_PASSWORD_MUST_CHANGE
    ):
        return redirect(url_for("account.change_password", next=request.full_path.rstrip("?")))
    return None
