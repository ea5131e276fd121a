"""Claiming rows of an outbox table (partner notifications, mail, the webhook inbox): one row,
one lease, once; and the backoff before a failed row is tried again.

Each has `status`, `next_attempt_at` and `locked_until` columns and the same rule: a worker
leases ONE due row at a time for longer than its delivery can take, so a live worker never
loses the row it is sending, and records the outcome only if its lease still holds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from app.extensions import db

BACKOFF_CAP_SECONDS = 3600.0


def claim_one(model: Any, pending: str, now: datetime, lease: dict[str, Any]) -> str | None:
    """Write `lease` onto the oldest due, unleased `pending` row of `model`; its id, or None.

    No commit: the caller commits the lease before it delivers.
    """
    free = or_(model.locked_until.is_(None), model.locked_until < now)
    due = (
        select(model.id)
        .where(model.status == pending, model.next_attempt_at <= now, free)
        .order_by(model.next_attempt_at, model.id)
        .limit(1)
        # Rendered on PostgreSQL only; SQLite serialises writers instead.
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(
        update(model)
        # `=` and not `IN`: PostgreSQL runs an uncorrelated scalar subquery once, whereas an
        # `IN (… LIMIT 1 SKIP LOCKED)` may be rescanned per row and lease several rows.
        .where(model.id == due.scalar_subquery(), model.status == pending, free)
        .values(**lease)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).first()


def backoff_seconds(
    attempts: int, base_seconds: float, rng: Callable[[], float] = random.random
) -> float:
    """Wait after the `attempts`-th failure: base · 2^(n-1), ±20 % jitter, at most an hour.

    Jitter spreads the retries of rows that failed together, so a partner, SMTP server or
    Stripe coming back up is not hit by every row at once.
    """
    base = base_seconds * 2 ** max(0, attempts - 1)
    return min(BACKOFF_CAP_SECONDS, base * (0.8 + 0.4 * rng()))
