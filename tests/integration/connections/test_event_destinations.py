"""A connection whose accounts use Accounts v2 gets an event destination for thin events, on
save and by `flask stripe webhooks register`; doctor checks it; the sandbox then delivers."""

from __future__ import annotations

import time

import pytest

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from app.models.payments import CLAIM_CREATED
from app.security.crypto import decrypt_secret
from app.services import connections, thin_events
from tests.helpers import TEST_KEY, payments_row, service_values
from tests.sandbox.test_accounts_v2 import v2_create_params

V2_CONFIG = '{"accounts_api": "v2"}'


def destinations(sandbox) -> list[dict]:
    """The platform's event destinations with their urls, as Stripe lists them."""
    listed = sandbox.stripe_client(TEST_KEY).v2.core.event_destinations.list(
        params={"include": ["webhook_endpoint.url"]}
    )
    return [d.to_dict() for d in listed.data]


def save(app, workspace, **overrides) -> StripeConnection:
    """Save a verified connection through the service, as the form does (detached)."""
    with app.app_context():
        connection, _ = connections.create_connection(
            workspace.id, actor_user_id=None, verify=True, **service_values(**overrides)
        )
        db.session.expunge(connection)
        return connection


def edit(workspace, connection, **changes) -> StripeConnection:
    """Edit a saved connection through the service, as the edit form does, keeping its name
    and partner endpoint (inside an app context)."""
    return connections.update_connection(
        workspace.id,
        connection.id,
        actor_user_id=None,
        name=connection.name,
        partner_endpoint=connection.partner_endpoint,
        **changes,
    )


def test_saving_a_v2_connection_registers_its_event_destination_and_stores_the_secret(
    app, factory, sandbox, https_links
):
    connection = save(app, factory.workspace(), webhook_secret="", config_json=V2_CONFIG)

    [destination] = destinations(sandbox)
    assert destination["webhook_endpoint"]["url"] == (
        f"https://app.example.com/webhooks/stripe/{connection.id}/thin"
    )
    assert destination["event_payload"] == "thin"
    assert destination["events_from"] == ["@self"]
    assert destination["status"] == "enabled"
    assert sorted(destination["enabled_events"]) == sorted(thin_events.HANDLED_TYPES)
    assert connection.event_destination_id == destination["id"]
    with app.app_context():
        secret = decrypt_secret(connection.event_destination_secret_ciphertext)
        assert secret.startswith("whsec_")
        assert secret != decrypt_secret(connection.webhook_secret_ciphertext)
    assert connection.event_destination_secret_masked.startswith("whsec_")
    # The v1 Connect endpoint is registered as for every connection (charges, deauthorization).
    assert len(sandbox.stripe_client(TEST_KEY).v1.webhook_endpoints.list().data) == 1


def test_a_v1_connection_gets_no_event_destination(app, factory, sandbox, https_links):
    connection = save(app, factory.workspace(), webhook_secret="")
    assert destinations(sandbox) == []
    assert connection.event_destination_secret_ciphertext is None


def test_doctor_fails_when_the_destination_is_disabled_or_missing_and_register_repairs_it(
    app, factory, sandbox, https_links, runner
):
    connection = save(app, factory.workspace(), webhook_secret="", config_json=V2_CONFIG)
    with app.app_context():
        first_secret = decrypt_secret(connection.event_destination_secret_ciphertext)
    healthy = runner.invoke(args=["stripe", "doctor"]).output
    assert "Stripe's event destination is enabled, at our URL, with every event" in healthy
    assert "event destination signing secret whsec_" in healthy

    client = sandbox.stripe_client(TEST_KEY)
    client.v2.core.event_destinations.disable(connection.event_destination_id)
    disabled = runner.invoke(args=["stripe", "doctor"])
    assert disabled.exit_code == 1
    assert (
        f"the event destination {connection.event_destination_id} is disabled at Stripe: "
        f"run `flask stripe webhooks register {connection.id}`"
    ) in disabled.output

    repaired = runner.invoke(args=["stripe", "webhooks", "register", connection.id])
    assert repaired.exit_code == 0, repaired.output
    assert f"event destination updated ({connection.event_destination_id})" in repaired.output
    [destination] = destinations(sandbox)
    assert destination["status"] == "enabled"

    client.v2.core.event_destinations.update(
        connection.event_destination_id,
        params={"enabled_events": ["v2.core.account[requirements].updated"]},
    )
    narrowed = runner.invoke(args=["stripe", "doctor"])
    assert narrowed.exit_code == 1
    assert "ignores v2.core.account.closed" in narrowed.output

    client.v2.core.event_destinations.delete(connection.event_destination_id)
    missing = runner.invoke(args=["stripe", "doctor"])
    assert missing.exit_code == 1
    assert (
        "no event destination at Stripe points at "
        f"https://app.example.com/webhooks/stripe/{connection.id}/thin"
    ) in missing.output

    recreated = runner.invoke(args=["stripe", "webhooks", "register", connection.id])
    assert recreated.exit_code == 0, recreated.output
    assert "event destination created (ed_" in recreated.output
    assert "webhook endpoint in_order (we_" in recreated.output
    assert runner.invoke(args=["stripe", "doctor"]).exit_code == 0
    with app.app_context():
        stored = db.session.get(StripeConnection, connection.id)
        assert decrypt_secret(stored.event_destination_secret_ciphertext) != first_secret
        assert stored.event_destination_id == destinations(sandbox)[0]["id"]


def test_a_key_that_may_not_manage_destinations_says_why(app, factory, sandbox, https_links):
    restricted = "rk_test_restrictedNoDestinations0000001"
    sandbox.add_restricted_key(
        restricted, ["rak_accounts_read", "rak_webhook_read", "rak_webhook_write"], TEST_KEY
    )
    with pytest.raises(connections.ConnectionInvalid) as invalid:
        save(
            app,
            factory.workspace(),
            api_key=restricted,
            stripe_account_id=sandbox.platform_account_id(TEST_KEY),
            webhook_secret="",
            config_json=V2_CONFIG,
        )
    message = invalid.value.errors["event_destination_secret"]
    assert "“rak_event_destination_read” permission" in message
    assert "/thin in Stripe's dashboard and paste its signing secret" in message

    pasted = "whsec_pastedDestinationSecret00000001"
    connection = save(
        app,
        factory.workspace(),
        api_key=restricted,
        stripe_account_id=sandbox.platform_account_id(TEST_KEY),
        webhook_secret="",
        event_destination_secret=pasted,
        config_json=V2_CONFIG,
    )
    with app.app_context():
        assert decrypt_secret(connection.event_destination_secret_ciphertext) == pasted
    assert connection.event_destination_id is None


def test_an_admin_can_type_a_new_destination_secret_on_edit(app, factory, sandbox, https_links):
    workspace = factory.workspace()
    connection = save(app, workspace, webhook_secret="", config_json=V2_CONFIG)
    typed = "whsec_typedOnEditDestinationSecret001"
    with app.app_context():
        edit(workspace, connection, config_json=V2_CONFIG, event_destination_secret=typed)
        stored = db.session.get(StripeConnection, connection.id)
        assert decrypt_secret(stored.event_destination_secret_ciphertext) == typed
        assert stored.event_destination_id == connection.event_destination_id
    with pytest.raises(connections.ConnectionInvalid) as invalid:
        with app.app_context():
            edit(workspace, connection, event_destination_secret="not-a-secret")
    assert invalid.value.errors == {
        "event_destination_secret": "A signing secret starts with whsec_."
    }


def test_a_saved_v2_connection_receives_thin_events_from_the_sandbox(
    app, factory, sandbox, live_server, webhook_workers
):
    """Nothing set up by hand: saving registers the destination, the sandbox delivers to it,
    the app verifies and records, and the webhook worker re-fetches and stores the status."""
    before, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], live_server.url
    try:
        workspace = factory.workspace()
        connection = save(app, workspace, webhook_secret="", config_json=V2_CONFIG)
        server = factory.resource(workspace)
        account = sandbox.stripe_client(TEST_KEY).v2.core.accounts.create(params=v2_create_params())
        with app.app_context():
            payments = db.session.get(PaymentsAccount, server.payments.id)
            payments.stripe_account_id = account.id
            payments.account_claim = CLAIM_CREATED
            payments.accounts_api = "v2"
            payments.connection_id = connection.id
            db.session.commit()

        sandbox.force_account_state(account.id, "complete")

        thin_url = f"{live_server.url}/webhooks/stripe/{connection.id}/thin"
        deadline = time.monotonic() + 15
        while True:
            thin = [d for d in sandbox.deliveries() if d["url"] == thin_url]
            if thin and all(d["status"] == "succeeded" for d in thin):
                break
            assert time.monotonic() < deadline, sandbox.deliveries()
            time.sleep(0.05)
        assert {d["event_type"] for d in thin} >= {"v2.core.account[requirements].updated"}
        while payments_row(app, server.payments.id).onboarding_status != "complete":
            assert time.monotonic() < deadline, "the worker did not apply the thin events"
            time.sleep(0.05)
        stored = payments_row(app, server.payments.id)
        assert (stored.onboarding_status, stored.status_reason) == ("complete", "none")
        assert sandbox.requests(f"/v2/core/accounts/{account.id}")
    finally:
        app.config["PUBLIC_BASE_URL"] = before
