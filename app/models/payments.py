"""Payments accounts: seed 000's `payments` object plus what its onboarding status needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, new_id, utcnow
from app.models.servers import Server

MODES = ("test", "live")
ONBOARDING_STATUSES = ("not_started", "pending", "complete")
STATUS_REASONS = ("needs_info", "under_review", "paused", "disconnected", "none")

# The account-creation claim. `claimed` means one request owns creating the Stripe account right
# now (or crashed doing so — the deterministic idempotency key makes its retry harmless).
CLAIM_NONE, CLAIM_CLAIMED, CLAIM_CREATED = "none", "claimed", "created"


def empty_requirements() -> dict[str, Any]:
    """The requirements shape we keep, mirroring Stripe's `account.requirements`."""
    return {
        "currently_due": [],
        "past_due": [],
        "eventually_due": [],
        "pending_verification": [],
        "errors": [],
    }


class PaymentsAccount(Base):
    """The Stripe side of a payments resource (seed 000 `payments`)."""

    __tablename__ = "payments_accounts"
    # The dashboard's and /v1/servers' count under a status filter, answered from this index
    # alone: only the matching entries of the person's workspaces are read, never `servers`.
    __table_args__ = (
        Index("ix_payments_accounts_workspace_status", "workspace_id", "onboarding_status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pay"))
    server_id: Mapped[str] = mapped_column(
        ForeignKey("servers.id", ondelete="CASCADE"), unique=True
    )
    # Its server's workspace, copied when both are created (a resource never changes workspace)
    # so that a status filter is counted without joining servers (bench/RESULTS.md).
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="payments")
    # Lifecycle of the resource as a whole: `active`, or `disconnected` after deauthorization.
    status: Mapped[str] = mapped_column(String(20), default="active")
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    mode: Mapped[str] = mapped_column(String(4), default="test")
    # Unique: one Stripe account belongs to one resource, enforced by the database.
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    onboarding_status: Mapped[str] = mapped_column(String(16), default="not_started")
    status_reason: Mapped[str] = mapped_column(String(16), default="none")
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    country: Mapped[str] = mapped_column(String(2), default="US")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    product_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_earned_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_payment_count: Mapped[int] = mapped_column(Integer, default=0)
    requirements: Mapped[dict[str, Any]] = mapped_column(JSON, default=empty_requirements)
    disabled_reason: Mapped[str | None] = mapped_column(String(80), nullable=True)
    current_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Stripe's `future_requirements`: what will be due, and by when, after a rule change.
    future_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    future_currently_due: Mapped[list[str]] = mapped_column(JSON, default=list)
    # An admin silenced deadline reminders for this resource.
    reminders_muted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the account's controller says: decides Update details vs Open Stripe dashboard.
    dashboard_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    requirement_collection: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The workspace connection the account was created under (NULL: the app-level key).
    connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("stripe_connections.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # The Stripe API that creates (claim) or created the account: v1 | v2. The account is read
    # through it for good, whatever the connection's `accounts_api` says later: a v1 account
    # may be refused by v2 endpoints for its first 10 minutes.
    accounts_api: Mapped[str] = mapped_column(String(2), default="v1", server_default="v1")
    account_claim: Mapped[str] = mapped_column(String(10), default=CLAIM_NONE)
    # Bumped when the idempotency key can no longer give the account we need: the account
    # was lost (deauthorized; Stripe would replay it), or Stripe stored a 5xx under the key.
    account_generation: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When this generation's first creation attempt began; cleared once the account is stored.
    # Set while no account is stored, it means an earlier attempt may have made one.
    creation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # `created` of the newest Stripe event applied: older deliveries never overwrite newer state.
    last_event_created: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    server: Mapped[Server] = relationship(back_populates="payments")
    connection: Mapped[StripeConnection | None] = relationship()  # noqa: F821
