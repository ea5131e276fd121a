"""Showing a new secret once: a connection's notification signing secret, a new API token.

The secret is made by a POST and shown by the page that POST redirects to (303), so it crosses
one request in the session. Flask's session is a signed but readable cookie, so the secret
travels encrypted with our Fernet keys, and the page that shows it takes it out: reloading the
page, or any later page, no longer has it.
"""

from __future__ import annotations

from flask import session

from app.security.crypto import SecretUnreadable, decrypt_secret, encrypt_secret

_SESSION_KEY = "reveal_once"


def reveal_once(kind: str, owner_id: str, secret: str) -> None:
    """Keep `secret` of `kind` (e.g. "api_token") belonging to `owner_id` for the next page."""
    session[_SESSION_KEY] = {"kind": kind, "id": owner_id, "secret": encrypt_secret(secret)}


def take_revealed(kind: str, owner_id: str | None = None) -> tuple[str, str] | None:
    """(owner id, secret) if one of `kind` (for `owner_id`, when given) waits; removed: once.

    A secret of another kind or owner stays for the page it belongs to.
    """
    stored = session.get(_SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("kind") != kind:
        return None
    if owner_id is not None and stored.get("id") != owner_id:
        return None
    session.pop(_SESSION_KEY)
    try:
        return str(stored["id"]), decrypt_secret(str(stored["secret"]))
    except (KeyError, SecretUnreadable):
        return None
