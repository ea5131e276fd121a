"""Stripe's webhooks: verification, de-duplication, order, modes, ownership, rollback."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Notification, StripeConnection, WebhookEvent, utcnow
from app.services.onboarding.steps import KEY_REJECTED_REASON
from tests.helpers import (
    APP_SECRET,
    CONNECTION_SECRET,
    OTHER_KEY,
    OTHER_SECRET,
    connection_row,
    drain_webhooks,
    payments_row,
    stripe_event,
    stripe_signature,
)


def count(app, model, *where) -> int:
    """Rows of `model` matching `where`."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(app, subject_id: str) -> list[str]:
    """Audit actions recorded on a resource, oldest first."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_id == subject_id)
                .order_by(AuditEvent.id)
            )
        )


def test_account_updated_refetches_the_account_and_stores_its_status(
    app, connect, sandbox, post_event
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    response = post_event(
        res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET
    )
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "result": "recorded"}
    assert payments_row(app, res.payments_id).onboarding_status == "not_started"
    assert drain_webhooks(app) == ["applied"]
    payments = payments_row(app, res.payments_id)
    assert (payments.onboarding_status, payments.status_reason) == ("complete", "none")
    assert payments.charges_enabled and payments.payouts_enabled
    assert payments.last_event_created is not None
    assert connection_row(app, res.connection_id).last_webhook_at is not None
    assert "webhook.applied" in audit_actions(app, res.server_id)
    assert count(app, WebhookEvent) == 1
    assert count(app, Notification, Notification.payments_account_id == res.payments_id) == 1


def test_app_level_endpoint_applies_events_for_accounts_of_the_app_key(
    app, connect, sandbox, post_event
):
    res = connect(app_level=True)
    sandbox.force_account_state(res.account_id, "under_review")
    response = post_event(
        "/webhooks/stripe", stripe_event("capability.updated", res.account_id), APP_SECRET
    )
    assert response.status_code == 200
    assert response.get_json()["result"] == "recorded"
    assert drain_webhooks(app) == ["applied"]
    payments = payments_row(app, res.payments_id)
    assert (payments.onboarding_status, payments.status_reason) == ("pending", "under_review")
    # App-level resources have no connection, hence no partner to notify.
    assert count(app, Notification) == 0


def _signed_twice(payload: bytes) -> str:
    old = stripe_signature(payload, "whsec_theSecretBeingRolledAway00000000")
    new = stripe_signature(payload, CONNECTION_SECRET)
    return old + "," + new.split(",")[1]


def _tampered(payload: bytes) -> tuple[str, bytes]:
    """Signed correctly, then changed in transit."""
    return stripe_signature(payload, CONNECTION_SECRET), payload.replace(b"false", b"true", 1)


# Each case: payload → (Stripe-Signature header, body actually sent).
BAD_SIGNATURES = {
    "missing header": lambda payload: ("", payload),
    "wrong secret": lambda payload: (
        stripe_signature(payload, "whsec_notTheRightOne00000"),
        payload,
    ),
    "another connection's secret": lambda payload: (
        stripe_signature(payload, OTHER_SECRET),
        payload,
    ),
    "stale timestamp": lambda payload: (
        stripe_signature(payload, CONNECTION_SECRET, int(time.time()) - 301),
        payload,
    ),
    "tampered body": _tampered,
    "garbage header": lambda payload: ("t=abc,v1", payload),
}


@pytest.mark.parametrize("case", BAD_SIGNATURES, ids=list(BAD_SIGNATURES))
def test_a_signature_that_does_not_verify_is_refused_without_detail(
    app, connect, sandbox, client, case
):
    res = connect()
    connect(api_key=OTHER_KEY, webhook_secret=OTHER_SECRET, workspace=res.workspace)
    sandbox.force_account_state(res.account_id, "complete")
    payload = json.dumps(stripe_event("account.updated", res.account_id)).encode()
    header, body = BAD_SIGNATURES[case](payload)
    response = client.post(
        res.webhook_path, data=body, headers={"Stripe-Signature": header} if header else {}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "signature" not in text.lower() and "whsec" not in text
    assert payments_row(app, res.payments_id).onboarding_status == "not_started"
    assert count(app, WebhookEvent) == 0


def test_both_signatures_are_accepted_while_a_secret_is_rolled(app, connect, sandbox, client):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    payload = json.dumps(stripe_event("account.updated", res.account_id)).encode()
    response = client.post(
        res.webhook_path, data=payload, headers={"Stripe-Signature": _signed_twice(payload)}
    )
    assert response.status_code == 200
    assert drain_webhooks(app) == ["applied"]
    assert payments_row(app, res.payments_id).onboarding_status == "complete"


def test_unknown_connection_is_refused(client, post_event):
    event = stripe_event("account.updated", "acct_nobody")
    response = post_event("/webhooks/stripe/sc_doesNotExist", event, CONNECTION_SECRET)
    assert response.status_code == 400


def test_an_oversized_body_is_refused_with_413(app, client):
    limit = app.config["MAX_WEBHOOK_BYTES"]
    response = client.post(
        "/webhooks/stripe", data=b"{" + b" " * limit + b"}", headers={"Stripe-Signature": "t=1"}
    )
    assert response.status_code == 413
    assert response.is_json


def test_webhooks_need_no_csrf_token_but_get_is_not_allowed(client):
    assert client.get("/webhooks/stripe").status_code == 405


def test_a_duplicate_delivery_changes_nothing_the_second_time(app, connect, sandbox, post_event):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    event = stripe_event("account.updated", res.account_id)
    first = post_event(res.webhook_path, event, CONNECTION_SECRET)
    assert drain_webhooks(app) == ["applied"]
    sandbox.clear_requests()
    second = post_event(res.webhook_path, event, CONNECTION_SECRET)
    assert first.get_json()["result"] == "recorded"
    assert second.status_code == 200
    assert second.get_json()["result"] == "duplicate"
    assert drain_webhooks(app) == []
    assert sandbox.requests() == []  # the duplicate did not even ask Stripe
    assert audit_actions(app, res.server_id).count("onboarding.status_changed") == 1
    assert count(app, Notification) == 1


def test_an_older_event_never_overwrites_newer_state(app, connect, sandbox, post_event):
    res = connect()
    now = int(time.time())
    sandbox.force_account_state(res.account_id, "complete")
    newer = stripe_event("account.updated", res.account_id, created=now)
    post_event(res.webhook_path, newer, CONNECTION_SECRET)
    assert drain_webhooks(app) == ["applied"]
    # An event from before (the account was still missing information) arrives late.
    sandbox.clear_requests()
    older = stripe_event("account.updated", res.account_id, created=now - 60)
    late = post_event(res.webhook_path, older, CONNECTION_SECRET)
    assert late.status_code == 200
    assert late.get_json()["result"] == "recorded"
    assert drain_webhooks(app) == ["stale"]
    assert sandbox.requests() == []
    assert payments_row(app, res.payments_id).onboarding_status == "complete"


def test_an_old_event_delivered_first_still_stores_the_current_state(
    app, connect, sandbox, post_event
):
    """Re-fetching makes the event a mere "something changed": its stale body is never used."""
    res = connect()
    sandbox.force_account_state(res.account_id, "needs_info")
    sandbox.force_account_state(res.account_id, "complete")
    first_event = next(
        e
        for e in sandbox.events()
        if e["account"] == res.account_id and e["type"] == "account.updated"
    )
    assert first_event["data"]["object"]["charges_enabled"] is False
    post_event(res.webhook_path, first_event, CONNECTION_SECRET)
    assert drain_webhooks(app) == ["applied"]
    assert payments_row(app, res.payments_id).onboarding_status == "complete"


def test_an_event_of_the_other_mode_is_acknowledged_and_ignored(app, connect, sandbox, post_event):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    event = stripe_event("account.updated", res.account_id, livemode=True)
    response = post_event(res.webhook_path, event, CONNECTION_SECRET)
    assert response.status_code == 200
    assert response.get_json()["result"] == "ignored"
    assert drain_webhooks(app) == []
    assert payments_row(app, res.payments_id).onboarding_status == "not_started"
    # Not recorded: the endpoint that owns the event must still be able to apply it.
    assert count(app, WebhookEvent) == 0


def test_an_account_of_another_connection_is_not_touched(app, connect, sandbox, post_event):
    mine = connect()
    theirs = connect(api_key=OTHER_KEY, webhook_secret=OTHER_SECRET)
    sandbox.force_account_state(theirs.account_id, "complete")
    response = post_event(
        mine.webhook_path, stripe_event("account.updated", theirs.account_id), CONNECTION_SECRET
    )
    assert response.status_code == 200
    assert response.get_json()["result"] == "ignored"
    assert payments_row(app, theirs.payments_id).onboarding_status == "not_started"
    assert count(app, WebhookEvent) == 0


def test_the_app_level_endpoint_ignores_accounts_of_connections(app, connect, sandbox, post_event):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    event = stripe_event("account.updated", res.account_id)
    response = post_event("/webhooks/stripe", event, APP_SECRET)
    assert response.get_json()["result"] == "ignored"
    assert payments_row(app, res.payments_id).onboarding_status == "not_started"


def test_other_event_types_are_acknowledged_and_ignored(app, connect, post_event):
    res = connect()
    event = stripe_event("payout.paid", res.account_id)
    response = post_event(res.webhook_path, event, CONNECTION_SECRET)
    assert response.status_code == 200
    assert response.get_json()["result"] == "ignored"


def make_due(app, event_id: str) -> None:
    """Let the backoff of a failed event pass."""
    with app.app_context():
        db.session.get(WebhookEvent, event_id).next_attempt_at = utcnow()
        db.session.commit()
        db.session.remove()


def inbox_row(app, event_id: str) -> WebhookEvent:
    """The inbox row of one event, read afresh."""
    with app.app_context():
        row = db.session.get(WebhookEvent, event_id)
        db.session.expunge(row)
        return row


def test_a_failure_rolls_back_and_the_worker_retries_it_after_a_backoff(
    app, connect, sandbox, post_event
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    # Three 500s outlast the SDK's two retries of the re-fetch.
    sandbox.inject_fault(f"/v1/accounts/{res.account_id}", "500", count=3)
    event = stripe_event("account.updated", res.account_id)
    received = post_event(res.webhook_path, event, CONNECTION_SECRET)
    assert received.status_code == 200  # recorded: Stripe's delivery is done

    assert drain_webhooks(app) == ["retrying"]
    row = inbox_row(app, event["id"])
    assert (row.status, row.attempts, row.result) == ("pending", 1, None)
    assert row.next_attempt_at > utcnow() + timedelta(seconds=5)
    assert row.last_error == "Stripe request failed (unavailable)"
    assert payments_row(app, res.payments_id).onboarding_status == "not_started"
    assert count(app, Notification) == 0

    make_due(app, event["id"])
    assert drain_webhooks(app) == ["applied"]
    row = inbox_row(app, event["id"])
    assert (row.status, row.attempts, row.result, row.last_error) == (
        "processed",
        2,
        "applied",
        None,
    )
    assert payments_row(app, res.payments_id).onboarding_status == "complete"
    assert count(app, Notification) == 1


def test_an_event_that_keeps_failing_stops_after_the_last_attempt_and_the_doctor_says_so(
    app, connect, sandbox, post_event, runner, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 2)
    res = connect()
    sandbox.inject_fault(f"/v1/accounts/{res.account_id}", "500", count=6)
    event = stripe_event("account.updated", res.account_id)
    post_event(res.webhook_path, event, CONNECTION_SECRET)

    assert drain_webhooks(app) == ["retrying"]
    make_due(app, event["id"])
    assert drain_webhooks(app) == ["failed"]
    make_due(app, event["id"])
    assert drain_webhooks(app) == []  # never claimed again
    assert inbox_row(app, event["id"]).status == "failed"
    assert any(
        record.levelname == "ERROR" and event["id"] in record.getMessage()
        for record in caplog.records
    )
    doctor = runner.invoke(args=["stripe", "doctor"])
    assert doctor.exit_code == 1
    assert f"FAIL 1 event failed after every attempt (newest {event['id']})" in doctor.output


def test_deauthorization_disconnects_the_resource_and_allows_a_fresh_account(
    app, connect, sandbox, post_event
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    post_event(res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET)
    generation = payments_row(app, res.payments_id).account_generation

    event = stripe_event("account.application.deauthorized", res.account_id)
    post_event(res.webhook_path, event, CONNECTION_SECRET)
    assert drain_webhooks(app) == ["applied", "applied"]
    payments = payments_row(app, res.payments_id)
    assert payments.status == "disconnected"
    assert (payments.onboarding_status, payments.status_reason) == ("not_started", "disconnected")
    assert payments.stripe_account_id is None
    assert payments.account_claim == "none"
    assert payments.account_generation == generation + 1
    assert not payments.charges_enabled and not payments.payouts_enabled
    assert "webhook.deauthorized" in audit_actions(app, res.server_id)
    with app.app_context():
        changes = [n.payload["change"]["to"] for n in db.session.scalars(select(Notification))]
    assert {"onboardingStatus": "not_started", "reason": "disconnected"} in changes

    # A late account.updated for the lost account finds no resource any more.
    late = post_event(
        res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET
    )
    assert late.get_json()["result"] == "ignored"
    assert drain_webhooks(app) == []
    assert payments_row(app, res.payments_id).status == "disconnected"


def test_the_dashboard_shows_disconnected_after_deauthorization(
    app, connect, auth, client, factory, post_event
):
    res = connect()
    post_event(
        res.webhook_path,
        stripe_event("account.application.deauthorized", res.account_id),
        CONNECTION_SECRET,
    )
    assert drain_webhooks(app) == ["applied"]
    auth.login(res.owner.email)
    page = client.get(f"/payments/{res.server_id}").get_data(as_text=True)
    assert "Disconnected" in page


def test_a_fetch_that_works_clears_a_rejected_key_flag(app, connect, sandbox, post_event):
    res = connect()
    with app.app_context():
        connection = db.session.get(StripeConnection, res.connection_id)
        connection.attention_reason = KEY_REJECTED_REASON
        db.session.commit()
    sandbox.force_account_state(res.account_id, "complete")

    post_event(res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET)

    assert drain_webhooks(app) == ["applied"]
    assert connection_row(app, res.connection_id).attention_reason is None


def test_a_rejected_key_during_the_fetch_flags_the_connection_and_the_worker_retries(
    app, connect, sandbox, post_event
):
    res = connect()
    sandbox.revoke_key(res.api_key)
    event = stripe_event("account.updated", res.account_id)

    response = post_event(res.webhook_path, event, CONNECTION_SECRET)

    assert response.status_code == 200
    assert drain_webhooks(app) == ["retrying"]
    assert connection_row(app, res.connection_id).attention_reason == KEY_REJECTED_REASON
    assert inbox_row(app, event["id"]).status == "pending"
