"""A person's own account: name, password, and resetting a forgotten password by email."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.extensions import limiter
from app.forms.people import ChangePasswordForm, ForgotPasswordForm, NameForm, ResetPasswordForm
from app.security.sessions import start_session
from app.services import account, password_reset

bp = Blueprint("account", __name__, url_prefix="/account")

# The same words whatever the address: the page must not tell who has an account.
RESET_SENT = (
    "If {email} has an account, a link to choose a new password is on its way. "
    "It works once, for one hour. Check your inbox (and your spam folder)."
)


def _render_account(
    name_form: NameForm | None = None,
    password_form: ChangePasswordForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "account/index.html",
            name_form=name_form or NameForm(name=current_user.name),
            password_form=password_form or ChangePasswordForm(),
        ),
        status,
    )


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    """The person's name and email, and the password form."""
    return _render_account()


@bp.post("/name")
@login_required
def change_name() -> Response | tuple[str, int]:
    """Change the display name."""
    form = NameForm()
    if form.validate_on_submit():
        try:
            account.change_name(current_user.id, form.name.data)
        except account.AccountError as error:
            getattr(form, error.field).errors = [str(error)]
        else:
            flash("Name saved.", "success")
            return redirect(url_for("account.index"), 303)
    return _render_account(name_form=form, status=400)


@bp.post("/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    """Change the password; every other session, API token and JWT ends, this browser stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        try:
            user = account.change_password(
                current_user.id, form.current_password.data or "", form.new_password.data or ""
            )
        except account.AccountError as error:
            getattr(form, error.field).errors = [str(error)]
        else:
            # All sessions were deleted, this one too: re-issue it so the person stays in.
            start_session(user, remember=remembered in request.cookies)
            flash(
                "Password changed. Every other browser is signed out, and API tokens and "
                "JWTs issued before now no longer work.",
                "success",
            )
            return redirect(url_for("account.index"), 303)
    return _render_account(password_form=form, status=400)


def _email_features() -> None:
    if not current_app.config["EMAIL_FEATURES_ENABLED"]:
        abort(404)


def _reset_address_limit() -> str:
    return current_app.config["RESET_LINK_RATE_LIMIT"]


def _reset_account_limit() -> str:
    return current_app.config["RESET_LINK_ACCOUNT_RATE_LIMIT"]


def _reset_account_key() -> str:
    """Per account asked for, whoever asks: the address typed, normalised."""
    return "reset:" + (request.form.get("email") or "").strip().lower()


@bp.get("/forgot-password")
@bp.post("/forgot-password")
@limiter.limit(_reset_address_limit, methods=["POST"])
@limiter.limit(_reset_account_limit, methods=["POST"], key_func=_reset_account_key)
def forgot_password() -> Response | tuple[str, int]:
    """Ask for a reset link; the answer is the same for every address."""
    _email_features()
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data or "")
        flash(RESET_SENT.format(email=form.email.data), "info")
        return redirect(url_for("account.forgot_password"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("account/forgot.html", form=form), status


@bp.get("/reset/<token>")
@bp.post("/reset/<token>")
def reset_password(token: str) -> Response | tuple[str, int]:
    """Choose a new password through a reset link, once; every session ends."""
    _email_features()
    try:
        email = password_reset.check_link(token)
    except password_reset.ResetLinkUnusable:
        return render_template("account/reset_unusable.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data or "")
        except password_reset.ResetLinkUnusable:
            return render_template("account/reset_unusable.html"), 404
        except password_reset.ResetPasswordError as error:
            form.password.errors = [str(error)]
        else:
            flash("Password changed. Sign in with your new password.", "success")
            return redirect(url_for("auth.login"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("account/reset.html", form=form, email=email, token=token), status
