"""Connect events, their signatures, and a background thread that delivers them.

Stripe delivers at least once, retries failures with backoff, and does not promise order:
https://docs.stripe.com/webhooks#best-practices. The controls here let tests provoke all three.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from stripe_sandbox.ids import new_id, random_token

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = (0.2, 0.5, 1.0, 2.0)


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header: `t=…,v1=HMAC-SHA256(secret, "{t}.{payload}")`.

    https://docs.stripe.com/webhooks#verify-manually
    """
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def build_event(
    event_type: str,
    obj: dict[str, Any],
    previous: dict[str, Any],
    account_id: str,
    api_version: str,
    request: dict[str, Any] | None,
    created: int,
    livemode: bool = False,
) -> dict[str, Any]:
    """A Connect event; Connect events name the connected account at the top level."""
    return {
        "id": new_id("evt", 24),
        "object": "event",
        "account": account_id,
        "api_version": api_version,
        "created": created,
        "data": {"object": obj, "previous_attributes": previous},
        "livemode": livemode,
        "pending_webhooks": 0,
        "request": request or {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def build_thin_event(
    event_type: str,
    account: dict[str, Any],
    created: str,
    data: dict[str, Any] | None,
    request: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A v2 event about a v2 account: (the full event `GET /v2/core/events/{id}` answers,
    the thin notification an event destination receives).

    The notification names the event and its related object only; the receiver fetches
    either (https://docs.stripe.com/event-destinations#thin-payload). Events about the
    platform's own v2 accounts carry no `context` (they are the platform's events).
    """
    thin: dict[str, Any] = {
        "id": new_id("evt", 24),
        "object": "v2.core.event",
        "type": event_type,
        "created": created,
        "livemode": account["livemode"],
        "related_object": {
            "id": account["id"],
            "type": "v2.core.account",
            "url": f"/v2/core/accounts/{account['id']}",
        },
    }
    if request and request.get("id"):
        thin["reason"] = {"type": "request", "request": request}
    return {**thin, "context": None, "data": data, "changes": None}, thin


def changed_attributes(before: Any, after: Any) -> Any:
    """Stripe's `previous_attributes`: the old values of what changed, nested hashes diffed."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return before
    previous = {}
    for key in before.keys() | after.keys():
        if before.get(key) != after.get(key):
            previous[key] = changed_attributes(before.get(key), after.get(key))
    return previous


def _scope(payload: str) -> str:
    """Whose events the sandbox publishes with this payload, as `events_from` names them.

    Thin events here are about v2 accounts, objects of the platform itself: their notification
    carries no `context` (`stripe/v2/core/_event.py` `EventNotification.context`, "needed to
    fetch the event or related object"), so they are the platform's own (`@self`). Snapshot
    events are Connect events of connected accounts (`@accounts`). Scopes:
    stripe/params/v2/core/_event_destination_create_params.py `events_from`.
    """
    return "@self" if payload == "thin" else "@accounts"


@dataclass
class WebhookEndpoint:
    """A receiver URL, its signing secret, and what it wants delivered.

    Endpoints added through the controls or the command line take every event of their
    platform (or of all platforms); those a platform registers through the API
    (`/v1/webhook_endpoints`, `/v2/core/event_destinations`) carry their Stripe object in
    `api_object` and get only the events they enabled, and only while enabled.
    """

    id: str
    url: str
    secret: str
    platform_account: str | None = None
    static: bool = False
    payload: str = "snapshot"  # snapshot (v1 events) | thin (v2 event notifications)
    connect: bool = True  # receives events of connected accounts
    enabled: bool = True
    enabled_events: list[str] = field(default_factory=lambda: ["*"])
    # An event destination's scopes; None (v1 endpoints, static receivers) hears every scope.
    events_from: list[str] | None = None
    api_object: dict[str, Any] | None = None

    def wants(self, event_type: str, platform_account: str, payload: str) -> bool:
        """Whether this endpoint should get an event of this type from this platform."""
        return (
            self.enabled
            and self.connect
            and self.payload == payload
            and self.platform_account in (None, platform_account)
            and ("*" in self.enabled_events or event_type in self.enabled_events)
            and (self.events_from is None or _scope(payload) in self.events_from)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return {
            "id": self.id,
            "url": self.url,
            "secret": self.secret,
            "platform_account": self.platform_account,
            "static": self.static,
            "payload": self.payload,
            "enabled": self.enabled,
            "enabled_events": list(self.enabled_events),
            "events_from": self.events_from,
        }


@dataclass
class Delivery:
    """One event on its way to one endpoint, with every attempt made so far."""

    id: str
    event_id: str
    event_type: str
    account: str
    endpoint_id: str
    url: str
    secret: str
    payload: bytes
    order: int
    next_attempt_at: float
    status: str = "pending"  # pending | succeeded | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "account": self.account,
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "status": self.status,
            "attempts": list(self.attempts),
        }


class WebhookDispatcher:
    """Holds endpoints and deliveries; a daemon thread sends what is due."""

    def __init__(self, backoff: tuple[float, ...] = DEFAULT_BACKOFF, timeout: float = 5.0):
        self.default_backoff = tuple(backoff)
        self.timeout = timeout
        self._cond = threading.Condition()
        self.lock = self._cond  # for callers changing an endpoint in place
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._deliveries: list[Delivery] = []
        self._events: list[dict[str, Any]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._sending = 0
        self._reset_settings()

    def _reset_settings(self) -> None:
        self.paused = False
        self.duplicate = False
        self.delay = 0.0
        self.backoff = self.default_backoff

    # Endpoints -----------------------------------------------------------------------------

    def add_endpoint(
        self,
        url: str,
        secret: str | None = None,
        platform_account: str | None = None,
        static: bool = False,
        **options: Any,
    ) -> WebhookEndpoint:
        """Register a receiver; a secret is generated when none is given. `options` are
        further `WebhookEndpoint` fields (payload, connect, enabled_events, api_object, id)."""
        endpoint = WebhookEndpoint(
            id=options.pop("id", None) or new_id("we", 24),
            url=url,
            secret=secret or f"whsec_{random_token(32)}",
            platform_account=platform_account,
            static=static,
            **options,
        )
        with self._cond:
            self._endpoints[endpoint.id] = endpoint
        return endpoint

    def remove_endpoint(self, endpoint_id: str) -> bool:
        """Forget an endpoint; True when it existed."""
        with self._cond:
            return self._endpoints.pop(endpoint_id, None) is not None

    def endpoints(self) -> list[WebhookEndpoint]:
        """Every registered endpoint."""
        with self._cond:
            return list(self._endpoints.values())

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        """One endpoint by id."""
        with self._cond:
            return self._endpoints.get(endpoint_id)

    # Events --------------------------------------------------------------------------------

    def publish(
        self, event: dict[str, Any], platform_account: str, payload: str = "snapshot"
    ) -> None:
        """Queue `event` for every endpoint that wants it (`payload`: snapshot | thin)."""
        with self._cond:
            targets = [
                endpoint
                for endpoint in self._endpoints.values()
                if endpoint.wants(event["type"], platform_account, payload)
            ]
            if payload == "snapshot":
                event["pending_webhooks"] = len(targets)
            self._events.append(event)
            payload = json.dumps(event, indent=2).encode("utf-8")
            copies = 2 if self.duplicate else 1
            for endpoint in targets:
                for _ in range(copies):
                    self._queue(event, endpoint, payload)
            self._cond.notify_all()

    def _queue(self, event: dict[str, Any], endpoint: WebhookEndpoint, payload: bytes) -> None:
        self._deliveries.append(
            Delivery(
                id=new_id("wd", 20),
                event_id=event["id"],
                event_type=event["type"],
                account=event.get("account") or event["related_object"]["id"],
                endpoint_id=endpoint.id,
                url=endpoint.url,
                secret=endpoint.secret,
                payload=payload,
                order=next(self._order),
                next_attempt_at=time.monotonic() + self.delay,
            )
        )

    def events(self) -> list[dict[str, Any]]:
        """Every event published since the last reset, oldest first."""
        with self._cond:
            return list(self._events)

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery with its attempts, in the order they were queued."""
        with self._cond:
            return [delivery.to_dict() for delivery in self._deliveries]

    # Controls ------------------------------------------------------------------------------

    def configure(
        self,
        *,
        paused: bool | None = None,
        duplicate: bool | None = None,
        delay: float | None = None,
        backoff: list[float] | None = None,
    ) -> dict[str, Any]:
        """Change delivery behaviour; returns the settings now in force."""
        with self._cond:
            if paused is not None:
                self.paused = paused
            if duplicate is not None:
                self.duplicate = duplicate
            if delay is not None:
                self.delay = float(delay)
            if backoff is not None:
                self.backoff = tuple(float(item) for item in backoff)
            self._cond.notify_all()
            return self.settings()

    def settings(self) -> dict[str, Any]:
        """The delivery settings in force."""
        return {
            "paused": self.paused,
            "duplicate": self.duplicate,
            "delay": self.delay,
            "backoff": list(self.backoff),
        }

    def reverse_pending(self) -> int:
        """Send the pending deliveries newest first (pause, act, reverse, resume)."""
        with self._cond:
            pending = [d for d in self._deliveries if d.status == "pending"]
            orders = sorted(d.order for d in pending)
            for delivery, order in zip(pending, reversed(orders), strict=True):
                delivery.order = order
            now = time.monotonic()
            for delivery in pending:
                delivery.next_attempt_at = min(delivery.next_attempt_at, now)
            self._cond.notify_all()
            return len(pending)

    def redeliver(self, delivery_id: str) -> dict[str, Any] | None:
        """Send an already-delivered event again, as Stripe's "Resend" button does."""
        with self._cond:
            original = next((d for d in self._deliveries if d.id == delivery_id), None)
            if original is None:
                return None
            copy = Delivery(
                id=new_id("wd", 20),
                event_id=original.event_id,
                event_type=original.event_type,
                account=original.account,
                endpoint_id=original.endpoint_id,
                url=original.url,
                secret=original.secret,
                payload=original.payload,
                order=next(self._order),
                next_attempt_at=time.monotonic(),
            )
            self._deliveries.append(copy)
            self._cond.notify_all()
            return copy.to_dict()

    def reset(self) -> None:
        """Drop events, deliveries, settings and endpoints added at runtime."""
        with self._cond:
            self._events.clear()
            self._deliveries.clear()
            self._endpoints = {k: e for k, e in self._endpoints.items() if e.static}
            self._reset_settings()

    def idle(self) -> bool:
        """True when nothing is pending or being sent."""
        with self._cond:
            return self._sending == 0 and not any(d.status == "pending" for d in self._deliveries)

    # Worker --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the delivery thread (idempotent)."""
        with self._cond:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(
                    target=self._run, name="stripe-sandbox-webhooks", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread and wait for it."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self.timeout + 1)

    def _next_due(self) -> tuple[Delivery | None, float | None]:
        pending = [d for d in self._deliveries if d.status == "pending"]
        if self.paused or not pending:
            return None, None
        now = time.monotonic()
        due = [d for d in pending if d.next_attempt_at <= now]
        if due:
            return min(due, key=lambda d: d.order), None
        return None, min(d.next_attempt_at for d in pending) - now

    def _run(self) -> None:
        while True:
            with self._cond:
                delivery, wait = self._next_due()
                while delivery is None and not self._stopping:
                    self._cond.wait(timeout=wait)
                    delivery, wait = self._next_due()
                if self._stopping:
                    return
                self._sending += 1
            try:
                outcome = self._send(delivery)
            finally:
                with self._cond:
                    self._sending -= 1
                    self._record(delivery, outcome)
                    self._cond.notify_all()

    def _send(self, delivery: Delivery) -> dict[str, Any]:
        timestamp = int(time.time())
        request = urllib.request.Request(  # noqa: S310 - endpoints are http(s) URLs we were given
            delivery.url,
            data=delivery.payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign_payload(delivery.payload, delivery.secret, timestamp),
            },
        )
        attempt: dict[str, Any] = {"at": time.time(), "status": None, "error": None}
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                attempt["status"] = response.status
        except urllib.error.HTTPError as error:
            attempt["status"] = error.code
            error.close()
        except (OSError, ValueError) as error:
            attempt["error"] = f"{type(error).__name__}: {error}"
        return attempt

    def _record(self, delivery: Delivery, attempt: dict[str, Any]) -> None:
        delivery.attempts.append(attempt)
        status = attempt["status"]
        if status is not None and 200 <= status < 300:
            delivery.status = "succeeded"
            return
        retries_done = len(delivery.attempts) - 1
        if retries_done >= len(self.backoff):
            delivery.status = "failed"
            log.warning("webhook %s to %s failed for good", delivery.event_id, delivery.url)
            return
        delivery.next_attempt_at = time.monotonic() + self.backoff[retries_done]
