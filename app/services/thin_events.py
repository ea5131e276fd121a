"""Thin events from a v2 connection's event destination: verified and parsed by the SDK, then
recorded in the webhook inbox and applied by its worker exactly as a v1 `account.updated` is.

An event destination sends thin notifications: the event's id, type, time and the object it is
about, nothing of the object itself (https://docs.stripe.com/event-destinations#thin-payload).
That is all we need: like v1 account events, a thin event only says *that* the account
changed, so we re-fetch the account with no transaction open and apply it through
`onboarding.sync` under the payments row's lock, de-duplicated by event id and ordered by the
event's `created` — the inbox and `webhook_processing`, which the two receivers share.

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
from app.services.webhook_inbox import InboxEvent, Receiver
from app.services.webhook_processing import V2_ACCOUNT_CHANGED
from app.services.webhooks import WebhookOutcome, WebhookRejected, record
from app.stripe_gateway import WebhookSignatureInvalid, parse_thin_event

log = logging.getLogger(__name__)

HANDLED_TYPES = V2_ACCOUNT_CHANGED


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
    """Verify a thin notification against the connection's destination secret and record it
    for the webhook worker (which fetches the account it names and applies it)."""
    connection = _connection(connection_id)
    try:
        thin = parse_thin_event(payload, signature, _secret(connection))
    except WebhookSignatureInvalid as error:
        log.info("thin event on %s refused: did not verify (%s)", connection_id, error)
        raise WebhookRejected("signature") from None
    event = InboxEvent(
        id=thin.id,
        type=thin.type,
        account_id=thin.account_id,
        created=thin.created,
        livemode=thin.livemode,
        data_object=None,
    )
    return record(event, Receiver(connection.id, connection.mode, connection.last_webhook_at))
