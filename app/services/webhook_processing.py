"""Applying one recorded Stripe event: in order, once, with no lock held while Stripe answers.

The webhook worker (`webhook_worker`) calls `process_event` for each event it claims:

- account events only tell us *that* the account changed: we re-fetch the account (with no
  transaction open) and store what Stripe says now, so an old event can never write old state.
  An event strictly older than the newest one applied is settled `stale` without asking Stripe;
- the fetched account is applied through `onboarding.sync` under the payments row's lock, the
  same way as the return page and Check status, so when several events and the return page
  carry one change at once — in any number of workers and requests — the status change and its
  partner notification are recorded once;
- `charge.succeeded` / `charge.refunded` carry the charge itself: `earnings` stores it and
  recomputes the resource's totals under the same lock, converging whatever the order;
- `account.application.deauthorized` forgets the account and allows a fresh one.

`settle(result)` marks the event processed inside the transaction of its change, so the change
and "done" commit together; anything that raises rolls both back for a later retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, select

from app.account_snapshot import AccountSnapshot
from app.extensions import db
from app.models import PaymentsAccount, StripeConnection, utcnow
from app.models.payments import CLAIM_NONE, empty_requirements
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
from app.stripe_gateway import StripeAccountNotFound, StripeCredentials

if TYPE_CHECKING:
    from app.services.webhook_inbox import InboxEvent

DEAUTHORIZED = "account.application.deauthorized"
# What a v1 Connect webhook endpoint subscribes to (`webhook_endpoints` registers them).
V1_EVENT_TYPES = ("account.updated", "capability.updated", DEAUTHORIZED, *CHARGE_EVENTS)
# Accounts v2 thin events (stripe/events/_v2_core_account_*_event.py) carry no snapshot either:
# they are processed like `account.updated` — fetch, then apply. Which ones, and why: the
# docstring of `thin_events`.
V2_ACCOUNT_CHANGED = (
    "v2.core.account[requirements].updated",
    "v2.core.account[future_requirements].updated",
    "v2.core.account[configuration.merchant].capability_status_updated",
    "v2.core.account[configuration.recipient].capability_status_updated",
    "v2.core.account.updated",
    "v2.core.account.closed",
)
ACCOUNT_CHANGED = (
    "v2.core.account.updated",
    "v2.core.account[requirements].updated",
    "v2.core.account[future_requirements].updated",
)
ACCOUNT_CHANGED = ("account.updated", "capability.updated", *V2_ACCOUNT_CHANGED)
HANDLED_TYPES = (*V1_EVENT_TYPES, *V2_ACCOUNT_CHANGED)


class LeaseLost(Exception):
    """Another worker took the event over: what this one did is rolled back."""


def process_event(
    event: InboxEvent, connection_id: str | None, settle: Callable[[str], None]
) -> str:
    """Apply `event` received on `connection_id`'s endpoint (None: app-level) and commit with
    `settle(result)`: applied | unchanged | stale | ignored. Raises on a failure to retry."""
    found = _owned_account(connection_id, event.account_id)
    if found is None:  # deauthorized or moved since the event was recorded
        return _settle_now(settle, "ignored")
    account = fetched_at = None
    if event.type in ACCOUNT_CHANGED:
        if _older_than_applied(found, event.created):
            return _settle_now(settle, "stale")
        fetched_at = utcnow()
        account = _fetch_account(connection_id, found, event.account_id)
    with locked_payments(found.id) as payments:
        result = _apply_locked(payments, event, account, fetched_at)
        if result == "applied":
            audit.record_on_server(
                "webhook.applied",
                payments.server,
                actor_label="stripe",
                details={"event": event.id, "type": event.type},
            )
        settle(result)
    return result


def _settle_now(settle: Callable[[str], None], result: str) -> str:
    settle(result)
    db.session.commit()
    return result


def held_under(connection_id: Any, account_id: Any) -> ColumnElement[bool]:
    """Whether a payments row holds `account_id` and onboards under the key of the endpoint of
    `connection_id` (None: the app-level key) — the rule of which events an endpoint may
    record and apply. Takes values or bound parameters."""
    return and_(
        PaymentsAccount.stripe_account_id == account_id,
        PaymentsAccount.connection_id.is_not_distinct_from(connection_id),
    )


def _owned_account(connection_id: str | None, account_id: str | None) -> PaymentsAccount | None:
    """The resource holding `account_id`, only if it onboards under this endpoint's key."""
    if not account_id:
        return None
    return db.session.scalars(
        select(PaymentsAccount).where(held_under(connection_id, account_id))
    ).first()


def _credentials(connection_id: str | None) -> StripeCredentials:
    if connection_id is not None:
        connection = db.session.get(StripeConnection, connection_id)
        if connection is None:  # pragma: no cover — its resources go with it
            raise RuntimeError(f"connection {connection_id} no longer exists")
        return credentials_from_connection(connection)
    credentials = app_level_credentials()
    if credentials is None:
        raise RuntimeError("the app-level Stripe key is not configured")
    return credentials


def _fetch_account(
    connection_id: str | None, payments: PaymentsAccount, account_id: str
) -> AccountSnapshot | None:
    """The account as Stripe has it now, through the API that made it, fetched with no
    transaction open; None when the key can no longer see it (a retry would not help; a
    deauthorization arrives as its own event)."""
    credentials = _credentials(connection_id)
    server_id, api = payments.server_id, payments.accounts_api
    db.session.commit()  # hold no connection while Stripe answers
    try:
        with stripe_step(server_id, "webhook_fetch", credentials, user_id=None) as gateway:
            return gateway.retrieve_account(account_id, api=api)
    except StripeAccountNotFound:
        return None


def _older_than_applied(payments: PaymentsAccount, created: int) -> bool:
    """We already fetched the account after a newer event; this one has nothing new."""
    return payments.last_event_created is not None and created < payments.last_event_created


def _apply_locked(
    payments: PaymentsAccount,
    event: InboxEvent,
    account: AccountSnapshot | None,
    fetched_at: datetime | None,
) -> str:
    """Apply an event to the locked payments row: applied | unchanged | stale | ignored."""
    if payments.stripe_account_id != event.account_id:
        return "ignored"
    if event.type == DEAUTHORIZED:
        before = tracked_state(payments)
        _deauthorize(payments, event.account_id, event.id)
        return "applied" if tracked_state(payments) != before else "unchanged"
    if event.type in CHARGE_EVENTS:
        # The charge itself is the news; `earnings` makes any order of deliveries converge.
        return "applied" if apply_charges(payments, [event.data_object or {}]) else "unchanged"
    if _older_than_applied(payments, event.created):
        return "stale"
    if account is None:
        return "ignored"
    applied = apply_account(
        payments, account, source="webhook", fetched_at=fetched_at, actor_label="stripe"
    )
    payments.last_event_created = max(event.created, payments.last_event_created or 0)
    if not applied.stored:
        return "stale"  # a fetch that started later is stored already
    return "applied" if applied.changed else "unchanged"


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
