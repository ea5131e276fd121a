"""Registering a connection's webhook endpoint and event destination at Stripe.

Saving a connection (and `flask stripe webhooks register`, and the connection page's Repair)
creates each endpoint or destination it needs (`webhook_listeners`), or repairs it in place:
enabled again, listening to every event we need. Stripe shows a signing secret only when it
creates the endpoint or destination (https://docs.stripe.com/api/webhook_endpoints/create;
stripe/v2/core/_event_destination.py), so for one that exists the stored or pasted secret
stays in use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import StripeConnection
from app.models.connections import STATUS_ACTIVE
from app.security.crypto import decrypt_secret, encrypt_secret, mask_secret
from app.services import audit
from app.services.connection_rules import ConnectionInvalid
from app.services.webhook_listeners import EVENT_DESTINATION, ListenerKind, kinds_for
from app.stripe_gateway import StripeCredentials, StripeGateway, StripeGatewayError, mode_of_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    """What registering did: `created` (with the new `secret`), `updated` or `in_order`."""

    kind: ListenerKind
    outcome: str
    listener_id: str
    secret: str | None = None


def register(kind: ListenerKind, gateway: StripeGateway, connection_id: str) -> Registration:
    """Create or repair the connection's endpoint or destination (raises the gateway's errors;
    no database)."""
    found = kind.find(gateway, connection_id)
    if found is None:
        listener_id, secret = kind.create(gateway, kind.url(connection_id))
        return Registration(kind, "created", listener_id, secret)
    if not found.enabled or kind.missing_events(found):
        kind.repair(gateway, found)
        return Registration(kind, "updated", found.id)
    return Registration(kind, "in_order", found.id)


def register_with_secrets(
    api_key: str,
    connection_id: str,
    kinds: tuple[ListenerKind, ...],
    pasted: dict[str, str | None],
) -> dict[ListenerKind, tuple[str, str | None]]:
    """Register each of `kinds` for a connection being saved; for each, (the secret to store,
    the id of the endpoint or destination when we know it). `pasted` maps a secret field to
    what was typed (or, on edit, the secret already stored).

    Stripe's secret for one we created; else the pasted one. A key that may not manage
    endpoints (a restricted key without the permission) still saves with a pasted secret;
    without one, the secret's field says why and what to do.
    """
    credentials = StripeCredentials(api_key=api_key, mode=mode_of_key(api_key) or "test")
    gateway = StripeGateway(credentials)
    return {
        kind: _secret_for(kind, gateway, connection_id, pasted.get(kind.secret_field))
        for kind in kinds
    }


def _secret_for(
    kind: ListenerKind, gateway: StripeGateway, connection_id: str, pasted: str | None
) -> tuple[str, str | None]:
    try:
        registration = register(kind, gateway, connection_id)
    except RuntimeError:
        # Outside a request without PUBLIC_BASE_URL our URL is unknown: nothing to register.
        if pasted:
            return pasted, None
        raise ConnectionInvalid(
            {kind.secret_field: "Paste the signing secret (set PUBLIC_BASE_URL to register one)."}
        ) from None
    except StripeGatewayError as error:
        if pasted:
            log.warning(
                "connection %s: %s not registered (%s); the pasted secret is used",
                connection_id,
                kind.noun,
                error.refusal.cause,
            )
            return pasted, None
        raise ConnectionInvalid(
            {
                kind.secret_field: f"We could not register this connection's {kind.noun} at "
                f"Stripe. {error.advice()} Or create one for {kind.url(connection_id)} in "
                "Stripe's dashboard and paste its signing secret here."
            }
        ) from None
    log.info("connection %s: %s %s", connection_id, kind.noun, registration.outcome)
    secret = registration.secret or pasted
    if secret is None:
        raise ConnectionInvalid(
            {kind.secret_field: f"Paste the signing secret of this connection's {kind.noun}."}
        )
    return secret, registration.listener_id


def store_secret(
    connection: StripeConnection, kind: ListenerKind, secret: str, listener_id: str | None
) -> None:
    """Keep a signing secret encrypted on the connection (and the destination's id)."""
    setattr(connection, f"{kind.secret_field}_ciphertext", encrypt_secret(secret))
    setattr(connection, f"{kind.secret_field}_masked", mask_secret(secret))
    if kind is EVENT_DESTINATION and listener_id is not None:
        connection.event_destination_id = listener_id


@dataclass(frozen=True)
class ListenerTarget:
    """A connection as talking to Stripe about its listeners needs it, read before any call
    so that no transaction stays open across them."""

    id: str
    name: str
    gateway: StripeGateway
    config_json: str | None

    @classmethod
    def of(cls, connection: StripeConnection) -> ListenerTarget:
        """Raises SecretUnreadable when the stored key does not decrypt."""
        credentials = StripeCredentials(
            api_key=decrypt_secret(connection.api_key_ciphertext), mode=connection.mode
        )
        return cls(
            connection.id, connection.name, StripeGateway(credentials), connection.config_json
        )


def register_connection(
    target: ListenerTarget, *, actor_user_id: str | None = None
) -> list[Registration | tuple[ListenerKind, StripeGatewayError]]:
    """Create or repair everything the connection needs (the CLI and the connection page's
    Repair): each kind's registration, or the refusal that stopped it.

    A secret Stripe returns for a new endpoint or destination is stored encrypted at once, one
    transaction per secret; Stripe is called with no transaction open.
    """
    results: list[Registration | tuple[ListenerKind, StripeGatewayError]] = []
    for kind in kinds_for(target.config_json):
        try:
            registration = register(kind, target.gateway, target.id)
        except StripeGatewayError as error:
            results.append((kind, error))
            continue
        if registration.secret is not None:
            _store_registered(target.id, registration, actor_user_id)
        results.append(registration)
    return results


def register_for_connections(connection_id: str | None = None) -> list[tuple[str, str]]:
    """Register what one connection needs, or every active one: (name, what happened)."""
    query = select(StripeConnection).where(StripeConnection.status == STATUS_ACTIVE)
    if connection_id is not None:
        query = select(StripeConnection).where(StripeConnection.id == connection_id)
    targets = [
        ListenerTarget.of(c)
        for c in db.session.scalars(query.order_by(StripeConnection.name, StripeConnection.id))
    ]
    db.session.commit()
    if connection_id is not None and not targets:
        return [(connection_id, "failed: no such connection")]
    results = []
    for target in targets:
        for outcome in register_connection(target):
            if isinstance(outcome, Registration):
                said = f"{outcome.kind.noun} {outcome.outcome} ({outcome.listener_id})"
            else:
                kind, error = outcome
                said = f"failed: {kind.noun}: {error.advice()}"
            results.append((target.name, said))
    return results


def _store_registered(
    connection_id: str, registration: Registration, actor_user_id: str | None
) -> None:
    connection = db.session.get(StripeConnection, connection_id)
    store_secret(connection, registration.kind, registration.secret, registration.listener_id)
    audit.record_on_connection(
        "connection.webhook_registered",
        connection,
        actor_user_id=actor_user_id,
        actor_label=None if actor_user_id else "cli",
        details={"kind": registration.kind.noun, "id": registration.listener_id},
    )
    db.session.commit()
