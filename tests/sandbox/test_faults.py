"""Injected faults and latency, as the real SDK experiences them."""

from __future__ import annotations

import time

import pytest
import stripe


def test_one_500_is_retried_by_the_sdk_with_the_same_idempotency_key(sandbox, stripe_client):
    sandbox.inject_fault("/v1/accounts", "500")
    account = stripe_client.v1.accounts.create(params={"type": "express"})
    log = sandbox.requests("/v1/accounts")
    assert [entry["status"] for entry in log] == [500, 200]
    assert log[0]["fault"] == "500"
    assert log[0]["idempotency_key"] == log[1]["idempotency_key"]
    assert [a["account"]["id"] for a in sandbox.accounts()] == [account.id]


def test_500s_beyond_the_retries_raise_api_error(sandbox, make_client):
    sandbox.inject_fault("/v1/account", "500", count=3)
    with pytest.raises(stripe.APIError) as raised:
        make_client(max_network_retries=2).v1.accounts.retrieve_current()
    assert raised.value.http_status == 500
    assert len(sandbox.requests()) == 3


def test_a_500_after_the_request_ran_is_replayed_under_the_same_key(sandbox, stripe_client):
    sandbox.inject_fault("/v1/accounts", "500_after")
    with pytest.raises(stripe.APIError) as raised:
        stripe_client.v1.accounts.create(
            params={"type": "express"}, options={"idempotency_key": "k9"}
        )
    assert raised.value.http_status == 500
    log = sandbox.requests("/v1/accounts")
    # The SDK retried twice with the key; Stripe (and the sandbox) replayed the stored 500.
    assert [(e["status"], e["replayed"]) for e in log] == [(500, False), (500, True), (500, True)]
    assert len(sandbox.accounts()) == 1  # the request did run


def test_a_stored_500_keeps_answering_for_the_key_after_the_fault_is_gone(sandbox, stripe_client):
    sandbox.inject_fault("/v1/accounts", "500_stored")
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            stripe_client.v1.accounts.create(
                params={"type": "express"}, options={"idempotency_key": "k3"}
            )
    log = sandbox.requests("/v1/accounts")
    assert [(e["status"], e["replayed"]) for e in log] == [(500, False)] + [(500, True)] * 5
    assert sandbox.accounts() == []  # it never ran
    fresh = stripe_client.v1.accounts.create(
        params={"type": "express"}, options={"idempotency_key": "k4"}
    )
    assert [a["account"]["id"] for a in sandbox.accounts()] == [fresh.id]


def test_a_fault_for_one_method_lets_the_others_through(sandbox, stripe_client, express_account):
    sandbox.inject_fault("/v1/accounts", "500", count=5, method="POST")
    assert stripe_client.v1.accounts.retrieve(express_account.id).id == express_account.id
    assert [a.id for a in stripe_client.v1.accounts.list().data] == [express_account.id]
    with pytest.raises(stripe.APIError):
        stripe_client.v1.accounts.create(params={"type": "express"})


def test_429_is_a_rate_limit_error_the_sdk_does_not_retry(sandbox, stripe_client):
    sandbox.inject_fault("/v1/account", "429", count=5)
    with pytest.raises(stripe.RateLimitError):
        stripe_client.v1.accounts.retrieve_current()
    assert len(sandbox.requests()) == 1


def test_slow_answer_beyond_the_client_timeout_is_a_connection_error(sandbox, make_client):
    sandbox.inject_fault("/v1/account", "slow", seconds=1.0)
    impatient = make_client(max_network_retries=0, timeout=0.3)
    # The sandbox would answer 200 after 1 s: a connection error means the client gave up.
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.accounts.retrieve_current()


def test_reset_waits_for_a_slowed_request_so_it_cannot_leak_into_the_next_test(
    sandbox, make_client
):
    sandbox.inject_fault("/v1/accounts", "slow", seconds=0.8)
    impatient = make_client(max_network_retries=0, timeout=0.2)
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.accounts.create(params={"type": "express"})
    sandbox.reset()  # the create is still sleeping in the sandbox
    time.sleep(1.0)  # long enough for it to have finished either way
    assert sandbox.accounts() == []
    assert sandbox.requests() == []


def test_a_slow_create_retried_by_the_sdk_still_makes_one_account(sandbox, make_client):
    """The slow request is carried out late; the retry under the same key must not add one."""
    # The original finishes (0.3 s) after the client gave up (0.2 s) but before the SDK's
    # retry arrives (it backs off at least 0.25 s): the retry must replay, not create.
    sandbox.inject_fault("/v1/accounts", "slow", seconds=0.3)
    impatient = make_client(max_network_retries=2, timeout=0.2)
    account = impatient.v1.accounts.create(params={"type": "express"})
    time.sleep(0.5)
    assert [a["account"]["id"] for a in sandbox.accounts()] == [account.id]
    keys = {entry["idempotency_key"] for entry in sandbox.requests("/v1/accounts")}
    assert len(keys) == 1


def test_dropped_connection_is_retried_then_succeeds(sandbox, stripe_client):
    sandbox.inject_fault("/v1/account", "drop")
    assert stripe_client.v1.accounts.retrieve_current().object == "account"
    assert [entry["fault"] for entry in sandbox.requests()] == ["drop", None]


def test_dropped_connection_without_retries_raises(sandbox, make_client):
    sandbox.inject_fault("/v1/account", "drop")
    with pytest.raises(stripe.APIConnectionError):
        make_client(max_network_retries=0).v1.accounts.retrieve_current()


def test_faults_only_hit_matching_paths(sandbox, stripe_client, express_account):
    sandbox.inject_fault("/v1/account_links", "500", count=5)
    assert stripe_client.v1.accounts.retrieve(express_account.id).id == express_account.id


def test_latency_delays_every_answer(sandbox, stripe_client):
    sandbox.set_latency(0.2)
    started = time.monotonic()
    stripe_client.v1.accounts.retrieve_current()
    assert time.monotonic() - started >= 0.2
    sandbox.set_latency(0)
