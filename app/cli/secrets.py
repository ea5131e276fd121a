"""`flask secrets …`: encryption keys for stored secrets and their rotation."""

from __future__ import annotations

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup

from app.services.secret_rotation import connections_to_rotate, reencrypt_all_secrets

secrets_cli = AppGroup("secrets", help="Encryption keys for stored Stripe secrets.")


@secrets_cli.command("new-key")
def secrets_new_key() -> None:
    """Print a fresh Fernet key to put first in ENCRYPTION_KEYS."""
    click.echo(Fernet.generate_key().decode())


@secrets_cli.command("rotate")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10_000))
def secrets_rotate(batch_size: int) -> None:
    """Re-encrypt every stored secret under the newest key (safe to interrupt and re-run)."""
    total = connections_to_rotate()
    with click.progressbar(length=total, label="Re-encrypting connections") as bar:
        report = reencrypt_all_secrets(batch_size=batch_size, progress=bar.update)
    click.echo(
        f"Re-encrypted {report.secrets} secrets of {report.connections} connections "
        "under the newest key."
    )
    if report.needing_attention:
        click.echo(
            f"{len(report.needing_attention)} connections hold a secret no configured key "
            "decrypts; they are marked as needing attention (an admin must enter it again): "
            + ", ".join(report.needing_attention)
        )
    else:
        click.echo(
            "Older keys can leave ENCRYPTION_KEYS once every process runs with the new list."
        )
