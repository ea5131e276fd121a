"""Partner notifications: an outbox written with each status change, delivered by workers.

The row is added in the same transaction as the status change it reports, so the two commit or
roll back together: a crash after the commit leaves a `pending` row that a worker delivers later,
and nothing is sent for a change that never committed (the transactional-outbox pattern).

A worker claims ONE due row at a time under a lease (`locked_until`) longer than a delivery can
take (`NOTIFICATION_LEASE_SECONDS`, checked against the timeout at start-up), so a live worker
never loses the row it is sending, however slow the partner. On PostgreSQL the claim also uses
`FOR UPDATE SKIP LOCKED`, so parallel workers never wait on, or take, each other's rows; on SQLite
the single conditional UPDATE is atomic because writes are serialised. The outcome is recorded
with a compare-and-set on the lease: a worker whose lease was taken over records nothing and
counts the loss. A worker that dies mid-way leaves its lease to expire and the row is claimed
again: delivery is at-least-once, always with the same `X-Connect-Event-Id`, which the receiver
de-duplicates by.

Deliveries go through `app.security.outbound`, which refuses private addresses (SSRF) and
describes every outcome in plain words; those words are what the connection page shows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, PaymentsAccount, StripeConnection, utcnow
from app.models.base import new_id
from app.models.notifications import DELIVERED, FAILED, PENDING
from app.request_id import HEADER as REQUEST_ID_HEADER
from app.request_id import current_request_id
from app.security import outbound
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.security.permissions import MANAGE
from app.serializers import isoformat, serialize_payments, serialize_server
from app.services import access, audit
from app.services.outbox import backoff_seconds, claim_one
from app.services.status import OnboardingState

log = logging.getLogger(__name__)

EVENT_TYPE = "payments.onboarding_status_changed"
SIGNATURE_HEADER = "X-Connect-Signature"
EVENT_ID_HEADER = "X-Connect-Event-Id"
EVENT_TYPE_HEADER = "X-Connect-Event-Type"
BACKOFF_BASE_SECONDS = 30.0
_ERROR_LIMIT = 300


@dataclass(frozen=True)
class Claim:
    """A notification this worker may deliver until `lease_until`."""

    notification_id: str
    lease_until: datetime


@dataclass(frozen=True)
class RetryResult:
    """Whether a retry requeued the notification, and the workspace its connection is in."""

    requeued: bool
    workspace_id: str


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass of the worker did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    # Sent, but the lease had been taken over, so the outcome was not recorded.
    lost: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.failed + self.lost

    @property
    def news(self) -> bool:
        """Whether the pass settled anything (a pass that only rescheduled retries did not)."""
        return bool(self.delivered or self.failed or self.lost)


# Enqueueing ----------------------------------------------------------------------------------


def enqueue_status_change(
    payments: PaymentsAccount, before: OnboardingState, after: OnboardingState, *, source: str
) -> Notification | None:
    """Add a notification of this status change to the current transaction (no commit).

    Only resources onboarding under a workspace connection with a partner endpoint notify.
    """
    if payments.connection_id is None:
        return None
    connection = db.session.get(StripeConnection, payments.connection_id)
    if connection is None or not connection.partner_endpoint:
        return None
    # Flush first so `updatedAt` in the payload is the time of this change.
    db.session.flush()
    now = utcnow()
    notification_id = new_id("ntf")
    payload = {
        "id": notification_id,
        "type": EVENT_TYPE,
        "created": isoformat(now),
        "source": source,
        "change": {
            "from": {"onboardingStatus": before.status, "reason": before.reason},
            "to": {"onboardingStatus": after.status, "reason": after.reason},
        },
        "server": serialize_server(payments.server),
        "payments": serialize_payments(payments),
    }
    notification = Notification(
        id=notification_id,
        connection_id=connection.id,
        payments_account_id=payments.id,
        event_type=EVENT_TYPE,
        payload=payload,
        request_id=current_request_id(),
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    db.session.add(notification)
    return notification


# Signing -------------------------------------------------------------------------------------


def encode_body(payload: dict) -> bytes:
    """The exact bytes we send and sign (compact, key-sorted JSON)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — Stripe's scheme."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _lease_seconds() -> float:
    return float(current_app.config["NOTIFICATION_LEASE_SECONDS"])


# Claiming and delivering ---------------------------------------------------------------------

LOST = "lost"
NO_SECRET = "Not sent: the connection has no readable signing secret"  # noqa: S105


def claim_next(*, now: datetime | None = None) -> Claim | None:
    """Lease the next due notification to this worker and commit the lease; None when idle.

    One row per claim: a batch under one lease is what let a slow partner's last rows expire
    while they waited their turn, and another worker send them again.
    """
    now = now or utcnow()
    lease_until = now + timedelta(seconds=_lease_seconds())
    claimed = claim_one(Notification, PENDING, now, {"locked_until": lease_until})
    db.session.commit()
    return Claim(claimed, lease_until) if claimed else None


def deliver(claim: Claim, *, now: datetime | None = None) -> str:
    """Send one claimed notification; record the outcome if the lease is still ours.

    Answers DELIVERED, PENDING (will retry), FAILED (out of attempts) or LOST (the lease was
    taken over before we could record the outcome).
    """
    notification = db.session.get(Notification, claim.notification_id)
    if notification is None:  # deleted with its connection meanwhile
        db.session.commit()
        return LOST
    connection = db.session.get(StripeConnection, notification.connection_id)
    body = encode_body(notification.payload)
    attempts = notification.attempts + 1
    url = connection.partner_endpoint if connection else ""
    secret: str | None = None
    if connection is not None and connection.notification_secret_ciphertext:
        try:
            secret = decrypt_secret(connection.notification_secret_ciphertext)
        except SecretUnreadable:
            secret = None
    event_type, request_id = notification.event_type, notification.request_id
    # End the read transaction before network I/O: no snapshot or lock is held while we wait.
    db.session.commit()
    if secret is None:
        result = outbound.OutboundResult(None, NO_SECRET)
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "connect-onboarding-notifications/1",
            SIGNATURE_HEADER: signature_header(body, secret, int(time.time())),
            EVENT_ID_HEADER: claim.notification_id,
            EVENT_TYPE_HEADER: event_type,
        }
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        timeout = float(current_app.config["NOTIFICATION_TIMEOUT_SECONDS"])
        result = outbound.post(url, body, headers, timeout=timeout)
    now = now or utcnow()
    max_attempts = int(current_app.config["NOTIFICATION_MAX_ATTEMPTS"])
    if result.ok:
        values = {"status": DELIVERED, "delivered_at": now, "last_error": None}
        outcome = DELIVERED
    elif attempts >= max_attempts:
        values = {"status": FAILED, "last_error": result.words[:_ERROR_LIMIT]}
        outcome = FAILED
    else:
        delay = timedelta(seconds=backoff_seconds(attempts, BACKOFF_BASE_SECONDS))
        values = {"next_attempt_at": now + delay, "last_error": result.words[:_ERROR_LIMIT]}
        outcome = PENDING
    # Compare-and-set on our lease: a worker whose lease expired must not overwrite the
    # outcome recorded by the worker that re-claimed the row.
    recorded = db.session.execute(
        update(Notification)
        .where(
            Notification.id == claim.notification_id,
            Notification.locked_until == claim.lease_until,
        )
        .values(attempts=attempts, last_status_code=result.status_code, locked_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if recorded.rowcount != 1:
        log.warning(
            "notification %s attempt %d: lease lost before the outcome (%s) was recorded",
            claim.notification_id,
            attempts,
            result.words,
        )
        return LOST
    log.info("notification %s attempt %d: %s", claim.notification_id, attempts, result.words)
    return outcome


def deliver_due(*, limit: int = 10, now: datetime | None = None) -> DeliveryReport:
    """One pass of the worker: claim and deliver due notifications, one at a time, up to `limit`."""
    counts = {DELIVERED: 0, PENDING: 0, FAILED: 0, LOST: 0}
    for _ in range(limit):
        claim = claim_next(now=now)
        if claim is None:
            break
        counts[deliver(claim, now=now)] += 1
    return DeliveryReport(counts[DELIVERED], counts[PENDING], counts[FAILED], counts[LOST])


# For the connection page ---------------------------------------------------------------------


def recent_for_connection(connection_id: str, limit: int = 10) -> list[Notification]:
    """The connection's newest notifications, for the deliveries table."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.connection_id == connection_id)
            .order_by(Notification.created_at.desc(), Notification.id)
            .limit(limit)
        )
    )


def retry_failed(notification_id: str, *, connection_id: str, user_id: str) -> RetryResult:
    """Put a failed notification back in the queue for a full new round of attempts; commit.

    `requeued` is False when it was not failed. Raises access.NotFound (also for non-members)
    or access.PermissionDenied (members without `workspace:manage`).
    """
    notification = db.session.get(Notification, notification_id)
    connection = db.session.get(StripeConnection, connection_id)
    if notification is None or connection is None or notification.connection_id != connection_id:
        raise access.NotFound(notification_id)
    access.require_workspace(user_id, connection.workspace_id, MANAGE)
    if notification.status != FAILED:
        return RetryResult(False, connection.workspace_id)
    notification.status = PENDING
    notification.attempts = 0
    notification.next_attempt_at = utcnow()
    notification.locked_until = None
    audit.record_on_connection(
        "notification.retried",
        connection,
        actor_user_id=user_id,
        details={"notification": notification_id},
    )
    db.session.commit()
    return RetryResult(True, connection.workspace_id)
