"""What Stripe sends a connection's events through, and what keeps them from reaching us.

Every connection gets a Connect webhook endpoint (`POST /v1/webhook_endpoints`, `connect=true`)
at `/webhooks/stripe/<id>` for the v1 events we handle, pinned to our API version. A connection
whose accounts are made with Accounts v2 also gets an event destination
(`POST /v2/core/event_destinations`, thin payload) at `/webhooks/stripe/<id>/thin` for the v2
account events `thin_events` handles. Each `ListenerKind` says how to list, create and repair
one; `check_listeners` says what is wrong with a connection's (the doctor and the connection
page); `webhook_endpoints` registers them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services import thin_events
from app.services.stripe_credentials import app_options, connection_options
from app.services.webhook_processing import V1_EVENT_TYPES
from app.stripe_gateway import StripeGateway, StripeGatewayError
from app.urls import external_url

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

    def find(self, gateway: StripeGateway, connection_id: str) -> Listener | None:
        """The one at this connection's URL that hears our events, preferring an enabled one."""
        url = self.url(connection_id)
        listed = self.listed(gateway)
        matching = [item for item in listed if item.url == url and item.hears_our_events]
        matching.sort(key=lambda item: (not item.enabled, item.id))
        return matching[0] if matching else None

    def missing_events(self, found: Listener) -> list[str]:
        """The events we handle that it does not listen to (`*` listens to all)."""
        return [] if "*" in found.events else [e for e in self.events if e not in found.events]

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
class Problem:
    """Why Stripe would not deliver some of a connection's events to us (`text`), and what
    registering again does about it (`repair`)."""

    text: str
    repair: str


def problems(kind: ListenerKind, gateway: StripeGateway, connection_id: str) -> list[Problem]:
    """Why Stripe would not deliver this connection's events to us (empty: all is well)."""
    found = kind.find(gateway, connection_id)
    if found is None:
        return [
            Problem(
                f"no {kind.noun} at Stripe points at {kind.url(connection_id)}",
                "Repair creates one and keeps its new signing secret.",
            )
        ]
    found_problems = []
    if not found.enabled:
        found_problems.append(
            Problem(f"the {kind.noun} {found.id} is disabled at Stripe", "Repair enables it.")
        )
    if missing := kind.missing_events(found):
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
