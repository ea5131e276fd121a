"""Thin events from a v2 connection's event destination: verified and parsed by the SDK, then
applied exactly as a v1 `account.updated` is.

An event destination sends thin notifications: the event's id, type, time and the object it is
about, nothing of the object itself (https://docs.stripe.com/event-destinations#thin-payload).
That is all we need: like v1 account events, a thin event only says *that* the account
changed, so we re-fetch the account with no transaction open and apply it through
`onboarding.sync` under the payments row's lock, de-duplicated by event id and ordered by the
event's `created` — the path of `webhooks._apply_event`, which the two receivers share.

The types we act on are those that can change what we store of an account (stripe-python's
`stripe/events/_v2_core_account_*` classes; https://docs.stripe.com/api/v2/core/accounts/event-types):
its requirements now and later, the status of the capabilities we request (merchant
`card_payments`, recipient `stripe_balance.stripe_transfers`), any other update, and its
closing. Left out: `v2.core.account.created` (we create accounts and store the answer),
`[configuration.*].updated` / `[identity].updated` / `[defaults].updated` (no status in them:
their effect on requirements arrives as `[requirements].updated`), persons, and
`v2.core.account_link.returned` (the browser's return already re-reads the account).
"""

from __future__ import annotations

import logging

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.services.webhooks import (
    WebhookNotApplied,
    WebhookOutcome,
    WebhookRejected,
    _apply_event,
    _Endpoint,
)
from app.stripe_gateway import ThinEvent, WebhookSignatureInvalid, parse_thin_event

log = logging.getLogger(__name__)

HANDLED_TYPES = (
    "v2.core.account[requirements].updated",
    "v2.core.account[future_requirements].updated",
    "v2.core.account[configuration.merchant].capability_status_updated",
    "v2.core.account[configuration.recipient].capability_status_updated",
    "v2.core.account.updated",
    "v2.core.account.closed",
)


def _connection(connection_id: str) -> StripeConnection:
    connection = db.session.get(StripeConnection, connection_id)
    if connection is None:
        raise WebhookRejected("unknown connection")
    return connection


def _secret(connection: StripeConnection) -> str:
    """The destination's signing secret; refused (400) when there is none that decrypts."""
    if not connection.event_destination_secret_ciphertext:
        log.warning("thin event on %s refused: no event destination secret", connection.id)
        raise WebhookRejected("no secret")
    try:
        return decrypt_secret(connection.event_destination_secret_ciphertext)
    except SecretUnreadable:
        log.error("thin event on %s: stored destination secret does not decrypt", connection.id)
        raise WebhookRejected("secret unreadable") from None


def receive_thin_event(connection_id: str, payload: bytes, signature: str | None) -> WebhookOutcome:
    """Verify a thin notification against the connection's destination secret and apply it."""
    secret = _secret(_connection(connection_id))
    try:
        event = parse_thin_event(payload, signature, secret)
    except WebhookSignatureInvalid as error:
        log.info("thin event on %s refused: did not verify (%s)", connection_id, error)
        raise WebhookRejected("signature") from None
    return apply_thin_event(connection_id, event)


def apply_thin_event(connection_id: str, event: ThinEvent) -> WebhookOutcome:
    """Apply one verified thin event of a connection: ignore, de-duplicate, or re-fetch the
    account and store it in order. Rolls back and raises WebhookNotApplied (500: Stripe retries)
    when anything fails."""
    connection = _connection(connection_id)
    endpoint = _Endpoint(secret=None, mode=connection.mode, connection=connection)
    fields = {
        "id": event.id,
        "type": event.type,
        "account": event.account_id,
        "created": event.created,
        "livemode": event.livemode,
    }
    try:
        return _apply_event(endpoint, fields, handled=HANDLED_TYPES, account_changed=HANDLED_TYPES)
    except Exception:
        db.session.rollback()
        log.exception(
            "thin event %s (%s) on %s not applied; Stripe will retry",
            event.id,
            event.type,
            connection_id,
        )
        raise WebhookNotApplied(event.id) from None
