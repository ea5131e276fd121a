"""Authenticated encryption of stored secrets (Fernet), with key rotation (MultiFernet)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(Exception):
    """A stored secret failed authentication: tampered, or encrypted under an unknown key."""


def _fernet() -> MultiFernet:
    keys = current_app.config["ENCRYPTION_KEYS"]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt_secret(plaintext: str) -> str:
    """Ciphertext of `plaintext` under the newest key."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    """Plaintext of a stored secret; SecretUnreadable if it does not authenticate."""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable("stored secret could not be decrypted") from None


def rotate_secret(ciphertext: str) -> str:
    """Re-encrypt under the newest key (idempotent: already-rotated tokens just re-encrypt)."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable("stored secret could not be decrypted") from None


def mask_secret(secret: str) -> str:
    """Display form of a secret: its kind prefix and last four characters (`sk_test_…4242`)."""
    prefix = ""
    for candidate in ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_"):
        if secret.startswith(candidate):
            prefix = candidate
            break
    return f"{prefix}…{secret[-4:]}" if len(secret) > len(prefix) + 8 else f"{prefix}…"
