"""`flask notifications work [--once]`: deliver partner notifications from the outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.worker import run_until_signalled
from app.services.notifications import DeliveryReport, deliver_due

notifications_cli = AppGroup("notifications", help="Partner notification deliveries.")


def _echo(report: DeliveryReport) -> None:
    line = f"delivered {report.delivered}, retrying {report.retrying}, failed {report.failed}"
    if report.lost:
        line += f", lost lease {report.lost}"
    click.echo(line)


@notifications_cli.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", default=10, show_default=True, help="Most notifications per pass.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to sleep when idle.")
def work(once: bool, batch: int, idle: float) -> None:
    """Deliver due notifications; run as many workers as you like side by side."""
    if once:
        _echo(deliver_due(limit=batch))
        return
    run_until_signalled(
        lambda: deliver_due(limit=batch), name="notifications", idle=idle, report=_echo
    )
