"""A status change on the sandbox reaches the dashboard by webhook, and the partner once."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.e2e.test_browse import sign_in
from tests.helpers import CONNECTION_SECRET, service_values

pytestmark = pytest.mark.e2e


def partner_verifies(body: bytes, header: str, secret: str) -> bool:
    """What a partner's receiver does (README): HMAC-SHA256 over "<t>.<body>"."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    signed = f"{parts['t']}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def test_completing_onboarding_on_stripe_updates_the_dashboard_and_the_partner(
    page,
    live_server,
    sandbox,
    connect,  # noqa: F811 — the imported fixture
    runner,
    webhook_receiver,
    webhook_workers,
    screenshot,
    factory,  # noqa: F811
):
    res = connect()
    sandbox.add_webhook_endpoint(
        live_server.url + res.webhook_path, secret=CONNECTION_SECRET, platform_key=res.api_key
    )
    page.goto(f"{live_server.url}/auth/login")
    page.get_by_label("Email").fill(res.owner.email)
    page.get_by_label("Password").fill(factory.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Payments resources").wait_for()

    # The person finishes on Stripe's side and never comes back through our return URL.
    started = time.monotonic()
    sandbox.force_account_state(res.account_id, "complete")
    sandbox.wait_for_deliveries(2, timeout=5)
    webhook_workers.wait_idle(timeout=5)
    page.reload()
    page.locator("[data-status='complete']").first.wait_for(timeout=5000)
    assert time.monotonic() - started < 5
    assert page.locator("[data-status='complete']").count() == 1
    screenshot("dashboard-complete-by-webhook")

    result = runner.invoke(args=["notifications", "work", "--once"])
    assert result.exit_code == 0, result.output
    [received] = webhook_receiver.accepted()
    assert partner_verifies(
        received["body"], received["headers"]["X-Connect-Signature"], res.notification_secret
    )
    payload = json.loads(received["body"])
    assert payload["change"]["to"] == {"onboardingStatus": "complete", "reason": "none"}
    assert received["headers"]["X-Connect-Event-Id"] == payload["id"]
    # A second worker pass sends nothing more: exactly one notification.
    runner.invoke(args=["notifications", "work", "--once"])
    assert len(webhook_receiver.received) == 1


def test_the_connection_page_shows_webhook_setup_and_deliveries(
    page,
    live_server,
    sandbox,
    connect,  # noqa: F811 — the imported fixture
    webhook_receiver,
    webhook_workers,
    screenshot,
    factory,
    app,  # noqa: F811
):
    from app.extensions import db
    from app.models import Notification
    from app.services import notifications

    res = connect()
    sandbox.add_webhook_endpoint(
        live_server.url + res.webhook_path, secret=CONNECTION_SECRET, platform_key=res.api_key
    )
    sandbox.force_account_state(res.account_id, "complete")
    sandbox.wait_for_deliveries(2, timeout=5)
    webhook_workers.wait_idle()
    sandbox.force_account_state(res.account_id, "past_due")
    sandbox.wait_for_deliveries(4, timeout=5)
    webhook_workers.wait_idle()
    webhook_receiver.fail_next(100)
    with app.app_context():
        notifications.deliver_due()
        first = db.session.scalars(
            db.select(Notification).order_by(Notification.created_at)
        ).first()
        first.status, first.attempts = "failed", 8
        db.session.commit()
        db.session.remove()

    page.goto(f"{live_server.url}/auth/login")
    page.get_by_label("Email").fill(res.owner.email)
    page.get_by_label("Password").fill(factory.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/workspaces/{res.workspace.id}/connections/{res.connection_id}")
    page.get_by_role("heading", name="Stripe webhooks").wait_for()
    assert page.get_by_text(f"/webhooks/stripe/{res.connection_id}").is_visible()
    assert page.get_by_text("Events are arriving").is_visible()
    screenshot("connection-webhooks-and-deliveries")
    deliveries = page.locator("section.deliveries")
    webhook_receiver.fail_next(0)
    deliveries.get_by_role("button", name="Retry").click()
    page.get_by_text("queued again").wait_for()
    screenshot("connection-after-retry")


def test_a_v2_account_connects_returns_and_a_later_change_arrives_as_a_thin_event(
    app,  # noqa: F811
    monkeypatch,
    page,
    live_server,
    sandbox,
    factory,  # noqa: F811
    webhook_workers,
    screenshot,
):
    """Accounts v2 end to end: Connect → Stripe's page → return → thin event → dashboard, with
    a connection whose event destination was registered by saving it (no manual step)."""
    from app.extensions import db
    from app.services import connections

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", live_server.url)
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    workspace = factory.workspace(ada, "Acme Marketplace")
    with app.app_context():
        connection, _ = connections.create_connection(
            workspace.id,
            actor_user_id=None,
            verify=True,
            **service_values(webhook_secret="", config_json='{"accounts_api": "v2"}'),
        )
        connection_id = connection.id
        db.session.remove()
    shop = factory.resource(workspace, "EU storefront", currency="eur", country="DE")
    sandbox.clear_requests()

    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("heading", name="Payments resources").wait_for()
    page.get_by_role("button", name="Connect with Stripe").click()
    page.wait_for_url(f"{sandbox.url}/**")
    page.get_by_role("button", name="Submit everything").click()
    page.wait_for_url(f"{live_server.url}/payments/{shop.id}/onboarding/return")
    assert page.locator('[data-status="complete"]').first.is_visible()
    [account] = sandbox.accounts()
    account_id = account["account"]["id"]
    calls = [(r["method"], r["path"]) for r in sandbox.requests("/v2/core/accounts")]
    # One account, made through v2; then reads (the return page's, and the webhook worker's
    # for the thin events the completion itself caused).
    assert calls[:2] == [("POST", "/v2/core/accounts"), ("GET", f"/v2/core/accounts/{account_id}")]
    assert [call for call in calls if call[0] == "POST"] == [calls[0]]

    # Later, Stripe needs more from the person: it tells us only by thin event.
    thin_url = f"{live_server.url}/webhooks/stripe/{connection_id}/thin"
    delivered = len([d for d in sandbox.deliveries() if d["url"] == thin_url])
    sandbox.force_account_state(account_id, "past_due")
    deadline = time.monotonic() + 15
    while len([d for d in sandbox.deliveries() if d["url"] == thin_url]) <= delivered:
        assert time.monotonic() < deadline, "no thin event reached the app"
        time.sleep(0.05)
    sandbox.wait_for_deliveries(len(sandbox.deliveries()), timeout=15)
    webhook_workers.wait_idle()

    page.goto(f"{live_server.url}/")
    row = page.locator(f'tr[data-server-id="{shop.id}"]')
    row.locator('[data-status="pending"]').first.wait_for(timeout=5000)
    assert row.get_by_text("Needs info").first.is_visible()
    screenshot("v2-dashboard-after-thin-event")
    fetches = [
        r for r in sandbox.requests(f"/v2/core/accounts/{account_id}") if r["method"] == "GET"
    ]
    assert len(fetches) >= 2  # the return page's, then the worker's for the thin event
    assert sandbox.requests(f"/v1/accounts/{account_id}") == []
