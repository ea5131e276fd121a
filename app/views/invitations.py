"""The page an invitation link opens: join the workspace, with a new account if needed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.forms.people import NewAccountForm
from app.security.sessions import start_session
from app.services import invitations

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


@bp.before_request
def email_features_enabled() -> None:
    """Without mail there are no invitations."""
    if not current_app.config["EMAIL_FEATURES_ENABLED"]:
        abort(404)


def _unusable(reason: str) -> tuple[str, int]:
    """A clear page saying why the link cannot be used; nothing was changed."""
    status = 404 if reason == "unknown" else 409 if reason != "wrong_account" else 403
    return (
        render_template(
            "invitations/unusable.html", reason=reason, message=invitations.REASONS[reason]
        ),
        status,
    )


def _render(
    token: str, view: invitations.InvitationView, form: NewAccountForm, status: int = 200
) -> tuple[str, int]:
    return (
        render_template("invitations/accept.html", token=token, invitation=view, form=form),
        status,
    )


@bp.get("/<token>")
def accept(token: str) -> tuple[str, int]:
    """What the invitation offers, and the button (or the new-account form) to accept it."""
    try:
        view = invitations.inspect(token)
    except invitations.InvitationUnusable as error:
        return _unusable(error.reason)
    if current_user.is_authenticated and view.email.lower() != current_user.email.lower():
        return _unusable("wrong_account")
    return _render(token, view, NewAccountForm())


@bp.post("/<token>")
def accept_post(token: str) -> Response | tuple[str, int]:
    """Accept: as the signed-in person, or as a new person with a name and password."""
    form = NewAccountForm()
    try:
        if current_user.is_authenticated:
            # CSRFProtect has checked the token of this POST already.
            membership = invitations.accept_as(token, current_user._get_current_object())
            flash(f"You joined {membership.workspace.name} as {membership.role}.", "success")
            return redirect(url_for("payments.dashboard"), 303)
        view = invitations.inspect(token)
        if view.has_account:
            return redirect(url_for("auth.login", next=request.path), 303)
        if not form.validate_on_submit():
            return _render(token, view, form, status=400)
        try:
            user = invitations.accept_with_new_account(
                token, name=form.name.data or "", password=form.password.data or ""
            )
        except invitations.InvitationError as error:
            getattr(form, error.field).errors = [str(error)]
            return _render(token, view, form, status=400)
    except invitations.InvitationUnusable as error:
        return _unusable(error.reason)
    start_session(user, remember=False)
    flash(f"Welcome! You joined {view.workspace_name} as {view.role}.", "success")
    return redirect(url_for("payments.dashboard"), 303)
