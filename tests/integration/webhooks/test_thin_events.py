"""Thin v2 events from a connection's event destination: verified and parsed by the SDK,
recorded for accounts of that connection only, then applied once, in order, by the webhook
worker's own processing (`drain_webhooks`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import StripeConnection, WebhookEvent
from app.services.webhook_endpoints import store_secret
from app.services.webhook_listeners import EVENT_DESTINATION
from tests.helpers import (
    CONNECTION_SECRET,
    OTHER_KEY,
    drain_webhooks,
    payments_row,
    stripe_event,
    thin_event,
)

DESTINATION_SECRET = "whsec_eventDestinationSecret000000000001"
REQUIREMENTS_UPDATED = "v2.core.account[requirements].updated"


@pytest.fixture
def thin_connected(app, connect, sandbox):
    """A resource onboarding under a connection whose event destination secret is stored;
    with `state`, its account is put in that state at Stripe."""

    def make(state: str | None = None, **options):
        res = connect(**options)
        if state is not None:
            sandbox.force_account_state(res.account_id, state)
        with app.app_context():
            connection = db.session.get(StripeConnection, res.connection_id)
            store_secret(connection, EVENT_DESTINATION, DESTINATION_SECRET, "ed_test")
            db.session.commit()
        return res

    return make


def thin_path(res) -> str:
    """Where the connection's event destination posts."""
    return f"/webhooks/stripe/{res.connection_id}/thin"


def recorded(app) -> list[tuple[str, str]]:
    """(event id, type) of every recorded event, by id."""
    with app.app_context():
        rows = db.session.execute(
            select(WebhookEvent.id, WebhookEvent.type).order_by(WebhookEvent.id)
        )
        return [(event_id, event_type) for event_id, event_type in rows]


def account_fetches(sandbox, account_id: str) -> int:
    """How often the app asked Stripe for the account."""
    return sum(1 for r in sandbox.requests(f"/v1/accounts/{account_id}") if r["method"] == "GET")


def test_a_verified_thin_event_refetches_the_account_and_stores_its_status(
    app, thin_connected, sandbox, post_event
):
    res = thin_connected(state="complete")
    event = thin_event(REQUIREMENTS_UPDATED, res.account_id)

    response = post_event(thin_path(res), event, DESTINATION_SECRET)

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "result": "recorded"}
    assert drain_webhooks(app) == ["applied"]
    payments = payments_row(app, res.payments_id)
    assert (payments.onboarding_status, payments.status_reason) == ("complete", "none")
    created = datetime.fromisoformat(event["created"].replace("Z", "+00:00"))
    assert payments.last_event_created == int(created.timestamp())
    assert recorded(app) == [(event["id"], REQUIREMENTS_UPDATED)]
    assert account_fetches(sandbox, res.account_id) == 1


@pytest.mark.parametrize(
    ("secret", "header"),
    [
        ("whsec_notTheDestinationSecret0000000001", None),
        (CONNECTION_SECRET, None),  # the v1 endpoint's secret signs nothing here
        (DESTINATION_SECRET, "t=1,v1=deadbeef"),
        (DESTINATION_SECRET, ""),
    ],
)
def test_a_bad_signature_is_400_with_no_detail_and_changes_nothing(
    app, thin_connected, sandbox, post_event, secret, header
):
    res = thin_connected(state="complete")

    response = post_event(
        thin_path(res), thin_event(REQUIREMENTS_UPDATED, res.account_id), secret, header=header
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The request could not be understood."
    assert recorded(app) == []
    assert payments_row(app, res.payments_id).onboarding_status == "not_started"
    assert account_fetches(sandbox, res.account_id) == 0


def test_a_v1_event_signed_with_the_destination_secret_is_refused(app, thin_connected, post_event):
    res = thin_connected()
    response = post_event(
        thin_path(res), stripe_event("account.updated", res.account_id), DESTINATION_SECRET
    )
    assert response.status_code == 400
    assert recorded(app) == []


def test_without_a_destination_secret_the_route_refuses_everything(app, connect, post_event):
    res = connect()
    response = post_event(
        thin_path(res), thin_event(REQUIREMENTS_UPDATED, res.account_id), DESTINATION_SECRET
    )
    assert response.status_code == 400
    unknown = post_event(
        "/webhooks/stripe/sc_nosuchconnection/thin",
        thin_event(REQUIREMENTS_UPDATED, res.account_id),
        DESTINATION_SECRET,
    )
    assert unknown.status_code == 400


def test_a_duplicate_delivery_is_acknowledged_and_applied_once(
    app, thin_connected, sandbox, post_event
):
    res = thin_connected(state="complete")
    event = thin_event(REQUIREMENTS_UPDATED, res.account_id)

    first = post_event(thin_path(res), event, DESTINATION_SECRET)
    again = post_event(thin_path(res), event, DESTINATION_SECRET)

    assert first.get_json()["result"] == "recorded"
    assert again.status_code == 200
    assert again.get_json()["result"] == "duplicate"
    assert drain_webhooks(app) == ["applied"]
    assert recorded(app) == [(event["id"], REQUIREMENTS_UPDATED)]
    assert account_fetches(sandbox, res.account_id) == 1


def test_an_account_no_resource_of_this_connection_holds_is_ignored(
    app, thin_connected, connect, sandbox, post_event
):
    mine = thin_connected()
    theirs = connect(api_key=OTHER_KEY)
    sandbox.force_account_state(theirs.account_id, "complete")

    for account_id in (theirs.account_id, "acct_neverSeenAnywhere01"):
        response = post_event(
            thin_path(mine), thin_event(REQUIREMENTS_UPDATED, account_id), DESTINATION_SECRET
        )
        assert response.status_code == 200
        assert response.get_json()["result"] == "ignored"

    assert recorded(app) == []
    assert payments_row(app, theirs.payments_id).onboarding_status == "not_started"
    assert account_fetches(sandbox, theirs.account_id) == 0


@pytest.mark.parametrize(
    "event_type",
    ["v2.core.account.created", "v2.core.account_link.returned", "v2.core.account_person.created"],
)
def test_types_we_do_not_handle_are_acknowledged_and_ignored(
    app, thin_connected, sandbox, post_event, event_type
):
    res = thin_connected()
    response = post_event(
        thin_path(res), thin_event(event_type, res.account_id), DESTINATION_SECRET
    )
    assert response.status_code == 200
    assert response.get_json()["result"] == "ignored"
    assert recorded(app) == []
    assert account_fetches(sandbox, res.account_id) == 0


def test_a_test_event_on_a_live_connection_is_ignored(app, thin_connected, sandbox, post_event):
    res = thin_connected()
    response = post_event(
        thin_path(res),
        thin_event(REQUIREMENTS_UPDATED, res.account_id, livemode=True),
        DESTINATION_SECRET,
    )
    assert response.get_json()["result"] == "ignored"
    assert account_fetches(sandbox, res.account_id) == 0


def test_an_event_older_than_the_last_applied_one_is_stale_and_not_fetched(
    app, thin_connected, sandbox, post_event
):
    res = thin_connected(state="complete")
    now = datetime.now(UTC)
    newer = thin_event(REQUIREMENTS_UPDATED, res.account_id, created=now)
    older = thin_event(
        "v2.core.account[configuration.merchant].capability_status_updated",
        res.account_id,
        created=now - timedelta(minutes=5),
    )

    assert post_event(thin_path(res), newer, DESTINATION_SECRET).get_json()["result"] == "recorded"
    assert drain_webhooks(app) == ["applied"]
    sandbox.force_account_state(res.account_id, "past_due")
    late = post_event(thin_path(res), older, DESTINATION_SECRET)

    assert late.status_code == 200
    assert late.get_json()["result"] == "recorded"
    assert drain_webhooks(app) == ["stale"]
    payments = payments_row(app, res.payments_id)
    assert (payments.onboarding_status, payments.status_reason) == ("complete", "none")
    assert account_fetches(sandbox, res.account_id) == 1
    assert [event_id for event_id, _ in recorded(app)] == sorted([newer["id"], older["id"]])


def test_a_thin_and_a_v1_event_for_one_change_order_against_each_other(
    app, thin_connected, sandbox, post_event
):
    res = thin_connected(state="complete")
    now = datetime.now(UTC)
    v1_later = stripe_event("account.updated", res.account_id, created=int(now.timestamp()))
    assert post_event(res.webhook_path, v1_later, CONNECTION_SECRET).status_code == 200
    assert drain_webhooks(app) == ["applied"]

    thin_earlier = thin_event(
        REQUIREMENTS_UPDATED, res.account_id, created=now - timedelta(seconds=30)
    )
    late = post_event(thin_path(res), thin_earlier, DESTINATION_SECRET)

    assert late.get_json()["result"] == "recorded"
    assert drain_webhooks(app) == ["stale"]
    assert account_fetches(sandbox, res.account_id) == 1


def test_a_body_that_is_not_json_is_400(app, thin_connected, post_event):
    res = thin_connected()
    response = post_event(thin_path(res), {}, DESTINATION_SECRET, body=b"not json at all")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_the_route_is_csrf_exempt_and_answers_json_for_wrong_methods(app, client):
    response = client.get("/webhooks/stripe/sc_any/thin")
    assert response.status_code == 405
    assert response.is_json
    assert json.loads(response.get_data())["error"]["code"]
