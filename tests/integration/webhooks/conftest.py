"""Helpers for the webhook and notification tests: a connected resource, events, signatures."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import PaymentsAccount
from app.models.payments import CLAIM_CREATED
from app.services import connections
from stripe_sandbox import platform_account_id
from tests.helpers import (
    CONNECTION_KEY,
    CONNECTION_SECRET,
    PLATFORM_KEY,
    Connected,
    stripe_signature,
)


@pytest.fixture
def connect(app, factory, sandbox, webhook_receiver):
    """Make a resource whose sandbox account onboards under a new connection (or app-level)."""

    def make(
        *,
        app_level: bool = False,
        api_key: str = CONNECTION_KEY,
        webhook_secret: str = CONNECTION_SECRET,
        workspace=None,
        partner_endpoint: str | None = None,
    ) -> Connected:
        owner = factory.user()
        workspace = workspace or factory.workspace(owner)
        server = factory.resource(workspace)
        key = PLATFORM_KEY if app_level else api_key
        client = sandbox.stripe_client(key)
        try:
            account = client.v1.accounts.create(params={"type": "express", "country": "US"})
        finally:
            client._requestor._client.close()
        with app.app_context():
            connection_id = secret = None
            if not app_level:
                connection, secret = connections.create_connection(
                    workspace.id,
                    actor_user_id=None,
                    verify=False,
                    name=f"Platform {api_key[-4:]}",
                    stripe_account_id=platform_account_id(api_key),
                    api_key=api_key,
                    webhook_secret=webhook_secret,
                    partner_endpoint=partner_endpoint or webhook_receiver.url,
                )
                connection_id = connection.id
            payments = db.session.get(PaymentsAccount, server.payments.id)
            payments.stripe_account_id = account.id
            payments.account_claim = CLAIM_CREATED
            payments.connection_id = connection_id
            db.session.commit()
            db.session.remove()
        return Connected(
            workspace, owner, server.id, server.payments.id, account.id, connection_id, secret, key
        )

    return make


@pytest.fixture
def post_event(client):
    """POST an event to a webhook path, signed with `secret` (or a given header)."""

    def post(path: str, event: dict, secret: str, *, header: str | None = None, body=None):
        payload = body if body is not None else json.dumps(event).encode()
        signature = header if header is not None else stripe_signature(payload, secret)
        return client.post(
            path,
            data=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )

    return post
