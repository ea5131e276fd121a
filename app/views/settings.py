"""Personal settings: the API tokens a signed-in user creates and revokes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.forms.settings import ApiTokenForm
from app.security.reveal import reveal_once, take_revealed
from app.services import api_tokens

bp = Blueprint("settings", __name__, url_prefix="/settings")


NEW_TOKEN = "api_token"  # noqa: S105 — a kind of secret, not one


def _render_tokens(form: ApiTokenForm, status: int = 200) -> tuple[str, int]:
    new_token = take_revealed(NEW_TOKEN)
    return (
        render_template(
            "settings/tokens.html",
            form=form,
            tokens=api_tokens.list_tokens(current_user.id),
            new_token_id=new_token[0] if new_token else None,
            new_token_secret=new_token[1] if new_token else None,
        ),
        status,
    )


@bp.get("/tokens")
@login_required
def tokens() -> tuple[str, int]:
    """The user's API tokens, the form for a new one, and a just-created token, once."""
    return _render_tokens(ApiTokenForm())


@bp.post("/tokens")
@login_required
def create_token() -> Response | tuple[str, int]:
    """Create a named token, then show it once on the tokens page."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            created = api_tokens.create_token(current_user.id, form.name.data, actor_label="web")
        except api_tokens.TokenError as error:
            form.name.errors = [str(error)]
        else:
            reveal_once(NEW_TOKEN, created.token.id, created.secret)
            return redirect(url_for("settings.tokens"), code=303)
    return _render_tokens(form, status=400)


@bp.get("/tokens/<token_id>/revoke")
@login_required
def confirm_revoke_token(token_id: str) -> str | Response:
    """Ask before revoking: programs using the token stop working at once."""
    try:
        token = api_tokens.get_token(token_id, user_id=current_user.id)
    except api_tokens.TokenNotFound:
        abort(404)
    if token.revoked_at is not None:
        return redirect(url_for("settings.tokens"), code=303)
    return render_template(
        "confirm.html",
        title=f"Revoke “{token.name}”?",
        explanation="Programs using this token get 401 from its next request on. "
        "A revoked token cannot be used again; make a new one if you need access back.",
        action=url_for("settings.revoke_token", token_id=token.id),
        button="Revoke token",
        back=url_for("settings.tokens"),
    )


@bp.post("/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str) -> Response:
    """Revoke one of the user's tokens; programs using it get 401 from now on."""
    try:
        token = api_tokens.revoke_token(token_id, user_id=current_user.id, actor_label="web")
    except api_tokens.TokenNotFound:
        abort(404)
    except api_tokens.TokenAlreadyRevoked as already:
        flash(f"“{already.token.name}” was already revoked.", "info")
        return redirect(url_for("settings.tokens"), code=303)
    flash(f"Revoked “{token.name}”. Programs using it can no longer call the API.", "success")
    return redirect(url_for("settings.tokens"), code=303)
