"""The connection page's check and repair of the endpoints Stripe sends its events through.

Both are the doctor's and the CLI's own functions (`check_listeners`, `register_connection`),
scoped to a workspace: another workspace's connection is not found. Each reads what it needs,
ends that transaction, then talks to Stripe, so no transaction stays open across a call.
"""

from __future__ import annotations

from app.extensions import db
from app.security.crypto import SecretUnreadable
from app.services.connection_rules import ConnectionInvalid
from app.services.connections import get_connection
from app.services.webhook_endpoints import ListenerTarget, Registration, register_connection
from app.services.webhook_listeners import ListenerCheck, ListenerKind, check_listeners
from app.stripe_gateway import StripeGatewayError

KEY_UNREADABLE = "The stored API key does not decrypt: enter the key again on Edit."


def _target(workspace_id: str, connection_id: str) -> ListenerTarget:
    """The connection's key and needs, with the reading transaction ended."""
    connection = get_connection(workspace_id, connection_id)
    try:
        target = ListenerTarget.of(connection)
    except SecretUnreadable:
        raise ConnectionInvalid({"api_key": KEY_UNREADABLE}) from None
    finally:
        db.session.commit()
    return target


def check(workspace_id: str, connection_id: str) -> list[ListenerCheck]:
    """What Stripe says of each endpoint or destination the connection needs (no change)."""
    target = _target(workspace_id, connection_id)
    return check_listeners(target.gateway, target.id, target.config_json)


def repair(
    workspace_id: str, connection_id: str, *, actor_user_id: str
) -> list[Registration | tuple[ListenerKind, StripeGatewayError]]:
    """Create, enable or widen each one the connection needs, as
    `flask stripe webhooks register` does (a new signing secret is stored and audited)."""
    target = _target(workspace_id, connection_id)
    return register_connection(target, actor_user_id=actor_user_id)
