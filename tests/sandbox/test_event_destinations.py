"""Event destinations and thin v2 events, parsed and fetched with the real SDK."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.helpers import OTHER_PLATFORM_KEY
from tests.sandbox.test_accounts_v2 import v2_create_params

REQUIREMENTS_UPDATED = "v2.core.account[requirements].updated"
MERCHANT_CAPABILITY = "v2.core.account[configuration.merchant].capability_status_updated"
RECIPIENT_CAPABILITY = "v2.core.account[configuration.recipient].capability_status_updated"


def add_destination(stripe_client, url, events=(REQUIREMENTS_UPDATED,)):
    """Create a thin-event webhook destination, asking for its signing secret."""
    return stripe_client.v2.core.event_destinations.create(
        params={
            "name": "connect-onboarding",
            "type": "webhook_endpoint",
            "event_payload": "thin",
            "enabled_events": list(events),
            "events_from": ["@self"],
            "webhook_endpoint": {"url": url},
            "include": ["webhook_endpoint.signing_secret"],
        }
    )


def notifications(stripe_client, receiver, secret):
    """Every accepted delivery, verified and parsed by the SDK."""
    return [
        stripe_client.parse_event_notification(
            item["body"], item["headers"]["Stripe-Signature"], secret
        )
        for item in receiver.accepted()
    ]


def test_only_the_create_answer_shows_the_signing_secret_and_only_when_included(stripe_client):
    destination = add_destination(stripe_client, "https://platform.example/webhooks/stripe/v2")
    assert destination.object == "v2.core.event_destination"
    assert destination.status == "enabled"
    assert destination.event_payload == "thin"
    assert destination.events_from == ["@self"]
    assert destination.webhook_endpoint.signing_secret.startswith("whsec_")
    fetched = stripe_client.v2.core.event_destinations.retrieve(
        destination.id, params={"include": ["webhook_endpoint.signing_secret"]}
    )
    assert fetched.webhook_endpoint.signing_secret is None
    assert [d.id for d in stripe_client.v2.core.event_destinations.list().data] == [destination.id]


def test_the_url_is_redacted_unless_included(stripe_client):
    url = "https://platform.example/webhooks/stripe/v2"
    destination = add_destination(stripe_client, url)
    assert destination.webhook_endpoint.url is None
    destinations = stripe_client.v2.core.event_destinations
    assert destinations.retrieve(destination.id).webhook_endpoint.url is None
    included = {"include": ["webhook_endpoint.url"]}
    assert destinations.retrieve(destination.id, params=included).webhook_endpoint.url == url
    (listed,) = destinations.list(params=included).data
    assert listed.webhook_endpoint.url == url


def test_update_changes_events_and_url_but_not_the_secret(sandbox, stripe_client, webhook_receiver):
    destination = add_destination(stripe_client, "https://platform.example/old")
    updated = stripe_client.v2.core.event_destinations.update(
        destination.id,
        params={
            "enabled_events": [REQUIREMENTS_UPDATED, MERCHANT_CAPABILITY],
            "webhook_endpoint": {"url": webhook_receiver.url},
            "include": ["webhook_endpoint.url"],
        },
    )
    assert updated.enabled_events == [REQUIREMENTS_UPDATED, MERCHANT_CAPABILITY]
    assert updated.webhook_endpoint.url == webhook_receiver.url
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.force_account_state(account.id, "complete")
    sandbox.wait_for_deliveries(2)
    parsed = notifications(
        stripe_client, webhook_receiver, destination.webhook_endpoint.signing_secret
    )
    assert sorted(n.type for n in parsed) == sorted([REQUIREMENTS_UPDATED, MERCHANT_CAPABILITY])


def test_v2_account_events_reach_destinations_that_hear_the_platform_itself(
    sandbox, stripe_client, webhook_receiver
):
    connected_only = add_destination(stripe_client, webhook_receiver.url)
    stripe_client.v2.core.event_destinations.disable(connected_only.id)
    accounts_scope = stripe_client.v2.core.event_destinations.create(
        params={
            "name": "connected accounts only",
            "type": "webhook_endpoint",
            "event_payload": "thin",
            "enabled_events": [REQUIREMENTS_UPDATED],
            "events_from": ["other_accounts"],
            "webhook_endpoint": {"url": webhook_receiver.url},
        }
    )
    assert accounts_scope.events_from == ["@accounts"]
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.force_account_state(account.id, "complete")
    assert sandbox.deliveries() == []
    stripe_client.v2.core.event_destinations.enable(connected_only.id)
    sandbox.force_account_state(account.id, "past_due")
    (delivery,) = sandbox.wait_for_deliveries(1)
    assert delivery["endpoint_id"] == connected_only.id


def test_a_v2_account_change_sends_thin_events_the_sdk_parses_and_fetches(
    sandbox, stripe_client, webhook_receiver
):
    destination = add_destination(
        stripe_client,
        webhook_receiver.url,
        events=[REQUIREMENTS_UPDATED, MERCHANT_CAPABILITY, RECIPIENT_CAPABILITY],
    )
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.force_account_state(account.id, "complete")
    sandbox.wait_for_deliveries(3)
    parsed = notifications(
        stripe_client, webhook_receiver, destination.webhook_endpoint.signing_secret
    )
    assert sorted(n.type for n in parsed) == sorted(
        [REQUIREMENTS_UPDATED, MERCHANT_CAPABILITY, RECIPIENT_CAPABILITY]
    )
    for notification in parsed:
        assert notification.livemode is False
        assert notification.related_object.id == account.id
        fetched = notification.fetch_related_object()
        assert fetched.id == account.id and fetched.object == "v2.core.account"
    merchant = next(n for n in parsed if n.type == MERCHANT_CAPABILITY)
    event = merchant.fetch_event()
    assert event.id == merchant.id
    assert event.data.updated_capability == "card_payments"
    recipient = next(n for n in parsed if n.type == RECIPIENT_CAPABILITY)
    assert recipient.fetch_event().data.updated_capability == "stripe_balance.stripe_transfers"


def test_deadlines_on_a_v2_account_send_requirements_updated(
    sandbox, stripe_client, webhook_receiver
):
    destination = add_destination(stripe_client, webhook_receiver.url)
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.set_requirements(account.id, {"current_deadline": sandbox.now() + 86_400})
    sandbox.wait_for_deliveries(1)
    (notification,) = notifications(
        stripe_client, webhook_receiver, destination.webhook_endpoint.signing_secret
    )
    assert notification.type == REQUIREMENTS_UPDATED


def test_v1_accounts_and_other_platforms_send_no_thin_events(
    sandbox, stripe_client, make_client, webhook_receiver, express_account
):
    add_destination(make_client(OTHER_PLATFORM_KEY), webhook_receiver.url)
    add_destination(stripe_client, webhook_receiver.url)
    sandbox.force_account_state(express_account.id, "complete")  # a v1 account
    make_client().v2.core.accounts.create(params=v2_create_params())
    sandbox.set_requirements(sandbox.accounts()[-1]["account"]["id"], {"past_due": ["x"]})
    deliveries = sandbox.wait_for_deliveries(1)
    assert len(deliveries) == 1
    assert sandbox.deliveries() == deliveries


def test_a_disabled_destination_hears_nothing(sandbox, stripe_client, webhook_receiver):
    destination = add_destination(stripe_client, webhook_receiver.url)
    disabled = stripe_client.v2.core.event_destinations.disable(destination.id)
    assert disabled.status == "disabled"
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.force_account_state(account.id, "complete")
    assert sandbox.deliveries() == []
    assert stripe_client.v2.core.event_destinations.enable(destination.id).status == "enabled"
    sandbox.force_account_state(account.id, "past_due")
    sandbox.wait_for_deliveries(1)


def test_live_mode_thin_events_are_live(sandbox, stripe_client, webhook_receiver):
    destination = add_destination(stripe_client, webhook_receiver.url)
    sandbox.configure_platform(livemode=True)
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.force_account_state(account.id, "complete")
    sandbox.wait_for_deliveries(1)
    (notification,) = notifications(
        stripe_client, webhook_receiver, destination.webhook_endpoint.signing_secret
    )
    assert notification.livemode is True


def test_foreign_events_and_destinations_are_not_found(sandbox, stripe_client, make_client):
    destination = add_destination(stripe_client, "https://platform.example/hook")
    account = stripe_client.v2.core.accounts.create(params=v2_create_params())
    sandbox.force_account_state(account.id, "complete")
    other = make_client(OTHER_PLATFORM_KEY)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        other.v2.core.event_destinations.retrieve(destination.id)
    assert raised.value.http_status == 404
    event_id = next(iter(sandbox.state.v2_events))
    assert stripe_client.v2.core.events.retrieve(event_id).id == event_id
    with pytest.raises(stripe.InvalidRequestError):
        other.v2.core.events.retrieve(event_id)


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"name": None}, "name"),
        ({"enabled_events": None}, "enabled_events"),
        ({"webhook_endpoint": {"url": "not a url"}}, "webhook_endpoint.url"),
        ({"colour": "x"}, "colour"),
        ({"events_from": ["everyone"]}, "events_from"),
    ],
)
def test_invalid_destinations_are_refused(stripe_client, change, param):
    params = {
        "name": "d",
        "type": "webhook_endpoint",
        "event_payload": "thin",
        "enabled_events": [REQUIREMENTS_UPDATED],
        "webhook_endpoint": {"url": "https://platform.example/hook"},
        **change,
    }
    params = {key: value for key, value in params.items() if value is not None}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v2.core.event_destinations.create(params=params)
    assert raised.value.json_body["error"]["param"] == param
