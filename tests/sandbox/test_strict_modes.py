"""Strict modes: the sandbox answering like a new real platform would."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox.platforms import HTTPS_REQUIRED_MESSAGE, PLATFORM_PROFILE_MESSAGE
from stripe_sandbox.testing import DEFAULT_TEST_KEY

RESTRICTED_KEY = "rk_test_restricted_platform_key_0001"
EXPRESS_CONTROLLER = {
    "stripe_dashboard": {"type": "express"},
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
}


@pytest.mark.parametrize(
    "params",
    [{"type": "express"}, {"type": "custom"}, {"controller": EXPRESS_CONTROLLER}],
    ids=["express", "custom", "platform-liable-controller"],
)
def test_unfinished_platform_profile_refuses_accounts_the_platform_is_liable_for(
    sandbox, stripe_client, params
):
    sandbox.configure_platform(profile_complete=False)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params=params)
    assert raised.value.http_status == 400
    assert raised.value.json_body["error"]["type"] == "invalid_request_error"
    assert raised.value.user_message == PLATFORM_PROFILE_MESSAGE
    assert sandbox.accounts() == []


@pytest.mark.parametrize(
    "params", [{"type": "standard"}, {"controller": {"stripe_dashboard": {"type": "full"}}}]
)
def test_unfinished_platform_profile_still_allows_accounts_stripe_is_liable_for(
    sandbox, stripe_client, params
):
    sandbox.configure_platform(profile_complete=False)
    assert stripe_client.v1.accounts.create(params=params).id


def test_the_profile_refusal_is_per_platform(sandbox, make_client):
    sandbox.configure_platform("sk_test_other_platform_0002", profile_complete=False)
    assert make_client().v1.accounts.create(params={"type": "express"}).id


def test_live_mode_marks_objects_and_events_live(sandbox, stripe_client, webhook_receiver):
    secret = sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.configure_platform(livemode=True)
    account = stripe_client.v1.accounts.create(params={"type": "express"})
    assert account.livemode is True
    assert stripe_client.v1.accounts.retrieve_current().livemode is True
    sandbox.force_account_state(account.id, "complete")
    sandbox.wait_for_deliveries(3)
    events = [
        stripe.Webhook.construct_event(
            item["body"].decode(), item["headers"]["Stripe-Signature"], secret
        )
        for item in webhook_receiver.accepted()
    ]
    assert {event.livemode for event in events} == {True}


@pytest.mark.parametrize("param", ["refresh_url", "return_url"])
def test_live_mode_account_links_need_https_redirects(sandbox, stripe_client, param):
    sandbox.configure_platform(livemode=True)
    account = stripe_client.v1.accounts.create(params={"type": "express"})
    params = {
        "account": account.id,
        "type": "account_onboarding",
        "refresh_url": "https://platform.example/refresh",
        "return_url": "https://platform.example/return",
    }
    assert stripe_client.v1.account_links.create(params=params).url
    params[param] = "http://platform.example/plain"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.account_links.create(params=params)
    assert (raised.value.http_status, raised.value.param) == (400, param)
    assert raised.value.user_message == HTTPS_REQUIRED_MESSAGE


def test_test_mode_allows_http_redirects(stripe_client, express_account):
    link = stripe_client.v1.account_links.create(
        params={
            "account": express_account.id,
            "type": "account_onboarding",
            "refresh_url": "http://127.0.0.1/refresh",
            "return_url": "http://127.0.0.1/return",
        }
    )
    assert link.url


def test_restricted_key_acts_for_its_platform_within_its_permissions(
    sandbox, stripe_client, make_client, express_account
):
    sandbox.add_restricted_key(RESTRICTED_KEY, ["rak_accounts_read"])
    restricted = make_client(RESTRICTED_KEY)
    assert restricted.v1.accounts.retrieve(express_account.id).id == express_account.id
    assert restricted.v1.accounts.retrieve_current().id == sandbox.platform_account_id(
        DEFAULT_TEST_KEY
    )


def test_restricted_key_without_the_permission_gets_stripes_403(sandbox, make_client):
    sandbox.add_restricted_key(RESTRICTED_KEY, ["rak_accounts_read"])
    with pytest.raises(stripe.PermissionError) as raised:
        make_client(RESTRICTED_KEY).v1.accounts.create(params={"type": "express"})
    error = raised.value.json_body["error"]
    assert raised.value.http_status == 403
    assert error["type"] == "invalid_request_error"
    assert "code" not in error
    platform = sandbox.platform_account_id(DEFAULT_TEST_KEY)
    assert error["message"] == (
        f"The provided key 'rk_test_{'*' * 22}y_0001' does not have the required "
        f"permissions for this endpoint on account '{platform}'. Having the "
        "'rak_accounts_write' permission would allow this request to continue."
    )
    assert RESTRICTED_KEY not in error["message"]
    assert sandbox.accounts() == []


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/v2/core/accounts", lambda c: c.v2.core.accounts.create(params={})),
        ("/v1/accounts", lambda c: c.v1.accounts.create(params={"type": "express"})),
    ],
    ids=["accounts-v2", "connect"],
)
def test_an_endpoint_the_platform_has_not_enabled_is_an_unrecognized_url(
    sandbox, stripe_client, path, call
):
    sandbox.configure_platform(unavailable_paths=[path])
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call(stripe_client)
    assert raised.value.http_status == 404
    assert f"Unrecognized request URL (POST: {path})" in raised.value.json_body["error"]["message"]
    assert stripe_client.v1.accounts.retrieve_current().id


def test_reset_makes_the_platform_permissive_again(sandbox, stripe_client):
    sandbox.configure_platform(profile_complete=False, livemode=True)
    sandbox.reset()
    assert stripe_client.v1.accounts.create(params={"type": "express"}).livemode is False


def test_a_capability_the_country_lacks_is_refused_on_v1_and_kept_under_the_key(
    sandbox, stripe_client
):
    sandbox.configure_platform(unsupported_capabilities={"br": ["card_payments"]})
    params = {
        "country": "BR",
        "controller": {"stripe_dashboard": {"type": "express"}},
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    }
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "br"})
    assert (raised.value.http_status, raised.value.param) == (400, "capabilities[card_payments]")
    assert "BR" in raised.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "br"})
    assert again.value.headers["Idempotent-Replayed"] == "true"
    recipient = {**params, "capabilities": {"transfers": {"requested": True}}}
    assert stripe_client.v1.accounts.create(params=recipient).capabilities.to_dict() == {
        "transfers": "inactive"
    }


def test_a_capability_the_country_lacks_is_unsupported_on_v2(sandbox, stripe_client):
    sandbox.configure_platform(unsupported_capabilities={"BR": ["card_payments"]})
    account = stripe_client.v2.core.accounts.create(
        params={
            "identity": {"country": "BR"},
            "configuration": {
                "merchant": {"capabilities": {"card_payments": {"requested": True}}},
                "recipient": {
                    "capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}
                },
            },
            "include": ["configuration.merchant", "configuration.recipient"],
        }
    )
    card = account.configuration.merchant.capabilities.card_payments
    assert card.status == "unsupported"
    assert card.status_details[0].code == "unsupported_country"
    transfers = account.configuration.recipient.capabilities.stripe_balance.stripe_transfers
    assert transfers.status == "restricted"
