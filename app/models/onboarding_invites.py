"""Onboarding invites for the person who completes a resource's Stripe onboarding, and the
reminders sent before Stripe's deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, new_id, utcnow
from app.models.servers import Server


class OnboardingInvite(Base):
    """An emailed link with which someone without an account onboards one payments resource.

    Only the token's SHA-256 is stored. Re-sending mints a new token (the old link dies);
    revoking or expiry ends it. The invitee's later visits (Stripe's return and refresh) are
    proven by a cookie derived from the current token, so a re-send ends those too.
    """

    __tablename__ = "onboarding_invites"
    __table_args__ = (Index("ix_onboarding_invites_server_email", "server_id", "email"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("obi"))
    server_id: Mapped[str] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set once the expiry has been recorded in the audit trail.
    expiry_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    server: Mapped[Server] = relationship()


class OnboardingReminder(Base):
    """One reminder owed for a resource: the unique key makes each one go out at most once.

    `kind` is `deadline` (the current requirements' deadline), `future_deadline` (the
    future requirements' deadline) or `due` (something is due now; `deadline_key` is then a
    digest of what is due, so a new demand earns a new mail). A worker claims a reminder by
    inserting its row in the same transaction as the mail: two workers racing both try, and
    the database lets exactly one commit.
    """

    __tablename__ = "onboarding_reminders"
    __table_args__ = (
        UniqueConstraint("server_id", "kind", "deadline_key", "offset_days"),
        Index("ix_onboarding_reminders_server_sent", "server_id", "sent_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rem"))
    server_id: Mapped[str] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    deadline_key: Mapped[str] = mapped_column(String(40))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offset_days: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BulkInviteBatch(Base):
    """An uploaded list of (resource, email) rows: previewed, then sent by the mail worker.

    `rows` holds each line as checked at preview time (`line`, `resource`, `email`,
    `server_id`, `error`); `results` the outcome of each sent line. A worker claims the batch
    with a lease (`locked_until`), so two workers never send the same batch at once.
    """

    __tablename__ = "bulk_invite_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("bib"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="previewed")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
