"""`flask stripe doctor` checks every key, secret, endpoint and recent webhook traffic;
`flask stripe sync` re-reads every connected account's status and earnings;
`flask stripe webhooks register` creates or repairs the connections' webhook endpoints."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.services import stripe_sync
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


@stripe_cli.command("sync")
@click.option("--restart", is_flag=True, help="Start over instead of resuming an unfinished run.")
def sync(restart: bool) -> None:
    """Re-sync every connected account (status and earnings) from Stripe; resumable.

    An interrupted run resumes after the last account it finished. Safe beside the running
    app. Exits 1 when some accounts could not be synced (each failure is on its resource).
    """
    run, resumed = stripe_sync.current_run(restart=restart)
    ids = stripe_sync.remaining(run)
    verb = "Resuming" if resumed else "Starting"
    click.echo(f"{verb} sync run {run.id}: {len(ids)} account(s) to sync.")
    with click.progressbar(ids, label="Syncing accounts") as bar:
        for payments_id in bar:
            stripe_sync.sync_account(run.id, payments_id)
    done = stripe_sync.finish(run.id)
    click.echo(f"Synced {done.synced} account(s); {done.failed} failed.")
    if done.failed:
        raise SystemExit(1)


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
