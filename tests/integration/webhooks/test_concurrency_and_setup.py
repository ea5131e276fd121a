"""Concurrent duplicates (PostgreSQL), the setup partials, and `flask stripe doctor`."""

from __future__ import annotations

import json
import threading

import pytest
from flask import render_template
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Notification, StripeConnection, WebhookEvent
from app.models.notifications import FAILED
from app.security.crypto import encrypt_secret
from app.services import connections, notifications
from app.services.webhook_endpoints import CONNECT_ENDPOINT
from tests.helpers import CONNECTION_SECRET, stripe_event, stripe_signature


@pytest.mark.postgres
def test_concurrent_duplicates_apply_once_and_notify_once(app, connect, sandbox):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    payload = json.dumps(stripe_event("account.updated", res.account_id)).encode()
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            res.webhook_path,
            data=payload,
            headers={"Stripe-Signature": stripe_signature(payload, CONNECTION_SECRET)},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * 6
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
        changes = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "onboarding.status_changed")
        )
    assert changes == 1


@pytest.mark.postgres
def test_two_different_events_for_one_account_at_once_notify_once(app, connect, sandbox):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    events = [
        stripe_event(kind, res.account_id) for kind in ("account.updated", "capability.updated")
    ]
    barrier = threading.Barrier(len(events))

    def deliver(event: dict) -> None:
        payload = json.dumps(event).encode()
        client = app.test_client()
        barrier.wait()
        client.post(
            res.webhook_path,
            data=payload,
            headers={"Stripe-Signature": stripe_signature(payload, CONNECTION_SECRET)},
        )

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 2
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


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
