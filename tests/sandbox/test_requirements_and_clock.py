"""Deadlines and what is due, set by a control, and the sandbox's movable clock."""

from __future__ import annotations

import time
import urllib.error

import pytest
import stripe

DAY = 86_400


def test_deadlines_and_future_requirements_reach_the_account_and_its_event(
    sandbox, stripe_client, webhook_receiver, express_account
):
    secret = sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.force_account_state(express_account.id, "complete")
    sandbox.wait_for_deliveries(3)
    deadline, future_deadline = int(time.time()) + 7 * DAY, int(time.time()) + 30 * DAY
    sandbox.set_requirements(
        express_account.id,
        {"current_deadline": deadline, "currently_due": ["external_account"]},
        {"current_deadline": future_deadline, "currently_due": ["representative.id_number"]},
    )
    account = stripe_client.v1.accounts.retrieve(express_account.id)
    assert account.requirements.current_deadline == deadline
    assert account.requirements.currently_due == ["external_account"]
    assert "external_account" in account.requirements.eventually_due
    assert account.future_requirements.current_deadline == future_deadline
    assert account.future_requirements.currently_due == ["representative.id_number"]
    sandbox.wait_for_deliveries(4)
    last = webhook_receiver.accepted()[-1]
    event = stripe.Webhook.construct_event(
        last["body"].decode(), last["headers"]["Stripe-Signature"], secret
    )
    assert event.type == "account.updated"
    assert event.data.previous_attributes.requirements.current_deadline is None
    assert event.data.object.future_requirements.current_deadline == future_deadline


def test_past_due_can_be_set_alone(sandbox, stripe_client, express_account):
    sandbox.set_requirements(express_account.id, {"past_due": ["external_account"]})
    assert stripe_client.v1.accounts.retrieve(express_account.id).requirements.past_due == [
        "external_account"
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"requirements": {"currently_due": "external_account"}},
        {"requirements": {"current_deadline": "tomorrow"}},
        {"future_requirements": {"colour": "blue"}},
    ],
)
def test_the_requirements_control_checks_its_input(sandbox, express_account, body):
    with pytest.raises(urllib.error.HTTPError) as raised:
        sandbox.control("POST", f"/accounts/{express_account.id}/requirements", body)
    raised.value.close()
    assert raised.value.code == 400


def test_moving_the_clock_dates_new_objects_and_events(sandbox, stripe_client):
    before = sandbox.now()
    assert abs(before - time.time()) < 5
    moved = sandbox.move_clock(advance=3 * DAY)
    assert moved - before >= 3 * DAY
    account = stripe_client.v1.accounts.create(params={"type": "express"})
    assert account.created >= before + 3 * DAY
    assert sandbox.events()[-1]["created"] >= before + 3 * DAY
    assert sandbox.move_clock(offset=0) - time.time() < 5


def test_reset_puts_the_clock_back(sandbox):
    sandbox.move_clock(offset=DAY)
    sandbox.reset()
    assert abs(sandbox.now() - time.time()) < 5
