"""`flask notifications work [--once]`: deliver partner notifications from the outbox."""

from __future__ import annotations

import signal
import time

import click
from flask.cli import AppGroup

from app.services.notifications import deliver_due

notifications_cli = AppGroup("notifications", help="Partner notification deliveries.")


@notifications_cli.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", default=10, show_default=True, help="Notifications claimed per pass.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to sleep when idle.")
def work(once: bool, batch: int, idle: float) -> None:
    """Deliver due notifications; run as many workers as you like side by side."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        # Finish the batch in hand, then exit: a claimed row is never left to its lease.
        nonlocal stopping
        stopping = True

    if not once:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    while True:
        report = deliver_due(limit=batch)
        if report.claimed or once:
            click.echo(
                f"delivered {report.delivered}, retrying {report.retrying}, failed {report.failed}"
            )
        if once or stopping:
            return
        if not report.claimed:
            time.sleep(idle)
