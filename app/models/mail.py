"""The mail outbox: every message we owe someone, written with the change that causes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, new_id, utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"


class OutboundMail(Base):
    """One message to one recipient, rendered when queued and sent by `flask mail work`.

    The bodies hold single-use links (invitations, password resets), so they are stored
    encrypted and cleared once the message is sent.
    """

    __tablename__ = "outbound_mail"
    __table_args__ = (Index("ix_outbound_mail_due", "status", "next_attempt_at"),)

    # Also the left part of the Message-ID, so a redelivery after a crash is recognisable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mail"))
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_ciphertext: Mapped[str | None] = mapped_column(Text, nullable=True)
    html_ciphertext: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The worker holding the row: a random lease id, compared on completion.
    lease_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
