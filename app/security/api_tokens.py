"""Personal API tokens: their format, their hash, and reading one from a request.

A token is `cot_` + 40 URL-safe random characters (240 bits). Only its SHA-256 is stored: a
random secret that long needs no slow hash, and a digest lets us find the row by an indexed,
exact lookup instead of comparing against every stored token. The `cot_` prefix makes leaked
tokens recognisable to secret scanners and to people.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from flask import request

TOKEN_PREFIX = "cot_"  # noqa: S105 — a public marker, not a secret
# `secrets.token_urlsafe(30)` gives exactly 40 characters of [A-Za-z0-9_-].
TOKEN_PATTERN = re.compile(r"^cot_[A-Za-z0-9_-]{40}$")
# How much of a token the list shows so people can tell tokens apart (`cot_AbC12345`).
VISIBLE_PREFIX_LENGTH = 12


def generate_token() -> str:
    """A new random token; shown to its owner once and never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token: what the database holds."""
    return hashlib.sha256(token.encode()).hexdigest()


def visible_prefix(token: str) -> str:
    """The start of a token, safe to show in lists."""
    return token[:VISIBLE_PREFIX_LENGTH]


def is_well_formed(token: str) -> bool:
    """Whether a string has the shape of one of our tokens (saves a lookup for junk)."""
    return bool(TOKEN_PATTERN.match(token))


def bearer_token_from_request() -> str | None:
    """The token of an `Authorization: Bearer …` header, or None when there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_limit_key() -> str:
    """Rate-limit bucket: per token (by its hash, never the token itself), else per address."""
    token = bearer_token_from_request()
    if token:
        return "token:" + hash_token(token)
    return "addr:" + (request.remote_addr or "unknown")
