"""People who sign in, and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, new_id, utcnow


class User(UserMixin, Base):
    """A person with an email and password; belongs to workspaces through memberships."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("usr"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sessions, API tokens and JWTs issued before this moment no longer work: bumped when the
    # password changes or is reset, and when the user is deactivated (so reactivating them
    # does not revive what they held before).
    credentials_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )

    # Set by the login loader: the server-side session this request authenticated with.
    login_session_id = None  # str | None; an instance attribute, not a column

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """Flask-Login stores the *session* id, not the user id, so sessions can be revoked."""
        if self.login_session_id is None:
            raise RuntimeError("get_id() called before a login session was opened")
        return self.login_session_id

    def accepts_credentials_issued_at(self, issued_at: datetime) -> bool:
        """Whether a session, API token or JWT issued at `issued_at` may still act for us."""
        return self.credentials_valid_after is None or issued_at >= self.credentials_valid_after

    @property
    def display_name(self) -> str:
        return self.name or self.email


# Emails are unique whatever their case: `Ada@x.io` and `ada@x.io` are one person.
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class LoginSession(Base):
    """One signed-in browser. Deleting the row signs that browser out, whatever cookie it holds."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
