"""A connection's Connect webhook endpoint at Stripe: registered for the admin, and checked.

Each connection receives its accounts' events at its own URL (`/webhooks/stripe/<id>`). Saving
a connection (and `flask stripe webhooks register`) makes sure its platform has a Connect
endpoint (`connect=true`) for exactly that URL, enabled, listening to every event we handle and
pinned to our API version. Stripe shows an endpoint's signing secret only when it creates it
(https://docs.stripe.com/api/webhook_endpoints/create), so an endpoint that already exists is
updated in place and the secret the admin pasted (or we stored) stays in use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import StripeConnection
from app.models.connections import STATUS_ACTIVE
from app.security.crypto import decrypt_secret, encrypt_secret, mask_secret
from app.services import audit
from app.services.connection_rules import ConnectionInvalid
from app.services.webhook_processing import V1_EVENT_TYPES
from app.stripe_gateway import StripeCredentials, StripeGateway, StripeGatewayError, mode_of_key
from app.urls import external_url

log = logging.getLogger(__name__)

REQUIRED_EVENTS = sorted(V1_EVENT_TYPES)


@dataclass(frozen=True)
class Registration:
    """What registering did: `created` (with the new `secret`), `updated` or `in_order`."""

    outcome: str
    endpoint_id: str
    secret: str | None = None


def endpoint_url(connection_id: str) -> str:
    """The exact URL Stripe must post this connection's events to."""
    return external_url("webhooks.stripe_connection", connection_id=connection_id)


def _ours(endpoints: list[dict[str, Any]], url: str) -> dict[str, Any] | None:
    """The Connect endpoint for `url`, preferring an enabled one."""
    matching = [e for e in endpoints if e.get("url") == url and e.get("application") is None]
    matching.sort(key=lambda e: (e.get("status") != "enabled", e.get("id") or ""))
    return matching[0] if matching else None


def missing_events(endpoint: dict[str, Any]) -> list[str]:
    """The events we handle that the endpoint does not listen to (`*` listens to all)."""
    enabled = set(endpoint.get("enabled_events") or [])
    return [] if "*" in enabled else [e for e in REQUIRED_EVENTS if e not in enabled]


def register(gateway: StripeGateway, connection_id: str) -> Registration:
    """Create or repair the connection's endpoint (raises the gateway's errors; no database)."""
    url = endpoint_url(connection_id)
    found = _ours(gateway.list_webhook_endpoints(), url)
    if found is None:
        created = gateway.create_webhook_endpoint(url, REQUIRED_EVENTS)
        return Registration("created", created["id"], created.get("secret"))
    if found.get("status") != "enabled" or missing_events(found):
        events = sorted({*(found.get("enabled_events") or []), *REQUIRED_EVENTS} - {"*"})
        gateway.update_webhook_endpoint(found["id"], events)
        return Registration("updated", found["id"])
    return Registration("in_order", found["id"])


def endpoint_problems(gateway: StripeGateway, connection_id: str) -> list[str]:
    """Why Stripe would not deliver this connection's events to us (empty: all is well)."""
    url = endpoint_url(connection_id)
    found = _ours(gateway.list_webhook_endpoints(), url)
    if found is None:
        return [f"no webhook endpoint at Stripe points at {url}"]
    problems = []
    if found.get("status") != "enabled":
        problems.append(f"the webhook endpoint {found['id']} is disabled at Stripe")
    if missing := missing_events(found):
        problems.append(f"the webhook endpoint {found['id']} ignores {', '.join(missing)}")
    return problems


def secret_for_new_connection(api_key: str, connection_id: str, pasted: str | None) -> str:
    """Register the new connection's endpoint; the signing secret to store.

    Stripe's secret for an endpoint we created; else the pasted one. A key that may not manage
    endpoints (a restricted key without the webhook permission) still saves with a pasted
    secret; without one, the webhook secret field says why and what to do.
    """
    credentials = StripeCredentials(api_key=api_key, mode=mode_of_key(api_key) or "test")
    try:
        registration = register(StripeGateway(credentials), connection_id)
    except RuntimeError:
        # Outside a request without PUBLIC_BASE_URL our URL is unknown: nothing to register.
        if pasted:
            return pasted
        raise ConnectionInvalid(
            {"webhook_secret": "Paste the signing secret (set PUBLIC_BASE_URL to register one)."}
        ) from None
    except StripeGatewayError as error:
        if pasted:
            log.warning(
                "connection %s: webhook endpoint not registered (%s); the pasted secret is used",
                connection_id,
                error.refusal.cause,
            )
            return pasted
        raise ConnectionInvalid(
            {
                "webhook_secret": "We could not register this connection's webhook endpoint at "
                f"Stripe. {error.advice()} Or create a Connect endpoint for "
                f"{endpoint_url(connection_id)} in Stripe's dashboard and paste its signing "
                "secret here."
            }
        ) from None
    log.info("connection %s: webhook endpoint %s", connection_id, registration.outcome)
    secret = registration.secret or pasted
    if secret is None:
        raise ConnectionInvalid(
            {"webhook_secret": "Paste the signing secret of this connection's webhook endpoint."}
        )
    return secret


def register_for_connections(connection_id: str | None = None) -> list[tuple[str, str]]:
    """Register the endpoint of one connection, or of every active one: (name, what happened).

    A secret Stripe returns for a new endpoint is stored encrypted at once, one connection per
    transaction; Stripe is called with no transaction open.
    """
    query = select(StripeConnection).where(StripeConnection.status == STATUS_ACTIVE)
    if connection_id is not None:
        query = select(StripeConnection).where(StripeConnection.id == connection_id)
    targets = [
        (c.id, c.name, c.mode, c.api_key_ciphertext)
        for c in db.session.scalars(query.order_by(StripeConnection.name, StripeConnection.id))
    ]
    db.session.commit()
    if connection_id is not None and not targets:
        return [(connection_id, "failed: no such connection")]
    results = []
    for target_id, name, mode, ciphertext in targets:
        credentials = StripeCredentials(api_key=decrypt_secret(ciphertext), mode=mode)
        try:
            registration = register(StripeGateway(credentials), target_id)
        except StripeGatewayError as error:
            results.append((name, f"failed: {error.advice()}"))
            continue
        if registration.secret is not None:
            connection = db.session.get(StripeConnection, target_id)
            connection.webhook_secret_ciphertext = encrypt_secret(registration.secret)
            connection.webhook_secret_masked = mask_secret(registration.secret)
            audit.record_on_connection(
                "connection.webhook_registered",
                connection,
                actor_label="cli",
                details={"endpoint": registration.endpoint_id},
            )
            db.session.commit()
        results.append((name, f"{registration.outcome} ({registration.endpoint_id})"))
    return results
