"""What Stripe told us about a resource's charges, and the runs of `flask stripe sync`.

A resource's earnings (`payments.total_earned_cents`, `total_payment_count`) are always
recomputed from its `payment_charges` rows, so a charge seen twice or out of order is counted
once, with the newest amounts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow


class PaymentCharge(Base):
    """One charge on a resource's connected account, as Stripe last described it."""

    __tablename__ = "payment_charges"

    # Stripe's charge id (`ch_…`): unique, so every delivery of a charge updates one row.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payments_account_id: Mapped[str] = mapped_column(
        ForeignKey("payments_accounts.id", ondelete="CASCADE"), index=True
    )
    # The connected account the charge was made on: only the current account's charges count.
    stripe_account_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Integer)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One `flask stripe sync` over every account, resumable from `last_payments_id`."""

    __tablename__ = "sync_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("sync"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Resources are synced in id order; every one up to and including this id is done.
    last_payments_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    synced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
