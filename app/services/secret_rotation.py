"""Re-encrypting every stored secret under the newest key in ENCRYPTION_KEYS.

Rotation goes in batches, each committed on its own, walking connections in id order. An
interrupted run leaves every secret readable (old-key tokens still decrypt while the old key
stays in the list), and a second run just finishes the job: re-encrypting a token that is
already under the newest key is harmless. A secret no key decrypts is left as it is and its
connection is flagged for an admin — rotation never stops on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import SecretUnreadable, rotate_secret
from app.services import audit
from app.services.connection_secrets import UNREADABLE_REASON

log = logging.getLogger(__name__)

CIPHERTEXT_COLUMNS = (
    "api_key_ciphertext",
    "webhook_secret_ciphertext",
    "notification_secret_ciphertext",
)


@dataclass
class RotationReport:
    """What a rotation run did."""

    connections: int = 0
    secrets: int = 0
    needing_attention: list[str] = field(default_factory=list)


def connections_to_rotate() -> int:
    """How many connections hold secrets (the progress bar's length)."""
    return db.session.scalar(select(func.count()).select_from(StripeConnection)) or 0


def _batches(batch_size: int) -> Iterator[list[StripeConnection]]:
    """Connections in id order, `batch_size` at a time (keyset paging: stable across commits)."""
    last_id = ""
    while True:
        batch = list(
            db.session.scalars(
                select(StripeConnection)
                .where(StripeConnection.id > last_id)
                .order_by(StripeConnection.id)
                .limit(batch_size)
            )
        )
        if not batch:
            return
        last_id = batch[-1].id
        yield batch


def _rotate_connection(connection: StripeConnection, report: RotationReport) -> None:
    unreadable = False
    for column in CIPHERTEXT_COLUMNS:
        ciphertext = getattr(connection, column)
        if ciphertext is None:
            continue
        try:
            setattr(connection, column, rotate_secret(ciphertext))
            report.secrets += 1
        except SecretUnreadable:
            unreadable = True
    if unreadable:
        if connection.attention_reason != UNREADABLE_REASON:
            connection.attention_reason = UNREADABLE_REASON
            audit.record_on_connection(
                "connection.secret_unreadable",
                connection,
                actor_label="cli",
                details={"name": connection.name},
            )
        report.needing_attention.append(connection.id)
        log.warning("connection %s holds a secret no configured key decrypts", connection.id)
    report.connections += 1


def reencrypt_all_secrets(
    *, batch_size: int = 100, progress: Callable[[int], None] | None = None
) -> RotationReport:
    """Re-encrypt every connection's secrets under the newest key, committing each batch."""
    report = RotationReport()
    for batch in _batches(batch_size):
        for connection in batch:
            _rotate_connection(connection, report)
        db.session.commit()
        if progress is not None:
            progress(len(batch))
    return report
