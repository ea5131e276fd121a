"""Stripe-shaped identifiers, API-key checks and key masking."""

from __future__ import annotations

import hashlib
import secrets
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")


def random_token(length: int = 24) -> str:
    """A random base62 string, as Stripe uses in its ids."""
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_id(prefix: str, length: int = 24) -> str:
    """A new object id such as `evt_…` or `req_…`."""
    return f"{prefix}_{random_token(length)}"


def new_account_id() -> str:
    """A connected-account id shaped like Stripe's: `acct_1` + 15 base62 characters."""
    return "acct_1" + random_token(15)


def _base62(number: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)) or "0"


def platform_account_id(api_key: str) -> str:
    """The platform account a key belongs to: `acct_1` + the first 15 base62 digits of
    sha256(key) (most significant first). Deterministic, so the app can check
    `GET /v1/account` answers the account id a user typed in with their key."""
    digest = int.from_bytes(hashlib.sha256(api_key.encode("utf-8")).digest(), "big")
    return "acct_1" + _base62(digest)[:15]


def is_test_key(api_key: str) -> bool:
    """True for secret or restricted *test* keys, the only keys the sandbox serves."""
    return api_key.startswith(TEST_KEY_PREFIXES) and len(api_key) > len("sk_test_")


def mask_key(api_key: str, visible: int = 4) -> str:
    """Mask a key the way Stripe's messages do: `sk_test_`, asterisks, the last `visible`
    characters (four in 401s, six in restricted-key 403s)."""
    parts = api_key.split("_")
    head = f"{parts[0]}_{parts[1]}_" if len(parts) >= 3 else ""
    hidden = len(api_key) - len(head) - visible
    if hidden <= 0:
        return head + "*" * max(len(api_key) - len(head), 0)
    return head + "*" * hidden + api_key[-visible:]
