"""Password hashing with argon2id (argon2-cffi defaults meet OWASP ASVS 5.0).

Each hash or verification holds 64 MiB while it runs. A burst of sign-ins on a threaded worker
would otherwise hash on every thread at once and take hundreds of MB; the C code keeps a core
busy per hash anyway, so more hashes at a time than cores only queue inside the CPU while each
holds its memory. A semaphore sized to the cores this process may run on bounds both.
"""

from __future__ import annotations

import os
from threading import BoundedSemaphore

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
HASHING_SLOTS = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
_hashing = BoundedSemaphore(HASHING_SLOTS)
# Verified when the email is unknown, so both failures cost the same time and look the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    with _hashing:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, burns the same time and answers False."""
    try:
        with _hashing:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
