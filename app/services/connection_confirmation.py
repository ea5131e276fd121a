"""What saving a connection asks Stripe: whose key it is, and its webhook endpoints registered.

A new connection's key is verified and everything it needs registered (`webhook_endpoints`)
before anything is stored. An edit confirms a replacement key and registers what it newly
needs, with no transaction open while Stripe is called. Either way the result is, for each
endpoint or destination, the signing secret to store and its id when we know it.
"""

from __future__ import annotations

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import SecretUnreadable, decrypt_secret
from app.services.connection_rules import ConnectionFields, ConnectionInvalid
from app.services.connection_verification import check_replacement_key, verify_with_stripe
from app.services.webhook_endpoints import register_with_secrets
from app.services.webhook_listeners import (
    CONNECT_ENDPOINT,
    EVENT_DESTINATION,
    ListenerKind,
    kinds_for,
)

Secrets = dict[ListenerKind, tuple[str, str | None]]

UNREADABLE_KEY = (
    "The stored API key no longer decrypts, so Stripe cannot be asked to register this "
    "connection's webhooks: enter the key again."
)


def _typed_secrets(fields: ConnectionFields) -> dict[str, str | None]:
    """The signing secrets typed on the form, by secret field."""
    return {
        CONNECT_ENDPOINT.secret_field: fields.webhook_secret,
        EVENT_DESTINATION.secret_field: fields.event_destination_secret,
    }


def secrets_for_new(connection_id: str, fields: ConnectionFields, *, verify: bool) -> Secrets:
    """Verify a new connection's key and register what it needs; without `verify`, the typed
    secrets as they are."""
    api_key = str(fields.api_key)
    if not verify:
        typed = _typed_secrets(fields)
        return {
            kind: (typed[kind.secret_field], None)
            for kind in (CONNECT_ENDPOINT, EVENT_DESTINATION)
            if typed[kind.secret_field] is not None
        }
    verify_with_stripe(api_key, str(fields.stripe_account_id))
    return register_with_secrets(
        api_key, connection_id, kinds_for(fields.config_json), _typed_secrets(fields)
    )


def secrets_for_edit(connection: StripeConnection, fields: ConnectionFields) -> Secrets:
    """Confirm a replacement key and register what the edit needs, as a save does: a typed
    secret, else the stored one, stays in use when Stripe shows none. Nothing to ask Stripe:
    an empty result.

    What Stripe needs is read first and the reading transaction ended, so none is open while
    Stripe is called; the connection loads again when the edit is applied.
    """
    needed = _listeners_to_register(connection, fields)
    if fields.api_key is None and not needed:
        return {}
    typed = _typed_secrets(fields)
    pasted = {
        kind.secret_field: typed[kind.secret_field] or stored_secret(connection, kind)
        for kind in needed
    }
    try:
        api_key = fields.api_key or decrypt_secret(connection.api_key_ciphertext)
    except SecretUnreadable:
        raise ConnectionInvalid({"api_key": UNREADABLE_KEY}) from None
    connection_id, mode, account_id = connection.id, connection.mode, connection.stripe_account_id
    db.session.commit()
    if fields.api_key is not None:
        check_replacement_key(mode, account_id, fields.api_key)
    return register_with_secrets(api_key, connection_id, needed, pasted)


def _listeners_to_register(
    connection: StripeConnection, fields: ConnectionFields
) -> tuple[ListenerKind, ...]:
    """What an edit must register at Stripe: everything the connection needs after a key
    change, else each one it newly needs (e.g. `accounts_api` switched to v2) or has no
    signing secret for."""
    before = kinds_for(connection.config_json)
    return tuple(
        kind
        for kind in kinds_for(fields.config_json)
        if fields.api_key is not None
        or kind not in before
        or getattr(connection, f"{kind.secret_field}_ciphertext") is None
    )


def stored_secret(connection: StripeConnection, kind: ListenerKind) -> str | None:
    """The connection's signing secret for `kind` in clear; None when absent or unreadable."""
    ciphertext = getattr(connection, f"{kind.secret_field}_ciphertext")
    try:
        return decrypt_secret(ciphertext) if ciphertext else None
    except SecretUnreadable:
        return None
