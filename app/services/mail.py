"""Outgoing mail: queued in the transaction that causes it, delivered over SMTP by a worker.

`queue_mail` renders a message from `templates/mail/<kind>.txt` and `.html` and adds it to the
outbox (`OutboundMail`) without committing, so the mail exists exactly when the change that
caused it (an invitation, a reset request) commits — the transactional-outbox pattern.

`deliver_due_mail` is one pass of `flask mail work`. It claims ONE row at a time under a lease
longer than the SMTP timeout (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so workers never
wait on each other; on SQLite the conditional UPDATE is atomic because writes are serialised),
sends it, and records the outcome only if its lease id still matches (compare-and-set), so a
worker that lost its row never overwrites the outcome of the worker that took it over.

Each row's Message-ID is derived from its id. A worker killed after the SMTP server accepted
the message but before the commit leaves a row whose lease expires and which is sent again:
that window is inherent to SMTP (there is no two-phase commit with a mail server), and the
repeated message carries the same Message-ID, so mail clients and people can tell.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import update

from app.extensions import db, mail
from app.models import OutboundMail, utcnow
from app.models.mail import FAILED, QUEUED, SENT
from app.security.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from app.services.outbox import backoff_seconds, claim_one

log = logging.getLogger(__name__)

MESSAGE_ID_DOMAIN = "connect-onboarding.mail"
BACKOFF_BASE_SECONDS = 30.0
_ERROR_LIMIT = 300


@dataclass(frozen=True)
class MailClaim:
    """A message this worker may send while `lease_id` is still on its row."""

    mail_id: str
    lease_id: str


@dataclass(frozen=True)
class MailReport:
    """What one pass of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed

    @property
    def news(self) -> bool:
        """Whether the pass settled anything (a pass that only rescheduled retries did not)."""
        return bool(self.sent or self.failed)


def message_id(mail_id: str) -> str:
    """The Message-ID header of an outbox row: the same on every (re)delivery."""
    return f"<{mail_id}@{MESSAGE_ID_DOMAIN}>"


def queue_mail(kind: str, to: str, subject: str, **context: Any) -> OutboundMail:
    """Render `templates/mail/<kind>.{txt,html}` and add it to the outbox (no commit)."""
    context = {"subject": subject, **context}
    text = render_template(f"mail/{kind}.txt", **context)
    html = render_template(f"mail/{kind}.html", **context)
    row = OutboundMail(
        kind=kind,
        to_address=to,
        subject=subject,
        text_ciphertext=encrypt_secret(text),
        html_ciphertext=encrypt_secret(html),
        status=QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    return row


def lease_seconds() -> float:
    """Longer than one SMTP conversation can take, so a live worker never loses its row."""
    return max(60.0, 3 * float(current_app.config["MAIL_TIMEOUT"]))


def claim_next(*, now: datetime | None = None) -> MailClaim | None:
    """Lease the oldest due message to this worker and commit the lease; None when idle."""
    now = now or utcnow()
    lease_id = secrets.token_hex(16)
    claimed = claim_one(
        OutboundMail,
        QUEUED,
        now,
        {"lease_id": lease_id, "locked_until": now + timedelta(seconds=lease_seconds())},
    )
    db.session.commit()
    return MailClaim(claimed, lease_id) if claimed else None


def _build_message(row: OutboundMail) -> EmailMultiAlternatives:
    text = decrypt_secret(row.text_ciphertext or "")
    html = decrypt_secret(row.html_ciphertext or "")
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[row.to_address],
        headers={"Message-ID": message_id(row.id)},
    )
    message.attach_alternative(html, "text/html")
    return message


def _send(message: EmailMultiAlternatives) -> str | None:
    """Hand the message to the SMTP server; the error in words, or None when accepted."""
    connection = mail.get_connection(timeout=float(current_app.config["MAIL_TIMEOUT"]))
    try:
        connection.open()
        connection.send_messages([message])
    # ValueError: Flask-Mailman refuses header values with line breaks (header injection).
    except (smtplib.SMTPException, OSError, ValueError) as error:
        return f"SMTP: {type(error).__name__}: {error}"[:_ERROR_LIMIT]
    finally:
        # Flask-Mailman leaves the socket open when sending raises: close it in every case.
        smtp = connection.connection
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
        if smtp is not None:
            smtp.close()
    return None


def deliver(claim: MailClaim, *, now: datetime | None = None) -> str:
    """Send one claimed message and record the outcome if the lease is still ours."""
    row = db.session.get(OutboundMail, claim.mail_id)
    if row is None:
        return FAILED
    attempts, kind = row.attempts + 1, row.kind
    try:
        message: EmailMultiAlternatives | None = _build_message(row)
    except SecretUnreadable:
        message = None
    # End the read transaction before network I/O: no snapshot or lock is held while we wait.
    db.session.commit()
    if message is None:
        error: str | None = "The stored message could not be decrypted (a key was removed)."
    else:
        error = _send(message)
    now = now or utcnow()
    if error is None:
        # The bodies hold single-use links: once the server has the message, drop our copy.
        values: dict[str, Any] = {
            "status": SENT,
            "sent_at": now,
            "last_error": None,
            "text_ciphertext": None,
            "html_ciphertext": None,
        }
        outcome = SENT
    elif attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        values = {"status": FAILED, "last_error": error}
        outcome = FAILED
    else:
        delay = timedelta(seconds=backoff_seconds(attempts, BACKOFF_BASE_SECONDS))
        values = {"next_attempt_at": now + delay, "last_error": error}
        outcome = QUEUED
    result = db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == claim.mail_id, OutboundMail.lease_id == claim.lease_id)
        .values(attempts=attempts, lease_id=None, locked_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        log.warning("mail %s: lease lost before the outcome was recorded", claim.mail_id)
    # The recipient is personal data and the subject may name a workspace: log ids only.
    log.info("mail %s (%s) attempt %d: %s", claim.mail_id, kind, attempts, outcome)
    return outcome


def deliver_due_mail(*, limit: int = 10, now: datetime | None = None) -> MailReport:
    """One pass of the worker: claim and send up to `limit` due messages, one claim at a time."""
    counts = {SENT: 0, QUEUED: 0, FAILED: 0}
    for _ in range(limit):
        claim = claim_next(now=now)
        if claim is None:
            break
        counts[deliver(claim, now=now)] += 1
    return MailReport(counts[SENT], counts[QUEUED], counts[FAILED])
