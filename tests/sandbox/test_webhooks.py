"""Signed Connect events delivered to a real receiver, with retries and delivery controls."""

from __future__ import annotations

import json
import time

import stripe

from stripe_sandbox.testing import DEFAULT_TEST_KEY
from stripe_sandbox.webhooks import sign_payload
from tests.sandbox.helpers import OTHER_PLATFORM_KEY


def events_received(receiver, secret):
    """Verify every accepted delivery with the SDK and return the events."""
    return [
        stripe.Webhook.construct_event(
            item["body"].decode(), item["headers"]["Stripe-Signature"], secret
        )
        for item in receiver.accepted()
    ]


def test_delivered_events_verify_with_the_sdk(
    sandbox, webhook_receiver, stripe_client, express_account
):
    secret = sandbox.add_webhook_endpoint(webhook_receiver.url)
    assert secret.startswith("whsec_")
    sandbox.force_account_state(express_account.id, "complete")
    sandbox.wait_for_deliveries(3)  # account.updated + two capability.updated
    events = events_received(webhook_receiver, secret)
    by_type = {event.type: event for event in events}
    updated = by_type["account.updated"]
    assert updated.account == express_account.id
    assert updated.livemode is False
    assert updated.api_version == "2026-10-28.endive"
    assert updated.data.object.charges_enabled is True
    assert updated.data.previous_attributes.charges_enabled is False
    assert updated.data.previous_attributes.capabilities.card_payments == "inactive"
    capability = by_type["capability.updated"]
    assert capability.data.object.object == "capability"
    assert capability.data.object.status == "active"
    assert capability.data.previous_attributes.status == "inactive"


def test_a_wrong_secret_fails_verification(sandbox, webhook_receiver, express_account):
    sandbox.add_webhook_endpoint(webhook_receiver.url, secret="whsec_right")
    sandbox.force_account_state(express_account.id, "rejected")
    sandbox.wait_for_deliveries(1)
    item = webhook_receiver.accepted()[0]
    try:
        stripe.Webhook.construct_event(
            item["body"].decode(), item["headers"]["Stripe-Signature"], "whsec_wrong"
        )
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a foreign secret verified the signature")
    body = json.loads(item["body"])
    assert body["data"]["object"]["requirements"]["disabled_reason"] == "rejected.fraud"


def test_signature_is_hmac_sha256_of_timestamp_and_payload():
    header = sign_payload(b'{"id": "evt_1"}', "whsec_abc", 1700000000)
    event = stripe.Webhook.construct_event('{"id": "evt_1"}', header, "whsec_abc", tolerance=None)
    assert header.startswith("t=1700000000,v1=") and event.id == "evt_1"


def test_api_changes_emit_events_with_the_request_id(
    sandbox, webhook_receiver, stripe_client, express_account
):
    secret = sandbox.add_webhook_endpoint(webhook_receiver.url)
    updated = stripe_client.v1.accounts.update(
        express_account.id, params={"metadata": {"resource": "9"}}
    )
    sandbox.wait_for_deliveries(1)
    (event,) = events_received(webhook_receiver, secret)
    assert event.request.id == updated.last_response.request_id
    assert event.data.previous_attributes.metadata.to_dict() == {"resource": None}


def test_failed_deliveries_are_retried_until_accepted(sandbox, webhook_receiver, express_account):
    sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.configure_webhooks(backoff=[0.05, 0.05, 0.05])
    webhook_receiver.fail_next(2)
    sandbox.force_account_state(express_account.id, "paused")
    (delivery,) = sandbox.wait_for_deliveries(1)
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 500, 200]


def test_unreachable_receiver_fails_after_the_last_retry(sandbox, express_account):
    sandbox.add_webhook_endpoint("http://127.0.0.1:9/nobody-listens")
    sandbox.configure_webhooks(backoff=[0.05])
    sandbox.force_account_state(express_account.id, "paused")
    (delivery,) = sandbox.wait_for_deliveries(1, status="failed")
    assert len(delivery["attempts"]) == 2
    assert all(attempt["error"] for attempt in delivery["attempts"])


def test_endpoint_filtered_by_platform_gets_only_that_platforms_events(
    sandbox, webhook_receiver, make_client, express_account
):
    sandbox.add_webhook_endpoint(webhook_receiver.url, platform_key=OTHER_PLATFORM_KEY)
    other = make_client(OTHER_PLATFORM_KEY).v1.accounts.create(params={"type": "express"})
    sandbox.force_account_state(express_account.id, "paused")
    sandbox.wait_for_deliveries(1)
    assert {d["account"] for d in sandbox.deliveries()} == {other.id}
    assert sandbox.platform_account_id(DEFAULT_TEST_KEY) != sandbox.platform_account_id(
        OTHER_PLATFORM_KEY
    )


def test_duplicate_mode_delivers_every_event_twice(sandbox, webhook_receiver, express_account):
    sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.configure_webhooks(duplicate=True)
    sandbox.force_account_state(express_account.id, "paused")
    sandbox.wait_for_deliveries(2)
    ids = [json.loads(item["body"])["id"] for item in webhook_receiver.accepted()]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_paused_deliveries_can_be_reversed_to_arrive_out_of_order(
    sandbox, webhook_receiver, express_account
):
    sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.pause_webhooks()
    sandbox.force_account_state(express_account.id, "rejected")
    sandbox.force_account_state(express_account.id, "paused")
    time.sleep(0.1)
    assert webhook_receiver.received == []
    assert sandbox.reverse_webhooks() == 2
    sandbox.resume_webhooks()
    sandbox.wait_for_deliveries(2)
    reasons = [
        json.loads(item["body"])["data"]["object"]["requirements"]["disabled_reason"]
        for item in webhook_receiver.accepted()
    ]
    assert reasons == ["platform_paused", "rejected.fraud"]


def test_delay_holds_deliveries_back(sandbox, webhook_receiver, express_account):
    sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.configure_webhooks(delay=0.3)
    started = time.monotonic()
    sandbox.force_account_state(express_account.id, "paused")
    sandbox.wait_for_deliveries(1)
    assert time.monotonic() - started >= 0.3


def test_redeliver_sends_the_same_event_again(sandbox, webhook_receiver, express_account):
    sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.force_account_state(express_account.id, "paused")
    (first,) = sandbox.wait_for_deliveries(1)
    again = sandbox.redeliver(first["id"])
    assert again["event_id"] == first["event_id"] and again["id"] != first["id"]
    sandbox.wait_for_deliveries(2)
    assert len(webhook_receiver.accepted()) == 2
