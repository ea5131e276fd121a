"""Partner-notification deliveries: the retry button on the connection page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.services import notifications

bp = Blueprint("notifications", __name__)


@bp.post("/connections/<connection_id>/notifications/<notification_id>/retry")
@login_required
def retry(connection_id: str, notification_id: str) -> Response:
    """Queue a failed partner notification again (workspace admins only)."""
    result = notifications.retry_failed(
        notification_id, connection_id=connection_id, user_id=current_user.id
    )
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
