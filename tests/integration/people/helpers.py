"""Helpers for the people tests: send the outbox, read links out of caught mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask

from app.services.mail import MailReport, deliver_due_mail
from mail_catcher import CaughtMessage, MailCatcher

LINK_RE = re.compile(r"https?://\S+")


def send_outbox(app: Flask) -> MailReport:
    """Run one pass of the mail worker, as `flask mail work --once` would."""
    with app.app_context():
        return deliver_due_mail(limit=100)


def mail_to(mailbox: MailCatcher, address: str) -> list[CaughtMessage]:
    """The messages the catcher received for `address`, oldest first."""
    return [m for m in mailbox.messages if address in m.recipients]


def link_path(message: CaughtMessage) -> str:
    """The path of the one link in a message's text part (the same link is in the HTML)."""
    links = LINK_RE.findall(message.text)
    assert len(links) == 1, links
    assert links[0] in message.html
    return urlsplit(links[0]).path


def token_of(path: str) -> str:
    """The token at the end of an invitation or reset path."""
    return path.rstrip("/").rsplit("/", 1)[1]
