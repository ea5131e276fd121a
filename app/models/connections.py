"""A workspace's Stripe platform credentials (seed 004). Secrets are held only as ciphertext."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, new_id, utcnow
from app.models.workspaces import Workspace

STATUS_ACTIVE, STATUS_INACTIVE = "ACTIVE", "INACTIVE"
# Seed 004 answers `status` as a number beside `statusName`.
STATUS_CODES = {STATUS_ACTIVE: 1, STATUS_INACTIVE: 0}


class StripeConnection(Base):
    """Stripe credentials a workspace's payments resources onboard under."""

    __tablename__ = "stripe_connections"
    __table_args__ = (
        # One default connection per workspace and mode; the database enforces it.
        Index(
            "uq_stripe_connections_default_per_mode",
            "workspace_id",
            "mode",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("sc"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    stripe_account_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(4))
    api_key_ciphertext: Mapped[str] = mapped_column(Text)
    api_key_masked: Mapped[str] = mapped_column(String(40))
    webhook_secret_ciphertext: Mapped[str] = mapped_column(Text)
    webhook_secret_masked: Mapped[str] = mapped_column(String(40))
    # Accounts v2 connections: the event destination that sends thin events, and its secret.
    event_destination_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_destination_secret_ciphertext: Mapped[str | None] = mapped_column(Text, nullable=True)
    event_destination_secret_masked: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Signs our notifications to the partner endpoint; shown to the admin once.
    notification_secret_ciphertext: Mapped[str | None] = mapped_column(Text, nullable=True)
    partner_endpoint: Mapped[str] = mapped_column(String(2048))
    config_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(8), default=STATUS_ACTIVE)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when Stripe rejected the key or a secret no longer decrypts: an admin must act.
    attention_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_webhook_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    workspace: Mapped[Workspace] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status == STATUS_ACTIVE
