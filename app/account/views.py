"""Register, sign in and sign out."""

from __future__ import annotations

import datetime as dt
import time
from typing import NoReturn
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from app.account import bp, tries
from app.account.forms import (
    ErasureForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    SecondStepForm,
)
from app.account.summary import summarise
from app.errors import refuse, too_many_tries
from app.extensions import content, counter_name, csrf, db, limiter, login_manager
from app.guards import (
    MUST_CHANGE_PASSWORD,
    SESSION_SECRET,
    mark_authenticated,
    page_to_return_to,
    recent_authentication,
    signed_in,
    signed_in_by_platform,
)
from app.i18n import current_language, preferred_language, switch_language_url
from app.learn import KEPT_ANSWERS
from app.mail import external_links, send_course_mail, send_later, tell_of_change
from app.models import TokenPurpose, User
from app.notices import note_consent_texts_shown
from app.security import KEPT_UNTIL
from app.services import accounts, enrolment, privacy, sessions, two_step
from app.services.passwords import MIN_PASSWORD_LENGTH, password_problem


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session cookie, if its token is still the account's current one and
    the session of its browser is still open."""
    user_id, token = User.read_id(session_id)
    try:
        if user_id is None:
            return None
        # The browser's own session counts too: its owner may have ended it from another.
        user = sessions.account_of(db.session, user_id, token, session.get(SESSION_SECRET))
    except sa.exc.OperationalError:
        # The database is unavailable: serve the page as to a visitor rather than fail it.
        db.session.rollback()
        return None
    return user


@login_manager.unauthorized_handler
def sign_in_first():
    """Pages that need an account send visitors to sign in, and back afterwards: to the
    page itself, or, for a form sent after the session ended, to the page the form was on
    (the form's own address answers only POST)."""
    flash(_("Please sign in to continue."), "info")
    return redirect(url_for("account.login", next=page_to_return_to()))


def safe_next() -> str | None:
    """The `next` page if it is a path on this site; anything else could send the
    learner to another site after signing in."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith(("//", "/\\")) or parts.netloc:
        return None
    return target


def _sign_in(
    user: User, *, weak_password: bool = False, next_page: str | None = None, keep: bool = False
):
    """Start the account's session in this browser, once every step is passed: until the
    browser closes, or for the session cookie's days in the register if `keep` was ticked."""
    # A fresh session: nothing set before signing in (by anyone) carries over but quiz
    # answers waiting to be sent, and only to the account whose session they outlived.
    kept_answers = session.get(KEPT_ANSWERS)
    session.clear()
    if kept_answers and kept_answers.get("account") == user.id:
        session[KEPT_ANSWERS] = kept_answers
    session.permanent = keep
    if keep:
        lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
        session[KEPT_UNTIL] = int(time.time() + lifetime.total_seconds())
    session[SESSION_SECRET] = sessions.start(db.session, user, request.user_agent.string)
    mark_authenticated()
    # No remember-me cookie: the session cookie itself lasts as long as chosen, and a second
    # cookie would bring back a session its owner ended from another device.
    login_user(user, remember=False)
    accounts.signed_in(db.session, user, request.remote_addr)
    next_page = next_page or safe_next() or url_for("learn.home")
    if weak_password:
        # Signed in, so not locked out; but nothing else opens until the password is one
        # today's rules accept.
        session[MUST_CHANGE_PASSWORD] = True
        flash(
            _(
                "Your password no longer meets our rules: passwords now need at least "
                "%(count)d characters and must not be easy to guess. Please choose a new one.",
                count=MIN_PASSWORD_LENGTH,
            ),
            "info",
        )
        next_page = url_for("account.change_password", next=next_page)
    response = redirect(next_page, code=303)
    tries.trust_this_browser(response, user)
    return response


def _submitted_email() -> str:
    return accounts.normalise_email(request.form.get("email", ""))


def _account_key() -> str:
    """Tries are counted per account, and afresh once its password changes: choosing a new
    password with an emailed link is the way out of a lock, and must work at once. Worked
    out once per request, though the limiter asks before and after the view."""
    if "account_key" not in g:
        email = _submitted_email()
        user = accounts.find_user(db.session, email)
        fingerprint = tries.password_fingerprint(user) if user is not None else ""
        g.account_key = counter_name(f"{email}:{fingerprint}")
        g.account_user = user
    return g.account_key


# Guessing passwords or probing for accounts with the other forms: per address, and per
# account whatever the address. Sign-in and its second step count their tries themselves
# (app/account/tries.py).
PER_ADDRESS = "20 per minute; 200 per hour"
PER_ACCOUNT = "10 per 15 minutes"
throttle_address = limiter.limit(PER_ADDRESS, methods=["POST"])
throttle_account = limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=_account_key)


def _paused(wait: int, email: str):
    # Noted after the answer, which then takes as long whether or not the account exists.
    send_later(_note, accounts.record_lockout, email, request.remote_addr)
    return too_many_tries(wait)


def _note(record, email: str, ip_address: str | None) -> None:
    """A security event, as a job run after the answer (see `send_later`)."""
    record(db.session, email, ip_address)


# The sign-up, sign-in and reset forms' id: the language switcher's buttons send it, and what
# was typed comes back in the other language (see `_switched_language`).
ACCOUNT_FORM = "account-form"
# What such a switch carries over, in the session until the form is shown: never a password.
KEPT_FIELDS = "kept_form_fields"
CARRIED_FIELDS = ("email", "display_name")


def _form_page(template: str, form, status: int = 200, **context):
    return render_template(
        template, form=form, form_id=ACCOUNT_FORM, language_switch_form=ACCOUNT_FORM, **context
    ), status


def _switched_language():
    """When a language switcher button sent the form: the same page in that language, where
    what was typed comes back (`_typed_before`). A form whose token does not hold carries
    nothing over, but switches all the same."""
    language = request.form.get("switch_language")
    if language is None:
        return None
    if language not in content.catalogue.languages:
        abort(400)
    try:
        csrf.protect()
        fields = {name: request.form[name][:254] for name in CARRIED_FIELDS if name in request.form}
        session[KEPT_FIELDS] = {"endpoint": request.endpoint, "fields": fields}
    except CSRFError:
        pass
    return redirect(switch_language_url(language), code=303)


def _typed_before() -> dict[str, str]:
    """What was typed in this form before a language switch, once."""
    kept = session.pop(KEPT_FIELDS, None) if request.method == "GET" else None
    return kept["fields"] if kept and kept["endpoint"] == request.endpoint else {}


@bp.route("/<lang:lang>/register", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself: refused, it comes back as it was typed
@throttle_address
@throttle_account
def register():
    """Sign up. The answer is "check your email" whether or not the address already has an
    account; the link in the email finishes the sign-up."""
    if switched := _switched_language():
        return switched
    form = RegisterForm(data=_typed_before())
    if not form.is_submitted():
        return _form_page("account/register.html", form, next=safe_next())
    if not form.validate():
        return _form_page("account/register.html", form, 422, next=safe_next())
    # Whether the address already has an account is found out after the answer, by the
    # mail job, which also makes the account: until then both take the same steps.
    send_later(
        _finish_sign_up,
        form.email.data,
        form.password.data,
        form.display_name.data,
        # The language of the page signed up on, as for every email sent from a page:
        # whoever reads it has just been reading that language.
        g.lang,
        safe_next(),
        request.remote_addr,
        current_app.config["CONFIRMATION_HOURS"],
        external_links(),
    )
    return render_template("account/check_email.html", email=form.email.data)


def _finish_sign_up(
    email: str,
    password: str,
    display_name: str,
    language: str,
    next_page: str | None,
    ip_address: str | None,
    hours: int,
    link_for,
) -> None:
    """The mail job of `register`: start the sign-up and send its link, or tell the owner
    of an address that already has an account how to sign in."""
    outcome, user, token = accounts.register(
        db.session,
        email=email,
        password=password,
        display_name=display_name,
        language=language,
        valid_for=dt.timedelta(hours=hours),
        ip_address=ip_address,
    )
    with force_locale(language):
        if outcome is accounts.RegistrationOutcome.CONFIRM:
            link = link_for("account.confirm", lang=language, token=token, next=next_page)
            send_course_mail(language, user.email, *confirmation_mail(user, hours, link))
        else:
            send_course_mail(
                language,
                user.email,
                _("You already have an account"),
                _(
                    "Hello %(name)s,\n\nSomeone, perhaps you, tried to sign up with this "
                    "address, which already has an account. To sign in: %(login)s\nIf you "
                    "forgot your password: %(forgot)s\n\nIf it was not you, nothing has changed.",
                    name=user.display_name,
                    login=link_for("account.login", lang=language),
                    forgot=link_for("account.forgot_password", lang=language),
                ),
            )


def confirmation_mail(user: User, hours: int, link: str) -> tuple[str, str]:
    """The subject and text of the email with a sign-up's confirmation link, in the language
    in force: sent at sign-up, and again by an admin."""
    return _("Confirm your email address"), _(
        "Hello %(name)s,\n\nTo finish creating your account, open this link within "
        "%(hours)d hours:\n\n%(link)s\n\nIf you did not sign up, ignore this "
        "message: the account is never opened, and what was typed into the form "
        "(this address, a name, and a password kept only as a one-way hash) is "
        "erased %(days)d days after it was sent.",
        name=user.display_name,
        hours=hours,
        link=link,
        days=content.register.category("account").unconfirmed_days,
    )


def _spent_confirmation_links() -> list[tuple[str, str]]:
    return [
        (url_for("account.login"), _("Sign in")),
        (url_for("account.register"), _("Sign up again")),
    ]


@bp.route("/<lang:lang>/register/confirm/<token>", methods=["GET", "POST"])
@throttle_address
def confirm(token: str):
    """The link from the confirmation email shows a button; pressing it makes the account
    ready and signs it in. Opening the link alone changes nothing, because mail scanners
    open links before the learner does, and the link works only once."""
    # Whether the link's account is ready is not said: a link can outlive a sign-up that
    # someone else's replaced, and nobody learns here whether an address has an account.
    spent = _(
        "This link has expired or has already been used. If your account is ready, please "
        "sign in; if not, please sign up again."
    )
    owner = accounts.usable_link_owner(db.session, token, TokenPurpose.CONFIRM_EMAIL)
    if owner is None:
        confirmed = accounts.confirmed_by_link(db.session, token)
        if (
            confirmed is not None
            and current_user.is_authenticated
            and current_user.id == confirmed.id
        ):
            # Opened again (a reload, a second tap) by the learner it signed in.
            return redirect(safe_next() or url_for("learn.home"), code=303)
        refuse(410, spent, _spent_confirmation_links())
    if request.method == "GET":
        # Someone signed in, opening another account's link: say whose session it ends.
        other = current_user if current_user.is_authenticated and current_user.id != owner else None
        return render_template("account/confirm.html", signed_in_as=other)
    user = accounts.confirm_email(db.session, token)
    if user is None:
        refuse(410, spent, _spent_confirmation_links())
    # The address is now known to be the learner's: the cohorts it was invited to are theirs.
    enrolment.accept_invitations_for(db.session, user)
    response = _sign_in(user)
    # After signing in, which starts a fresh session: a message flashed before would go.
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
    return response


@bp.route("/<lang:lang>/login", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself (see `register`)
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next() or url_for("learn.home"))
    if switched := _switched_language():
        return switched
    form = LoginForm(data=_typed_before())
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            counted = tries.sign_in_counts(_account_key(), g.account_user)
            if (wait := tries.take_a_try(counted)) is not None:
                return _paused(wait, form.email.data)
            user = accounts.authenticate(db.session, form.email.data, form.password.data)
            if user is not None:
                tries.give_back(counted)
                weak = (
                    password_problem(form.password.data, email=user.email, name=user.display_name)
                    is not None
                )
                keep = form.keep_signed_in.data
                if user.has_two_step:
                    return _ask_second_step(user, weak_password=weak, keep=keep)
                return _sign_in(user, weak_password=weak, keep=keep)
            send_later(_note, accounts.record_failed_sign_in, form.email.data, request.remote_addr)
            status = 401
            form.form_errors.append(_("The email or the password is not right."))
    return _form_page("account/login.html", form, status, next=safe_next(), refused=status == 401)


# Between the password and the second step: whose password was right, and until when the
# second step may follow it.
PENDING_SECOND_STEP = "second_step"
SECOND_STEP_SECONDS = 5 * 60


def _ask_second_step(user: User, *, weak_password: bool, keep: bool):
    session[PENDING_SECOND_STEP] = {
        "account": user.id,
        # A password reset or a sign-out everywhere meanwhile ends the wait too.
        "token": user.session_token,
        "until": int(time.time()) + SECOND_STEP_SECONDS,
        "weak": weak_password,
        "keep": keep,
        "next": safe_next(),
    }
    return redirect(url_for("account.second_step"), code=303)


def _pending_account() -> User | None:
    pending = session.get(PENDING_SECOND_STEP)
    if not pending or pending["until"] < time.time():
        return None
    user = db.session.get(User, pending["account"])
    if user is None or not user.is_active or user.session_token != pending["token"]:
        return None
    return user


@bp.route("/<lang:lang>/login/two-step", methods=["GET", "POST"])
def second_step():
    """The code from the authenticator app, or a recovery code, after a right password."""
    user = _pending_account()
    if user is None:
        session.pop(PENDING_SECOND_STEP, None)
        flash(_("Please sign in again: the time for the second step ran out."), "info")
        return redirect(url_for("account.login"), code=303)
    form = SecondStepForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            counted = tries.second_step_counts(user)
            if (wait := tries.take_a_try(counted)) is not None:
                return _paused(wait, user.email)
            pending = session.pop(PENDING_SECOND_STEP)
            code = form.code.data
            if two_step.verify_code(db.session, user, code):
                tries.give_back(counted)
                return _sign_in(
                    user,
                    weak_password=pending["weak"],
                    next_page=pending["next"],
                    keep=pending["keep"],
                )
            if two_step.use_recovery_code(db.session, user, code):
                tries.give_back(counted)
                accounts.record_security_event(
                    db.session,
                    user.id,
                    accounts.SecurityEventKind.RECOVERY_CODE_USED,
                    request.remote_addr,
                )
                left = two_step.recovery_codes_left(db.session, user.id)
                tell_of_change(
                    user,
                    current_language(),
                    _l("A recovery code was used"),
                    _l("Someone signed in to your account with one of its recovery codes."),
                )
                response = _sign_in(
                    user,
                    weak_password=pending["weak"],
                    next_page=pending["next"],
                    keep=pending["keep"],
                )
                flash(
                    ngettext(
                        "You signed in with a recovery code. %(num)d code is left: you can "
                        "make new ones on your security page.",
                        "You signed in with a recovery code. %(num)d codes are left: you can "
                        "make new ones on your security page.",
                        left,
                    ),
                    "info",
                )
                return response
            session[PENDING_SECOND_STEP] = pending
            accounts.record_security_event(
                db.session,
                user.id,
                accounts.SecurityEventKind.SECOND_STEP_FAILED,
                request.remote_addr,
            )
            status = 401
            form.code.errors.append(_("This code is not right, or has already been used."))
    return render_template("account/second_step.html", form=form), status


@bp.post("/<lang:lang>/logout")
def logout():
    """Sign out (by POST only, so a link elsewhere cannot sign anyone out)."""
    current_user_id = current_user.id if current_user.is_authenticated else None
    if current_user.is_authenticated:
        sessions.end_by_secret(db.session, current_user.id, session.get(SESSION_SECRET))
        accounts.record_security_event(
            db.session, current_user.id, accounts.SecurityEventKind.SIGNED_OUT, request.remote_addr
        )
    kept_answers = session.get(KEPT_ANSWERS)
    logout_user()
    session.clear()
    # Answers kept for another account (its page was sent while this one was signed in)
    # still wait for it; they are shown to it alone.
    if kept_answers and kept_answers.get("account") != current_user_id:
        session[KEPT_ANSWERS] = kept_answers
    flash(_("You have signed out."), "info")
    return redirect(url_for("learn.home"), code=303)


def _erasure_form() -> ErasureForm:
    """The erasure form: with the password to confirm it, unless the person's learning
    platform signed them in, which vouched for them and may have left them no password
    here."""
    form = ErasureForm()
    if signed_in_by_platform():
        del form.password
    return form


def _data_page(erasure_form: ErasureForm, status: int = 200):
    register = content.register
    note_consent_texts_shown(current_language())
    data = privacy.export_data(db.session, register, current_user.id, current_language())
    return render_template(
        "account/data.html",
        register=register,
        summary=summarise(data),
        consents=privacy.consents(db.session, current_user.id),
        erasure_form=erasure_form,
    ), status


@bp.get("/<lang:lang>/account/data")
@signed_in
def my_data():
    """Everything stored about the learner, grouped as they think of it, with their choices
    and the download of the whole record."""
    return _data_page(_erasure_form())


@bp.get("/account/data.json")
@recent_authentication
def my_data_json():
    """The same, as a JSON download (GDPR Arts. 15 and 20)."""
    data = privacy.export_data(db.session, content.register, current_user.id, preferred_language())
    response = jsonify(data)
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.post("/<lang:lang>/account/consents")
@signed_in
def save_consents():
    """Give or withdraw consent to optional uses; every change is a new ledger row."""
    known = {purpose.id for purpose in content.register.purposes}
    chosen = set(request.form.getlist("purpose"))
    if not chosen <= known:
        refuse(
            400,
            _("This choice is not one of the optional uses listed on your data page."),
            [(url_for("account.my_data", _anchor="consents"), _("Go to my data"))],
        )
    changes = privacy.record_consents(
        db.session, content.register, current_user.id, chosen, current_language()
    )
    if changes:
        flash(_("Your choices have been saved."), "success")
    else:
        flash(_("Nothing to change: these were already your choices."), "info")
    return redirect(url_for("account.my_data", _anchor="consents"), code=303)


@bp.post("/<lang:lang>/account/objection")
@signed_in
def object_to_figures():
    """Object to being counted in the course figures (GDPR Art. 21), or withdraw it."""
    choices = request.form.getlist("object")
    choice = choices[0] if len(choices) == 1 else None
    if choice not in {"yes", "no"}:
        refuse(
            400,
            _("This form was incomplete. Please choose again on your data page."),
            [(url_for("account.my_data", _anchor="figures"), _("Go to my data"))],
        )
    objecting = choice == "yes"
    privacy.object_to_figures(db.session, current_user.id, objecting)
    if objecting:
        flash(_("From now on you are left out of the course figures."), "success")
    else:
        flash(_("You are counted in the course figures again."), "success")
    return redirect(url_for("account.my_data", _anchor="figures"), code=303)


@bp.post("/<lang:lang>/account/erase")
@recent_authentication
def erase():
    """Erase the account and everything stored about the learner, after their password
    (or, just signed in by their learning platform, at once)."""
    form = _erasure_form()
    if not form.validate():
        return _data_page(form, 422)
    if "password" in form and not tries.password_is_right(current_user, form.password.data):
        form.password.errors.append(_("That is not your password."))
        return _data_page(form, 401)
    user_id = current_user.id
    logout_user()
    privacy.erase_account(db.session, content.register, user_id)
    privacy.record_audit(db.session, None, "erase", privacy.user_ref(user_id), by_the_person=True)
    session.clear()
    flash(
        _(
            "Your account and your data have been erased. Only the record of what the course"
            " team did about your account stays, with its number alone."
        ),
        "info",
    )
    # A fragment of its own, or the browser would keep the form's #erase.
    return redirect(url_for("learn.home", _anchor="content"), code=303)


@bp.route("/<lang:lang>/password/forgot", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself (see `register`)
@throttle_address
@throttle_account
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the account exists."""
    if switched := _switched_language():
        return switched
    form = ForgotPasswordForm(data=_typed_before())
    if form.is_submitted():
        if not form.validate():
            return _form_page("account/forgot.html", form, 422)
        # Whether the address has an account is found out after the answer, by the mail
        # job: until then both take the same steps, and so the same time.
        send_later(
            _send_reset_link,
            form.email.data,
            current_app.config["PASSWORD_RESET_MINUTES"],
            # The language of the page the reset was asked from: the one its reader chose.
            current_language(),
            external_links(),
        )
        flash(
            _("If an account uses this address, we have sent it a link to choose a new password."),
            "info",
        )
        return redirect(url_for("account.login"), code=303)
    return _form_page("account/forgot.html", form)


def _send_reset_link(email: str, minutes: int, language: str, link_for) -> None:
    """The mail job of `forgot_password`: a link for the account with this address, if
    there is an active one; else nothing."""
    started = accounts.start_password_reset(db.session, email, dt.timedelta(minutes=minutes))
    if started is None:
        return
    user, token = started
    link = link_for("account.reset_password", lang=language, token=token)
    with force_locale(language):
        send_course_mail(
            language,
            user.email,
            _("Choose a new password"),
            _(
                "Hello %(name)s,\n\nTo choose a new password, open this link within %(minutes)d "
                "minutes:\n\n%(link)s\n\nIf you did not ask for it, ignore this message: "
                "your password stays as it is.",
                name=user.display_name,
                minutes=minutes,
                link=link,
            ),
        )


def _spent_reset_link() -> NoReturn:
    refuse(
        410,
        _("This link has expired or has already been used. Please ask for a new one."),
        [(url_for("account.forgot_password"), _("Ask for a new link"))],
    )


@bp.route("/<lang:lang>/password/reset/<token>", methods=["GET", "POST"])
@throttle_address
def reset_password(token: str):
    """Choose a new password with a reset link (once, before it expires)."""
    owner_id = accounts.usable_link_owner(db.session, token, TokenPurpose.RESET_PASSWORD)
    owner = db.session.get(User, owner_id) if owner_id is not None else None
    if owner is None:
        _spent_reset_link()
    form = ResetPasswordForm(account_email=owner.email, account_name=owner.display_name)
    if form.is_submitted():
        if not form.validate():
            return render_template("account/reset.html", form=form), 422
        # An account never confirmed (an invited one choosing its first password) could not
        # sign in: there was nothing to warn its owner of.
        invited = owner.email_confirmed_at is None
        if accounts.reset_password(db.session, token, form.password.data, request.remote_addr):
            if not invited:
                tell_of_change(
                    owner,
                    current_language(),
                    _l("Your password was changed"),
                    _l("The password of your account was changed with a link we emailed you."),
                )
            flash(_("Your password has been changed. Please sign in."), "success")
            return redirect(url_for("account.login"), code=303)
        _spent_reset_link()
    return render_template("account/reset.html", form=form)
