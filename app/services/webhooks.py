"""Receiving Stripe's Connect webhooks: verify, de-duplicate, apply in order, or roll back.

Stripe delivers at least once, out of order, and retries failures for three days
(https://docs.stripe.com/webhooks#best-practices). So:

- the event id is inserted into `webhook_events` in the SAME transaction as the change it causes;
  a duplicate (even a concurrent one) hits the primary key and is acknowledged without applying;
- `account.updated` / `capability.updated` only tell us *that* the account changed: we re-fetch
  the account (with no transaction open) and store what Stripe says now, so an old event can
  never write old state. An event strictly older than the newest one applied is acknowledged
  without even asking Stripe;
- the fetched account is applied through `onboarding.sync` under the payments row's lock, the same
  way as the return page and Check status, so when several events and the return page carry one
  change at once, the status change — and its partner notification — is recorded once;
- `charge.succeeded` / `charge.refunded` carry the charge itself: `earnings` stores it and
  recomputes the resource's totals under the same lock, converging whatever the order;
- anything that fails rolls the whole transaction back and answers 500, so Stripe's retry
  applies the event later.

Only verified events that target an account of this endpoint are recorded: the same event id
reaches every endpoint of the platform (a live Connect endpoint also receives test events), and
recording it where it was ignored would make the endpoint that owns the account skip it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.account_snapshot import AccountSnapshot
from app.extensions import db
from app.models import PaymentsAccount, StripeConnection, WebhookEvent, utcnow
from app.models.payments import CLAIM_NONE, empty_requirements
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.services import audit
from app.services.earnings import CHARGE_EVENTS, apply_charges
from app.services.onboarding.steps import stripe_step
from app.services.onboarding.sync import (
    apply_account,
    locked_payments,
    record_status_change,
    tracked_state,
)
from app.services.status import OnboardingState
from app.services.stripe_credentials import app_level_credentials, credentials_from_connection
from app.stripe_gateway import (
    StripeAccountNotFound,
    StripeCredentials,
    WebhookSignatureInvalid,
    mode_of_key,
    verify_webhook,
)

log = logging.getLogger(__name__)

ACCOUNT_CHANGED = ("account.updated", "capability.updated")
DEAUTHORIZED = "account.application.deauthorized"
HANDLED_TYPES = (*ACCOUNT_CHANGED, DEAUTHORIZED, *CHARGE_EVENTS)


class WebhookRejected(Exception):
    """Unknown endpoint, missing secret or a signature that does not verify: 400, no detail."""


class WebhookNotApplied(Exception):
    """Applying a verified event failed and was rolled back: 500, so Stripe retries."""


@dataclass(frozen=True)
class WebhookOutcome:
    """What happened to a verified event: applied | unchanged | duplicate | stale | ignored."""

    result: str
    event_id: str
    event_type: str


@dataclass(frozen=True)
class _Endpoint:
    """The secret and mode of one webhook URL, and its connection (None: the app-level key)."""

    secret: str | None
    mode: str | None
    connection: StripeConnection | None

    @property
    def label(self) -> str:
        return self.connection.id if self.connection else "app-level"


def _endpoint(connection_id: str | None) -> _Endpoint:
    if connection_id is None:
        config = current_app.config
        return _Endpoint(
            config.get("STRIPE_WEBHOOK_SECRET"),
            mode_of_key(config.get("STRIPE_SECRET_KEY") or ""),
            None,
        )
    connection = db.session.get(StripeConnection, connection_id)
    if connection is None:
        raise WebhookRejected("unknown connection")
    try:
        secret = decrypt_secret(connection.webhook_secret_ciphertext)
    except SecretUnreadable:
        log.error(
            "webhook for connection %s: stored signing secret does not decrypt", connection.id
        )
        raise WebhookRejected("secret unreadable") from None
    return _Endpoint(secret, connection.mode, connection)


def receive_stripe_event(
    connection_id: str | None, payload: bytes, signature: str | None
) -> WebhookOutcome:
    """Verify a webhook body against its endpoint's secret and apply the event it carries."""
    endpoint = _endpoint(connection_id)
    if not endpoint.secret:
        log.warning("webhook on %s refused: no signing secret configured", endpoint.label)
        raise WebhookRejected("no secret")
    try:
        event = verify_webhook(payload, signature, endpoint.secret)
    except WebhookSignatureInvalid as error:
        log.info("webhook on %s refused: signature did not verify (%s)", endpoint.label, error)
        raise WebhookRejected("signature") from None
    try:
        return _apply_event(endpoint, event)
    except Exception:
        db.session.rollback()
        log.exception(
            "webhook %s (%s) on %s not applied; Stripe will retry",
            event.get("id"),
            event.get("type"),
            endpoint.label,
        )
        raise WebhookNotApplied(str(event.get("id"))) from None


def _touch(endpoint: _Endpoint) -> None:
    """Remember that this connection's webhooks arrive (the setup check shows it)."""
    if endpoint.connection is not None:
        endpoint.connection.last_webhook_at = utcnow()


def _ignore(endpoint: _Endpoint, event: dict[str, Any], why: str) -> WebhookOutcome:
    _touch(endpoint)
    db.session.commit()
    log.info(
        "webhook %s (%s) on %s acknowledged, ignored: %s",
        event["id"],
        event["type"],
        endpoint.label,
        why,
    )
    return WebhookOutcome("ignored", event["id"], event["type"])


def _owned_account(endpoint: _Endpoint, account_id: str | None) -> PaymentsAccount | None:
    """The resource holding `account_id`, only if it onboards under this endpoint's key."""
    if not account_id:
        return None
    owner = (
        PaymentsAccount.connection_id == endpoint.connection.id
        if endpoint.connection is not None
        else PaymentsAccount.connection_id.is_(None)
    )
    return db.session.scalars(
        select(PaymentsAccount).where(PaymentsAccount.stripe_account_id == account_id, owner)
    ).first()


def _credentials(endpoint: _Endpoint) -> StripeCredentials:
    if endpoint.connection is not None:
        return credentials_from_connection(endpoint.connection)
    credentials = app_level_credentials()
    if credentials is None:
        raise RuntimeError("the app-level Stripe key is not configured")
    return credentials


def _is_recorded(event_id: str) -> bool:
    return db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.id == event_id)) is not None


def _fetch_account(
    endpoint: _Endpoint, payments: PaymentsAccount, account_id: str
) -> AccountSnapshot | None:
    """The account as Stripe has it now, fetched with no transaction open; None when the key
    can no longer see it (a retry would not help; a deauthorization arrives as its own event)."""
    credentials = _credentials(endpoint)
    server_id, api = payments.server_id, payments.accounts_api
    db.session.commit()  # hold no connection while Stripe answers
    try:
        with stripe_step(server_id, "webhook_fetch", credentials, user_id=None) as gateway:
            return gateway.retrieve_account(account_id, api=api)
    except StripeAccountNotFound:
        return None


def _apply_event(
    endpoint: _Endpoint,
    event: dict[str, Any],
    *,
    handled: tuple[str, ...] = HANDLED_TYPES,
    account_changed: tuple[str, ...] = ACCOUNT_CHANGED,
) -> WebhookOutcome:
    """Apply a verified event (v1, or a thin one in v1 terms: `thin_events`) in order, once.

    `handled` and `account_changed` name the event types this endpoint acts on and those that
    only say the account changed (re-fetched)."""
    event_id, event_type = event["id"], event["type"]
    if event_type not in handled:
        return _ignore(endpoint, event, "event type not handled")
    if bool(event.get("livemode")) != (endpoint.mode == "live"):
        log.warning(
            "webhook %s on %s: livemode=%s does not match the endpoint's %s mode",
            event_id,
            endpoint.label,
            event.get("livemode"),
            endpoint.mode,
        )
        return _ignore(endpoint, event, "livemode mismatch")
    account_id = event.get("account")
    found = _owned_account(endpoint, account_id)
    if found is None:
        return _ignore(endpoint, event, "no resource of this endpoint holds the account")
    if _is_recorded(event_id):
        return _duplicate(endpoint, event)
    created = int(event.get("created") or 0)
    account = fetched_at = None
    if event_type in account_changed and not _older_than_applied(found, created):
        fetched_at = utcnow()
        account = _fetch_account(endpoint, found, account_id)

    with locked_payments(found.id) as payments:
        # Events for one account apply one at a time under this lock, so this check also
        # catches a duplicate delivered concurrently.
        if _is_recorded(event_id):
            return _duplicate(endpoint, event)
        db.session.add(
            WebhookEvent(
                id=event_id,
                connection_id=endpoint.connection.id if endpoint.connection else None,
                type=event_type,
                account_id=account_id,
            )
        )
        result = _apply_locked(payments, event, account, fetched_at)
        if result == "applied":
            audit.record_on_server(
                "webhook.applied",
                payments.server,
                actor_label="stripe",
                details={"event": event_id, "type": event_type},
            )
        _touch(endpoint)
    log.info("webhook %s (%s) on %s: %s", event_id, event_type, endpoint.label, result)
    return WebhookOutcome(result, event_id, event_type)


def _older_than_applied(payments: PaymentsAccount, created: int) -> bool:
    """We already fetched the account after a newer event; this one has nothing new."""
    return payments.last_event_created is not None and created < payments.last_event_created


def _apply_locked(
    payments: PaymentsAccount,
    event: dict[str, Any],
    account: AccountSnapshot | None,
    fetched_at: datetime | None,
) -> str:
    """Apply a recorded event to the locked payments row: applied | unchanged | stale |
    ignored."""
    if payments.stripe_account_id != event.get("account"):
        return "ignored"
    if event["type"] == DEAUTHORIZED:
        before = tracked_state(payments)
        _deauthorize(payments, event["account"], event["id"])
        return "applied" if tracked_state(payments) != before else "unchanged"
    if event["type"] in CHARGE_EVENTS:
        # The charge itself is the news; `earnings` makes any order of deliveries converge.
        charge = (event.get("data") or {}).get("object") or {}
        return "applied" if apply_charges(payments, [charge]) else "unchanged"
    created = int(event.get("created") or 0)
    if _older_than_applied(payments, created):
        return "stale"
    if account is None:
        return "ignored"
    applied = apply_account(
        payments, account, source="webhook", fetched_at=fetched_at, actor_label="stripe"
    )
    payments.last_event_created = max(created, payments.last_event_created or 0)
    if not applied.stored:
        return "stale"  # a fetch that started later is stored already
    return "applied" if applied.changed else "unchanged"


def _duplicate(endpoint: _Endpoint, event: dict[str, Any]) -> WebhookOutcome:
    log.info("webhook %s on %s: duplicate delivery acknowledged", event["id"], endpoint.label)
    return WebhookOutcome("duplicate", event["id"], event["type"])


def _deauthorize(payments: PaymentsAccount, account_id: str, event_id: str) -> None:
    """The account removed our platform's access: forget it, say so, allow a fresh account."""
    before = OnboardingState(payments.onboarding_status, payments.status_reason)
    payments.status = "disconnected"
    payments.onboarding_status, payments.status_reason = "not_started", "disconnected"
    payments.stripe_account_id = None
    payments.account_claim = CLAIM_NONE
    # A new generation gives the next account creation a new idempotency key; the old one
    # would make Stripe replay the account we just lost.
    payments.account_generation = (payments.account_generation or 0) + 1
    payments.claimed_at = payments.creation_started_at = None
    payments.charges_enabled = payments.payouts_enabled = payments.details_submitted = False
    payments.requirements = empty_requirements()
    payments.disabled_reason = None
    payments.current_deadline = None
    payments.last_event_created = None
    payments.last_synced_at = utcnow()
    after = OnboardingState("not_started", "disconnected")
    audit.record_on_server(
        "webhook.deauthorized",
        payments.server,
        actor_label="stripe",
        details={"account": account_id, "event": event_id},
    )
    record_status_change(payments, before, after, source="webhook", actor_label="stripe")
