"""The webhook worker: claims recorded events one at a time, applies them, retries failures.

`flask webhooks work` claims ONE event that `webhook_inbox.record_event` recorded, under a lease
(`outbox.claim_one`, the same rule as the notification and mail outboxes), applies it
(`webhook_processing`), and marks it processed in the same transaction as the change, with a
compare-and-set on its lease: a worker whose lease was taken over records nothing. A failure
rolls the change back and schedules a retry with backoff; after WEBHOOK_MAX_ATTEMPTS the event
is `failed` and `flask stripe doctor` shows it (`health`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import WebhookEvent, utcnow
from app.models.webhooks import FAILED, PENDING, PROCESSED
from app.request_id import continuing
from app.services.outbox import backoff_seconds, claim_one
from app.services.webhook_inbox import InboxEvent
from app.services.webhook_processing import LeaseLost, process_event
from app.stripe_gateway import StripeGatewayError

log = logging.getLogger(__name__)

RETRYING, LOST = "retrying", "lost"
BACKOFF_BASE_SECONDS = 10.0
_ERROR_LIMIT = 300


@dataclass(frozen=True)
class Claim:
    """An event this worker may process until `lease_until`."""

    event_id: str
    lease_until: datetime


@dataclass(frozen=True)
class InboxReport:
    """What one pass of the worker did."""

    processed: int = 0
    retrying: int = 0
    failed: int = 0
    # Processed, but the lease had been taken over, so the change was rolled back.
    lost: int = 0

    @property
    def claimed(self) -> int:
        return self.processed + self.retrying + self.failed + self.lost

    @property
    def news(self) -> bool:
        """Whether the pass settled anything (a pass that only rescheduled retries did not)."""
        return bool(self.processed or self.failed or self.lost)


@dataclass(frozen=True)
class InboxHealth:
    """What the doctor says about the inbox: events waiting too long and failed events."""

    late: int
    oldest_late: datetime | None
    failed: int
    newest_failed: str | None


def lease_seconds() -> float:
    """Longer than a Stripe step can take (its deadline bounds retries too), so a live worker
    never loses the event it is applying."""
    return max(60.0, 3 * float(current_app.config["STRIPE_STEP_DEADLINE_SECONDS"]))


def claim_next(*, now: datetime | None = None) -> Claim | None:
    """Lease the oldest due event to this worker and commit the lease; None when idle."""
    now = now or utcnow()
    lease_until = now + timedelta(seconds=lease_seconds())
    claimed = claim_one(WebhookEvent, PENDING, now, {"locked_until": lease_until})
    db.session.commit()
    return Claim(claimed, lease_until) if claimed else None


def process(claim: Claim) -> str:
    """Apply one claimed event: its result (applied | unchanged | stale | ignored), or
    RETRYING / FAILED when applying it failed, or LOST when the lease was taken over."""
    row = db.session.get(WebhookEvent, claim.event_id)
    if row is None:  # pragma: no cover — only a manual delete removes inbox rows
        db.session.commit()
        return LOST
    event = InboxEvent(row.id, row.type, row.account_id, row.created, row.livemode, row.data_object)
    connection_id, attempts = row.connection_id, row.attempts + 1
    with continuing(row.request_id):
        try:
            result = process_event(event, connection_id, lambda result: _settle(claim, result))
        except LeaseLost:
            db.session.rollback()
            log.warning("webhook %s: lease lost before the outcome was recorded", event.id)
            return LOST
        except Exception as error:
            db.session.rollback()
            return _schedule_retry(claim, event, attempts, error)
        log.info("webhook %s (%s) processed: %s", event.id, event.type, result)
    return result


def _settle(claim: Claim, result: str) -> None:
    """Mark the event processed in the transaction of its change, if our lease still holds."""
    settled = db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == claim.event_id, WebhookEvent.locked_until == claim.lease_until)
        .values(
            status=PROCESSED,
            result=result,
            attempts=WebhookEvent.attempts + 1,
            processed_at=utcnow(),
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if settled.rowcount != 1:
        raise LeaseLost(claim.event_id)


def _schedule_retry(claim: Claim, event: InboxEvent, attempts: int, error: Exception) -> str:
    """Record a failed attempt: retry after a backoff, or give up after the last attempt."""
    words = _describe(error)
    max_attempts = int(current_app.config["WEBHOOK_MAX_ATTEMPTS"])
    values: dict[str, Any] = {"attempts": attempts, "locked_until": None, "last_error": words}
    if attempts >= max_attempts:
        values["status"] = FAILED
        outcome = FAILED
    else:
        values["next_attempt_at"] = utcnow() + timedelta(
            seconds=backoff_seconds(attempts, BACKOFF_BASE_SECONDS)
        )
        outcome = RETRYING
    recorded = db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == claim.event_id, WebhookEvent.locked_until == claim.lease_until)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if recorded.rowcount != 1:
        return LOST
    level = logging.ERROR if outcome == FAILED else logging.WARNING
    log.log(
        level,
        "webhook %s (%s) attempt %d not applied (%s): %s",
        event.id,
        event.type,
        attempts,
        words,
        "gave up" if outcome == FAILED else "will retry",
        # Stripe's refusals are described in full above; anything else is a bug to trace.
        exc_info=not isinstance(error, StripeGatewayError),
    )
    return outcome


def _describe(error: Exception) -> str:
    """What went wrong, in words safe to store and show: never a key, body or link URL."""
    if isinstance(error, StripeGatewayError):
        return f"Stripe request failed ({error.refusal.cause})"[:_ERROR_LIMIT]
    return type(error).__name__


def process_due(*, limit: int = 10, now: datetime | None = None) -> InboxReport:
    """One pass of the worker: claim and process due events, one at a time, up to `limit`."""
    counts = {PROCESSED: 0, RETRYING: 0, FAILED: 0, LOST: 0}
    for _ in range(limit):
        claim = claim_next(now=now)
        if claim is None:
            break
        outcome = process(claim)
        # Every result of applying (applied, unchanged, stale, ignored) settles the event.
        counts[outcome if outcome in (RETRYING, FAILED, LOST) else PROCESSED] += 1
    return InboxReport(counts[PROCESSED], counts[RETRYING], counts[FAILED], counts[LOST])


# For the doctor ------------------------------------------------------------------------------


def health(*, late_after: timedelta, now: datetime | None = None) -> InboxHealth:
    """Events still waiting `late_after` after they arrived, and events that failed for good."""
    now = now or utcnow()
    late, oldest = db.session.execute(
        select(func.count(), func.min(WebhookEvent.received_at)).where(
            WebhookEvent.status == PENDING, WebhookEvent.received_at < now - late_after
        )
    ).one()
    failed = db.session.scalar(
        select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == FAILED)
    )
    newest_failed = db.session.scalar(
        select(WebhookEvent.id)
        .where(WebhookEvent.status == FAILED)
        .order_by(WebhookEvent.received_at.desc(), WebhookEvent.id)
        .limit(1)
    )
    return InboxHealth(late, oldest, failed, newest_failed)
