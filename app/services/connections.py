"""A workspace's Stripe connections: add, edit, default per mode, deactivate, delete.

Field rules live in connection_rules, the options table in connection_options, what a save
asks Stripe in connection_confirmation (key check: connection_verification) and the stored
secrets' health in connection_secrets.

Secrets arrive here in clear once, are encrypted before they touch the session, and leave only
as masked display forms. The per-connection notification signing secret is the exception that
proves the rule: it is generated here and handed back exactly once, for the admin to copy.
Every change commits with its audit event; no function here reads `flask.request`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Membership, PaymentsAccount, StripeConnection, Workspace, utcnow
from app.models.base import new_id
from app.models.connections import STATUS_ACTIVE, STATUS_INACTIVE
from app.security.crypto import encrypt_secret, mask_secret
from app.security.permissions import MANAGE, permissions_for_role
from app.services import audit
from app.services.access import NotFound
from app.services.connection_confirmation import secrets_for_edit, secrets_for_new, stored_secret
from app.services.connection_rules import (
    ConnectionInvalid,
    clean_connection_fields,
)
from app.services.connection_secrets import (
    UNREADABLE_REASON,
    new_notification_secret,
    unreadable_secrets,
)
from app.services.connection_verification import check_live_mode_urls
from app.services.webhook_endpoints import store_secret
from app.services.webhook_listeners import CONNECT_ENDPOINT, EVENT_DESTINATION
from app.stripe_gateway import mode_of_key

log = logging.getLogger(__name__)

# Stripe sends account events whenever something changes; silence for longer than this on a
# connection with resources is worth a look, but it is not by itself an error.
RECENT_WEBHOOK_WINDOW = timedelta(days=1)


class ConnectionNotFound(NotFound):
    """No such connection in this workspace (pages answer 404, as for any NotFound)."""


class ConnectionInUse(Exception):
    """The connection cannot be deleted; `str(error)` says why, for a person."""


@dataclass(frozen=True)
class WorkspaceConnections:
    """A workspace the user manages, with its connections (the `/connections` overview)."""

    workspace: Workspace
    connections: list[StripeConnection]


# Reads ------------------------------------------------------------------------------------


def get_connection(workspace_id: str, connection_id: str) -> StripeConnection:
    """The workspace's connection `connection_id`, or ConnectionNotFound (never another's)."""
    found = db.session.scalars(
        select(StripeConnection).where(
            StripeConnection.id == connection_id, StripeConnection.workspace_id == workspace_id
        )
    ).first()
    if found is None:
        raise ConnectionNotFound(connection_id)
    return found


def get_workspace(workspace_id: str) -> Workspace:
    """The workspace (callers have already checked the user's permission on it)."""
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise ConnectionNotFound(workspace_id)
    return workspace


def list_connections(workspace_id: str) -> list[StripeConnection]:
    """The workspace's connections: active first, then by mode and name."""
    return list(
        db.session.scalars(
            select(StripeConnection)
            .where(StripeConnection.workspace_id == workspace_id)
            .order_by(
                (StripeConnection.status == STATUS_ACTIVE).desc(),
                StripeConnection.mode,
                StripeConnection.name,
                StripeConnection.id,
            )
        )
    )


def manageable_workspaces(user_id: str) -> list[WorkspaceConnections]:
    """Every workspace where the user holds `workspace:manage`, with its connections."""
    rows = db.session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.name)
    ).all()
    return [
        WorkspaceConnections(workspace, list_connections(workspace.id))
        for workspace, role in rows
        if MANAGE in permissions_for_role(role)
    ]


def connections_in_use(connection_id: str) -> int:
    """How many payments accounts onboard under the connection."""
    return (
        db.session.scalar(
            select(func.count()).where(PaymentsAccount.connection_id == connection_id)
        )
        or 0
    )


@dataclass(frozen=True)
class WebhookHealth:
    """Whether Stripe's events reach this connection: the last one, and if it is recent."""

    last_webhook_at: datetime | None
    recent: bool


def webhook_health(connection: StripeConnection) -> WebhookHealth:
    """What the connection page says about Stripe's webhooks arriving."""
    last = connection.last_webhook_at
    return WebhookHealth(
        last_webhook_at=last,
        recent=last is not None and utcnow() - last < RECENT_WEBHOOK_WINDOW,
    )


# Changes -----------------------------------------------------------------------------------


def _has_default(workspace_id: str, mode: str, *, other_than: str | None = None) -> bool:
    query = select(StripeConnection.id).where(
        StripeConnection.workspace_id == workspace_id,
        StripeConnection.mode == mode,
        StripeConnection.is_default.is_(True),
    )
    if other_than is not None:
        query = query.where(StripeConnection.id != other_than)
    return db.session.scalar(query) is not None


def _promote_successor(connection: StripeConnection) -> None:
    """When `connection` stops being usable, the newest other active one of its mode leads."""
    connection.is_default = False
    db.session.flush()
    successor = db.session.scalars(
        select(StripeConnection)
        .where(
            StripeConnection.workspace_id == connection.workspace_id,
            StripeConnection.mode == connection.mode,
            StripeConnection.status == STATUS_ACTIVE,
            StripeConnection.id != connection.id,
        )
        .order_by(StripeConnection.created_at.desc(), StripeConnection.id)
    ).first()
    if successor is not None and not _has_default(connection.workspace_id, connection.mode):
        successor.is_default = True


def _record(action: str, connection: StripeConnection, actor_user_id: str | None, **details):
    audit.record_on_connection(
        action,
        connection,
        actor_user_id=actor_user_id,
        actor_label=None if actor_user_id else "cli",
        details={"name": connection.name, "mode": connection.mode, **details},
    )


def create_connection(
    workspace_id: str,
    *,
    actor_user_id: str | None,
    name: object,
    description: object = None,
    stripe_account_id: object,
    api_key: object,
    webhook_secret: object,
    partner_endpoint: object,
    config_json: object = None,
    event_destination_secret: object = None,
    verify: bool = True,
) -> tuple[StripeConnection, str]:
    """Validate, verify with Stripe, store encrypted and commit; returns the connection and its
    notification signing secret in clear — the only time anyone sees it."""
    fields = clean_connection_fields(
        {
            "name": name,
            "description": description,
            "stripe_account_id": stripe_account_id,
            "api_key": api_key,
            "webhook_secret": webhook_secret,
            "event_destination_secret": event_destination_secret,
            "partner_endpoint": partner_endpoint,
            "config_json": config_json,
        },
        require_secrets=True,
        require_webhook_secret=not verify,
    )
    api_key_plain = str(fields.api_key)
    check_live_mode_urls(api_key_plain)
    connection_id = new_id("sc")
    secrets = secrets_for_new(connection_id, fields, verify=verify)
    mode = mode_of_key(api_key_plain) or "test"
    notification_plain = new_notification_secret()
    connection = StripeConnection(
        id=connection_id,
        workspace_id=workspace_id,
        name=fields.name,
        description=fields.description,
        stripe_account_id=str(fields.stripe_account_id),
        mode=mode,
        api_key_ciphertext=encrypt_secret(api_key_plain),
        api_key_masked=mask_secret(api_key_plain),
        notification_secret_ciphertext=encrypt_secret(notification_plain),
        partner_endpoint=fields.partner_endpoint,
        config_json=fields.config_json,
        status=STATUS_ACTIVE,
        is_default=not _has_default(workspace_id, mode),
        verified_at=utcnow() if verify else None,
        created_by_id=actor_user_id,
    )
    for kind, (secret, listener_id) in secrets.items():
        store_secret(connection, kind, secret, listener_id)
    db.session.add(connection)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request made its connection the default first (the partial unique index
        # holds one per mode); ours is simply not the default.
        db.session.rollback()
        connection.is_default = False
        db.session.add(connection)
        db.session.flush()
    _record(
        "connection.created",
        connection,
        actor_user_id,
        stripe_account_id=connection.stripe_account_id,
        verified=verify,
        default=connection.is_default,
    )
    db.session.commit()
    log.info("connection %s added to workspace %s (%s mode)", connection.id, workspace_id, mode)
    return connection, notification_plain


def update_connection(
    workspace_id: str,
    connection_id: str,
    *,
    actor_user_id: str | None,
    name: object,
    description: object = None,
    partner_endpoint: object,
    config_json: object = None,
    api_key: object = None,
    webhook_secret: object = None,
    event_destination_secret: object = None,
) -> StripeConnection:
    """Change the editable fields; a blank secret keeps the stored one, a typed one replaces it.

    The account id and mode stay fixed: the payments accounts created under this connection
    belong to that Stripe platform, so a replacement key must be for the same account and mode,
    which Stripe confirms before it is saved.
    """
    connection = get_connection(workspace_id, connection_id)
    fields = clean_connection_fields(
        {
            "name": name,
            "description": description,
            "api_key": api_key,
            "webhook_secret": webhook_secret,
            "event_destination_secret": event_destination_secret,
            "partner_endpoint": partner_endpoint,
            "config_json": config_json,
        },
        require_secrets=False,
        require_account=False,
    )
    registered = secrets_for_edit(connection, fields)
    changed = [
        label
        for label, old, new in (
            ("name", connection.name, fields.name),
            ("description", connection.description, fields.description),
            ("partner_endpoint", connection.partner_endpoint, fields.partner_endpoint),
            ("config_json", connection.config_json, fields.config_json),
        )
        if old != new
    ]
    connection.name = fields.name
    connection.description = fields.description
    connection.partner_endpoint = fields.partner_endpoint
    connection.config_json = fields.config_json
    if fields.api_key is not None:
        connection.api_key_ciphertext = encrypt_secret(fields.api_key)
        connection.api_key_masked = mask_secret(fields.api_key)
        connection.verified_at = utcnow()
        changed.append("api_key")
    for kind in (CONNECT_ENDPOINT, EVENT_DESTINATION):
        typed = getattr(fields, kind.secret_field)
        if typed is not None:
            store_secret(connection, kind, typed, None)
            changed.append(kind.secret_field)
    for kind, (secret, listener_id) in registered.items():
        if secret != stored_secret(connection, kind) and kind.secret_field not in changed:
            changed.append(kind.secret_field)
        store_secret(connection, kind, secret, listener_id)
    if fields.api_key is not None or fields.webhook_secret is not None:
        # A re-entered secret may be what the attention flag asked for; keep it only while
        # something is still unreadable (or, without a new key, for a key Stripe rejected).
        unreadable = unreadable_secrets(connection)
        if unreadable:
            connection.attention_reason = UNREADABLE_REASON
        elif fields.api_key is not None or connection.attention_reason == UNREADABLE_REASON:
            connection.attention_reason = None
    # Field names only: the audit trail says *that* a secret was replaced, never what it is.
    _record("connection.updated", connection, actor_user_id, changed=changed)
    db.session.commit()
    return connection


def set_status(
    workspace_id: str, connection_id: str, *, actor_user_id: str | None, active: bool
) -> StripeConnection:
    """Deactivate or reactivate; the default for the mode moves so onboarding keeps working."""
    connection = get_connection(workspace_id, connection_id)
    if connection.is_active == active:
        return connection
    connection.status = STATUS_ACTIVE if active else STATUS_INACTIVE
    if active:
        connection.is_default = not _has_default(workspace_id, connection.mode)
    else:
        _promote_successor(connection)
    _record(
        "connection.reactivated" if active else "connection.deactivated",
        connection,
        actor_user_id,
    )
    db.session.commit()
    return connection


def make_default(
    workspace_id: str, connection_id: str, *, actor_user_id: str | None
) -> StripeConnection:
    """Make an active connection the one new resources of its mode onboard under."""
    connection = get_connection(workspace_id, connection_id)
    if not connection.is_active:
        raise ConnectionInvalid({"status": "Reactivate the connection before making it default."})
    if connection.is_default:
        return connection
    # Clear the old default first: the partial unique index allows one per mode at any moment.
    db.session.execute(
        update(StripeConnection)
        .where(
            StripeConnection.workspace_id == workspace_id,
            StripeConnection.mode == connection.mode,
            StripeConnection.is_default.is_(True),
        )
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    connection.is_default = True
    _record("connection.made_default", connection, actor_user_id)
    db.session.commit()
    return connection


def roll_notification_secret(
    workspace_id: str, connection_id: str, *, actor_user_id: str | None
) -> str:
    """Replace the notification signing secret; returns the new one in clear, once."""
    connection = get_connection(workspace_id, connection_id)
    plain = new_notification_secret()
    connection.notification_secret_ciphertext = encrypt_secret(plain)
    if connection.attention_reason == UNREADABLE_REASON and not unreadable_secrets(connection):
        connection.attention_reason = None
    _record("connection.notification_secret_rolled", connection, actor_user_id)
    db.session.commit()
    return plain


def delete_connection(workspace_id: str, connection_id: str, *, actor_user_id: str | None) -> str:
    """Delete a connection nothing onboards under; ConnectionInUse says why otherwise.

    Returns the deleted connection's name, for the confirmation message.
    """
    connection = get_connection(workspace_id, connection_id)
    in_use = connections_in_use(connection.id)
    if in_use:
        noun = "payments resource" if in_use == 1 else "payments resources"
        raise ConnectionInUse(
            f"“{connection.name}” can't be deleted: {in_use} {noun} onboard under it, and their "
            "Stripe accounts can only be reached with its key. Deactivate it instead."
        )
    name = connection.name
    _record("connection.deleted", connection, actor_user_id)
    if connection.is_default:
        _promote_successor(connection)
    db.session.delete(connection)
    db.session.commit()
    return name
