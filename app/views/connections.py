"""Admin pages for a workspace's Stripe connections (only `workspace:manage`).

Non-members get 404 and members without the permission 403 (`@workspace_permission`); a
connection id from another workspace is a 404 too. Secrets are typed in, never shown: the
pages show masked forms only, and the one secret we hand out — the notification signing
secret — appears once, on the page right after it was made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.extensions import limiter
from app.forms.connections import ConnectionEditForm, ConnectionForm
from app.security.permissions import MANAGE, workspace_permission
from app.security.reveal import reveal_once, take_revealed
from app.services import connection_listeners, connection_secrets, connections, notifications
from app.services.connection_rules import ConnectionInvalid
from app.services.webhook_endpoints import Registration
from app.services.webhook_listeners import ListenerCheck, kinds_for

bp = Blueprint("connections", __name__)

NOTIFICATION_SECRET = "notification_secret"  # noqa: S105 — a kind of secret, not one
# The last "Check webhooks at Stripe" answer, carried to the page the POST redirects to. It
# holds endpoint ids, event names, our receiver URL and the refusal table's advice: nothing
# secret, so Flask's signed (readable) session cookie may carry it.
WEBHOOK_CHECK = "webhook_check"

REGISTERED = {
    "created": "Created the {noun} {id} at Stripe and stored its new signing secret.",
    "updated": "Repaired the {noun} {id}: enabled, with every event we need.",
    "in_order": "The {noun} {id} was already in order.",
}

_stripe_checks = limiter.shared_limit(
    lambda: current_app.config["CHECK_WEBHOOKS_RATE_LIMIT"],
    scope="connection-webhook-checks",
    key_func=lambda: "{}:{}".format(
        current_user.id, (request.view_args or {}).get("connection_id")
    ),
)


def _to_detail(workspace_id: str, connection_id: str) -> Response:
    return redirect(
        url_for("connections.detail", workspace_id=workspace_id, connection_id=connection_id),
        code=303,
    )


def _refusal_on_detail(view: Callable[[str, str], Response]) -> Callable[[str, str], Response]:
    """A connection action the service refuses (ConnectionInvalid) goes back to the
    connection's page with the reason flashed."""

    @functools.wraps(view)
    def refused_on_detail(workspace_id: str, connection_id: str) -> Response:
        try:
            return view(workspace_id, connection_id)
        except ConnectionInvalid as invalid:
            flash(" ".join(invalid.errors.values()), "error")
            return _to_detail(workspace_id, connection_id)

    return refused_on_detail


def _show_errors(form, invalid: ConnectionInvalid) -> None:
    """Put the service's messages on the form's fields (or the form, for the rest)."""
    for name, message in invalid.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [message]
        else:
            flash(message, "error")


@bp.get("/connections")
@login_required
def index() -> Response | str:
    """The user's manageable workspaces and their connections (one workspace: straight there)."""
    manageable = connections.manageable_workspaces(current_user.id)
    if not manageable:
        abort(403)
    if len(manageable) == 1:
        return redirect(
            url_for("connections.workspace_list", workspace_id=manageable[0].workspace.id)
        )
    return render_template("connections/index.html", manageable=manageable)


@bp.get("/workspaces/<workspace_id>/connections")
@login_required
@workspace_permission(MANAGE)
def workspace_list(workspace_id: str) -> str:
    """One workspace's connections, with masked keys and what needs attention."""
    workspace = connections.get_workspace(workspace_id)
    items = connections.list_connections(workspace_id)
    attention = {c.id: connection_secrets.attention_for(c) for c in items}
    return render_template(
        "connections/list.html", workspace=workspace, items=items, attention=attention
    )


@bp.get("/workspaces/<workspace_id>/connections/new")
@bp.post("/workspaces/<workspace_id>/connections/new")
@login_required
@workspace_permission(MANAGE)
def create(workspace_id: str) -> Response | tuple[str, int]:
    """Add a connection; verified with Stripe unless the admin chooses otherwise."""
    workspace = connections.get_workspace(workspace_id)
    form = ConnectionForm()
    offer_unverified = False
    if form.validate_on_submit():
        try:
            connection, secret = connections.create_connection(
                workspace_id,
                actor_user_id=current_user.id,
                name=form.name.data,
                description=form.description.data,
                stripe_account_id=form.stripe_account_id.data,
                api_key=form.api_key.data,
                webhook_secret=form.webhook_secret.data,
                event_destination_secret=form.event_destination_secret.data,
                partner_endpoint=form.partner_endpoint.data,
                config_json=form.config_json.data,
                verify=form.verify_requested(),
            )
        except ConnectionInvalid as invalid:
            _show_errors(form, invalid)
            offer_unverified = invalid.stripe_unreachable
        else:
            reveal_once(NOTIFICATION_SECRET, connection.id, secret)
            flash(f"Added “{connection.name}”.", "success")
            return _to_detail(workspace_id, connection.id)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "connections/form.html",
        form=form,
        workspace=workspace,
        connection=None,
        offer_unverified=offer_unverified,
    ), status


@bp.get("/workspaces/<workspace_id>/connections/<connection_id>")
@login_required
@workspace_permission(MANAGE)
def detail(workspace_id: str, connection_id: str) -> str:
    """Everything about one connection (masked), its actions, webhooks and deliveries."""
    connection = connections.get_connection(workspace_id, connection_id)
    revealed = take_revealed(NOTIFICATION_SECRET, connection.id)
    return render_template(
        "connections/detail.html",
        workspace=connection.workspace,
        connection=connection,
        attention=connection_secrets.attention_for(connection),
        in_use=connections.connections_in_use(connection.id),
        revealed_secret=revealed[1] if revealed else None,
        listeners=[(kind, kind.url(connection.id)) for kind in kinds_for(connection.config_json)],
        webhook_health=connections.webhook_health(connection),
        webhook_check=_take_webhook_check(connection.id),
        deliveries=notifications.recent_for_connection(connection.id),
    )


@bp.get("/workspaces/<workspace_id>/connections/<connection_id>/edit")
@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/edit")
@login_required
@workspace_permission(MANAGE)
def edit(workspace_id: str, connection_id: str) -> Response | tuple[str, int]:
    """Edit a connection; secrets change only when new ones are typed."""
    connection = connections.get_connection(workspace_id, connection_id)
    form = ConnectionEditForm(obj=connection)
    if form.validate_on_submit():
        try:
            connections.update_connection(
                workspace_id,
                connection_id,
                actor_user_id=current_user.id,
                name=form.name.data,
                description=form.description.data,
                partner_endpoint=form.partner_endpoint.data,
                config_json=form.config_json.data,
                api_key=form.api_key.data,
                webhook_secret=form.webhook_secret.data,
                event_destination_secret=form.event_destination_secret.data,
            )
        except ConnectionInvalid as invalid:
            _show_errors(form, invalid)
        else:
            flash("Saved your changes.", "success")
            return _to_detail(workspace_id, connection_id)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "connections/form.html",
        form=form,
        workspace=connection.workspace,
        connection=connection,
        attention=connection_secrets.attention_for(connection),
        offer_unverified=False,
    ), status


def _set_status(workspace_id: str, connection_id: str, *, active: bool) -> Response:
    connection = connections.set_status(
        workspace_id, connection_id, actor_user_id=current_user.id, active=active
    )
    flash(f"{'Reactivated' if active else 'Deactivated'} “{connection.name}”.", "success")
    return _to_detail(workspace_id, connection_id)


def _confirm(
    workspace_id: str,
    connection_id: str,
    *,
    endpoint: str,
    title: str,
    explanation: str,
    button: str,
) -> str:
    """A page that asks before an action that cannot be undone from the page that offered it."""
    connection = connections.get_connection(workspace_id, connection_id)
    return render_template(
        "confirm.html",
        title=title.format(name=connection.name),
        explanation=explanation,
        action=url_for(endpoint, workspace_id=workspace_id, connection_id=connection_id),
        button=button,
        back=url_for("connections.detail", workspace_id=workspace_id, connection_id=connection_id),
    )


@bp.get("/workspaces/<workspace_id>/connections/<connection_id>/deactivate")
@login_required
@workspace_permission(MANAGE)
def confirm_deactivate(workspace_id: str, connection_id: str) -> str:
    """Ask before stopping new onboarding under this connection."""
    return _confirm(
        workspace_id,
        connection_id,
        endpoint="connections.deactivate",
        title="Deactivate “{name}”?",
        explanation="No resource can start or continue onboarding under it until it is "
        "reactivated. Accounts it already created keep it; nothing in Stripe changes.",
        button="Deactivate connection",
    )


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/deactivate")
@login_required
@workspace_permission(MANAGE)
def deactivate(workspace_id: str, connection_id: str) -> Response:
    """Stop new onboarding under this connection (accounts it created keep it)."""
    return _set_status(workspace_id, connection_id, active=False)


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/reactivate")
@login_required
@workspace_permission(MANAGE)
def reactivate(workspace_id: str, connection_id: str) -> Response:
    """Use this connection again."""
    return _set_status(workspace_id, connection_id, active=True)


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/make-default")
@login_required
@workspace_permission(MANAGE)
@_refusal_on_detail
def make_default(workspace_id: str, connection_id: str) -> Response:
    """New resources of this connection's mode onboard under it from now on."""
    connection = connections.make_default(
        workspace_id, connection_id, actor_user_id=current_user.id
    )
    flash(f"“{connection.name}” is now the default for {connection.mode} mode.", "success")
    return _to_detail(workspace_id, connection_id)


@bp.get("/workspaces/<workspace_id>/connections/<connection_id>/notification-secret")
@login_required
@workspace_permission(MANAGE)
def confirm_roll_notification_secret(workspace_id: str, connection_id: str) -> str:
    """Ask before replacing the secret the partner verifies our notifications with."""
    return _confirm(
        workspace_id,
        connection_id,
        endpoint="connections.roll_notification_secret",
        title="Make a new notification secret for “{name}”?",
        explanation="The current secret stops working at once: the partner rejects our "
        "notifications until they use the new one, which is shown once on the next page.",
        button="Make a new secret",
    )


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/notification-secret")
@login_required
@workspace_permission(MANAGE)
def roll_notification_secret(workspace_id: str, connection_id: str) -> Response:
    """Replace the notification signing secret and show the new one once."""
    secret = connections.roll_notification_secret(
        workspace_id, connection_id, actor_user_id=current_user.id
    )
    reveal_once(NOTIFICATION_SECRET, connection_id, secret)
    flash("Made a new notification signing secret; the old one no longer works.", "success")
    return _to_detail(workspace_id, connection_id)


@bp.get("/workspaces/<workspace_id>/connections/<connection_id>/delete")
@login_required
@workspace_permission(MANAGE)
def confirm_delete(workspace_id: str, connection_id: str) -> str:
    """Ask before deleting; say up front when the connection can't be deleted."""
    connection = connections.get_connection(workspace_id, connection_id)
    return render_template(
        "connections/delete.html",
        workspace=connection.workspace,
        connection=connection,
        in_use=connections.connections_in_use(connection.id),
    )


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/delete")
@login_required
@workspace_permission(MANAGE)
def delete(workspace_id: str, connection_id: str) -> Response:
    """Delete the connection, or come back to it with the reason it can't be deleted."""
    try:
        name = connections.delete_connection(
            workspace_id, connection_id, actor_user_id=current_user.id
        )
    except connections.ConnectionInUse as refused:
        flash(str(refused), "error")
        return _to_detail(workspace_id, connection_id)
    flash(f"Deleted “{name}”.", "success")
    return redirect(url_for("connections.workspace_list", workspace_id=workspace_id), code=303)


def _checked_for_page(check: ListenerCheck) -> dict:
    """One check in plain data for the session: problems, or the refusal table's advice."""
    return {
        "noun": check.kind.noun,
        "problems": [[problem.text, problem.repair] for problem in check.problems],
        "refused": check.refused.advice() if check.refused is not None else None,
    }


def _take_webhook_check(connection_id: str) -> dict | None:
    """The check made for this connection by the POST that led here; shown once."""
    stored = session.get(WEBHOOK_CHECK)
    if not isinstance(stored, dict) or stored.get("connection_id") != connection_id:
        return None
    return session.pop(WEBHOOK_CHECK)


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/webhooks/check")
@login_required
@workspace_permission(MANAGE)
@_stripe_checks
@_refusal_on_detail
def check_webhooks(workspace_id: str, connection_id: str) -> Response:
    """Ask Stripe whether each endpoint or destination the connection needs is in order."""
    checks = connection_listeners.check(workspace_id, connection_id)
    session[WEBHOOK_CHECK] = {
        "connection_id": connection_id,
        "checks": [_checked_for_page(check) for check in checks],
        "repairable": any(check.problems for check in checks),
    }
    return _to_detail(workspace_id, connection_id)


@bp.post("/workspaces/<workspace_id>/connections/<connection_id>/webhooks/repair")
@login_required
@workspace_permission(MANAGE)
@_stripe_checks
@_refusal_on_detail
def repair_webhooks(workspace_id: str, connection_id: str) -> Response:
    """Create, enable or widen each endpoint or destination, as the CLI's register does."""
    outcomes = connection_listeners.repair(
        workspace_id, connection_id, actor_user_id=current_user.id
    )
    for outcome in outcomes:
        if isinstance(outcome, Registration):
            said = REGISTERED[outcome.outcome].format(
                noun=outcome.kind.noun, id=outcome.listener_id
            )
            flash(said, "success")
        else:
            kind, error = outcome
            flash(f"Could not repair the {kind.noun}. {error.advice()}", "error")
    return _to_detail(workspace_id, connection_id)
