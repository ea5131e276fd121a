"""The loop every outbox worker runs: deliver what is due, wait out database outages, stop cleanly.

`flask notifications work`, `flask mail work` and `flask webhooks work` differ only in what one
pass delivers and what its report calls the rows it settled (`add_work_command`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import click
from flask.cli import AppGroup

from app.errors import database_unavailable
from app.extensions import db

log = logging.getLogger(__name__)

OUTAGE_BACKOFF_START_SECONDS = 1.0
OUTAGE_BACKOFF_CAP_SECONDS = 30.0


class PassReport(Protocol):
    """What one delivery pass did: `claimed` is 0 when nothing was due; `news` is False when
    the pass only rescheduled retries (the outbox rows keep their errors), so it prints nothing.
    """

    retrying: int
    failed: int

    @property
    def claimed(self) -> int: ...

    @property
    def news(self) -> bool: ...


R = TypeVar("R", bound=PassReport)


def run_worker(
    stopping: threading.Event,
    deliver_pass: Callable[[], R],
    *,
    name: str,
    idle: float,
    report: Callable[[R], None] = lambda _report: None,
) -> None:
    """Run `deliver_pass` until `stopping` is set, waiting out database outages with backoff.

    A database that is down or restarting must not kill the worker: the pass is rolled back,
    the worker waits (1 s, doubling, at most 30 s) and tries again. It logs once when an outage
    starts and once when it ends, not on every retry. A partner or SMTP server that is down is
    not an outage of the worker: each row records its own attempt and backoff.
    """
    outage_started: float | None = None
    wait = OUTAGE_BACKOFF_START_SECONDS
    while not stopping.is_set():
        try:
            done = deliver_pass()
        except Exception as error:
            if not database_unavailable(error):
                raise
            _discard_session(name)
            if outage_started is None:
                outage_started = time.monotonic()
                log.info(
                    "%s: waiting for the database (%s); retrying with backoff",
                    name,
                    type(error).__name__,
                )
                click.echo(f"{name}: database unavailable; retrying with backoff", err=True)
            stopping.wait(wait)
            wait = min(OUTAGE_BACKOFF_CAP_SECONDS, wait * 2)
            continue
        if outage_started is not None:
            log.info(
                "%s: the database is back after %.0f s; delivering again",
                name,
                time.monotonic() - outage_started,
            )
            outage_started, wait = None, OUTAGE_BACKOFF_START_SECONDS
        if done.news:
            report(done)
        if not done.claimed:
            stopping.wait(idle)


def run_until_signalled(
    deliver_pass: Callable[[], R], *, name: str, idle: float, report: Callable[[R], None]
) -> None:
    """`run_worker` until SIGTERM or SIGINT, finishing the row in hand first."""
    stopping = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        # A claimed row is never left to its lease: the pass in hand ends, then the loop.
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    run_worker(stopping, deliver_pass, name=name, idle=idle, report=report)


def add_work_command(
    group: AppGroup,
    deliver_pass: Callable[[int], R],
    *,
    done: str,
    help: str,
    once_help: str,
    batch_help: str,
    idle: float,
) -> None:
    """Add `flask <group> work [--once] [--batch N] [--idle S]`: one pass of at most N with
    `--once`, else `run_until_signalled`. `done` names the report's count of settled rows."""

    def report(settled: R) -> None:
        line = f"{done} {getattr(settled, done)}, retrying {settled.retrying}, "
        line += f"failed {settled.failed}"
        # The mail report does not count lost leases (the mail worker logs them).
        if lost := getattr(settled, "lost", 0):
            line += f", lost lease {lost}"
        click.echo(line)

    @group.command("work", help=help)
    @click.option("--once", is_flag=True, help=once_help)
    @click.option("--batch", default=10, show_default=True, help=batch_help)
    @click.option("--idle", default=idle, show_default=True, help="Seconds to sleep when idle.")
    def work(once: bool, batch: int, idle: float) -> None:
        if once:
            report(deliver_pass(batch))
            return
        run_until_signalled(lambda: deliver_pass(batch), name=group.name, idle=idle, report=report)


def _discard_session(name: str) -> None:
    """Drop the broken transaction and its connection; the next pass checks out a fresh one."""
    try:
        db.session.rollback()
    except Exception as error:  # the connection is gone; removing the session is enough
        log.debug("%s: rollback after an outage failed: %s", name, type(error).__name__)
    db.session.remove()
