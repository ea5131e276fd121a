"""Partner notifications: an outbox written with each status change, delivered by workers.

The row is added in the same transaction as the status change it reports, so the two commit or
roll back together: a crash after the commit leaves a `pending` row that a worker delivers later,
and nothing is sent for a change that never committed (the transactional-outbox pattern).

Workers claim due rows with a short lease (`locked_until`). On PostgreSQL the claim also uses
`FOR UPDATE SKIP LOCKED`, so parallel workers never wait on, or take, each other's rows; on SQLite
the single conditional UPDATE is atomic because writes are serialised. A worker that dies mid-way
leaves its lease to expire, and the row is claimed again: delivery is at-least-once, and the
receiver de-duplicates by `X-Connect-Event-Id`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Notification, PaymentsAccount, StripeConnection, utcnow
from app.models.base import new_id
from app.models.notifications import DELIVERED, FAILED, PENDING
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.security.permissions import MANAGE
from app.serializers import isoformat, serialize_payments, serialize_server
from app.services import access, audit
from app.services.status import OnboardingState

log = logging.getLogger(__name__)

EVENT_TYPE = "payments.onboarding_status_changed"
SIGNATURE_HEADER = "X-Connect-Signature"
EVENT_ID_HEADER = "X-Connect-Event-Id"
EVENT_TYPE_HEADER = "X-Connect-Event-Type"
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
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

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.failed


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


def backoff_seconds(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Wait after the `attempts`-th failure: 30 s · 2^(n-1), ±20 % jitter, at most an hour.

    Jitter spreads retries so a partner coming back up is not hit by every row at once.
    """
    base = BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return min(BACKOFF_CAP_SECONDS, base * (0.8 + 0.4 * rng()))


def _lease_seconds() -> float:
    # Longer than one delivery can take, so a live worker never loses its row mid-request.
    return max(30.0, 4 * float(current_app.config["NOTIFICATION_TIMEOUT_SECONDS"]))


# Claiming and delivering ---------------------------------------------------------------------


def claim_due(*, limit: int = 10, now: datetime | None = None) -> list[Claim]:
    """Lease up to `limit` due notifications to this worker, and commit the lease."""
    now = now or utcnow()
    lease_until = now + timedelta(seconds=_lease_seconds())
    free = or_(Notification.locked_until.is_(None), Notification.locked_until < now)
    due = (
        select(Notification.id)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now, free)
        .order_by(Notification.next_attempt_at)
        .limit(limit)
        # Rendered on PostgreSQL only; SQLite serialises writers instead.
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()), Notification.status == PENDING, free)
        .values(locked_until=lease_until)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return [Claim(notification_id, lease_until) for notification_id in claimed]


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """POST and return (status code, error); never raises, never logs the secret."""
    timeout = float(current_app.config["NOTIFICATION_TIMEOUT_SECONDS"])
    try:
        # No redirects: a partner's 3xx is not an acknowledgement, and following it could send
        # the signed body somewhere nobody configured.
        response = requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as error:
        return None, type(error).__name__
    response.close()
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def deliver(claim: Claim, *, now: datetime | None = None) -> str:
    """Send one claimed notification; record the outcome if the lease is still ours."""
    notification = db.session.get(Notification, claim.notification_id)
    if notification is None:
        return FAILED
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
    # End the read transaction before network I/O: no snapshot or lock is held while we wait.
    db.session.commit()
    if secret is None:
        status_code, error = None, "The connection has no readable signing secret."
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "connect-onboarding-notifications/1",
            SIGNATURE_HEADER: signature_header(body, secret, int(time.time())),
            EVENT_ID_HEADER: claim.notification_id,
            EVENT_TYPE_HEADER: notification.event_type,
        }
        status_code, error = _post(url, body, headers)
    now = now or utcnow()
    max_attempts = int(current_app.config["NOTIFICATION_MAX_ATTEMPTS"])
    if error is None:
        values = {"status": DELIVERED, "delivered_at": now, "last_error": None}
        outcome = DELIVERED
    elif attempts >= max_attempts:
        values = {"status": FAILED, "last_error": error[:_ERROR_LIMIT]}
        outcome = FAILED
    else:
        delay = timedelta(seconds=backoff_seconds(attempts))
        values = {"next_attempt_at": now + delay, "last_error": error[:_ERROR_LIMIT]}
        outcome = PENDING
    # Compare-and-set on our lease: a worker whose lease expired must not overwrite the
    # outcome recorded by the worker that re-claimed the row.
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == claim.notification_id,
            Notification.locked_until == claim.lease_until,
        )
        .values(attempts=attempts, last_status_code=status_code, locked_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        log.warning("notification %s: lease lost before the outcome was recorded", claim)
    log.info(
        "notification %s attempt %d: %s (%s)",
        claim.notification_id,
        attempts,
        outcome,
        status_code or error,
    )
    return outcome


def deliver_due(*, limit: int = 10, now: datetime | None = None) -> DeliveryReport:
    """One pass of the worker: claim what is due and deliver it."""
    counts = {DELIVERED: 0, PENDING: 0, FAILED: 0}
    for claim in claim_due(limit=limit, now=now):
        counts[deliver(claim, now=now)] += 1
    return DeliveryReport(counts[DELIVERED], counts[PENDING], counts[FAILED])


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
