"""A connected account disconnecting from the platform, as Stripe tells and answers it."""

from __future__ import annotations

import urllib.error

import pytest
import stripe

from tests.sandbox.test_webhook_endpoints import register, verified

DEAUTHORIZED = "account.application.deauthorized"


def test_deauthorizing_tells_the_connect_endpoint_with_the_application(
    sandbox, stripe_client, webhook_receiver, express_account
):
    endpoint = register(stripe_client, webhook_receiver.url, events=[DEAUTHORIZED])
    application = sandbox.deauthorize(express_account.id)
    sandbox.wait_for_deliveries(1)
    (event,) = verified(webhook_receiver, endpoint.secret)
    assert event.type == DEAUTHORIZED
    assert event.account == express_account.id
    assert event.data.object.object == "application"
    assert event.data.object.id == application["id"]
    assert application["id"].startswith("ca_")


def test_the_platform_can_no_longer_read_or_list_a_deauthorized_account(
    sandbox, stripe_client, express_account
):
    kept = stripe_client.v1.accounts.create(params={"type": "express", "country": "US"})
    sandbox.deauthorize(express_account.id)
    with pytest.raises(stripe.PermissionError) as raised:
        stripe_client.v1.accounts.retrieve(express_account.id)
    assert raised.value.http_status == 403
    assert raised.value.error.code == "account_invalid"
    listed = stripe_client.v1.accounts.list()
    assert [account.id for account in listed.data] == [kept.id]
    with pytest.raises(stripe.InvalidRequestError) as link:
        stripe_client.v1.account_links.create(
            params={
                "account": express_account.id,
                "type": "account_onboarding",
                "refresh_url": "http://127.0.0.1/refresh",
                "return_url": "http://127.0.0.1/return",
            }
        )
    assert link.value.error.code == "resource_missing"


def test_deauthorizing_twice_or_an_unknown_account_is_not_found(sandbox, express_account):
    sandbox.deauthorize(express_account.id)
    (state,) = [item for item in sandbox.accounts() if item["account"]["id"] == express_account.id]
    assert state["disconnected"] is True
    for account_id in (express_account.id, "acct_1DoesNotExist000"):
        with pytest.raises(urllib.error.HTTPError) as raised:
            sandbox.deauthorize(account_id)
        assert raised.value.code == 404
