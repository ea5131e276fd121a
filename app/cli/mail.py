"""`flask mail work [--once]`: send the queued mail in the outbox over SMTP."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.services.invite_jobs import run_invite_jobs
from app.services.mail import deliver_due_mail

log = logging.getLogger(__name__)
mail_cli = AppGroup("mail", help="Outgoing mail.")

# While the database is unreachable: wait 1 s, doubling, at most 30 s, and say so.
OUTAGE_FIRST_WAIT_SECONDS = 1.0
OUTAGE_MAX_WAIT_SECONDS = 30.0


@mail_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--batch", default=10, show_default=True, help="Messages sent per pass.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to sleep when idle.")
def work(once: bool, batch: int, idle: float) -> None:
    """Send due mail; run as many workers as you like side by side."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        # Finish the message in hand, then exit: a claimed row is never left to its lease.
        nonlocal stopping
        stopping = True

    if not once:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    outage_wait = OUTAGE_FIRST_WAIT_SECONDS
    while True:
        try:
            run_invite_jobs(time.monotonic())
            report = deliver_due_mail(limit=batch)
        except SQLAlchemyError as error:
            # SMTP failures are retried per message; a database outage stops every message,
            # so the worker waits it out instead of exiting.
            db.session.rollback()
            if once:
                raise click.ClickException(
                    f"database unavailable: {type(error).__name__}"
                ) from None
            log.warning(
                "mail worker: database unavailable (%s); retrying in %.0f s",
                type(error).__name__,
                outage_wait,
            )
            click.echo(f"database unavailable; retrying in {outage_wait:.0f} s", err=True)
            time.sleep(outage_wait)
            outage_wait = min(OUTAGE_MAX_WAIT_SECONDS, outage_wait * 2)
            continue
        outage_wait = OUTAGE_FIRST_WAIT_SECONDS
        if report.claimed or once:
            click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        if once or stopping:
            return
        if not report.claimed:
            time.sleep(idle)
