"""Earnings are the sandbox's charges net of refunds, however Stripe tells us about them."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import PaymentCharge
from tests.helpers import CONNECTION_SECRET, drain_webhooks, payments_row, stripe_event


def listed_charges(sandbox, key: str, account_id: str) -> list[dict]:
    """Every charge of the account, through the real SDK and `Stripe-Account`."""
    client = sandbox.stripe_client(key)
    try:
        page = client.v1.charges.list(params={"limit": 100}, options={"stripe_account": account_id})
        return [charge.to_dict() for charge in page.auto_paging_iter()]
    finally:
        client._requestor._client.close()


def expected_totals(charges: list[dict], currency: str = "usd") -> tuple[int, int]:
    """The README's definition, applied to Stripe's charges."""
    mine = [c for c in charges if c["status"] == "succeeded" and c["currency"] == currency]
    earned = sum(c["amount"] - c["amount_refunded"] for c in mine)
    return earned, sum(1 for c in mine if c["amount_refunded"] < c["amount"])


def stored_totals(app, payments_id: str) -> tuple[int, int]:
    payments = payments_row(app, payments_id)
    return payments.total_earned_cents, payments.total_payment_count


def stored_charge_ids(app, payments_id: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(PaymentCharge.id)
                .where(PaymentCharge.payments_account_id == payments_id)
                .order_by(PaymentCharge.id)
            )
        )


def make_charges(sandbox, account_id: str) -> None:
    """Three charges: one partly refunded, one fully refunded, one untouched."""
    first = sandbox.create_charge(account_id, 5000)
    second = sandbox.create_charge(account_id, 2000)
    sandbox.create_charge(account_id, 700)
    sandbox.refund_charge(first["id"], 1500)
    sandbox.refund_charge(second["id"])


def test_duplicated_and_reordered_charge_webhooks_match_the_sandbox(
    app, connect, sandbox, live_server, webhook_workers
):
    res = connect()
    sandbox.add_webhook_endpoint(
        live_server.url + res.webhook_path, secret=CONNECTION_SECRET, platform_key=res.api_key
    )
    sandbox.configure_webhooks(duplicate=True)
    sandbox.pause_webhooks()
    make_charges(sandbox, res.account_id)
    # Newest first: each charge.refunded reaches the app before its charge.succeeded.
    assert sandbox.reverse_webhooks() == 10
    sandbox.resume_webhooks()
    deliveries = sandbox.wait_for_deliveries(10, timeout=15)
    webhook_workers.wait_idle()

    assert len(deliveries) == 10
    assert stored_totals(app, res.payments_id) == (3500 + 700, 2)
    assert stored_totals(app, res.payments_id) == expected_totals(
        listed_charges(sandbox, res.api_key, res.account_id)
    )
    assert len(stored_charge_ids(app, res.payments_id)) == 3


def test_a_refund_before_its_charge_still_counts_the_refund(app, connect, sandbox, post_event):
    res = connect()
    charge = sandbox.create_charge(res.account_id, 1200)
    refunded = sandbox.refund_charge(charge["id"], 200)
    refund_event = stripe_event("charge.refunded", res.account_id)
    refund_event["data"] = {"object": refunded}
    succeeded_event = stripe_event("charge.succeeded", res.account_id)
    succeeded_event["data"] = {"object": charge}

    first = post_event(res.webhook_path, refund_event, CONNECTION_SECRET)
    second = post_event(res.webhook_path, succeeded_event, CONNECTION_SECRET)
    again = post_event(res.webhook_path, succeeded_event, CONNECTION_SECRET)

    assert [first.get_json()["result"], second.get_json()["result"]] == ["recorded"] * 2
    assert again.get_json()["result"] == "duplicate"
    assert drain_webhooks(app) == ["applied", "unchanged"]
    assert stored_totals(app, res.payments_id) == (1000, 1)


def test_check_status_backfills_missed_charges_across_pages(
    app, auth, connect, sandbox, db_execute
):
    res = connect()
    made = [sandbox.create_charge(res.account_id, 100 + n) for n in range(130)]
    sandbox.refund_charge(made[0]["id"])
    sandbox.refund_charge(made[129]["id"], 29)
    sandbox.clear_requests()
    auth.login(res.owner.email)

    response = auth.post(
        f"/payments/{res.server_id}/check-status", page=f"/payments/{res.server_id}"
    )

    assert response.status_code == 303
    charge_calls = [r for r in sandbox.requests() if r["path"] == "/v1/charges"]
    assert len(charge_calls) == 2  # 100 + 30, newest first
    assert len(stored_charge_ids(app, res.payments_id)) == 130
    expected = expected_totals(listed_charges(sandbox, res.api_key, res.account_id))
    assert expected == (sum(100 + n for n in range(1, 130)) - 29, 129)
    assert stored_totals(app, res.payments_id) == expected
    detail = auth._client.get(f"/payments/{res.server_id}").get_data(as_text=True)
    assert "212.56 USD over 129 payments" in detail
    dashboard = auth._client.get("/").get_data(as_text=True)
    assert "212.56 USD" in dashboard and "129 payments" in dashboard


def test_charges_in_another_currency_are_kept_but_not_added(app, connect, sandbox, post_event):
    res = connect()
    usd = sandbox.create_charge(res.account_id, 1000)
    eur = sandbox.create_charge(res.account_id, 900, "EUR")
    for charge in (usd, eur):
        event = stripe_event("charge.succeeded", res.account_id)
        event["data"] = {"object": charge}
        assert post_event(res.webhook_path, event, CONNECTION_SECRET).status_code == 200
    drain_webhooks(app)

    assert stored_totals(app, res.payments_id) == (1000, 1)
    assert len(stored_charge_ids(app, res.payments_id)) == 2
