"""Password hashing: argon2id at full strength, never more hashes at once than the cores."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import argon2._password_hasher as argon2_hasher
import pytest

from app.security import passwords

SIGN_INS = 16


@pytest.fixture
def in_flight(monkeypatch):
    """Peak number of argon2 computations running at once (the real ones, counted around)."""
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def counted(real):
        def run(*args, **kwargs):
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            try:
                return real(*args, **kwargs)
            finally:
                with lock:
                    state["now"] -= 1

        return run

    monkeypatch.setattr(argon2_hasher, "hash_secret", counted(argon2_hasher.hash_secret))
    monkeypatch.setattr(argon2_hasher, "verify_secret", counted(argon2_hasher.verify_secret))
    return state


def test_hashes_are_argon2id_with_64_mib():
    assert passwords.hash_password("correct horse battery").startswith(
        "$argon2id$v=19$m=65536,t=3,p=4$"
    )


def test_a_burst_of_sign_ins_hashes_at_most_one_per_core(in_flight):
    stored = passwords.hash_password("correct horse battery")
    attempts = ["correct horse battery", "wrong password here"] * (SIGN_INS // 2)
    start = threading.Barrier(SIGN_INS)

    def sign_in(password: str) -> bool:
        start.wait()
        return passwords.verify_password(stored, password)

    with ThreadPoolExecutor(SIGN_INS) as pool:
        results = list(pool.map(sign_in, attempts))

    assert results == [True, False] * (SIGN_INS // 2)
    assert 1 <= in_flight["peak"] <= passwords.HASHING_SLOTS < SIGN_INS


def test_unknown_email_and_new_passwords_wait_for_a_slot_too(in_flight):
    start = threading.Barrier(SIGN_INS)

    def work(index: int) -> object:
        start.wait()
        if index % 2:
            return passwords.verify_password(None, "whatever password")
        return passwords.hash_password(f"new password {index}")

    with ThreadPoolExecutor(SIGN_INS) as pool:
        list(pool.map(work, range(SIGN_INS)))

    assert 1 <= in_flight["peak"] <= passwords.HASHING_SLOTS
