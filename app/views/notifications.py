"""Partner-notification deliveries on the connection page: the retry button and the helpers
the `connections/_webhooks.html` and `_deliveries.html` partials call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.models import Notification, StripeConnection, utcnow
from app.services import notifications
from app.urls import external_url

bp = Blueprint("notifications", __name__)

# Stripe sends account events whenever something changes; silence for longer than this on a
# connection with resources is worth a look, but it is not by itself an error.
RECENT_WEBHOOK_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class WebhookSetup:
    """What the connection page tells an admin about receiving Stripe's webhooks."""

    url: str
    last_webhook_at: datetime | None
    recent: bool


@bp.app_template_global()
def webhook_setup(connection: StripeConnection) -> WebhookSetup:
    """The exact URL to register in Stripe for `connection`, and whether events arrive."""
    last = connection.last_webhook_at
    return WebhookSetup(
        url=external_url("webhooks.stripe_connection", connection_id=connection.id),
        last_webhook_at=last,
        recent=last is not None and utcnow() - last < RECENT_WEBHOOK_WINDOW,
    )


@bp.app_template_global()
def recent_deliveries(connection: StripeConnection) -> list[Notification]:
    """The connection's newest partner notifications, newest first."""
    return notifications.recent_for_connection(connection.id)


@bp.post("/connections/<connection_id>/notifications/<notification_id>/retry")
@login_required
def retry(connection_id: str, notification_id: str) -> Response:
    """Queue a failed partner notification again (workspace admins only)."""
    try:
        result = notifications.retry_failed(
            notification_id, connection_id=connection_id, user_id=current_user.id
        )
    except notifications.NotificationNotFound:
        abort(404)
    except notifications.NotificationForbidden:
        abort(403)
    if result.requeued:
        flash("The notification is queued again; the worker will send it shortly.", "success")
    else:
        flash("Only failed notifications can be retried.", "info")
    return redirect(
        url_for(
            "connections.detail", workspace_id=result.workspace_id, connection_id=connection_id
        ),
        code=303,
    )
