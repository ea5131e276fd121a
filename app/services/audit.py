"""Recording audit events. The caller's transaction commits them with the change they describe."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, Server, StripeConnection
from app.request_id import current_request_id

# Keys that must never reach the audit trail, whoever passes them.
_FORBIDDEN_DETAIL_KEYS = {"url", "api_key", "apiKey", "webhook_secret", "webhookSecret", "secret"}


def record(
    action: str,
    *,
    subject_type: str,
    subject_id: str,
    workspace_id: str | None,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (no commit)."""
    clean = {k: v for k, v in (details or {}).items() if k not in _FORBIDDEN_DETAIL_KEYS}
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        details=clean,
        request_id=current_request_id(),
    )
    db.session.add(event)
    return event


def record_on_server(
    action: str,
    server: Server,
    *,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record `action` on a payments resource: its activity trail on the detail page."""
    return record(
        action,
        subject_type="server",
        subject_id=server.id,
        workspace_id=server.workspace_id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        details=details,
    )


def record_on_connection(
    action: str,
    connection: StripeConnection,
    *,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record `action` on a workspace's Stripe connection."""
    return record(
        action,
        subject_type="stripe_connection",
        subject_id=connection.id,
        workspace_id=connection.workspace_id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        details=details,
    )
