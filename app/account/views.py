"""Register, sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.account import bp
from app.account.forms import LoginForm, RegisterForm
from app.extensions import db, login_manager
from app.models import User
from app.services import accounts


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def _safe_next() -> str | None:
    """The `next` page if it is a path on this site; anything else could send the
    learner to another site after signing in."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith(("//", "/\\")) or parts.netloc:
        return None
    return target


def _sign_in(user: User):
    login_user(user, remember=True)
    return redirect(_safe_next() or url_for("learn.course"), code=303)


@bp.route("/<lang:lang>/register", methods=["GET", "POST"])
def register():
    """Create a learner account and sign it in."""
    form = RegisterForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                user = accounts.create_user(
                    db.session,
                    email=form.email.data,
                    password=form.password.data,
                    display_name=form.display_name.data,
                    language=g.lang,
                )
            except accounts.EmailTaken:
                form.email.errors.append(_("An account with this email address already exists."))
            else:
                flash(
                    _("Welcome, %(name)s! Your account is ready.", name=user.display_name),
                    "success",
                )
                return _sign_in(user)
    return render_template("account/register.html", form=form, next=_safe_next()), status


@bp.route("/<lang:lang>/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next() or url_for("learn.course"))
    form = LoginForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            user = accounts.authenticate(db.session, form.email.data, form.password.data)
            if user is not None:
                return _sign_in(user)
            status = 401
            form.form_errors.append(_("The email or the password is not right."))
    return render_template("account/login.html", form=form, next=_safe_next()), status


@bp.post("/<lang:lang>/logout")
def logout():
    """Sign out (by POST only, so a link elsewhere cannot sign anyone out)."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("learn.course"), code=303)
