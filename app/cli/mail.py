"""`flask mail work [--once]`: send the queued mail in the outbox over SMTP."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.cli.worker import run_until_signalled
from app.services.invite_jobs import run_invite_jobs
from app.services.mail import MailReport, deliver_due_mail

mail_cli = AppGroup("mail", help="Outgoing mail.")


def _echo(report: MailReport) -> None:
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")


@mail_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--batch", default=10, show_default=True, help="Messages sent per pass.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to sleep when idle.")
def work(once: bool, batch: int, idle: float) -> None:
    """Send due mail; run as many workers as you like side by side."""
    if once:
        _echo(_mail_pass(batch))
        return
    run_until_signalled(lambda: _mail_pass(batch), name="mail", idle=idle, report=_echo)


def _mail_pass(batch: int) -> MailReport:
    """Run the invite jobs that are due (reminders, expiries, bulk sends), then send mail."""
    run_invite_jobs(time.monotonic())
    return deliver_due_mail(limit=batch)
