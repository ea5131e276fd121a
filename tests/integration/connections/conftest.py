"""Helpers shared by the Stripe connection tests: valid field sets and a ready connection."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db
from app.services import connections
from stripe_sandbox import platform_account_id

# A key the sandbox accepts; its platform account id is computed the way the sandbox does.
TEST_KEY = "sk_test_connectionKeyAcme000000000000001"
LIVE_KEY = "sk_live_connectionKeyAcme000000000000001"
WEBHOOK_SECRET = "whsec_connectionWebhookSecret0000000001"
ENDPOINT = "https://partner.example.com/stripe-events"


def service_values(api_key: str = TEST_KEY, **overrides) -> dict:
    """Keyword arguments for `create_connection` that pass validation and verification."""
    values = {
        "name": "Acme test platform",
        "description": "The platform we test with",
        "stripe_account_id": platform_account_id(api_key),
        "api_key": api_key,
        "webhook_secret": WEBHOOK_SECRET,
        "partner_endpoint": ENDPOINT,
        "config_json": '{"collection_fields": "eventually_due"}',
    }
    values.update(overrides)
    return values


@pytest.fixture
def add_connection(app):
    """Create a connection through the service: (detached connection, notification secret)."""

    def add(workspace, actor=None, verify=False, **overrides):
        with app.app_context():
            connection, secret = connections.create_connection(
                workspace.id,
                actor_user_id=actor.id if actor else None,
                verify=verify,
                **service_values(**overrides),
            )
            db.session.refresh(connection)
            db.session.expunge_all()
            return connection, secret

    return add


# A Fernet-shaped token no key ever produced: what a tampered or foreign ciphertext looks like.
TAMPERED = "gAAAAAtampered" + "A" * 80


@pytest.fixture
def tamper(app):
    """Overwrite one stored ciphertext column of a connection behind the app's back."""

    def overwrite(connection_id: str, column: str, value: str = TAMPERED) -> None:
        assert column.endswith("_ciphertext")
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE stripe_connections SET {column} = :value WHERE id = :id"),  # noqa: S608
                {"value": value, "id": connection_id},
            )

    return overwrite
