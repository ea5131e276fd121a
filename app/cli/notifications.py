"""`flask notifications work [--once]`: deliver partner notifications from the outbox."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

import click
from flask.cli import AppGroup

from app.errors import database_unavailable
from app.extensions import db
from app.services.notifications import DeliveryReport, deliver_due

log = logging.getLogger(__name__)

notifications_cli = AppGroup("notifications", help="Partner notification deliveries.")

OUTAGE_BACKOFF_START_SECONDS = 1.0
OUTAGE_BACKOFF_CAP_SECONDS = 30.0


def run_worker(
    stopping: threading.Event,
    *,
    batch: int,
    idle: float,
    report: Callable[[DeliveryReport], None] = lambda _report: None,
) -> None:
    """Deliver until `stopping` is set, waiting out database outages with backoff.

    A database that is down or restarting must not kill the worker: the pass is rolled back,
    the worker waits (1 s, doubling, at most 30 s) and tries again. It logs once when an outage
    starts and once when it ends, not on every retry. A partner that is down is not an outage
    of the worker: each row records its own attempt and backoff.
    """
    outage_started: float | None = None
    wait = OUTAGE_BACKOFF_START_SECONDS
    while not stopping.is_set():
        try:
            done = deliver_due(limit=batch)
        except Exception as error:
            if not database_unavailable(error):
                raise
            _discard_session()
            if outage_started is None:
                outage_started = time.monotonic()
                log.info(
                    "notifications: waiting for the database (%s); retrying with backoff",
                    type(error).__name__,
                )
            stopping.wait(wait)
            wait = min(OUTAGE_BACKOFF_CAP_SECONDS, wait * 2)
            continue
        if outage_started is not None:
            log.info(
                "notifications: the database is back after %.0f s; delivering again",
                time.monotonic() - outage_started,
            )
            outage_started, wait = None, OUTAGE_BACKOFF_START_SECONDS
        if done.delivered or done.failed or done.lost:
            # A pass that only rescheduled retries is not news: the connection page shows them.
            report(done)
        else:
            stopping.wait(idle)


def _discard_session() -> None:
    """Drop the broken transaction and its connection; the next pass checks out a fresh one."""
    try:
        db.session.rollback()
    except Exception as error:  # the connection is gone; removing the session is enough
        log.debug("notifications: rollback after an outage failed: %s", type(error).__name__)
    db.session.remove()


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
    stopping = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        # Finish the notification in hand, then exit: a claimed row is never left to its lease.
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    run_worker(stopping, batch=batch, idle=idle, report=_echo)
