"""Saving a connection registers its Connect webhook endpoint at Stripe; doctor checks it."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import decrypt_secret
from app.services import connections
from app.services.connection_rules import ConnectionInvalid
from app.services.webhook_listeners import REQUIRED_EVENTS
from app.stripe_gateway import PINNED_API_VERSION
from tests.helpers import TEST_KEY, WEBHOOK_SECRET, service_values

RESTRICTED_KEY = "rk_test_restrictedNoWebhooks00000000001"


def stripe_endpoints(sandbox, key: str = TEST_KEY) -> list[dict]:
    """The platform's webhook endpoints, as Stripe lists them."""
    client = sandbox.stripe_client(key)
    return [e.to_dict() for e in client.v1.webhook_endpoints.list().auto_paging_iter()]


def save(app, workspace, **overrides) -> tuple[StripeConnection, str]:
    """Save a verified connection through the service, as the form does: (it, its secret)."""
    with app.app_context():
        connection, _ = connections.create_connection(
            workspace.id, actor_user_id=None, verify=True, **service_values(**overrides)
        )
        db.session.expunge(connection)
        return connection, decrypt_secret(connection.webhook_secret_ciphertext)


def test_saving_without_a_secret_registers_the_connect_endpoint_and_stores_its_secret(
    app, factory, sandbox, https_links
):
    connection, secret = save(app, factory.workspace(), webhook_secret="")

    [endpoint] = stripe_endpoints(sandbox)
    assert endpoint["url"] == f"https://app.example.com/webhooks/stripe/{connection.id}"
    assert sorted(endpoint["enabled_events"]) == REQUIRED_EVENTS
    assert endpoint["api_version"] == PINNED_API_VERSION
    assert endpoint["status"] == "enabled"
    [create] = [r for r in sandbox.requests("/v1/webhook_endpoints") if r["method"] == "POST"]
    assert create["status"] == 200
    assert secret.startswith("whsec_") and secret != WEBHOOK_SECRET


def test_a_key_that_may_not_manage_endpoints_says_why_unless_a_secret_is_pasted(
    app, factory, sandbox, https_links
):
    sandbox.add_restricted_key(RESTRICTED_KEY, ["rak_accounts_read"], TEST_KEY)
    workspace = factory.workspace()
    restricted = {
        "api_key": RESTRICTED_KEY,
        "stripe_account_id": sandbox.platform_account_id(TEST_KEY),
    }

    with pytest.raises(ConnectionInvalid) as invalid:
        save(app, workspace, webhook_secret="", **restricted)
    message = invalid.value.errors["webhook_secret"]
    assert "“rak_webhook_read” permission" in message and "paste its signing secret" in message

    _connection, secret = save(app, workspace, **restricted)
    assert secret == WEBHOOK_SECRET
    assert stripe_endpoints(sandbox) == []


def test_doctor_fails_when_the_endpoint_is_disabled_or_missing_and_register_repairs_it(
    app, factory, sandbox, https_links, runner
):
    connection, first_secret = save(app, factory.workspace(), webhook_secret="")
    assert "Stripe's webhook endpoint is enabled" in runner.invoke(args=["stripe", "doctor"]).output

    [endpoint] = stripe_endpoints(sandbox)
    sandbox.stripe_client(TEST_KEY).v1.webhook_endpoints.update(
        endpoint["id"], params={"disabled": True}
    )
    disabled = runner.invoke(args=["stripe", "doctor"])
    assert disabled.exit_code == 1
    assert f"the webhook endpoint {endpoint['id']} is disabled at Stripe" in disabled.output

    sandbox.stripe_client(TEST_KEY).v1.webhook_endpoints.delete(endpoint["id"])
    missing = runner.invoke(args=["stripe", "doctor"])
    assert missing.exit_code == 1
    assert "no webhook endpoint at Stripe points at https://app.example.com/webhooks/stripe/" in (
        missing.output
    )

    repaired = runner.invoke(args=["stripe", "webhooks", "register", connection.id])
    assert repaired.exit_code == 0, repaired.output
    assert "created (we_" in repaired.output
    assert "Stripe's webhook endpoint is enabled" in runner.invoke(args=["stripe", "doctor"]).output
    with app.app_context():
        stored = db.session.get(StripeConnection, connection.id)
        assert decrypt_secret(stored.webhook_secret_ciphertext) != first_secret
