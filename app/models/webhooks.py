"""The webhook inbox: every Stripe event we accepted, recorded once, processed by a worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

# `pending` until a worker processed it; `failed` once it ran out of attempts.
PENDING, PROCESSED, FAILED = "pending", "processed", "failed"


class WebhookEvent(Base):
    """A Stripe event, recorded when it arrived; its id (the primary key) de-duplicates.

    The row is an outbox row too (`status`, `next_attempt_at`, `locked_until`): `flask webhooks
    work` claims it, fetches and applies the account, and records the outcome in `result`.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("stripe_connections.id", ondelete="SET NULL"), nullable=True, index=True
    )
    type: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Stripe's `created` (Unix seconds): the order of events, which arrive in any order.
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    # The object the event carries when processing needs it (a charge); accounts are re-fetched.
    data_object: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The X-Request-Id of the delivery that recorded it: processing continues under it.
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # applied | unchanged | stale | ignored, once processed.
    result: Mapped[str | None] = mapped_column(String(10), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
