"""The one place that talks to Stripe (and the only module that imports `stripe`).

Every call goes through a `stripe.StripeClient` built for one API key — never the global
`stripe.api_key`, which would leak one workspace's key into another's request under threads.
Clients are cached per key, pinned to the SDK's API version, and retry network failures and 5xx
(the SDK reuses one idempotency key across its own retries). A person is waiting on the page, so
one deadline bounds each gateway's calls (`STRIPE_STEP_DEADLINE_SECONDS`): every attempt's
timeout shrinks to what is left of it, and no retry starts that could not finish in time.

Stripe's exceptions are translated here into ours (classified by the one table in
`app.stripe_errors`), so views and services never see the SDK. Messages of ours never contain
keys or link URLs, and `init_app` keeps the SDK's own log records (which carry response bodies
at DEBUG) free of them too.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import Any

import stripe
from flask import Flask, current_app

from app.account_snapshot import V2_INCLUDE, AccountSnapshot, stripe_time

# The gateway's errors are part of its interface: callers may import them from here.
from app.stripe_errors import StripeAccountNotFound as StripeAccountNotFound
from app.stripe_errors import (
    StripeFacts,
    StripeGatewayError,
    WebhookSignatureInvalid,
    classify,
    clean_message,
)
from app.stripe_errors import StripeKeyRejected as StripeKeyRejected
from app.stripe_errors import StripeRequestRejected as StripeRequestRejected
from app.stripe_errors import StripeUnavailable as StripeUnavailable

log = logging.getLogger(__name__)

PINNED_API_VERSION = stripe.api_version
# The SDK logs through this logger: request params and response bodies at DEBUG.
SDK_LOGGER = "stripe"


@dataclass(frozen=True)
class StripeCredentials:
    """Which key to use and how: a workspace connection's, or the app-level one."""

    api_key: str = field(repr=False)
    mode: str
    connection_id: str | None = None
    platform_account_id: str | None = None
    # Per-connection onboarding settings (from its config JSON), falling back to app config.
    options: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ThinEvent:
    """A verified v2 event notification, as much of it as we act on.

    `account_id` is the related object's id when that is a v2 account (None otherwise);
    `created` is in epoch seconds, like a v1 event's, so both order against each other.
    """

    id: str
    type: str
    account_id: str | None
    created: int
    livemode: bool


@dataclass(frozen=True)
class AccountLink:
    """A freshly minted, single-use onboarding URL. Never store or log `url`."""

    url: str = field(repr=False)
    expires_at: datetime


def mode_of_key(api_key: str) -> str | None:
    """`test` or `live` from a key's prefix (sk_/rk_), None when it is not a Stripe key."""
    for prefix in ("sk_", "rk_"):
        for mode in ("test", "live"):
            if api_key.startswith(f"{prefix}{mode}_"):
                return mode
    return None


# The deadline of the gateway call running in this thread (time.monotonic()), or None.
_deadline: ContextVar[float | None] = ContextVar("stripe_deadline", default=None)
# An attempt with less time than this left is not started: it could only time out.
MIN_ATTEMPT_SECONDS = 0.2
CONNECT_TIMEOUT_SECONDS = 3.0


def step_deadline() -> float:
    """A deadline (time.monotonic()) STRIPE_STEP_DEADLINE_SECONDS from now."""
    return time.monotonic() + float(current_app.config["STRIPE_STEP_DEADLINE_SECONDS"])


def _remaining() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class _DeadlineClient(stripe.RequestsClient):
    """The SDK's requests client, bounded by the deadline of the gateway call in progress.

    The SDK's retry loop lives in the HTTP client (`_request_with_retries_internal`), so this
    is where a retry is refused when its back-off sleep and a useful attempt no longer fit
    before the deadline, and where each attempt's read timeout shrinks to the time left.
    Retried POSTs keep their idempotency key, so a retry never repeats a request that Stripe
    carried out (https://docs.stripe.com/api/idempotent_requests).

    Connections to Stripe are reused across requests: `RequestsClient` keeps one
    `requests.Session` per thread (stripe/stripe-python#531), whose urllib3 pool holds the
    connection open for the thread's next call, and no session is shared between threads
    (requests does not promise that a Session is thread-safe). So no `session=` is passed here:
    one session would serve every gunicorn thread.
    """

    def __init__(self, timeout: float) -> None:
        self._full_timeout = timeout
        super().__init__(timeout=timeout)

    @property
    def _timeout(self) -> tuple[float, float]:  # read by RequestsClient for every attempt
        timeout = self._full_timeout
        remaining = _remaining()
        if remaining is not None:
            timeout = min(timeout, max(remaining, MIN_ATTEMPT_SECONDS))
        return (min(CONNECT_TIMEOUT_SECONDS, timeout), timeout)

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self._full_timeout = value

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        """One attempt, unless the deadline leaves no time for it."""
        remaining = _remaining()
        if remaining is not None and remaining < MIN_ATTEMPT_SECONDS:
            raise stripe.APIConnectionError(
                "The Stripe step's deadline passed before this attempt.", should_retry=False
            )
        return super().request(method, url, headers, post_data)

    def _should_retry(
        self,
        response: Any,
        api_connection_error: Any,
        num_retries: int,
        max_network_retries: int | None,
    ) -> bool:
        if not super()._should_retry(
            response, api_connection_error, num_retries, max_network_retries
        ):
            return False
        remaining = _remaining()
        # The SDK sleeps INITIAL_DELAY × 2^n (jittered, at most MAX_DELAY) before retry n+1.
        back_off = min(self.INITIAL_DELAY * 2**num_retries, self.MAX_DELAY)
        return remaining is None or remaining >= back_off + MIN_ATTEMPT_SECONDS


_clients: dict[tuple[str, str | None, float, int], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def _client_for(api_key: str) -> stripe.StripeClient:
    """One cached StripeClient per key and settings (clients are thread-safe)."""
    config = current_app.config
    api_base = config.get("STRIPE_API_BASE")
    timeout = float(config["STRIPE_TIMEOUT_SECONDS"])
    retries = int(config["STRIPE_MAX_NETWORK_RETRIES"])
    cache_key = (sha256(api_key.encode()).hexdigest(), api_base, timeout, retries)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            base_addresses = {"api": api_base, "connect": api_base} if api_base else None
            client = stripe.StripeClient(
                api_key,
                stripe_version=PINNED_API_VERSION,
                base_addresses=base_addresses,
                max_network_retries=retries,
                http_client=_DeadlineClient(timeout),
            )
            _clients[cache_key] = client
        return client


# Secrets, addresses and links that must not reach a log line through the SDK's records.
_SECRET_PATTERNS = (
    re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*…]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9]+"),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    # Any URL except an API path of Stripe's (/v1/…, /v2/…): Account and login links.
    re.compile(r"https?://[^\s/\"'<>]+/(?!v[12]/)[^\s\"'<>]*"),
)


class SdkLogFilter(logging.Filter):
    """Drops the SDK's DEBUG records (request params, response bodies with link URLs and
    emails) and scrubs keys, emails and non-API URLs from the records it lets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return False
        message = record.getMessage()
        for pattern in _SECRET_PATTERNS:
            message = pattern.sub("[redacted]", message)
        record.msg, record.args = message, None
        return True


def init_app(app: Flask) -> None:
    """Keep the SDK's logger above DEBUG and filter what it logs, whatever the root level.

    A filter on the logger itself also holds when a handler or test lowers its level.
    """
    sdk_logger = logging.getLogger(SDK_LOGGER)
    sdk_logger.setLevel(logging.INFO)
    if not any(isinstance(f, SdkLogFilter) for f in sdk_logger.filters):
        sdk_logger.addFilter(SdkLogFilter())
    # `stripe.log = "debug"` would print bodies to stderr, past logging altogether.
    stripe.log = None


def _header(error: stripe.StripeError, name: str) -> str | None:
    """A response header of a Stripe error, whatever its case."""
    headers = getattr(error, "headers", None) or {}
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), None)


def _translate(
    error: stripe.StripeError, action: str, credentials: StripeCredentials
) -> StripeGatewayError:
    """Map an SDK error to ours; log what support needs (never the key or a URL)."""
    translated = _translated(error, action)
    translated.app_level_key = credentials.connection_id is None
    return translated


def _translated(error: stripe.StripeError, action: str) -> StripeGatewayError:
    """Read Stripe's answer into facts; the table in `app.stripe_errors` names the class."""
    body = getattr(error, "error", None)
    status = getattr(error, "http_status", None)
    facts = StripeFacts(
        status=status,
        error_type=getattr(body, "type", None),
        # The SDK sets `.code` only on some error classes (not PermissionError, which carries
        # Stripe's 403 `account_invalid`); the parsed error body always has it.
        code=getattr(error, "code", None) or getattr(body, "code", None),
        param=getattr(body, "param", None),
        message=clean_message(getattr(body, "message", None) or error.user_message),
        replayed=_header(error, "Idempotent-Replayed") == "true",
        unreachable=isinstance(error, stripe.APIConnectionError)
        or (isinstance(error, stripe.APIError) and status is None),
    )
    refusal = classify(facts)
    request_id = getattr(error, "request_id", None)
    level = logging.INFO if refusal.cause == "account_not_found" else logging.WARNING
    log.log(
        level,
        "stripe answered %s during %s (status=%s type=%s code=%s param=%s request_id=%s "
        "replayed=%s): %s",
        refusal.cause,
        action,
        status,
        facts.error_type,
        facts.code,
        facts.param,
        request_id,
        facts.replayed,
        facts.message,
    )
    return refusal.exception(
        refusal.title, request_id=request_id, replayed=facts.replayed, facts=facts
    )


WEBHOOK_TOLERANCE_SECONDS = 300
# Accounts per page of `GET /v2/core/accounts` (the recovery lookup reads every page).
V2_LIST_LIMIT = 100


def verify_webhook(payload: bytes, sig_header: str | None, secret: str) -> dict[str, Any]:
    """The event in a webhook body, after checking Stripe's signature over the RAW bytes.

    Rejects timestamps older than 300 s (replays). While a secret is rolled Stripe signs with
    both and sends two `v1=` entries; the SDK accepts the body if any of them matches.
    https://docs.stripe.com/webhooks#verify-official-libraries
    """
    try:
        event = stripe.Webhook.construct_event(
            payload, sig_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        # ValueError covers a body that is not UTF-8 JSON; never echo the header or body.
        raise WebhookSignatureInvalid(type(error).__name__) from None
    return _as_dict(event)


def parse_thin_event(payload: bytes, sig_header: str | None, secret: str) -> ThinEvent:
    """The v2 event notification in an event destination's delivery, verified and parsed by
    the SDK (`StripeClient.parse_event_notification`: the same signature scheme and 300 s
    tolerance as v1; https://docs.stripe.com/event-destinations#thin-payload)."""
    try:
        notification = _parser().parse_event_notification(
            payload, sig_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, ValueError, KeyError) as error:
        # ValueError: not JSON or not a thin notification; KeyError: a field it must carry.
        raise WebhookSignatureInvalid(type(error).__name__) from None
    related = getattr(notification, "related_object", None)
    account_id = related.id if related is not None and related.type == "v2.core.account" else None
    return ThinEvent(
        id=notification.id,
        type=notification.type,
        account_id=account_id,
        created=int(stripe_time(notification.created).timestamp()),
        livemode=notification.livemode,
    )


def _parser() -> stripe.StripeClient:
    """A client for parsing only: the notification keeps it for fetches we never make."""
    return _client_for(_PARSER_KEY)


# Never sent: parsing a notification makes no request.
_PARSER_KEY = "sk_test_parse_only"  # noqa: S105 - a placeholder, not a secret


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


class StripeGateway:
    """Stripe operations for one set of credentials, all within one deadline.

    `deadline` (a time.monotonic() value) bounds every call made through this gateway, retries
    included; by default it is STRIPE_STEP_DEADLINE_SECONDS after the gateway is made.
    """

    def __init__(self, credentials: StripeCredentials, *, deadline: float | None = None) -> None:
        self.credentials = credentials
        self.deadline = step_deadline() if deadline is None else deadline
        self._client = _client_for(credentials.api_key)

    @contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        """SDK calls inside run within the deadline; their errors come out as ours."""
        token = _deadline.set(self.deadline)
        try:
            yield
        except stripe.StripeError as error:
            raise _translate(error, action, self.credentials) from None
        finally:
            _deadline.reset(token)

    def create_account(
        self, params: dict[str, Any], *, idempotency_key: str, api: str
    ) -> AccountSnapshot:
        """`POST /v1/accounts` or `POST /v2/core/accounts` with a caller-chosen idempotency key
        (race- and crash-safe; v2 POSTs honour `Idempotency-Key` as v1's do:
        https://docs.stripe.com/api-v2-overview#idempotency)."""
        options: dict[str, Any] = {"idempotency_key": idempotency_key}
        with self._calling(f"account create ({api})"):
            if api == "v2":
                created = self._client.v2.core.accounts.create(params=params, options=options)
                return AccountSnapshot.from_v2(_as_dict(created))
            created = self._client.v1.accounts.create(params=params, options=options)
        return AccountSnapshot.from_v1(_as_dict(created))

    def retrieve_account(self, account_id: str, *, api: str) -> AccountSnapshot:
        """The account's current flags and requirements, through the API that made it:
        `GET /v1/accounts/{id}`, or `GET /v2/core/accounts/{id}` with everything we read
        included (v2 leaves requirements and capabilities out unless asked)."""
        with self._calling(f"account retrieve ({api})"):
            if api == "v2":
                account = self._client.v2.core.accounts.retrieve(
                    account_id, params={"include": list(V2_INCLUDE)}
                )
                return AccountSnapshot.from_v2(_as_dict(account))
            return AccountSnapshot.from_v1(_as_dict(self._client.v1.accounts.retrieve(account_id)))

    def find_account_created_since(
        self, since: datetime, *, metadata_key: str, metadata_value: str, api: str
    ) -> AccountSnapshot | None:
        """The newest connected account created at or after `since` whose metadata has
        `metadata_key == metadata_value`, or None.

        Stripe cannot search accounts by metadata, so this pages through the platform's
        accounts. Only recovery after a lost answer uses it, with a `since` close to the moment
        the lost request was sent. v1 lists filter by `created[gte]` and give whole accounts.
        v2's list (stripe-python `_account_list_params.py`: `applied_configurations`, `closed`,
        `limit` only) has no created filter and no `include`, so every page is read and the
        account found is retrieved again for its requirements.
        """
        if api == "v2":
            return self._find_v2_account(since, metadata_key, metadata_value)
        params = {"created": {"gte": int(since.timestamp())}, "limit": 100}
        with self._calling("account list (v1)"):
            for listed in self._client.v1.accounts.list(params=params).auto_paging_iter():
                account = AccountSnapshot.from_v1(_as_dict(listed))
                if account.metadata.get(metadata_key) == metadata_value:
                    return account
        return None

    def _find_v2_account(
        self, since: datetime, metadata_key: str, metadata_value: str
    ) -> AccountSnapshot | None:
        with self._calling("account list (v2)"):
            listed = self._client.v2.core.accounts.list(params={"limit": V2_LIST_LIMIT})
            matching = [
                account
                for account in (
                    AccountSnapshot.from_v2(_as_dict(a)) for a in listed.auto_paging_iter()
                )
                if account.metadata.get(metadata_key) == metadata_value
                and account.created is not None
                and account.created >= since
            ]
        if not matching:
            return None
        newest = max(matching, key=lambda account: account.created)
        return self.retrieve_account(newest.id, api="v2")

    def retrieve_platform_account(self) -> dict[str, Any]:
        """GET /v1/account: the key's own platform account (verifies a connection's key)."""
        with self._calling("platform account retrieve"):
            return _as_dict(self._client.v1.accounts.retrieve_current())

    def create_account_link(
        self,
        *,
        account_id: str,
        link_type: str,
        refresh_url: str,
        return_url: str,
        collection_fields: str,
        future_requirements: str,
        api: str = "v1",
    ) -> AccountLink:
        """Mint a single-use Account Link (v1 default, v2 `/v2/core/account_links`)."""
        collection = {"fields": collection_fields, "future_requirements": future_requirements}
        with self._calling(f"account link ({api}) create"):
            if api == "v2":
                # On API versions 2026-09-30.endive and later `configurations` is gone from
                # use_case (sending it fails); the account's configuration decides instead.
                link = self._client.v2.core.account_links.create(
                    params={
                        "account": account_id,
                        "use_case": {
                            "type": link_type,
                            link_type: {
                                "refresh_url": refresh_url,
                                "return_url": return_url,
                                "collection_options": collection,
                            },
                        },
                    }
                )
            else:
                link = self._client.v1.account_links.create(
                    params={
                        "account": account_id,
                        "type": link_type,
                        "refresh_url": refresh_url,
                        "return_url": return_url,
                        "collection_options": collection,
                    }
                )
        return AccountLink(url=link.url, expires_at=stripe_time(link.expires_at))

    def create_login_link(self, account_id: str) -> str:
        """A single-use Express dashboard login URL. Never store or log it."""
        with self._calling("login link create"):
            link = self._client.v1.accounts.login_links.create(account_id)
        return link.url

    def list_charges(
        self, account_id: str, *, starting_after: str | None = None, limit: int = 100
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a connected account's charges, newest first, and whether more follow.

        `GET /v1/charges` with the `Stripe-Account` header; pass the last id of a page as
        `starting_after` for the next (https://docs.stripe.com/api/pagination,
        https://docs.stripe.com/connect/authentication#stripe-account-header).
        """
        params: dict[str, Any] = {"limit": limit}
        if starting_after is not None:
            params["starting_after"] = starting_after
        with self._calling("charge list"):
            page = self._client.v1.charges.list(
                params=params, options={"stripe_account": account_id}
            )
        return [_as_dict(charge) for charge in page.data], bool(page.has_more)

    def list_webhook_endpoints(self) -> list[dict[str, Any]]:
        """GET /v1/webhook_endpoints: every endpoint of the key's platform."""
        with self._calling("webhook endpoint list"):
            listed = self._client.v1.webhook_endpoints.list(params={"limit": 100})
            return [_as_dict(endpoint) for endpoint in listed.auto_paging_iter()]

    def create_webhook_endpoint(self, url: str, events: list[str]) -> dict[str, Any]:
        """POST /v1/webhook_endpoints for Connect events, pinned to our API version.

        The answer carries the signing `secret` — the only time Stripe shows it
        (https://docs.stripe.com/api/webhook_endpoints/create). Never log it.
        """
        with self._calling("webhook endpoint create"):
            endpoint = self._client.v1.webhook_endpoints.create(
                params={
                    "url": url,
                    "enabled_events": events,
                    "connect": True,
                    "api_version": PINNED_API_VERSION,
                    "description": "connect-onboarding: account updates of connected accounts",
                }
            )
        return _as_dict(endpoint)

    def update_webhook_endpoint(self, endpoint_id: str, events: list[str]) -> dict[str, Any]:
        """POST /v1/webhook_endpoints/{id}: listen to `events` again and be enabled."""
        with self._calling("webhook endpoint update"):
            endpoint = self._client.v1.webhook_endpoints.update(
                endpoint_id, params={"enabled_events": events, "disabled": False}
            )
        return _as_dict(endpoint)

    def list_event_destinations(self) -> list[dict[str, Any]]:
        """GET /v2/core/event_destinations with their urls (redacted unless included:
        stripe/params/v2/core/_event_destination_list_params.py)."""
        with self._calling("event destination list"):
            listed = self._client.v2.core.event_destinations.list(
                params={"include": ["webhook_endpoint.url"]}
            )
            return [_as_dict(destination) for destination in listed.auto_paging_iter()]

    def create_event_destination(self, url: str, events: list[str]) -> dict[str, Any]:
        """POST /v2/core/event_destinations: a webhook destination for thin events about the
        platform's v2 accounts.

        `events_from: ["@self"]`: v2 accounts are objects of the platform itself (their
        notifications carry no `context`), not events emitted by connected accounts
        (`@accounts`). Only this answer can carry the signing secret, and only when included
        (stripe/v2/core/_event_destination.py `WebhookEndpoint.signing_secret`). Never log it.
        """
        with self._calling("event destination create"):
            destination = self._client.v2.core.event_destinations.create(
                params={
                    "name": "connect-onboarding",
                    "description": "connect-onboarding: v2 account updates",
                    "type": "webhook_endpoint",
                    "event_payload": "thin",
                    "events_from": ["@self"],
                    "enabled_events": events,
                    "webhook_endpoint": {"url": url},
                    "include": ["webhook_endpoint.signing_secret", "webhook_endpoint.url"],
                }
            )
        return _as_dict(destination)

    def repair_event_destination(
        self, destination_id: str, events: list[str], *, enable: bool
    ) -> None:
        """Listen to `events` again (POST /v2/core/event_destinations/{id}) and, when asked,
        enable it (`…/enable`: update cannot)."""
        destinations = self._client.v2.core.event_destinations
        with self._calling("event destination update"):
            destinations.update(destination_id, params={"enabled_events": events})
            if enable:
                destinations.enable(destination_id)
