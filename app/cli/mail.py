"""`flask mail work [--once]`: send the queued mail in the outbox over SMTP."""

from __future__ import annotations

import time

from flask.cli import AppGroup

from app.cli.worker import add_work_command
from app.services.invite_jobs import run_invite_jobs
from app.services.mail import MailReport, deliver_due_mail

mail_cli = AppGroup("mail", help="Outgoing mail.")


def _mail_pass(batch: int) -> MailReport:
    """Run the invite jobs that are due (reminders, expiries, bulk sends), then send mail."""
    run_invite_jobs(time.monotonic())
    return deliver_due_mail(limit=batch)


add_work_command(
    mail_cli,
    _mail_pass,
    done="sent",
    help="Send due mail; run as many workers as you like side by side.",
    once_help="Send what is due now, then exit.",
    batch_help="Messages sent per pass.",
    idle=1.0,
)
