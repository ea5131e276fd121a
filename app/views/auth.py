"""Sign-in and sign-out."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.extensions import limiter
from app.forms.auth import LoginForm
from app.security.redirects import safe_next
from app.security.sessions import end_session, start_session
from app.services.users import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

# One message whether the email is unknown or the password wrong: no account enumeration.
BAD_CREDENTIALS = "That email and password don't match an active account."


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account_key() -> str:
    """The account a sign-in tries, hashed: the limit holds however many addresses try it."""
    email = request.form.get("email", "").strip().lower()
    return "login-account:" + hashlib.sha256(email.encode(errors="replace")).hexdigest()


def _failed_sign_in(response: Response) -> bool:
    return response.status_code == 401


@bp.get("/login")
@bp.post("/login")
@limiter.limit(_login_limit, methods=["POST"])
# Only failed attempts count against the account, so its owner's own sign-ins never lock it.
@limiter.limit(
    _login_account_limit,
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)
def login() -> Response | tuple[str, int]:
    """Show the sign-in form; on success go to a safe `next`."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            start_session(user, remember=bool(form.remember.data))
            return redirect(target, code=303)
        form.password.errors.append(BAD_CREDENTIALS)
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, next=target), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End this browser's session for good."""
    end_session(current_user._get_current_object())
    flash("You have been signed out.", "info")
    return redirect(url_for("auth.login"), code=303)
