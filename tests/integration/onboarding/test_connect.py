"""Connect with Stripe: create or continue, one account per resource, link at click time."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import PaymentsAccount, Server, StripeConnection
from tests.helpers import PLATFORM_KEY, stripe_calls


def connect(auth, server_id, **data):
    """Press the resource's Connect button (a CSRF-protected POST)."""
    return auth.post(f"/payments/{server_id}/connect", data, page=f"/payments/{server_id}")


def connect_under_v2(app, auth, server_id):
    """Press Connect while the app makes new accounts with Accounts v2; the setting is v1 again
    afterwards, so what follows shows that an account keeps the API that made it."""
    app.config["STRIPE_ACCOUNTS_API"] = "v2"
    try:
        return connect(auth, server_id)
    finally:
        app.config["STRIPE_ACCOUNTS_API"] = "v1"


def test_first_connect_creates_the_account_and_redirects_303_to_a_fresh_link(
    auth, signed_in, sandbox, stored, audit_actions
):
    sandbox.clear_requests()
    response = connect(auth, signed_in.server.id)

    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{sandbox.url}/setup/")
    assert stripe_calls(sandbox) == [("POST", "/v1/accounts"), ("POST", "/v1/account_links")]
    payments = stored(signed_in.server.id)
    assert payments.stripe_account_id.startswith("acct_")
    assert payments.account_claim == "created"
    assert payments.connection_id is None  # the app-level key
    assert (payments.onboarding_status, payments.status_reason) == ("pending", "needs_info")
    actions = [action for action, _ in audit_actions(signed_in.server.id)]
    assert actions[-3:] == [
        "onboarding.status_changed",
        "onboarding.account_created",
        "onboarding.link_minted",
    ]


def test_the_account_is_created_with_the_resource_inputs_and_links_back_to_it(
    auth, signed_in, sandbox, stored
):
    connect(auth, signed_in.server.id)
    payments = stored(signed_in.server.id)
    [entry] = sandbox.accounts()
    account = entry["account"]
    assert account["id"] == payments.stripe_account_id
    assert account["country"] == "DE"
    assert account["metadata"] == {
        "server_id": signed_in.server.id,
        "payments_id": payments.id,
        "workspace_id": signed_in.workspace.id,
    }
    assert account["controller"]["stripe_dashboard"]["type"] == "express"
    assert sorted(account["capabilities"]) == ["card_payments", "transfers"]
    [create] = sandbox.requests("/v1/accounts")
    assert create["idempotency_key"].startswith(f"co-account-{payments.id}-g0-")


def test_second_click_reuses_the_same_account_with_one_stripe_call(
    auth, signed_in, sandbox, stored
):
    first = connect(auth, signed_in.server.id)
    account_id = stored(signed_in.server.id).stripe_account_id
    sandbox.clear_requests()

    second = connect(auth, signed_in.server.id)

    assert second.status_code == 303
    assert second.headers["Location"] != first.headers["Location"]
    assert stripe_calls(sandbox) == [("POST", "/v1/account_links")]
    assert stored(signed_in.server.id).stripe_account_id == account_id
    assert len(sandbox.accounts()) == 1


def test_link_urls_never_reach_the_database_or_the_audit_trail(
    app, auth, signed_in, sandbox, db_execute
):
    location = connect(auth, signed_in.server.id).headers["Location"]
    token = location.rsplit("/", 1)[-1]
    with app.app_context():
        for table in ("payments_accounts", "audit_events", "servers"):
            dump = repr(db_execute(f"SELECT * FROM {table}"))  # noqa: S608 — fixed table names
            assert token not in dump and "/setup/" not in dump


def finish_onboarding(sandbox, stored, server_id, state="complete"):
    """Play the person finishing Stripe's hosted form (the sandbox's forced state)."""
    sandbox.force_account_state(stored(server_id).stripe_account_id, state)


def test_a_finished_express_resource_is_never_sent_through_onboarding_again(
    client, auth, signed_in, sandbox, stored
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    finish_onboarding(sandbox, stored, server_id)
    client.get(f"/payments/{server_id}/onboarding/return")
    sandbox.clear_requests()

    response = connect(auth, server_id)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/{server_id}"
    assert stripe_calls(sandbox) == []
    html = client.get(f"/payments/{server_id}").get_data(as_text=True)
    assert "Onboarding is complete" in html
    assert "Open Stripe dashboard" in html
    assert "Connect with Stripe" not in html and "Continue onboarding" not in html


@pytest.fixture
def platform_collects(app, monkeypatch):
    """New accounts where the platform collects requirements (dashboard `none`)."""
    monkeypatch.setitem(app.config, "STRIPE_ACCOUNT_DASHBOARD", "none")


def test_update_details_mints_an_account_update_link_where_the_platform_collects(
    client, auth, signed_in, sandbox, stored, platform_collects, audit_actions
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    finish_onboarding(sandbox, stored, server_id)
    client.get(f"/payments/{server_id}/onboarding/return")
    html = client.get(f"/payments/{server_id}").get_data(as_text=True)
    assert "Update details" in html and "Open Stripe dashboard" not in html

    response = connect(auth, server_id, link_kind="update")

    assert response.status_code == 303
    assert "/setup/" in response.headers["Location"]
    minted = [d for a, d in audit_actions(server_id) if a == "onboarding.link_minted"]
    assert [d["link_type"] for d in minted] == ["account_onboarding", "account_update"]


def test_v2_accounts_are_created_and_linked_through_v2_when_configured(
    app, auth, signed_in, sandbox, stored, audit_actions
):
    response = connect_under_v2(app, auth, signed_in.server.id)

    # The sandbox refuses v2 bodies that still send `configurations` (API 2026-09-30.endive+).
    assert response.status_code == 303
    assert "/r/acct_" in response.headers["Location"]
    assert stripe_calls(sandbox) == [
        ("POST", "/v2/core/accounts"),
        ("POST", "/v2/core/account_links"),
    ]
    payments = stored(signed_in.server.id)
    assert payments.accounts_api == "v2"
    assert (payments.onboarding_status, payments.status_reason) == ("pending", "needs_info")
    assert payments.requirements["currently_due"]  # read from v2's requirement entries
    [minted] = [d for a, d in audit_actions(signed_in.server.id) if a == "onboarding.link_minted"]
    assert minted["api"] == "v2"


def test_an_account_keeps_the_api_that_made_it_when_the_setting_changes(
    app, auth, signed_in, sandbox, stored
):
    """A v1 account is refused by v2 endpoints for up to 10 minutes: it stays on v1."""
    sandbox.configure_platform(v1_account_v2_delay=600)
    connect(auth, signed_in.server.id)
    sandbox.clear_requests()
    app.config["STRIPE_ACCOUNTS_API"] = "v2"
    try:
        response = connect(auth, signed_in.server.id)
        auth.post(
            f"/payments/{signed_in.server.id}/check-status",
            page=f"/payments/{signed_in.server.id}",
        )
    finally:
        app.config["STRIPE_ACCOUNTS_API"] = "v1"

    assert response.status_code == 303
    assert stripe_calls(sandbox)[:2] == [
        ("POST", "/v1/account_links"),
        ("GET", f"/v1/accounts/{stored(signed_in.server.id).stripe_account_id}"),
    ]
    assert stored(signed_in.server.id).accounts_api == "v1"


def test_a_workspace_connection_key_is_used_and_remembered(
    auth, signed_in, sandbox, stored, store_connection
):
    key = "sk_test_workspaceConnectionKey00000000000001"
    connection_id = store_connection(
        signed_in.workspace.id, key, config={"accounts_api": "v2", "dashboard": "full"}
    )
    response = connect(auth, signed_in.server.id)

    assert response.status_code == 303
    assert "/r/acct_" in response.headers["Location"]
    payments = stored(signed_in.server.id)
    assert payments.connection_id == connection_id
    assert payments.accounts_api == "v2"  # the connection's option
    [entry] = sandbox.accounts()
    assert entry["platform"] == sandbox.platform_account_id(key)
    assert entry["account"]["controller"]["stripe_dashboard"]["type"] == "full"


def test_a_deauthorized_resource_gets_a_new_account_under_a_new_idempotency_key(
    app, auth, signed_in, sandbox, stored
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    first = stored(server_id)
    with app.app_context():  # what the deauthorization webhook leaves behind
        payments = db.session.get(PaymentsAccount, first.id)
        payments.status, payments.status_reason = "disconnected", "disconnected"
        payments.onboarding_status, payments.stripe_account_id = "not_started", None
        payments.account_claim, payments.account_generation = "none", 1
        db.session.commit()

    assert connect(auth, server_id).status_code == 303

    second = stored(server_id)
    assert second.stripe_account_id not in (None, first.stripe_account_id)
    assert second.status == "active"
    keys = [r["idempotency_key"] for r in sandbox.requests("/v1/accounts")]
    assert [key.rsplit("-", 1)[0] for key in keys] == [
        f"co-account-{first.id}-g0",
        f"co-account-{first.id}-g1",
    ]


def test_without_any_stripe_key_connect_is_refused_with_the_reason(
    app, client, auth, signed_in, sandbox, stored
):
    app.config["STRIPE_SECRET_KEY"] = None
    try:
        html = client.get("/").get_data(as_text=True)
        response = connect(auth, signed_in.server.id)
    finally:
        app.config["STRIPE_SECRET_KEY"] = PLATFORM_KEY

    assert 'disabled aria-disabled="true"' in html
    assert "No Stripe connection for test mode yet" in html
    assert response.status_code == 409
    assert "A workspace admin must add one" in response.get_data(as_text=True)
    assert sandbox.requests() == []
    assert stored(signed_in.server.id).account_claim == "none"


def test_a_deactivated_connection_blocks_its_resources_and_says_so(
    app, client, auth, signed_in, sandbox, store_connection
):
    key = "sk_test_workspaceConnectionKey00000000000002"
    connection_id = store_connection(signed_in.workspace.id, key, name="Main platform")
    assert connect(auth, signed_in.server.id).status_code == 303
    with app.app_context():
        db.session.get(StripeConnection, connection_id).status = "INACTIVE"
        db.session.commit()
    sandbox.clear_requests()

    response = connect(auth, signed_in.server.id)
    html = client.get("/").get_data(as_text=True)

    assert response.status_code == 409
    assert "“Main platform” is deactivated" in response.get_data(as_text=True)
    assert "“Main platform” is deactivated" in html
    assert 'disabled aria-disabled="true"' in html
    assert sandbox.requests() == []


def test_an_inactive_connection_is_passed_over_for_the_app_level_key(
    auth, signed_in, sandbox, stored, store_connection
):
    store_connection(signed_in.workspace.id, "sk_test_oldKey000000000000001", status="INACTIVE")
    assert connect(auth, signed_in.server.id).status_code == 303
    assert stored(signed_in.server.id).connection_id is None


@pytest.mark.parametrize(
    ("role", "status"),
    [("viewer", 403), ("developer", 303), ("admin", 303)],
)
def test_who_may_connect(client, auth, owned, factory, sandbox, stored, role, status):
    member = factory.member(owned.workspace, role)
    auth.login(member.email)
    response = connect(auth, owned.server.id)
    assert response.status_code == status
    created = stored(owned.server.id).stripe_account_id is not None
    assert created == (status == 303)


def test_another_workspace_gets_404_and_nothing_is_created(
    client, auth, owned, factory, sandbox, stored
):
    stranger = factory.user()
    factory.workspace(stranger)
    auth.login(stranger.email)
    assert connect(auth, owned.server.id).status_code == 404
    assert connect(auth, "srv_doesNotExist").status_code == 404
    assert stored(owned.server.id).stripe_account_id is None
    assert sandbox.requests() == []


def test_a_server_that_is_not_a_payments_resource_is_not_found(app, auth, signed_in, sandbox):
    with app.app_context():
        other = Server(workspace_id=signed_in.workspace.id, name="API", kind="api")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert connect(auth, other_id).status_code == 404
    assert sandbox.requests() == []


def test_connect_without_a_csrf_token_is_refused_and_creates_nothing(
    client, signed_in, sandbox, stored
):
    response = client.post(f"/payments/{signed_in.server.id}/connect")
    assert response.status_code == 400
    assert stored(signed_in.server.id).stripe_account_id is None
    assert sandbox.requests() == []


def test_connect_is_post_only_and_needs_sign_in(client, owned, sandbox):
    assert client.get(f"/payments/{owned.server.id}/connect").status_code == 405
    response = client.post(f"/payments/{owned.server.id}/connect")
    assert response.status_code in (302, 400)  # CSRF is checked before sign-in
    assert sandbox.requests() == []


def test_a_cross_border_account_gets_the_recipient_agreement_and_only_transfers(
    auth, signed_in, sandbox, store_connection, stored
):
    key = "sk_test_usPlatformConnectionKey0000000001"
    store_connection(signed_in.workspace.id, key, config={"platform_country": "US"})

    assert connect(auth, signed_in.server.id).status_code == 303

    [entry] = sandbox.accounts()
    assert entry["account"]["country"] == "DE"
    assert sorted(entry["account"]["capabilities"]) == ["transfers"]


def test_the_currency_follows_the_accounts_default_currency(
    auth, signed_in, factory, sandbox, stored
):
    server = factory.resource(signed_in.workspace, "Berlin shop", country="DE", currency="usd")

    assert connect(auth, server.id).status_code == 303

    assert stored(server.id).currency == "eur"
