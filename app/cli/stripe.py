"""`flask stripe doctor`: check every Stripe key, webhook secret and recent webhook traffic."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.services.stripe_doctor import run_checks

stripe_cli = AppGroup("stripe", help="Stripe keys and webhooks.")


@stripe_cli.command("doctor")
def doctor() -> None:
    """Check the app-level key and every connection; exit 1 when something fails."""
    sections = run_checks()
    for section in sections:
        click.echo(section.title)
        for verdict, text in section.lines:
            click.echo(f"  {verdict:<4} {text}")
    failed = [section.title for section in sections if section.failed]
    if failed:
        click.echo(f"\n{len(failed)} of {len(sections)} need attention.")
        raise SystemExit(1)
    click.echo(f"\nAll {len(sections)} in order.")
