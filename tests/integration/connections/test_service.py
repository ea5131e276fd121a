"""The connections service against the sandbox: verification, defaults per mode, delete rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, StripeConnection
from app.security.crypto import decrypt_secret
from app.services import connection_secrets, connections
from app.services.connection_rules import ConnectionInvalid
from app.services.stripe_credentials import choose_credentials
from tests.helpers import TEST_KEY, WEBHOOK_SECRET, service_values

OTHER_TEST_KEY = "sk_test_connectionKeyOther00000000000002"


def test_a_verified_connection_is_stored_encrypted_masked_and_default(
    app, factory, sandbox, db_execute
):
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        connection, notification = connections.create_connection(
            workspace.id, actor_user_id=owner.id, **service_values()
        )
        assert notification.startswith("nsec_")
        assert (connection.mode, connection.is_default, connection.status) == (
            "test",
            True,
            "ACTIVE",
        )
        assert connection.verified_at is not None
        assert connection.api_key_masked == "sk_test_…0001"
        assert decrypt_secret(connection.notification_secret_ciphertext) == notification
        connection_id = connection.id
    assert [r["path"] for r in sandbox.requests()] == ["/v1/account"]
    with app.app_context():
        (row,) = db_execute(
            "SELECT api_key_ciphertext, webhook_secret_ciphertext, notification_secret_ciphertext"
            " FROM stripe_connections WHERE id = :id",
            id=connection_id,
        )
    for stored, plain in zip(row, (TEST_KEY, WEBHOOK_SECRET, notification), strict=True):
        assert plain not in stored
        assert stored.startswith("gAAAA")  # a Fernet token


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"stripe_account_id": "acct_1SomeoneElse00000"}, "stripe_account_id"),
    ],
)
def test_a_key_for_another_account_is_a_field_error_and_nothing_is_saved(
    app, factory, sandbox, overrides, field
):
    workspace = factory.workspace()
    with app.app_context():
        with pytest.raises(ConnectionInvalid) as raised:
            connections.create_connection(
                workspace.id, actor_user_id=None, **service_values(**overrides)
            )
        assert list(raised.value.errors) == [field]
        assert "different Stripe account" in raised.value.errors[field]
        assert db.session.scalars(select(StripeConnection)).all() == []


def test_a_revoked_key_is_rejected_on_the_key_field(app, factory, sandbox):
    workspace = factory.workspace()
    sandbox.revoke_key(TEST_KEY)
    with app.app_context():
        with pytest.raises(ConnectionInvalid) as raised:
            connections.create_connection(workspace.id, actor_user_id=None, **service_values())
        assert raised.value.errors == {
            "api_key": "Stripe rejected this key. Check that it is current and not revoked."
        }
        assert not raised.value.stripe_unreachable


def test_stripe_unreachable_offers_saving_unverified(app, factory, sandbox):
    workspace = factory.workspace()
    sandbox.inject_fault("/v1/account", "500", count=3)
    with app.app_context():
        with pytest.raises(ConnectionInvalid) as raised:
            connections.create_connection(workspace.id, actor_user_id=None, **service_values())
        assert raised.value.stripe_unreachable
        assert db.session.scalars(select(StripeConnection)).all() == []
        connection, _ = connections.create_connection(
            workspace.id, actor_user_id=None, verify=False, **service_values()
        )
        assert connection.verified_at is None


def test_the_first_active_connection_per_mode_is_default_and_an_admin_can_switch(
    app, factory, add_connection, https_links
):
    workspace = factory.workspace()
    first, _ = add_connection(workspace)
    second, _ = add_connection(workspace, api_key=OTHER_TEST_KEY, name="Second")
    live, _ = add_connection(workspace, api_key="sk_live_connectionKeyAcme000000000000001")
    assert (first.is_default, second.is_default, live.is_default) == (True, False, True)
    with app.app_context():
        connections.make_default(workspace.id, second.id, actor_user_id=None)
        defaults = db.session.scalars(
            select(StripeConnection.id).where(StripeConnection.is_default.is_(True))
        ).all()
        assert sorted(defaults) == sorted([second.id, live.id])


def test_deactivating_the_default_hands_it_to_another_active_connection(
    app, factory, add_connection
):
    workspace = factory.workspace()
    first, _ = add_connection(workspace)
    second, _ = add_connection(workspace, api_key=OTHER_TEST_KEY, name="Second")
    with app.app_context():
        connections.set_status(workspace.id, first.id, actor_user_id=None, active=False)
        assert db.session.get(StripeConnection, second.id).is_default
        assert not db.session.get(StripeConnection, first.id).is_default
        connections.set_status(workspace.id, first.id, actor_user_id=None, active=True)
        assert not db.session.get(StripeConnection, first.id).is_default
        with pytest.raises(ConnectionInvalid):
            connections.set_status(workspace.id, second.id, actor_user_id=None, active=False)
            connections.make_default(workspace.id, second.id, actor_user_id=None)


def test_a_resource_onboards_under_the_workspaces_default_connection_of_its_mode(
    app, factory, add_connection, https_links
):
    workspace = factory.workspace()
    add_connection(workspace, name="Older")
    chosen, _ = add_connection(workspace, api_key=OTHER_TEST_KEY, name="Chosen")
    live, _ = add_connection(workspace, api_key="sk_live_connectionKeyAcme000000000000001")
    test_resource = factory.resource(workspace, mode="test")
    live_resource = factory.resource(workspace, mode="live")
    with app.app_context():
        connections.make_default(workspace.id, chosen.id, actor_user_id=None)
        choice = choose_credentials(
            db.session.get(PaymentsAccount, test_resource.payments.id), workspace.id
        )
        assert (choice.connection.id, choice.credentials.api_key) == (chosen.id, OTHER_TEST_KEY)
        assert choice.credentials.options["collection_fields"] == "eventually_due"
        choice = choose_credentials(
            db.session.get(PaymentsAccount, live_resource.payments.id), workspace.id
        )
        assert choice.connection.id == live.id


def test_a_connection_in_use_cannot_be_deleted_and_says_why(app, factory, add_connection):
    workspace = factory.workspace()
    connection, _ = add_connection(workspace)
    resource = factory.resource(workspace)
    with app.app_context():
        db.session.get(PaymentsAccount, resource.payments.id).connection_id = connection.id
        db.session.commit()
        with pytest.raises(connections.ConnectionInUse, match="1 payments resource onboard"):
            connections.delete_connection(workspace.id, connection.id, actor_user_id=None)
        assert db.session.get(StripeConnection, connection.id) is not None


def test_deleting_the_default_promotes_another_and_is_audited(app, factory, add_connection):
    owner = factory.user()
    workspace = factory.workspace(owner)
    first, _ = add_connection(workspace, actor=owner)
    second, _ = add_connection(workspace, api_key=OTHER_TEST_KEY, name="Second")
    with app.app_context():
        connections.delete_connection(workspace.id, first.id, actor_user_id=owner.id)
        assert db.session.get(StripeConnection, first.id) is None
        assert db.session.get(StripeConnection, second.id).is_default
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == first.id)
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["connection.created", "connection.deleted"]


def test_editing_with_blank_secrets_keeps_them_and_a_new_key_must_match_the_mode(
    app, factory, add_connection
):
    workspace = factory.workspace()
    connection, _ = add_connection(workspace)
    with app.app_context():
        before = db.session.get(StripeConnection, connection.id).api_key_ciphertext
        connections.update_connection(
            workspace.id,
            connection.id,
            actor_user_id=None,
            name="Renamed",
            partner_endpoint="https://partner.example.com/v2",
            api_key="",
            webhook_secret="  ",
        )
        stored = db.session.get(StripeConnection, connection.id)
        assert (stored.name, stored.api_key_ciphertext) == ("Renamed", before)
        with pytest.raises(ConnectionInvalid) as raised:
            connections.update_connection(
                workspace.id,
                connection.id,
                actor_user_id=None,
                name="Renamed",
                partner_endpoint="https://partner.example.com/v2",
                api_key="sk_live_connectionKeyAcme000000000000001",
            )
        assert raised.value.errors == {
            "api_key": "This connection is for test mode; enter a test key."
        }
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "connection.updated")
        ).one()
        changed = ["name", "description", "partner_endpoint", "config_json"]
        assert event.details["changed"] == changed


def test_rolling_the_notification_secret_returns_a_new_one_once(app, factory, add_connection):
    workspace = factory.workspace()
    connection, first_secret = add_connection(workspace)
    with app.app_context():
        rolled = connections.roll_notification_secret(
            workspace.id, connection.id, actor_user_id=None
        )
        stored = db.session.get(StripeConnection, connection.id)
        assert rolled != first_secret
        assert connection_secrets.notification_secret(stored) == rolled


def test_another_workspaces_connection_is_not_found(app, factory, add_connection):
    connection, _ = add_connection(factory.workspace())
    other = factory.workspace()
    with app.app_context():
        with pytest.raises(connections.ConnectionNotFound):
            connections.get_connection(other.id, connection.id)


LIVE_CONNECTION_KEY = "sk_live_connectionKeyAcme000000000000001"


@pytest.mark.parametrize("base", ["http://app.example.com", None])
def test_a_live_connection_is_refused_on_an_app_that_sends_http_links(app, factory, sandbox, base):
    workspace = factory.workspace()
    before, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], base
    try:
        with app.app_context(), pytest.raises(ConnectionInvalid) as invalid:
            connections.create_connection(
                workspace.id, actor_user_id=None, **service_values(LIVE_CONNECTION_KEY)
            )
    finally:
        app.config["PUBLIC_BASE_URL"] = before
    assert "PUBLIC_BASE_URL" in invalid.value.errors["api_key"]
    assert sandbox.requests() == []  # refused before asking Stripe
    with app.app_context():
        assert db.session.scalars(select(StripeConnection)).all() == []


def test_a_live_connection_on_an_https_app_goes_on_to_stripe(app, factory, sandbox):
    workspace = factory.workspace()
    before, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], "https://app.example.com"
    try:
        with app.app_context(), pytest.raises(ConnectionInvalid) as invalid:
            connections.create_connection(
                workspace.id, actor_user_id=None, **service_values(LIVE_CONNECTION_KEY)
            )
    finally:
        app.config["PUBLIC_BASE_URL"] = before
    # The sandbox refuses every live key; what matters is that Stripe was asked.
    assert "PUBLIC_BASE_URL" not in invalid.value.errors.get("api_key", "")
    assert [r["path"] for r in sandbox.requests()] == ["/v1/account"]
