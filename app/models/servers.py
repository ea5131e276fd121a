"""Servers: seed 000's `server` object. A payments resource is a server of kind `payments`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.base import Base, UTCDateTime, new_id, utcnow
from app.models.workspaces import Workspace

SERVER_KINDS = (
    "website",
    "web_app",
    "api",
    "function",
    "auth",
    "agent_runtime",
    "secrets",
    "payments",
)
SERVER_STATUSES = ("draft", "deploying", "deployed", "failed", "inactive")
AUTH_MODES = ("public", "private")


class Server(Base):
    """A deployable resource of a workspace (seed 000 `server`)."""

    __tablename__ = "servers"
    # The dashboard and /v1/servers list newest first, in one workspace or all of a person's:
    # both orders and the count walk these indexes instead of the table.
    __table_args__ = (
        Index("ix_servers_workspace_kind_created", "workspace_id", "kind", "created_at", "id"),
        Index("ix_servers_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("srv"))
    # Indexed first in ix_servers_workspace_kind_created, which serves every lookup by workspace.
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Seed 000's `userId`: who created the resource.
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="payments")
    source_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source_environment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    runtime: Mapped[str | None] = mapped_column(String(40), nullable=True)
    auth_mode: Mapped[str] = mapped_column(String(10), default="private")
    service_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    custom_domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    cloud_run_service_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    image_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    last_deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    workspace: Mapped[Workspace] = relationship()
    payments: Mapped[PaymentsAccount | None] = relationship(  # noqa: F821
        back_populates="server", uselist=False, cascade="all, delete-orphan"
    )

    @validates("status")
    def _stamp_deployment(self, _key: str, status: str) -> str:
        """`lastDeployedAt` is set whenever the status becomes `deployed`, whoever sets it.

        The server's lifecycle owns `status` (creation sets `draft`); onboarding never does.
        """
        if status == "deployed" and self.status != "deployed":
            self.last_deployed_at = utcnow()
        return status

    @property
    def project_id(self) -> str:
        """Seed 000's `projectId`: in this product the workspace is the project."""
        return self.workspace_id
