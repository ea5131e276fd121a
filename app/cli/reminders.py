"""`flask reminders run [--once]`: mail the reminders Stripe's deadlines call for."""

from __future__ import annotations

import signal
import time

import click
from flask.cli import AppGroup

from app.services.reminders import ReminderReport, run_reminders

reminders_cli = AppGroup("reminders", help="Reminders before Stripe's deadlines.")


def _echo(report: ReminderReport) -> None:
    click.echo(
        f"reminded {len(report.servers)} resources ({report.mailed} mails), "
        f"already taken {report.lost_race}, invites expired {report.expired}, "
        f"completed {report.completed}"
    )


@reminders_cli.command("run")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--every", default=300.0, show_default=True, help="Seconds between passes.")
def run(once: bool, every: float) -> None:
    """Queue the reminders owed now; safe to run beside other workers (each goes once)."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    if not once:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    while True:
        _echo(run_reminders())
        if once or stopping:
            return
        deadline = time.monotonic() + every
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(1.0, every))
