"""Where Stripe sends a connection's events, registered for the admin and checked.

Every connection gets a Connect webhook endpoint (`POST /v1/webhook_endpoints`, `connect=true`)
at `/webhooks/stripe/<id>` for the v1 events we handle, pinned to our API version. A connection
whose accounts are made with Accounts v2 also gets an event destination
(`POST /v2/core/event_destinations`, thin payload) at `/webhooks/stripe/<id>/thin` for the v2
account events `thin_events` handles. Saving a connection (and
`flask stripe webhooks register`) creates each one, or repairs it in place: enabled again,
listening to every event we need. Stripe shows a signing secret only when it creates the
endpoint or destination (https://docs.stripe.com/api/webhook_endpoints/create;
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
from app.services import audit, thin_events
from app.services.connection_rules import ConnectionInvalid
from app.services.stripe_credentials import app_options, connection_options
from app.services.webhook_processing import V1_EVENT_TYPES
from app.stripe_gateway import StripeCredentials, StripeGateway, StripeGatewayError, mode_of_key
from app.urls import external_url

log = logging.getLogger(__name__)

REQUIRED_EVENTS = sorted(V1_EVENT_TYPES)


def uses_accounts_v2(config_json: str | None) -> bool:
    """Whether a connection's new accounts are made with Accounts v2 (its `accounts_api`
    option, else the app's `STRIPE_ACCOUNTS_API`): such a connection needs an event
    destination."""
    options = {**app_options(), **connection_options(config_json)}
    return options["accounts_api"] == "v2"


@dataclass(frozen=True)
class Listener:
    """An endpoint or destination as Stripe lists it, in the terms we check it by."""

    id: str
    url: str | None
    enabled: bool
    events: frozenset[str]
    # v1: a Connect endpoint of the platform itself (not an app's); v2: it hears the platform's
    # own events (`events_from` has `@self`), which v2 account events are.
    hears_our_events: bool


@dataclass(frozen=True)
class ListenerKind:
    """One way Stripe sends us events: what it is called, where it posts, what it must hear,
    and which connection fields keep its secret. Subclasses talk to Stripe for it."""

    noun: str
    route: str
    events: tuple[str, ...]
    secret_field: str
    secret_label: str

    def url(self, connection_id: str) -> str:
        """The exact URL Stripe must post this connection's events to."""
        return external_url(self.route, connection_id=connection_id)

    def listed(self, gateway: StripeGateway) -> list[Listener]:
        """Every endpoint or destination of the key's platform."""
        raise NotImplementedError

    def create(self, gateway: StripeGateway, url: str) -> tuple[str, str | None]:
        """Create it at `url`: (its id, the signing secret Stripe shows this once)."""
        raise NotImplementedError

    def repair(self, gateway: StripeGateway, found: Listener) -> None:
        """Listen to every event we need (keeping the others) and be enabled."""
        raise NotImplementedError

    def events_with(self, found: Listener) -> list[str]:
        """What a repaired one listens to: what it did, and everything we need."""
        return sorted({*found.events, *self.events} - {"*"})


class ConnectEndpoints(ListenerKind):
    """v1 Connect webhook endpoints (`/v1/webhook_endpoints`)."""

    def listed(self, gateway: StripeGateway) -> list[Listener]:
        return [
            Listener(
                id=endpoint["id"],
                url=endpoint.get("url"),
                enabled=endpoint.get("status") == "enabled",
                events=frozenset(endpoint.get("enabled_events") or []),
                hears_our_events=endpoint.get("application") is None,
            )
            for endpoint in gateway.list_webhook_endpoints()
        ]

    def create(self, gateway: StripeGateway, url: str) -> tuple[str, str | None]:
        created = gateway.create_webhook_endpoint(url, list(self.events))
        return created["id"], created.get("secret")

    def repair(self, gateway: StripeGateway, found: Listener) -> None:
        gateway.update_webhook_endpoint(found.id, self.events_with(found))


class EventDestinations(ListenerKind):
    """v2 event destinations of type `webhook_endpoint` (`/v2/core/event_destinations`)."""

    def listed(self, gateway: StripeGateway) -> list[Listener]:
        return [
            Listener(
                id=destination["id"],
                url=(destination.get("webhook_endpoint") or {}).get("url"),
                enabled=destination.get("status") == "enabled",
                events=frozenset(destination.get("enabled_events") or []),
                # Scopes cannot change after creation (stripe/params/v2/core/
                # _event_destination_update_params.py): one without `@self` is not ours.
                hears_our_events=destination.get("event_payload") == "thin"
                and "@self" in (destination.get("events_from") or ["@self"]),
            )
            for destination in gateway.list_event_destinations()
        ]

    def create(self, gateway: StripeGateway, url: str) -> tuple[str, str | None]:
        created = gateway.create_event_destination(url, list(self.events))
        return created["id"], (created.get("webhook_endpoint") or {}).get("signing_secret")

    def repair(self, gateway: StripeGateway, found: Listener) -> None:
        gateway.repair_event_destination(
            found.id, self.events_with(found), enable=not found.enabled
        )


CONNECT_ENDPOINT = ConnectEndpoints(
    "webhook endpoint",
    "webhooks.stripe_connection",
    tuple(REQUIRED_EVENTS),
    "webhook_secret",
    "webhook",
)
EVENT_DESTINATION = EventDestinations(
    "event destination",
    "webhooks.stripe_connection_thin",
    tuple(sorted(thin_events.HANDLED_TYPES)),
    "event_destination_secret",
    "event destination",
)


def kinds_for(config_json: str | None) -> tuple[ListenerKind, ...]:
    """What a connection with this configuration needs registered at Stripe."""
    if uses_accounts_v2(config_json):
        return (CONNECT_ENDPOINT, EVENT_DESTINATION)
    return (CONNECT_ENDPOINT,)


@dataclass(frozen=True)
class Registration:
    """What registering did: `created` (with the new `secret`), `updated` or `in_order`."""

    kind: ListenerKind
    outcome: str
    listener_id: str
    secret: str | None = None


def _ours(kind: ListenerKind, listeners: list[Listener], url: str) -> Listener | None:
    """The one at `url` that hears our events, preferring an enabled one."""
    matching = [item for item in listeners if item.url == url and item.hears_our_events]
    matching.sort(key=lambda item: (not item.enabled, item.id))
    return matching[0] if matching else None


def missing_events(kind: ListenerKind, found: Listener) -> list[str]:
    """The events we handle that it does not listen to (`*` listens to all)."""
    return [] if "*" in found.events else [e for e in kind.events if e not in found.events]


def register(kind: ListenerKind, gateway: StripeGateway, connection_id: str) -> Registration:
    """Create or repair the connection's endpoint or destination (raises the gateway's errors;
    no database)."""
    url = kind.url(connection_id)
    found = _ours(kind, kind.listed(gateway), url)
    if found is None:
        listener_id, secret = kind.create(gateway, url)
        return Registration(kind, "created", listener_id, secret)
    if not found.enabled or missing_events(kind, found):
        kind.repair(gateway, found)
        return Registration(kind, "updated", found.id)
    return Registration(kind, "in_order", found.id)


@dataclass(frozen=True)
class Problem:
    """Why Stripe would not deliver some of a connection's events to us (`text`), and what
    registering again does about it (`repair`)."""

    text: str
    repair: str


def problems(kind: ListenerKind, gateway: StripeGateway, connection_id: str) -> list[Problem]:
    """Why Stripe would not deliver this connection's events to us (empty: all is well)."""
    url = kind.url(connection_id)
    found = _ours(kind, kind.listed(gateway), url)
    if found is None:
        return [
            Problem(
                f"no {kind.noun} at Stripe points at {url}",
                "Repair creates one and keeps its new signing secret.",
            )
        ]
    found_problems = []
    if not found.enabled:
        found_problems.append(
            Problem(f"the {kind.noun} {found.id} is disabled at Stripe", "Repair enables it.")
        )
    if missing := missing_events(kind, found):
        found_problems.append(
            Problem(
                f"the {kind.noun} {found.id} ignores {', '.join(missing)}",
                "Repair adds these events and keeps the others it listens to.",
            )
        )
    return found_problems


@dataclass(frozen=True)
class ListenerCheck:
    """What Stripe says of one endpoint or destination a connection needs: its problems, or
    the refusal that kept Stripe from listing them (`refused`)."""

    kind: ListenerKind
    problems: tuple[Problem, ...] = ()
    refused: StripeGatewayError | None = None

    @property
    def in_order(self) -> bool:
        return not self.problems and self.refused is None


def check_listeners(
    gateway: StripeGateway, connection_id: str, config_json: str | None
) -> list[ListenerCheck]:
    """Every endpoint or destination the connection needs, checked at Stripe (the doctor and
    the connection page). No database; RuntimeError when our URL is unknown (no
    PUBLIC_BASE_URL outside a request)."""
    checks = []
    for kind in kinds_for(config_json):
        try:
            checks.append(ListenerCheck(kind, tuple(problems(kind, gateway, connection_id))))
        except StripeGatewayError as error:
            checks.append(ListenerCheck(kind, refused=error))
    return checks


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
