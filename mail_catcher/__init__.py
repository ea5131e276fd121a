"""A development mail catcher: an SMTP server on loopback and a page listing what it received.

`python -m mail_catcher` (started by `make run`) accepts every message the app sends and shows
it at http://127.0.0.1:1080, so a newcomer sees each invitation and password-reset mail without
a real mail server. The tests start one in-process on free ports and read `catcher.messages`.
Development and tests only: nothing under `app/` imports it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class CaughtMessage:
    """One message as the SMTP server received it."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    @property
    def subject(self) -> str:
        return str(self.parsed["Subject"] or "")

    @property
    def to(self) -> str:
        return str(self.parsed["To"] or "")

    @property
    def message_id(self) -> str:
        return str(self.parsed["Message-ID"] or "")

    def part(self, subtype: str) -> str:
        """The `text/<subtype>` body ("plain" or "html"), or "" when there is none."""
        found = self.parsed.get_body(preferencelist=(subtype,))
        return found.get_content() if found is not None else ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


@dataclass
class CatcherHandler:
    """aiosmtpd handler that keeps every message, with knobs the tests turn."""

    messages: list[CaughtMessage] = field(default_factory=list)
    # Seconds to wait after storing a message before answering 250: lets a test kill the
    # sender while the server already holds the message (the inherent SMTP crash window).
    hold_seconds: float = 0.0
    # Answer this many DATA commands with a temporary failure (451) before accepting again.
    refuse_next: int = 0
    received: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(
                CaughtMessage(
                    mail_from=str(envelope.mail_from),
                    recipients=tuple(envelope.rcpt_tos),
                    raw=bytes(envelope.original_content or envelope.content or b""),
                )
            )
            self.received.set()
            hold = self.hold_seconds
        if hold:
            await asyncio.sleep(hold)
        return "250 Message accepted for delivery"


class MailCatcher:
    """The SMTP server (aiosmtpd, in its own thread) with its handler."""

    def __init__(self, port: int | None = None, hostname: str = "127.0.0.1") -> None:
        self.handler = CatcherHandler()
        self.hostname = hostname
        self.port = port or free_port()
        self._controller = Controller(self.handler, hostname=hostname, port=self.port)

    @property
    def messages(self) -> list[CaughtMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def clear(self) -> None:
        """Forget every message and reset the knobs."""
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.hold_seconds = 0.0
            self.handler.refuse_next = 0
            self.handler.received.clear()

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
