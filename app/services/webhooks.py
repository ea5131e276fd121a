"""Receiving Stripe's Connect webhooks: verify the signature, then record the event, fast.

A request does only what must happen before Stripe hears 2xx: find the endpoint's signing
secret, verify the signature over the raw body (the SDK), and hand the event to the inbox
(`webhook_inbox.record_event`), which de-duplicates and records it in one short transaction.
The account re-fetch and the change it causes happen later, in `flask webhooks work`, so a
webhook costs no Stripe round trip and takes no lock on the resource.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.services.earnings import CHARGE_EVENTS
from app.services.webhook_inbox import InboxEvent, Receiver, record_event
from app.stripe_gateway import WebhookSignatureInvalid, mode_of_key, verify_webhook

log = logging.getLogger(__name__)


class WebhookRejected(Exception):
    """Unknown endpoint, missing secret or a signature that does not verify: 400, no detail."""


class WebhookNotRecorded(Exception):
    """Recording a verified event failed and was rolled back: 500, so Stripe retries."""


@dataclass(frozen=True)
class WebhookOutcome:
    """What happened to a verified event: recorded | duplicate | ignored."""

    result: str
    event_id: str
    event_type: str


def _endpoint(connection_id: str | None) -> tuple[str | None, Receiver]:
    """The signing secret of one webhook URL, and the receiver the inbox records it for."""
    if connection_id is None:
        config = current_app.config
        mode = mode_of_key(config.get("STRIPE_SECRET_KEY") or "")
        return config.get("STRIPE_WEBHOOK_SECRET"), Receiver(None, mode)
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
    return secret, Receiver(connection.id, connection.mode, connection.last_webhook_at)


def receive_stripe_event(
    connection_id: str | None, payload: bytes, signature: str | None
) -> WebhookOutcome:
    """Verify a webhook body against its endpoint's secret and record the event it carries."""
    secret, receiver = _endpoint(connection_id)
    label = connection_id or "app-level"
    if not secret:
        log.warning("webhook on %s refused: no signing secret configured", label)
        raise WebhookRejected("no secret")
    try:
        event = inbox_event(verify_webhook(payload, signature, secret))
    except WebhookSignatureInvalid as error:
        log.info("webhook on %s refused: signature did not verify (%s)", label, error)
        raise WebhookRejected("signature") from None
    return record(event, receiver)


def record(event: InboxEvent, receiver: Receiver) -> WebhookOutcome:
    """Record a verified event (v1 or thin) in the inbox; WebhookNotRecorded (500: Stripe
    retries) when the write fails."""
    try:
        result = record_event(event, receiver)
    except Exception:
        db.session.rollback()
        log.exception(
            "webhook %s (%s) on %s not recorded",
            event.id,
            event.type,
            receiver.connection_id or "app-level",
        )
        raise WebhookNotRecorded(event.id) from None
    return WebhookOutcome(result, event.id, event.type)


def inbox_event(event: dict[str, Any]) -> InboxEvent:
    """A v1 Connect event as the inbox keeps it: the connected account is at the top level
    (https://docs.stripe.com/connect/webhooks); only a charge's snapshot is worth keeping."""
    data_object = (event.get("data") or {}).get("object") or {}
    return InboxEvent(
        id=str(event["id"]),
        type=str(event["type"]),
        account_id=event.get("account"),
        created=int(event.get("created") or 0),
        livemode=bool(event.get("livemode")),
        data_object=data_object if event["type"] in CHARGE_EVENTS else None,
    )
