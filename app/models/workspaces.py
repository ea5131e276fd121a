"""Workspaces (tenants) and who belongs to them with which role."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, new_id, utcnow
from app.models.users import User

if TYPE_CHECKING:
    from app.models.connections import StripeConnection


class Workspace(Base):
    """A tenant: owns payments resources and Stripe connections."""

    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ws"))
    # Seed 004 calls this `tenantBizId`.
    tenant_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_id("tn"))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan"
    )
    # Read-only: a resource's page loads them with the resource, in the same statement, to say
    # which key it onboards with. Connections are created and changed through their service.
    stripe_connections: Mapped[list[StripeConnection]] = relationship(
        viewonly=True, order_by="(StripeConnection.created_at, StripeConnection.id)"
    )


class Membership(Base):
    """A user's role in a workspace; the role's permissions live in `app.security.permissions`."""

    __tablename__ = "memberships"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
