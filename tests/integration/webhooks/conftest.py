"""Helpers for the webhook and notification tests: a connected resource, events, signatures."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from app.models.payments import CLAIM_CREATED
from app.services import connections
from stripe_sandbox import platform_account_id
from tests.conftest import PLATFORM_KEY

CONNECTION_KEY = "sk_test_webhookConnectionKey00000000000001"
OTHER_KEY = "sk_test_webhookConnectionKey00000000000002"
CONNECTION_SECRET = "whsec_connectionSigningSecret000000000001"
OTHER_SECRET = "whsec_connectionSigningSecret000000000002"
APP_SECRET = "whsec_appLevelTestSecret000000000000"  # tests.conftest's STRIPE_WEBHOOK_SECRET

_event_numbers = itertools.count(1)


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header computed the way Stripe documents it (HMAC-SHA256)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    event_type: str,
    account: str,
    *,
    created: int | None = None,
    livemode: bool = False,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A Connect event as Stripe sends it (the account at the top level)."""
    return {
        "id": event_id or f"evt_test{next(_event_numbers):06d}{int(time.time() * 1000)}",
        "object": "event",
        "account": account,
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "livemode": livemode,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": {"id": account, "object": "account"}},
    }


@dataclass(frozen=True)
class Connected:
    """A workspace resource with a real sandbox account, onboarding under `connection_id`."""

    workspace: Any
    owner: Any
    server_id: str
    payments_id: str
    account_id: str
    connection_id: str | None
    notification_secret: str | None
    api_key: str

    @property
    def webhook_path(self) -> str:
        if self.connection_id is None:
            return "/webhooks/stripe"
        return f"/webhooks/stripe/{self.connection_id}"


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


def payments_row(app, payments_id: str) -> PaymentsAccount:
    """The stored payments account, detached."""
    with app.app_context():
        payments = db.session.get(PaymentsAccount, payments_id)
        db.session.expunge(payments)
        return payments


def connection_row(app, connection_id: str) -> StripeConnection:
    """The stored connection, detached."""
    with app.app_context():
        connection = db.session.scalars(
            select(StripeConnection).where(StripeConnection.id == connection_id)
        ).one()
        db.session.expunge(connection)
        return connection
