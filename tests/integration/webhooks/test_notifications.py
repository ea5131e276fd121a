"""Partner notifications: signed, retried with backoff up to a limit, delivered once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, utcnow
from app.services import notifications
from app.services.outbox import backoff_seconds
from tests.helpers import CONNECTION_SECRET, drain_webhooks, stripe_event


def verify_connect_signature(body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    """The receiver's check, as the README gives it to partners (copied, not imported)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


@pytest.fixture
def changed(app, connect, sandbox, post_event):
    """A connected resource whose status change (→ complete) queued one notification."""
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    post_event(res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET)
    assert drain_webhooks(app) == ["applied"]
    return res


def stored(app) -> list[Notification]:
    """Every notification, detached."""
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).order_by(Notification.created_at)))
        db.session.expunge_all()
        return rows


def deliver_due(app, **kwargs) -> notifications.DeliveryReport:
    """One worker pass in its own app context."""
    with app.app_context():
        try:
            return notifications.deliver_due(**kwargs)
        finally:
            db.session.remove()


def test_a_delivered_notification_is_signed_so_the_receiver_can_verify_it(
    app, changed, webhook_receiver
):
    report = deliver_due(app)
    assert report.delivered == 1
    [received] = webhook_receiver.accepted()
    headers, body = received["headers"], received["body"]
    assert verify_connect_signature(
        body, headers["X-Connect-Signature"], changed.notification_secret
    )
    assert not verify_connect_signature(
        body + b" ", headers["X-Connect-Signature"], changed.notification_secret
    )
    payload = json.loads(body)
    [notification] = stored(app)
    assert headers["X-Connect-Event-Id"] == payload["id"] == notification.id
    assert payload["type"] == "payments.onboarding_status_changed"
    assert payload["change"] == {
        "from": {"onboardingStatus": "not_started", "reason": "none"},
        "to": {"onboardingStatus": "complete", "reason": "none"},
    }
    assert payload["server"]["id"] == changed.server_id
    assert payload["payments"]["onboardingStatus"] == "complete"
    assert payload["payments"]["stripeAccountId"] == changed.account_id
    assert notification.status == "delivered" and notification.attempts == 1
    assert notification.last_status_code == 200 and notification.delivered_at is not None
    assert changed.notification_secret not in json.dumps(headers) + body.decode()


@pytest.mark.parametrize(
    ("attempts", "jitter", "seconds"),
    [(1, 0.5, 30), (2, 0.5, 60), (3, 0.5, 120), (1, 0.0, 24), (1, 1.0, 36), (12, 0.5, 3600)],
)
def test_backoff_doubles_from_30_seconds_with_jitter_and_a_cap(attempts, jitter, seconds):
    wait = backoff_seconds(attempts, notifications.BACKOFF_BASE_SECONDS, rng=lambda: jitter)
    assert wait == pytest.approx(seconds)


def test_a_failed_attempt_is_retried_later_not_at_once(app, changed, webhook_receiver):
    webhook_receiver.fail_next(1)
    start = utcnow()
    assert deliver_due(app, now=start).retrying == 1
    [notification] = stored(app)
    assert notification.status == "pending" and notification.attempts == 1
    assert notification.last_status_code == 500
    assert notification.last_error == "The partner answered 500 Internal Server Error"
    wait = (notification.next_attempt_at - start).total_seconds()
    assert 24 <= wait <= 36
    assert deliver_due(app, now=start + timedelta(seconds=10)).claimed == 0
    assert deliver_due(app, now=start + timedelta(seconds=37)).delivered == 1
    assert len(webhook_receiver.received) == 2


def test_after_the_last_attempt_it_is_failed_and_an_admin_can_retry_it(
    app, changed, webhook_receiver, monkeypatch, auth, client
):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 3)
    webhook_receiver.fail_next(100)
    when = utcnow()
    for _ in range(3):
        deliver_due(app, now=when)
        when += timedelta(hours=2)
    [notification] = stored(app)
    assert (notification.status, notification.attempts) == ("failed", 3)
    assert deliver_due(app, now=when + timedelta(days=1)).claimed == 0

    auth.login(changed.owner.email)
    path = f"/connections/{changed.connection_id}/notifications/{notification.id}/retry"
    response = auth.post(path)
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/workspaces/{changed.workspace.id}/connections/{changed.connection_id}"
    )
    [notification] = stored(app)
    assert (notification.status, notification.attempts) == ("pending", 0)
    webhook_receiver.fail_next(0)
    assert deliver_due(app).delivered == 1


@pytest.mark.parametrize(("role", "status"), [("developer", 403), ("viewer", 403), (None, 404)])
def test_only_workspace_admins_may_retry(
    app, changed, webhook_receiver, factory, auth, monkeypatch, role, status
):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 1)
    webhook_receiver.fail_next(1)
    deliver_due(app)
    user = factory.member(changed.workspace, role) if role else factory.user()
    auth.login(user.email)
    [notification] = stored(app)
    response = auth.post(
        f"/connections/{changed.connection_id}/notifications/{notification.id}/retry"
    )
    assert response.status_code == status
    assert stored(app)[0].status == "failed"


def test_retry_needs_a_csrf_token(app, changed, auth, client):
    auth.login(changed.owner.email)
    [notification] = stored(app)
    response = client.post(
        f"/connections/{changed.connection_id}/notifications/{notification.id}/retry"
    )
    assert response.status_code == 400


def test_a_crashed_worker_loses_nothing_its_lease_expires_and_another_delivers(
    app, changed, webhook_receiver
):
    start = utcnow()
    with app.app_context():
        claim = notifications.claim_next(now=start)  # …and the worker dies here
        db.session.remove()
    assert claim is not None
    assert deliver_due(app, now=start + timedelta(seconds=5)).claimed == 0
    assert deliver_due(app, now=claim.lease_until + timedelta(seconds=1)).delivered == 1
    assert len(webhook_receiver.accepted()) == 1


def test_parallel_workers_deliver_each_notification_exactly_once(
    app, connect, sandbox, post_event, webhook_receiver
):
    resources = [connect() for _ in range(6)]
    for res in resources:
        sandbox.force_account_state(res.account_id, "complete")
        post_event(
            res.webhook_path, stripe_event("account.updated", res.account_id), CONNECTION_SECRET
        )
    assert drain_webhooks(app) == ["applied"] * 6
    expected = {n.id for n in stored(app)}
    assert len(expected) == 6

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                deliver_due(app, limit=2)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    delivered_ids = [r["headers"]["X-Connect-Event-Id"] for r in webhook_receiver.accepted()]
    assert sorted(delivered_ids) == sorted(expected)
    assert {n.status for n in stored(app)} == {"delivered"}


def test_notifications_work_once_delivers_what_is_due(app, changed, runner, webhook_receiver):
    result = runner.invoke(args=["notifications", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output
    assert len(webhook_receiver.accepted()) == 1


def test_resources_without_a_partner_connection_enqueue_nothing(app, connect, sandbox, post_event):
    res = connect(app_level=True)
    sandbox.force_account_state(res.account_id, "complete")
    post_event(
        "/webhooks/stripe",
        stripe_event("account.updated", res.account_id),
        "whsec_appLevelTestSecret000000000000",
    )
    assert drain_webhooks(app) == ["applied"]
    assert stored(app) == []
