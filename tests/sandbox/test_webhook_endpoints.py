"""Webhook endpoints a platform registers through the API, and what the sandbox sends them."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.helpers import OTHER_PLATFORM_KEY


def register(stripe_client, url, events=("account.updated",), **extra):
    """Create a webhook endpoint through the SDK."""
    params = {"url": url, "enabled_events": list(events), "connect": True, **extra}
    return stripe_client.v1.webhook_endpoints.create(params=params)


def verified(receiver, secret):
    """Every accepted delivery, verified with the SDK."""
    return [
        stripe.Webhook.construct_event(
            item["body"].decode(), item["headers"]["Stripe-Signature"], secret
        )
        for item in receiver.accepted()
    ]


def test_create_returns_the_secret_once(stripe_client):
    endpoint = register(
        stripe_client,
        "https://platform.example/webhooks/stripe",
        api_version="2026-10-28.endive",
        description="Connect",
        metadata={"connection": "7"},
    )
    assert endpoint.object == "webhook_endpoint"
    assert endpoint.id.startswith("we_")
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.status == "enabled"
    assert endpoint.api_version == "2026-10-28.endive"
    assert endpoint.enabled_events == ["account.updated"]
    fetched = stripe_client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert fetched.url == "https://platform.example/webhooks/stripe"
    assert "secret" not in fetched
    listed = stripe_client.v1.webhook_endpoints.list()
    assert [item.id for item in listed.data] == [endpoint.id]
    assert "secret" not in listed.data[0]


def test_connect_endpoint_gets_its_enabled_account_events_signed_with_its_secret(
    sandbox, stripe_client, webhook_receiver, express_account
):
    endpoint = register(stripe_client, webhook_receiver.url)
    sandbox.force_account_state(express_account.id, "complete")
    sandbox.wait_for_deliveries(1)
    (event,) = verified(webhook_receiver, endpoint.secret)
    assert event.type == "account.updated"  # capability.updated was not enabled
    assert event.account == express_account.id
    assert [d["endpoint_id"] for d in sandbox.deliveries()] == [endpoint.id]


def test_wildcard_endpoint_gets_every_event(
    sandbox, stripe_client, webhook_receiver, express_account
):
    register(stripe_client, webhook_receiver.url, events=["*"])
    sandbox.force_account_state(express_account.id, "complete")
    assert len(sandbox.wait_for_deliveries(3)) == 3


def test_non_connect_endpoints_and_other_platforms_hear_nothing(
    sandbox, stripe_client, make_client, webhook_receiver, express_account
):
    register(stripe_client, webhook_receiver.url, connect=False)
    register(make_client(OTHER_PLATFORM_KEY), webhook_receiver.url)
    sandbox.force_account_state(express_account.id, "complete")
    assert sandbox.deliveries() == []


def test_disabled_endpoint_hears_nothing_until_enabled(
    sandbox, stripe_client, webhook_receiver, express_account
):
    endpoint = register(stripe_client, webhook_receiver.url)
    disabled = stripe_client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    assert disabled.status == "disabled"
    sandbox.force_account_state(express_account.id, "complete")
    assert sandbox.deliveries() == []
    stripe_client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})
    sandbox.force_account_state(express_account.id, "past_due")
    assert len(sandbox.wait_for_deliveries(1)) == 1


def test_update_changes_url_and_events(stripe_client):
    endpoint = register(stripe_client, "https://platform.example/old")
    updated = stripe_client.v1.webhook_endpoints.update(
        endpoint.id,
        params={"url": "https://platform.example/new", "enabled_events": ["capability.updated"]},
    )
    assert updated.url == "https://platform.example/new"
    assert updated.enabled_events == ["capability.updated"]


def test_delete_forgets_the_endpoint(stripe_client, make_client):
    endpoint = register(stripe_client, "https://platform.example/hook")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        make_client(OTHER_PLATFORM_KEY).v1.webhook_endpoints.retrieve(endpoint.id)
    assert raised.value.http_status == 404
    deleted = stripe_client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True
    assert stripe_client.v1.webhook_endpoints.list().data == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"enabled_events": ["account.updated"]}, "url"),
        ({"url": "https://platform.example/hook"}, "enabled_events"),
        ({"url": "ftp://x", "enabled_events": ["account.updated"]}, "url"),
        ({"url": "https://p.example", "enabled_events": ["*"], "colour": "x"}, "colour"),
    ],
)
def test_invalid_endpoint_params_are_refused(stripe_client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.webhook_endpoints.create(params=params)
    assert (raised.value.http_status, raised.value.param) == (400, param)
