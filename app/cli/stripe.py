"""`flask stripe doctor` checks every key, secret, endpoint and recent webhook traffic;
`flask stripe webhooks register` creates or repairs the connections' webhook endpoints."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.services.stripe_doctor import run_checks
from app.services.webhook_endpoints import register_for_connections

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


webhooks_cli = AppGroup("webhooks", help="The connections' webhook endpoints at Stripe.")
stripe_cli.add_command(webhooks_cli)


@webhooks_cli.command("register")
@click.argument("connection_id", required=False)
def register(connection_id: str | None) -> None:
    """Create or repair CONNECTION's endpoint (every active connection's without one)."""
    results = register_for_connections(connection_id)
    for name, line in results:
        click.echo(f"{name}: {line}")
    if any(line.startswith("failed") for _name, line in results):
        raise SystemExit(1)
