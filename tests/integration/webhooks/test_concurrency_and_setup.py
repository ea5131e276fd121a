"""Concurrent deliveries and workers, the setup partials, and `flask stripe doctor`."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from flask import render_template
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Notification, StripeConnection, WebhookEvent
from app.models.notifications import FAILED
from app.security.crypto import encrypt_secret
from app.services import connections, notifications
from app.services.webhook_listeners import CONNECT_ENDPOINT
from tests.helpers import CONNECTION_SECRET, drain_webhooks, stripe_event, stripe_signature


def post_at_once(app, path: str, payloads: list[bytes]) -> list[int]:
    """POST every payload from its own thread at one moment; the statuses."""
    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = []

    def deliver(payload: bytes) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            path,
            data=payload,
            headers={"Stripe-Signature": stripe_signature(payload, CONNECTION_SECRET)},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def process_at_once(app, workers: int) -> list[str]:
    """`workers` threads, each processing the inbox like `flask webhooks work`, started at one
    moment; every outcome."""
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def work() -> None:
        barrier.wait()
        outcomes.extend(drain_webhooks(app))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def recorded_changes(app) -> tuple[int, int]:
    """(status_changed audit rows, partner notifications)."""
    with app.app_context():
        audits = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "onboarding.status_changed")
        )
        notified = db.session.scalar(select(func.count()).select_from(Notification))
    return audits, notified


def test_the_same_event_delivered_six_times_at_once_is_recorded_and_applied_once(
    app, connect, sandbox
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    payload = json.dumps(stripe_event("account.updated", res.account_id)).encode()

    assert post_at_once(app, res.webhook_path, [payload] * 6) == [200] * 6

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert process_at_once(app, workers=2) == ["applied"]
    assert recorded_changes(app) == (1, 1)


def test_two_workers_applying_events_of_one_account_at_once_record_one_change(
    app, connect, sandbox
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    events = [
        stripe_event(kind, res.account_id)
        for kind in ("account.updated", "capability.updated", "account.updated")
    ]
    payloads = [json.dumps(event).encode() for event in events]
    assert post_at_once(app, res.webhook_path, payloads) == [200] * 3

    outcomes = process_at_once(app, workers=2)

    # Each event is processed once; the first applies the change, the others find it stored.
    assert len(outcomes) == 3
    assert outcomes.count("applied") == 1
    assert set(outcomes) <= {"applied", "unchanged", "stale"}
    assert recorded_changes(app) == (1, 1)
    with app.app_context():
        statuses = db.session.scalars(select(WebhookEvent.status)).all()
    assert statuses == ["processed"] * 3


def test_the_setup_partial_shows_the_exact_connect_endpoint_url(app, connect, monkeypatch):
    res = connect()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://onboarding.example.com")
    with app.test_request_context("/"):
        connection = db.session.get(StripeConnection, res.connection_id)
        html = render_template(
            "connections/_webhooks.html",
            connection=connection,
            listeners=[(CONNECT_ENDPOINT, CONNECT_ENDPOINT.url(connection.id))],
            webhook_health=connections.webhook_health(connection),
        )
    assert f"https://onboarding.example.com/webhooks/stripe/{res.connection_id}" in html
    assert "Connect" in html and "account.application.deauthorized" in html
    assert "No event has arrived yet" in html


def test_the_deliveries_partial_offers_retry_only_for_failed_ones(
    app, connect, sandbox, post_event
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    post_event(res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET)
    drain_webhooks(app)
    with app.test_request_context("/"):
        connection = db.session.get(StripeConnection, res.connection_id)
        pending = render_template(
            "connections/_deliveries.html",
            connection=connection,
            deliveries=notifications.recent_for_connection(connection.id),
        )
        notification = db.session.scalars(select(Notification)).one()
        notification.status, notification.attempts, notification.last_error = FAILED, 8, "HTTP 503"
        db.session.commit()
        failed = render_template(
            "connections/_deliveries.html",
            connection=connection,
            deliveries=notifications.recent_for_connection(connection.id),
        )
        notification.status, notification.last_status_code = "delivered", 200
        notification.delivered_at = notification.created_at
        db.session.commit()
        delivered = render_template(
            "connections/_deliveries.html",
            connection=connection,
            deliveries=notifications.recent_for_connection(connection.id),
        )
        db.session.remove()
    assert "Queued" in pending and "Retry" not in pending
    assert "Not started → Complete" in pending
    assert "Failed" in failed and "HTTP 503" in failed
    assert f"/notifications/{notification.id}/retry" in failed
    assert "The partner accepted it (HTTP 200) at" in delivered


def test_stripe_doctor_passes_when_keys_and_secrets_work(app, connect, runner):
    connect()
    result = runner.invoke(args=["stripe", "doctor"])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "OK   webhook signing secret whsec_…" in result.output
    assert "last webhook received: never" in result.output
    assert "sk_test_webhook" not in result.output  # keys only ever masked


def test_stripe_doctor_fails_on_a_wrong_platform_or_unreadable_secret(app, connect, runner):
    res = connect()
    with app.app_context():
        connection = db.session.get(StripeConnection, res.connection_id)
        connection.stripe_account_id = "acct_1NotThisPlatform"
        connection.webhook_secret_ciphertext = "not-a-fernet-token"
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["stripe", "doctor"])
    assert result.exit_code == 1
    assert "FAIL the key belongs to" in result.output
    assert "FAIL the stored webhook signing secret does not decrypt" in result.output


def test_stripe_doctor_flags_a_stored_option_the_app_would_ignore(app, connect, runner):
    res = connect()
    with app.app_context():
        connection = db.session.get(StripeConnection, res.connection_id)
        connection.config_json = '{"dashboard": "standard", "collection_fields": "eventually_due"}'
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["stripe", "doctor"])
    assert result.exit_code == 1
    assert "FAIL config JSON: “dashboard” must be one of express, full, none" in result.output
    assert "collection_fields" not in result.output


def test_stripe_doctor_fails_on_a_revoked_key(app, connect, runner, sandbox):
    res = connect()
    sandbox.revoke_key(res.api_key)
    result = runner.invoke(args=["stripe", "doctor"])
    assert result.exit_code == 1
    assert "FAIL Stripe did not accept the key" in result.output


def test_a_secret_that_is_not_whsec_shaped_is_reported(app, connect, runner):
    res = connect()
    with app.app_context():
        connection = db.session.get(StripeConnection, res.connection_id)
        connection.webhook_secret_ciphertext = encrypt_secret("sk_test_pastedTheWrongThing")
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["stripe", "doctor"])
    assert result.exit_code == 1
    assert "does not look like whsec_" in result.output


def test_webhooks_work_once_applies_what_was_recorded(app, connect, sandbox, post_event, runner):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    post_event(res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET)

    result = runner.invoke(args=["webhooks", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert "processed 1, retrying 0, failed 0" in result.output
    with app.app_context():
        assert db.session.scalars(select(WebhookEvent.result)).all() == ["applied"]


def test_stripe_doctor_fails_when_recorded_events_wait_too_long(app, connect, post_event, runner):
    res = connect()
    event = stripe_event("account.updated", res.account_id)
    post_event(res.webhook_path, event, CONNECTION_SECRET)
    fresh = runner.invoke(args=["stripe", "doctor"]).output
    assert "OK   no event has waited longer than 5 minutes" in fresh
    with app.app_context():
        row = db.session.get(WebhookEvent, event["id"])
        row.received_at -= timedelta(minutes=6)
        db.session.commit()
        db.session.remove()

    result = runner.invoke(args=["stripe", "doctor"])

    assert result.exit_code == 1
    assert "FAIL 1 event(s) waiting since" in result.output
    assert "is `flask webhooks work` running?" in result.output
