"""Fixtures for the onboarding flow: a signed-in owner with one payments resource."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, StripeConnection
from app.security.crypto import encrypt_secret, mask_secret
from stripe_sandbox.ids import platform_account_id
from tests.helpers import Setup


@pytest.fixture
def signed_in(auth, owned) -> Setup:
    """`owned`, with the owner signed in on `client`."""
    auth.login(owned.owner.email)
    return owned


@pytest.fixture(params=["v1", "v2"])
def accounts_api(request, app) -> Iterator[str]:
    """The test runs twice: new accounts made through Accounts v1, then v2."""
    before = app.config["STRIPE_ACCOUNTS_API"]
    app.config["STRIPE_ACCOUNTS_API"] = request.param
    yield request.param
    app.config["STRIPE_ACCOUNTS_API"] = before


@pytest.fixture
def audit_actions(app):
    """The audit actions recorded for a server, oldest first: `audit_actions(server_id)`."""

    def read(server_id: str) -> list[tuple[str, dict]]:
        with app.app_context():
            rows = db.session.execute(
                select(AuditEvent.action, AuditEvent.details)
                .where(AuditEvent.subject_id == server_id)
                .order_by(AuditEvent.id)
            ).all()
            return [(action, details) for action, details in rows]

    return read


@pytest.fixture
def store_connection(app):
    """Store a Stripe connection for a workspace, as the connection form would: returns its id."""

    def add(
        workspace_id: str,
        api_key: str,
        *,
        name: str = "Main platform",
        config: dict | None = None,
        status: str = "ACTIVE",
    ) -> str:
        with app.app_context():
            connection = StripeConnection(
                workspace_id=workspace_id,
                name=name,
                stripe_account_id=platform_account_id(api_key),
                mode="test",
                api_key_ciphertext=encrypt_secret(api_key),
                api_key_masked=mask_secret(api_key),
                webhook_secret_ciphertext=encrypt_secret("whsec_connectionSecret000000"),
                webhook_secret_masked="whsec_…0000",
                partner_endpoint="https://partner.example.com/hooks",
                config_json=json.dumps(config) if config else None,
                status=status,
                is_default=True,
            )
            db.session.add(connection)
            db.session.commit()
            return connection.id

    return add
