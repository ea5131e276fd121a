"""`flask webhooks work [--once]`: apply the Stripe events recorded in the webhook inbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.worker import run_until_signalled
from app.services.webhook_worker import InboxReport, process_due

webhooks_cli = AppGroup("webhooks", help="Stripe events received by webhook.")


def _echo(report: InboxReport) -> None:
    line = f"processed {report.processed}, retrying {report.retrying}, failed {report.failed}"
    if report.lost:
        line += f", lost lease {report.lost}"
    click.echo(line)


@webhooks_cli.command("work")
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
@click.option("--batch", default=10, show_default=True, help="Most events per pass.")
@click.option("--idle", default=0.2, show_default=True, help="Seconds to sleep when idle.")
def work(once: bool, batch: int, idle: float) -> None:
    """Fetch and apply recorded events; run as many workers as you like side by side."""
    if once:
        _echo(process_due(limit=batch))
        return
    run_until_signalled(lambda: process_due(limit=batch), name="webhooks", idle=idle, report=_echo)
