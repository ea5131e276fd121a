"""`flask webhooks work [--once]`: apply the Stripe events recorded in the webhook inbox."""

from __future__ import annotations

from flask.cli import AppGroup

from app.cli.worker import add_work_command
from app.services.webhook_worker import process_due

webhooks_cli = AppGroup("webhooks", help="Stripe events received by webhook.")


add_work_command(
    webhooks_cli,
    lambda batch: process_due(limit=batch),
    done="processed",
    help="Fetch and apply recorded events; run as many workers as you like side by side.",
    once_help="Process what is due now, then exit.",
    batch_help="Most events per pass.",
    idle=0.2,
)
