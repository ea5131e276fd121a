"""Which Stripe key a payments resource onboards with, and the options that go with it.

The rule (DESIGN.md, "Stripe access"): an account stays with the key that created it; a
resource without an account uses its workspace's active default connection for the resource's
mode, else the app-level key when its mode matches, else nothing — and the page says why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.services.connection_options import app_defaults, known_options
from app.stripe_gateway import StripeCredentials, mode_of_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyChoice:
    """The credentials to use, or None with a sentence saying why there are none."""

    credentials: StripeCredentials | None
    reason: str = ""
    connection: StripeConnection | None = None
    unreadable: bool = False


def connection_options(config_json: str | None) -> dict[str, str]:
    """Known onboarding options from a connection's config JSON (unknown keys ignored).

    Saving refuses invalid values (connection_rules); a row stored before that check keeps
    the app default for them, and `flask stripe doctor` flags it.
    """
    if not config_json:
        return {}
    try:
        raw = json.loads(config_json)
    except ValueError:
        return {}
    return known_options(raw) if isinstance(raw, dict) else {}


def app_options() -> dict[str, str]:
    """The app-wide defaults for the same options."""
    return app_defaults(current_app.config)


def credentials_from_connection(connection: StripeConnection) -> StripeCredentials:
    """Decrypt a connection's key into credentials (SecretUnreadable if it does not decrypt)."""
    return StripeCredentials(
        api_key=decrypt_secret(connection.api_key_ciphertext),
        mode=connection.mode,
        connection_id=connection.id,
        platform_account_id=connection.stripe_account_id,
        options={**app_options(), **connection_options(connection.config_json)},
    )


def app_level_credentials() -> StripeCredentials | None:
    """The app's own configured key, if any."""
    key = current_app.config.get("STRIPE_SECRET_KEY")
    mode = mode_of_key(key or "")
    if not key or mode is None:
        return None
    return StripeCredentials(api_key=key, mode=mode, options=app_options())


@dataclass(frozen=True)
class KeySource:
    """Where a resource's key comes from, decided from loaded rows without decrypting anything.

    `ok` with a `connection`: that connection's key; `ok` with `uses_app_key`: the app-level key;
    not `ok`: `reason` says what an admin must do.
    """

    ok: bool
    reason: str = ""
    connection: StripeConnection | None = None
    uses_app_key: bool = False


def choose_key_source(
    payments: PaymentsAccount,
    connections: Iterable[StripeConnection],
    app_key_mode: str | None,
) -> KeySource:
    """The rule (see the module docstring), pure: the dashboard, detail page and Connect ask it.

    `connections` are the resource's workspace's connections (or as many of them as
    `deciding_connections` says decide); `app_key_mode` is the mode of
    `STRIPE_SECRET_KEY` (None when it is not configured).
    """
    connections = list(connections)
    if payments.connection_id is not None:
        found = next((c for c in connections if c.id == payments.connection_id), None)
        if found is not None:
            return _from_connection(found)
    if payments.stripe_account_id is not None:
        # Created under the app-level key: only that key can reach the account.
        if app_key_mode is None:
            return KeySource(
                False,
                "The app-level Stripe key this account was created with is no longer configured.",
            )
        return KeySource(True, uses_app_key=True)
    candidates = sorted(
        (c for c in connections if c.mode == payments.mode and c.is_active),
        key=lambda c: (c.is_default, c.created_at),
        reverse=True,
    )
    if candidates:
        return _from_connection(candidates[0])
    if app_key_mode == payments.mode:
        return KeySource(True, uses_app_key=True)
    return KeySource(
        False,
        f"No Stripe connection for {payments.mode} mode yet. A workspace admin must add one "
        "before this resource can be connected.",
    )


def _from_connection(connection: StripeConnection) -> KeySource:
    if not connection.is_active:
        return KeySource(
            False,
            f"The Stripe connection “{connection.name}” is deactivated. "
            "A workspace admin must reactivate it.",
            connection,
        )
    return KeySource(True, "", connection)


def app_key_mode() -> str | None:
    """The mode of the configured app-level key, or None when there is none."""
    return mode_of_key(current_app.config.get("STRIPE_SECRET_KEY") or "")


def workspace_connections(workspace_id: str) -> list[StripeConnection]:
    """Every connection of the workspace, the input `choose_key_source` decides from."""
    return list(
        db.session.scalars(
            select(StripeConnection)
            .where(StripeConnection.workspace_id == workspace_id)
            .order_by(StripeConnection.created_at, StripeConnection.id)
        )
    )


def deciding_connections(payments: PaymentsAccount, workspace_id: str) -> list[StripeConnection]:
    """The connections `choose_key_source` needs for this resource, and no more.

    The account's recorded connection decides alone when it is still in the workspace; an
    account made under the app-level key needs none. Only a resource without an account (or
    whose recorded connection is gone) chooses among all of its workspace's connections.
    """
    if payments.connection_id is not None:
        recorded = db.session.get(StripeConnection, payments.connection_id)
        if recorded is not None and recorded.workspace_id == workspace_id:
            return [recorded]
    if payments.stripe_account_id is not None:
        return []
    return workspace_connections(workspace_id)


def choose_credentials(payments: PaymentsAccount, workspace_id: str) -> KeyChoice:
    """The key this resource onboards with now, decrypted. Reads only: never writes or commits.

    A connection whose key no longer decrypts gives no credentials and `unreadable=True`; the
    caller that owns the transaction flags the connection
    (`connection_secrets.flag_unreadable_key`).
    """
    connections = deciding_connections(payments, workspace_id)
    source = choose_key_source(payments, connections, app_key_mode())
    if not source.ok:
        return KeyChoice(None, source.reason, source.connection)
    if source.uses_app_key:
        return KeyChoice(app_level_credentials())
    connection = source.connection
    try:
        return KeyChoice(credentials_from_connection(connection), "", connection)
    except SecretUnreadable:
        log.error("connection %s: stored key does not decrypt", connection.id)
        return KeyChoice(
            None,
            f"The Stripe connection “{connection.name}” needs attention: its key can't be "
            "read. A workspace admin must enter it again.",
            connection,
            unreadable=True,
        )


def options_for(credentials: StripeCredentials) -> dict[str, Any]:
    """Onboarding options for these credentials (connection config over app defaults)."""
    return {**app_options(), **credentials.options}
