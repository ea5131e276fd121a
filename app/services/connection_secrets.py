"""A connection's stored secrets: which no longer decrypt, the attention flag, the one we make.

Secrets are kept as Fernet ciphertext (app/security/crypto.py). A key rotation or a tampered
row can leave one that no configured key decrypts; pages say so before any Stripe call fails,
and the admin enters it again.
"""

from __future__ import annotations

import secrets

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import SecretUnreadable, decrypt_secret

NOTIFICATION_SECRET_PREFIX = "nsec_"  # noqa: S105 — a prefix, not a secret
UNREADABLE_REASON = "A stored secret can't be decrypted with the configured keys; enter it again."


def new_notification_secret() -> str:
    """A fresh secret that signs our notifications to the partner endpoint."""
    return NOTIFICATION_SECRET_PREFIX + secrets.token_urlsafe(32)


def unreadable_secrets(connection: StripeConnection) -> list[str]:
    """Labels of the connection's stored secrets that no configured key decrypts (no writes)."""
    stored = (
        ("API key", connection.api_key_ciphertext),
        ("webhook signing secret", connection.webhook_secret_ciphertext),
        ("notification signing secret", connection.notification_secret_ciphertext),
    )
    unreadable = []
    for label, ciphertext in stored:
        if ciphertext is None:
            continue
        try:
            decrypt_secret(ciphertext)
        except SecretUnreadable:
            unreadable.append(label)
    return unreadable


def attention_for(connection: StripeConnection) -> str | None:
    """Why an admin must act on the connection, or None: the stored flag, else a secret that
    no longer decrypts (found on display, so a page says so before any Stripe call fails)."""
    if connection.attention_reason:
        return connection.attention_reason
    return UNREADABLE_REASON if unreadable_secrets(connection) else None


def flag_unreadable_key(connection: StripeConnection) -> None:
    """Mark a connection whose stored key no longer decrypts, so its page asks for it again.

    Called by the service that found out (Connect), after it chose and before it answers;
    entering the key again clears the flag (`update_connection`).
    """
    if connection.attention_reason != UNREADABLE_REASON:
        connection.attention_reason = UNREADABLE_REASON
        db.session.commit()


def notification_secret(connection: StripeConnection) -> str | None:
    """The secret that signs our notifications to the partner endpoint, in clear."""
    if connection.notification_secret_ciphertext is None:
        return None
    return decrypt_secret(connection.notification_secret_ciphertext)
