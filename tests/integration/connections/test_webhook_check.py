"""The connection page asks Stripe whether its endpoint (and event destination) are in order,
says what is wrong in plain words, and Repair registers them as the CLI does."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import decrypt_secret
from app.services import connections
from tests.helpers import TEST_KEY, WEBHOOK_SECRET, connection_row, service_values

V2_CONFIG = '{"accounts_api": "v2"}'


@pytest.fixture
def owner(factory):
    """A workspace admin and their workspace."""
    user = factory.user("owner@example.com")
    return user, factory.workspace(user, "Acme")


def saved(app, workspace, **overrides) -> StripeConnection:
    """A verified connection saved as the form does, registering what it needs (detached)."""
    with app.app_context():
        connection, _ = connections.create_connection(
            workspace.id,
            actor_user_id=None,
            verify=True,
            **service_values(**{"webhook_secret": "", **overrides}),
        )
        db.session.expunge(connection)
        return connection


def page_of(connection: StripeConnection) -> str:
    return f"/workspaces/{connection.workspace_id}/connections/{connection.id}"


def check(client, auth, connection: StripeConnection) -> str:
    """Press "Check webhooks at Stripe" and read the page it leads to."""
    response = auth.post(f"{page_of(connection)}/webhooks/check", page=page_of(connection))
    assert response.status_code == 303
    assert response.headers["Location"] == page_of(connection)
    return client.get(page_of(connection)).get_data(as_text=True)


def repair(client, auth, connection: StripeConnection) -> str:
    """Press Repair and read the page it leads to."""
    response = auth.post(f"{page_of(connection)}/webhooks/repair", page=page_of(connection))
    assert response.status_code == 303
    return client.get(page_of(connection)).get_data(as_text=True)


def endpoint_of(sandbox) -> dict:
    [endpoint] = sandbox.stripe_client(TEST_KEY).v1.webhook_endpoints.list().data
    return endpoint.to_dict()


def break_endpoint(sandbox, connection, how: str) -> str:
    """Break the Connect endpoint at Stripe as an operator could; the problem the page shows."""
    endpoints = sandbox.stripe_client(TEST_KEY).v1.webhook_endpoints
    endpoint_id = endpoint_of(sandbox)["id"]
    if how == "missing":
        endpoints.delete(endpoint_id)
        url = f"https://app.example.com/webhooks/stripe/{connection.id}"
        return f"No webhook endpoint at Stripe points at {url}. Repair creates one"
    if how == "disabled":
        endpoints.update(endpoint_id, params={"disabled": True})
        return f"The webhook endpoint {endpoint_id} is disabled at Stripe. Repair enables it."
    endpoints.update(endpoint_id, params={"enabled_events": ["account.updated"]})
    return f"The webhook endpoint {endpoint_id} ignores account.application.deauthorized"


def break_destination(sandbox, connection, how: str) -> str:
    """Break the v2 event destination at Stripe; the problem the page shows."""
    destinations = sandbox.stripe_client(TEST_KEY).v2.core.event_destinations
    destination_id = connection.event_destination_id
    if how == "missing":
        destinations.delete(destination_id)
        url = f"https://app.example.com/webhooks/stripe/{connection.id}/thin"
        return f"No event destination at Stripe points at {url}. Repair creates one"
    if how == "disabled":
        destinations.disable(destination_id)
        return f"The event destination {destination_id} is disabled at Stripe. Repair enables it."
    destinations.update(
        destination_id, params={"enabled_events": ["v2.core.account[requirements].updated"]}
    )
    return f"The event destination {destination_id} ignores v2.core.account.closed"


def test_a_healthy_connection_checks_ok_and_shows_no_secret(
    app, client, auth, owner, sandbox, https_links
):
    connection = saved(app, owner[1], config_json=V2_CONFIG)
    auth.login("owner@example.com")

    html = check(client, auth, connection)

    assert "The webhook endpoint is enabled at Stripe, at this connection" in html
    assert "The event destination is enabled at Stripe, at this connection" in html
    assert "webhook-problem" not in html and "/webhooks/repair" not in html
    stored = connection_row(app, connection.id)
    with app.app_context():
        for ciphertext in (
            stored.webhook_secret_ciphertext,
            stored.event_destination_secret_ciphertext,
        ):
            assert decrypt_secret(ciphertext) not in html
    assert TEST_KEY not in html
    # Shown once: a reload no longer carries the answer.
    assert "What Stripe says" not in client.get(page_of(connection)).get_data(as_text=True)


@pytest.mark.parametrize("how", ["missing", "disabled", "narrowed"])
@pytest.mark.parametrize("breaks", [break_endpoint, break_destination])
def test_each_problem_shows_in_plain_words_and_repair_fixes_it(
    app, client, auth, owner, sandbox, https_links, breaks, how
):
    connection = saved(app, owner[1], config_json=V2_CONFIG)
    auth.login("owner@example.com")
    problem = breaks(sandbox, connection, how)

    html = check(client, auth, connection)
    assert problem in html
    assert html.count("webhook-problem") == 1
    assert "/webhooks/repair" in html

    repaired = repair(client, auth, connection)
    outcome = "Created the" if how == "missing" else "Repaired the"
    assert outcome in repaired
    after = check(client, auth, connection)
    assert "webhook-problem" not in after
    assert after.count("is enabled at Stripe, at this connection") == 2
    if how == "missing":
        stored = connection_row(app, connection.id)
        field = "event_destination" if breaks is break_destination else "webhook"
        with app.app_context():
            secret = decrypt_secret(getattr(stored, f"{field}_secret_ciphertext"))
        assert secret.startswith("whsec_") and secret not in repaired + after


def test_a_refusal_reads_from_the_refusal_table(app, client, auth, owner, sandbox, https_links):
    restricted = "rk_test_restrictedCheckWebhooks000001"
    sandbox.add_restricted_key(restricted, ["rak_accounts_read"], TEST_KEY)
    connection = saved(
        app,
        owner[1],
        api_key=restricted,
        stripe_account_id=sandbox.platform_account_id(TEST_KEY),
        webhook_secret=WEBHOOK_SECRET,
    )
    auth.login("owner@example.com")

    html = check(client, auth, connection)

    assert "Could not check the webhook endpoint." in html
    assert "“rak_webhook_read” permission" in html
    assert restricted not in html and "/webhooks/repair" not in html


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_members_without_manage_get_403_and_other_workspaces_404(
    app, client, auth, factory, owner, sandbox, https_links, role
):
    connection = saved(app, owner[1])
    foreign = saved(app, factory.workspace(name="Foreign"))
    member = factory.member(owner[1], role)
    auth.login(member.email)
    before = len(sandbox.requests("/v1/webhook_endpoints"))

    for action in ("check", "repair"):
        assert auth.post(f"{page_of(connection)}/webhooks/{action}").status_code == 403
    auth.logout()
    auth.login("owner@example.com")
    for action in ("check", "repair"):
        path = f"/workspaces/{owner[1].id}/connections/{foreign.id}/webhooks/{action}"
        assert auth.post(path).status_code == 404
    assert len(sandbox.requests("/v1/webhook_endpoints")) == before


def test_without_a_csrf_token_nothing_is_asked_of_stripe(
    app, client, auth, owner, sandbox, https_links
):
    connection = saved(app, owner[1])
    auth.login("owner@example.com")
    before = len(sandbox.requests("/v1/webhook_endpoints"))

    for action in ("check", "repair"):
        response = client.post(f"{page_of(connection)}/webhooks/{action}", data={})
        assert response.status_code == 400
    assert len(sandbox.requests("/v1/webhook_endpoints")) == before


def test_checks_and_repairs_share_one_rate_limit_per_admin_and_connection(
    app, client, auth, owner, sandbox, https_links, monkeypatch
):
    monkeypatch.setitem(app.config, "CHECK_WEBHOOKS_RATE_LIMIT", "2 per minute")
    connection = saved(app, owner[1])
    other = saved(app, owner[1], name="Other")
    auth.login("owner@example.com")
    base = page_of(connection)

    assert auth.post(f"{base}/webhooks/check").status_code == 303
    assert auth.post(f"{base}/webhooks/repair").status_code == 303
    assert auth.post(f"{base}/webhooks/check").status_code == 429
    assert auth.post(f"{page_of(other)}/webhooks/check").status_code == 303


def test_switching_to_accounts_v2_on_edit_registers_the_event_destination(
    app, client, auth, owner, sandbox, https_links
):
    connection = saved(app, owner[1])
    auth.login("owner@example.com")
    edit = f"{page_of(connection)}/edit"

    response = auth.post(
        edit,
        {
            "name": connection.name,
            "partner_endpoint": connection.partner_endpoint,
            "config_json": V2_CONFIG,
        },
        page=edit,
    )

    assert response.status_code == 303
    destinations = sandbox.stripe_client(TEST_KEY).v2.core.event_destinations.list().data
    [destination] = destinations
    stored = connection_row(app, connection.id)
    assert stored.event_destination_id == destination.id
    with app.app_context():
        assert decrypt_secret(stored.event_destination_secret_ciphertext).startswith("whsec_")
    html = check(client, auth, connection)
    assert html.count("is enabled at Stripe, at this connection") == 2
    # Saving again registers nothing new: the destination is in place with its secret.
    again = auth.post(
        edit,
        {
            "name": "Renamed",
            "partner_endpoint": connection.partner_endpoint,
            "config_json": V2_CONFIG,
        },
        page=edit,
    )
    assert again.status_code == 303
    assert len(sandbox.stripe_client(TEST_KEY).v2.core.event_destinations.list().data) == 1
