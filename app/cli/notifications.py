"""`flask notifications work [--once]`: deliver partner notifications from the outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.worker import add_work_command
from app.services.notifications import DeliveryReport, deliver_due

notifications_cli = AppGroup("notifications", help="Partner notification deliveries.")


def _echo(report: DeliveryReport) -> None:
    line = f"delivered {report.delivered}, retrying {report.retrying}, failed {report.failed}"
    if report.lost:
        line += f", lost lease {report.lost}"
    click.echo(line)


add_work_command(
    notifications_cli,
    lambda batch: deliver_due(limit=batch),
    report=_echo,
    help="Deliver due notifications; run as many workers as you like side by side.",
    once_help="Deliver what is due now, then exit.",
    batch_help="Most notifications per pass.",
    idle=1.0,
)
