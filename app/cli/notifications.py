"""`flask notifications work [--once]`: deliver partner notifications from the outbox."""

from __future__ import annotations

from flask.cli import AppGroup

from app.cli.worker import add_work_command
from app.services.notifications import deliver_due

notifications_cli = AppGroup("notifications", help="Partner notification deliveries.")


add_work_command(
    notifications_cli,
    lambda batch: deliver_due(limit=batch),
    done="delivered",
    help="Deliver due notifications; run as many workers as you like side by side.",
    once_help="Deliver what is due now, then exit.",
    batch_help="Most notifications per pass.",
    idle=1.0,
)
