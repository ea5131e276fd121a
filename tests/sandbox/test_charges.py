"""Charges and refunds on connected accounts: the list endpoint and the Connect events."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest
import stripe

from tests.sandbox.helpers import OTHER_PLATFORM_KEY


def refused_status(call):
    """The HTTP status a control call was refused with (the error response closed)."""
    with pytest.raises(urllib.error.HTTPError) as raised:
        call()
    raised.value.close()
    return raised.value.code


def charges_of(stripe_client, account_id, **params):
    """`GET /v1/charges` on a connected account (the `Stripe-Account` header)."""
    return stripe_client.v1.charges.list(params=params, options={"stripe_account": account_id})


def test_a_charge_and_a_partial_refund_show_in_the_list(sandbox, stripe_client, express_account):
    charge = sandbox.create_charge(express_account.id, 2500)
    sandbox.refund_charge(charge["id"], 1000)
    (listed,) = charges_of(stripe_client, express_account.id).data
    assert listed.id == charge["id"]
    assert (listed.amount, listed.amount_refunded, listed.refunded) == (2500, 1000, False)
    assert (listed.currency, listed.status) == ("usd", "succeeded")
    assert abs(listed.created - time.time()) < 5
    sandbox.refund_charge(charge["id"])
    listed = charges_of(stripe_client, express_account.id).data[0]
    assert (listed.amount_refunded, listed.refunded) == (2500, True)


def test_a_charge_takes_the_accounts_currency(sandbox, stripe_client):
    account = stripe_client.v1.accounts.create(params={"type": "express", "country": "DE"})
    assert sandbox.create_charge(account.id, 100)["currency"] == "eur"
    assert sandbox.create_charge(account.id, 100, "USD")["currency"] == "usd"


def test_the_list_pages_newest_first(sandbox, stripe_client, express_account):
    made = [sandbox.create_charge(express_account.id, 100 + n)["id"] for n in range(5)]
    page = charges_of(stripe_client, express_account.id, limit=2)
    assert [c.id for c in page.data] == made[::-1][:2]
    assert page.has_more is True
    rest = charges_of(stripe_client, express_account.id, limit=10, starting_after=made[3])
    assert [c.id for c in rest.data] == made[::-1][2:]
    assert rest.has_more is False
    everything = charges_of(stripe_client, express_account.id, limit=2).auto_paging_iter()
    assert [c.id for c in everything] == made[::-1]


def test_the_list_filters_by_creation_time(sandbox, stripe_client, express_account):
    charge = sandbox.create_charge(express_account.id, 100)
    assert (
        charges_of(stripe_client, express_account.id, created={"gt": charge["created"]}).data == []
    )
    since = charges_of(stripe_client, express_account.id, created={"gte": charge["created"]})
    assert [c.id for c in since.data] == [charge["id"]]


def test_charges_belong_to_their_account(sandbox, stripe_client, make_client, express_account):
    other = stripe_client.v1.accounts.create(params={"type": "express"})
    sandbox.create_charge(express_account.id, 100)
    assert charges_of(stripe_client, other.id).data == []
    assert stripe_client.v1.charges.list().data == []  # the platform's own charges
    with pytest.raises(stripe.PermissionError) as raised:
        charges_of(make_client(OTHER_PLATFORM_KEY), express_account.id)
    assert raised.value.error.code == "account_invalid"


def test_an_unknown_cursor_is_refused(stripe_client, express_account):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        charges_of(stripe_client, express_account.id, starting_after="ch_missing")
    assert (raised.value.code, raised.value.param) == ("resource_missing", "starting_after")


def test_charge_events_reach_connect_endpoints(sandbox, webhook_receiver, express_account):
    secret = sandbox.add_webhook_endpoint(webhook_receiver.url)
    charge = sandbox.create_charge(express_account.id, 700)
    sandbox.refund_charge(charge["id"], 200)
    sandbox.wait_for_deliveries(2)
    events = [
        stripe.Webhook.construct_event(
            item["body"].decode(), item["headers"]["Stripe-Signature"], secret
        )
        for item in webhook_receiver.accepted()
    ]
    by_type = {event.type: event for event in events}
    assert set(by_type) == {"charge.succeeded", "charge.refunded"}
    refunded = by_type["charge.refunded"]
    assert refunded.account == express_account.id
    assert refunded.data.object.amount_refunded == 200
    assert refunded.data.previous_attributes.amount_refunded == 0
    assert by_type["charge.succeeded"].data.object.amount == 700


def test_duplicated_and_reordered_delivery_of_charge_events(
    sandbox, webhook_receiver, express_account
):
    sandbox.add_webhook_endpoint(webhook_receiver.url)
    sandbox.configure_webhooks(duplicate=True)
    sandbox.pause_webhooks()
    charge = sandbox.create_charge(express_account.id, 700)
    sandbox.refund_charge(charge["id"])
    sandbox.reverse_webhooks()
    sandbox.resume_webhooks()
    sandbox.wait_for_deliveries(4)
    types = [json.loads(item["body"])["type"] for item in webhook_receiver.accepted()]
    assert types == ["charge.refunded"] * 2 + ["charge.succeeded"] * 2


@pytest.mark.parametrize("body", [{"amount": 0}, {"amount": "5"}, {"amount": 5, "currency": "x"}])
def test_the_charge_control_checks_its_input(sandbox, express_account, body):
    path = f"/accounts/{express_account.id}/charges"
    assert refused_status(lambda: sandbox.control("POST", path, body)) == 400


def test_a_refund_beyond_the_charge_is_refused(sandbox, express_account):
    charge = sandbox.create_charge(express_account.id, 100)
    assert refused_status(lambda: sandbox.refund_charge(charge["id"], 101)) == 400
