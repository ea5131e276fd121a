"""Which Stripe key a payments resource onboards with, and the options that go with it.

The rule (DESIGN.md, "Stripe access"): an account stays with the key that created it; a
resource without an account uses its workspace's active default connection for the resource's
mode, else the app-level key when its mode matches, else nothing — and the page says why.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from app.models.connections import STATUS_ACTIVE
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.stripe_gateway import StripeCredentials, mode_of_key

log = logging.getLogger(__name__)

# Settings a connection's config JSON may carry for onboarding, with allowed values.
CONNECTION_OPTIONS: dict[str, tuple[str, ...]] = {
    "collection_fields": ("currently_due", "eventually_due"),
    "future_requirements": ("omit", "include"),
    "account_links_api": ("v1", "v2"),
    # Which dashboard new accounts get: express (login links), full (Standard), none (the
    # platform collects requirements, so "Update details" links are possible).
    "dashboard": ("express", "full", "none"),
}


@dataclass(frozen=True)
class KeyChoice:
    """The credentials to use, or None with a sentence saying why there are none."""

    credentials: StripeCredentials | None
    reason: str = ""
    connection: StripeConnection | None = None


def connection_options(config_json: str | None) -> dict[str, str]:
    """Known onboarding options from a connection's config JSON (unknown keys ignored)."""
    if not config_json:
        return {}
    try:
        raw = json.loads(config_json)
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        key: raw[key]
        for key, allowed in CONNECTION_OPTIONS.items()
        if isinstance(raw.get(key), str) and raw[key] in allowed
    }


def app_options() -> dict[str, str]:
    """The app-wide defaults for the same options."""
    config = current_app.config
    return {
        "collection_fields": config["STRIPE_COLLECTION_FIELDS"],
        "future_requirements": config["STRIPE_FUTURE_REQUIREMENTS"],
        "account_links_api": config["STRIPE_ACCOUNT_LINKS_API"],
        "dashboard": config.get("STRIPE_ACCOUNT_DASHBOARD", "express"),
    }


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


def default_connection(workspace_id: str, mode: str) -> StripeConnection | None:
    """The workspace's active connection for `mode`: the default one, else the newest."""
    return db.session.scalars(
        select(StripeConnection)
        .where(
            StripeConnection.workspace_id == workspace_id,
            StripeConnection.mode == mode,
            StripeConnection.status == STATUS_ACTIVE,
        )
        .order_by(StripeConnection.is_default.desc(), StripeConnection.created_at.desc())
    ).first()


def _from_connection(connection: StripeConnection) -> KeyChoice:
    if not connection.is_active:
        return KeyChoice(
            None,
            f"The Stripe connection “{connection.name}” is deactivated. "
            "A workspace admin must reactivate it.",
            connection,
        )
    try:
        return KeyChoice(credentials_from_connection(connection), "", connection)
    except SecretUnreadable:
        connection.attention_reason = "The stored API key could not be decrypted."
        db.session.commit()
        log.error("connection %s: stored key does not decrypt", connection.id)
        return KeyChoice(
            None,
            f"The Stripe connection “{connection.name}” needs attention: its key can't be "
            "read. A workspace admin must enter it again.",
            connection,
        )


def choose_credentials(payments: PaymentsAccount, workspace_id: str) -> KeyChoice:
    """The key this resource onboards with now (see the module docstring)."""
    if payments.connection_id is not None:
        connection = db.session.get(StripeConnection, payments.connection_id)
        if connection is not None:
            return _from_connection(connection)
    if payments.stripe_account_id is not None:
        # Created under the app-level key: only that key can reach the account.
        credentials = app_level_credentials()
        if credentials is None:
            return KeyChoice(
                None,
                "The app-level Stripe key this account was created with is no longer configured.",
            )
        return KeyChoice(credentials)
    connection = default_connection(workspace_id, payments.mode)
    if connection is not None:
        return _from_connection(connection)
    credentials = app_level_credentials()
    if credentials is not None and credentials.mode == payments.mode:
        return KeyChoice(credentials)
    return KeyChoice(
        None,
        f"No Stripe connection for {payments.mode} mode yet. A workspace admin must add one "
        "before this resource can be connected.",
    )


def options_for(credentials: StripeCredentials) -> dict[str, Any]:
    """Onboarding options for these credentials (connection config over app defaults)."""
    return {**app_options(), **credentials.options}
