"""Which key a resource uses: choosing reads only; the service that owns Connect writes."""

from __future__ import annotations

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from app.services.connection_secrets import UNREADABLE_REASON
from app.services.stripe_credentials import choose_credentials
from tests.helpers import statements


def test_choosing_a_key_that_does_not_decrypt_writes_nothing(app, factory, add_connection, tamper):
    workspace = factory.workspace()
    connection, _ = add_connection(workspace)
    resource = factory.resource(workspace)
    tamper(connection.id, "api_key_ciphertext")
    with app.app_context():
        payments = db.session.get(PaymentsAccount, resource.payments.id)
        choice = choose_credentials(payments, workspace.id)
        assert choice.credentials is None and choice.unreadable
        assert choice.connection.id == connection.id
        assert "its key can't be read" in choice.reason
        assert not db.session.dirty
        db.session.rollback()
        assert db.session.get(StripeConnection, connection.id).attention_reason is None


def test_connect_with_an_unreadable_key_flags_the_connection_and_calls_no_stripe(
    app, auth, factory, add_connection, tamper, sandbox
):
    owner = factory.user("owner@example.com")
    workspace = factory.workspace(owner)
    connection, _ = add_connection(workspace)
    resource = factory.resource(workspace)
    tamper(connection.id, "api_key_ciphertext")
    auth.login("owner@example.com")
    detail = f"/payments/{resource.id}"
    response = auth.post(f"{detail}/connect", page=detail)
    assert response.status_code == 409
    assert "needs attention" in response.get_data(as_text=True)
    assert sandbox.requests() == []
    with app.app_context():
        assert db.session.get(StripeConnection, connection.id).attention_reason == (
            UNREADABLE_REASON
        )


def test_an_account_made_under_the_app_level_key_reads_no_connection(app, factory, add_connection):
    workspace = factory.workspace()
    add_connection(workspace)  # would be chosen by a resource without an account
    resource = factory.resource(workspace)
    with app.app_context():
        payments = db.session.get(PaymentsAccount, resource.payments.id)
        payments.stripe_account_id = "acct_1MadeUnderTheAppKey"
        with statements(app) as seen:
            choice = choose_credentials(payments, workspace.id)
        db.session.rollback()
    assert choice.credentials.connection_id is None
    assert [s for s in seen if "stripe_connections" in s] == []


def test_an_account_reads_only_the_connection_it_was_made_under(app, factory, add_connection):
    workspace = factory.workspace()
    connection, _ = add_connection(workspace)
    resource = factory.resource(workspace)
    with app.app_context():
        payments = db.session.get(PaymentsAccount, resource.payments.id)
        payments.stripe_account_id = "acct_1MadeUnderTheConnection"
        payments.connection_id = connection.id
        with statements(app) as seen:
            choice = choose_credentials(payments, workspace.id)
        db.session.rollback()
    assert choice.credentials.connection_id == connection.id
    reads = [s for s in seen if "stripe_connections" in s]
    assert len(reads) == 1 and "stripe_connections.id = " in reads[0]
