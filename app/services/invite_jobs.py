"""The invite work the mail worker does on each pass: send confirmed bulk invites, and every
REMINDER_INTERVAL_SECONDS look for reminders owed. Both queue mail that the same worker then
sends; both are safe with any number of workers (leases and unique claims)."""

from __future__ import annotations

import logging

from flask import current_app

from app.services.bulk_invites import send_pending
from app.services.reminders import run_reminders_if_due

log = logging.getLogger(__name__)
_warned: set[str] = set()


def run_invite_jobs(clock: float) -> None:
    """One pass of the worker's invite jobs; `clock` is a monotonic time in seconds.

    Their mails carry links built outside any request, so they wait for PUBLIC_BASE_URL
    (required in production) instead of stopping the mail worker.
    """
    if not current_app.config.get("PUBLIC_BASE_URL"):
        if "base" not in _warned:
            _warned.add("base")
            log.warning("invites and reminders wait: set PUBLIC_BASE_URL to build their links")
        return
    send_pending()
    run_reminders_if_due(clock)
