"""API keys, request ids, the request log and Idempotency-Key replay."""

from __future__ import annotations

import base64
import re

import pytest
import stripe

from stripe_sandbox.testing import DEFAULT_TEST_KEY
from tests.sandbox.helpers import fetch


def test_every_response_carries_a_request_id(sandbox, stripe_client, express_account):
    assert express_account.last_response.request_id.startswith("req_")
    reply = fetch(f"{sandbox.url}/v1/account")
    assert reply.status == 401
    assert reply.headers["request-id"].startswith("req_")


def test_missing_key_gets_stripes_401(sandbox):
    reply = fetch(f"{sandbox.url}/v1/accounts/acct_1x")
    assert reply.status == 401
    assert b"You did not provide an API key" in reply.body
    assert b'"type":"invalid_request_error"' in reply.body.replace(b" ", b"")


def test_live_key_is_refused_with_the_key_masked(make_client):
    with pytest.raises(stripe.AuthenticationError) as raised:
        make_client("sk_live_51AbCdEfGhIjKlMnOp1234").v1.accounts.retrieve_current()
    assert raised.value.http_status == 401
    assert re.search(r"Invalid API Key provided: sk_live_\*{18}1234$", str(raised.value))


def test_basic_auth_with_the_key_as_user_is_accepted(sandbox):
    token = base64.b64encode(f"{DEFAULT_TEST_KEY}:".encode()).decode()
    reply = fetch(f"{sandbox.url}/v1/account", headers={"Authorization": f"Basic {token}"})
    assert reply.status == 200


def test_revoked_key_gets_invalid_api_key(sandbox, stripe_client):
    stripe_client.v1.accounts.retrieve_current()
    sandbox.revoke_key(DEFAULT_TEST_KEY)
    with pytest.raises(stripe.AuthenticationError) as raised:
        stripe_client.v1.accounts.retrieve_current()
    assert "Invalid API Key provided: sk_test_" in str(raised.value)
    assert DEFAULT_TEST_KEY not in str(raised.value)


def test_unknown_api_path_is_stripes_unrecognized_url(sandbox):
    reply = fetch(
        f"{sandbox.url}/v1/charges_galore",
        headers={"Authorization": f"Bearer {DEFAULT_TEST_KEY}"},
    )
    assert reply.status == 404
    assert b"Unrecognized request URL (GET: /v1/charges_galore)" in reply.body


def test_request_log_counts_api_calls_but_not_controls(sandbox, stripe_client, express_account):
    stripe_client.v1.accounts.retrieve(express_account.id)
    sandbox.accounts()  # a control call: not logged
    log = sandbox.requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in log] == [
        ("POST", "/v1/accounts", 200),
        ("GET", f"/v1/accounts/{express_account.id}", 200),
    ]
    assert log[0]["account"] == express_account.id
    assert log[0]["idempotency_key"]  # the SDK sends its own on POSTs
    assert sandbox.requests(path_prefix="/v1/accounts/") == log[1:]
    sandbox.clear_requests()
    assert sandbox.requests() == []


def test_same_idempotency_key_replays_the_first_response(sandbox, stripe_client):
    params = {"type": "express", "country": "US"}
    first = stripe_client.v1.accounts.create(
        params=params, options={"idempotency_key": "resource-7"}
    )
    again = stripe_client.v1.accounts.create(
        params=params, options={"idempotency_key": "resource-7"}
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sandbox.accounts()) == 1


def test_a_forgotten_idempotency_key_acts_anew_as_after_24_hours(sandbox, stripe_client):
    params = {"type": "express", "country": "US"}
    first = stripe_client.v1.accounts.create(
        params=params, options={"idempotency_key": "resource-8"}
    )
    assert sandbox.forget_idempotency_keys() == 1
    again = stripe_client.v1.accounts.create(
        params=params, options={"idempotency_key": "resource-8"}
    )
    assert again.id != first.id
    assert "Idempotent-Replayed" not in again.last_response.headers
    assert len(sandbox.accounts()) == 2


def test_idempotency_keys_are_scoped_per_api_key(sandbox, stripe_client, make_client):
    other = make_client("sk_test_other_platform_0002")
    params = {"type": "express"}
    first = stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "k1"})
    second = other.v1.accounts.create(params=params, options={"idempotency_key": "k1"})
    assert first.id != second.id


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(stripe_client):
    stripe_client.v1.accounts.create(params={"country": "US"}, options={"idempotency_key": "dup"})
    with pytest.raises(stripe.IdempotencyError) as raised:
        stripe_client.v1.accounts.create(
            params={"country": "FR"}, options={"idempotency_key": "dup"}
        )
    assert raised.value.http_status == 400
    assert raised.value.json_body["error"]["type"] == "idempotency_error"


def test_validation_errors_are_not_stored_under_the_key(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.create(params={"type": "bogus"}, options={"idempotency_key": "v"})
    account = stripe_client.v1.accounts.create(
        params={"type": "express"}, options={"idempotency_key": "v"}
    )
    assert account.type == "express"


def test_a_refusal_after_the_endpoint_started_is_replayed_under_the_key(sandbox, stripe_client):
    sandbox.configure_platform(profile_complete=False)
    params = {"type": "express", "country": "US"}
    with pytest.raises(stripe.InvalidRequestError) as first:
        stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "refused"})
    assert "Idempotent-Replayed" not in first.value.headers
    sandbox.configure_platform(profile_complete=True)  # fixed, but the key still holds the 400
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "refused"})
    assert again.value.headers["Idempotent-Replayed"] == "true"
    assert again.value.user_message == first.value.user_message
    assert sandbox.accounts() == []
    assert stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "new"}).id


def test_an_invalid_country_is_kept_under_the_key(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.create(
            params={"country": "XXX"}, options={"idempotency_key": "c"}
        )
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.accounts.create(
            params={"country": "XXX"}, options={"idempotency_key": "c"}
        )
    assert again.value.headers["Idempotent-Replayed"] == "true"
    assert again.value.param == "country"


@pytest.mark.parametrize(
    "params",
    [{"colour": "blue"}, {"type": "platinum"}],
    ids=["unknown-parameter", "invalid-enum"],
)
def test_parameter_validation_is_not_kept_under_the_key(stripe_client, params):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.accounts.create(params=params, options={"idempotency_key": "p"})
    account = stripe_client.v1.accounts.create(
        params={"type": "express"}, options={"idempotency_key": "p"}
    )
    assert "Idempotent-Replayed" not in account.last_response.headers


def test_a_missing_parameter_is_not_kept_under_the_key(stripe_client, express_account):
    params = {"account": express_account.id, "type": "account_onboarding"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.account_links.create(params=params, options={"idempotency_key": "l"})
    link = stripe_client.v1.account_links.create(
        params={**params, "refresh_url": "https://p.example/r", "return_url": "https://p.example"},
        options={"idempotency_key": "l"},
    )
    assert "Idempotent-Replayed" not in link.last_response.headers
