"""A resource's earnings: its succeeded charges net of refunds, in `payments.currency`.

Definition (also in the README and the OpenAPI description): `total_earned_cents` is the sum of
`amount - amount_refunded` over the charges with `status = succeeded` on the resource's current
connected account whose currency is `payments.currency` (in that currency's smallest unit);
`total_payment_count` is how many of those charges are not fully refunded. Charges in another
currency are stored but not added in: we never convert.

Stripe tells us about charges in two ways, both ending in `apply_charges` under the payments
row lock (`onboarding.sync`'s lock order):

- Connect webhooks `charge.succeeded` and `charge.refunded` carry the charge with the
  connected `account` at the top level (https://docs.stripe.com/connect/webhooks). Their only
  v2-era counterparts are the same changes as thin events, `v1.charge.succeeded` and
  `v1.charge.refunded` (stripe-python's `stripe/events/_v1_charge_*_event.py`), which carry
  only the charge's id for an event destination to fetch; there is no `v2.*` charge event
  (https://docs.stripe.com/api/v2/core/events). The app's Connect endpoints receive the
  snapshot events, which carry the charge itself.
- A backfill pages through `GET /v1/charges` with the `Stripe-Account` header, with no
  transaction open during each call and one short transaction per page.

Each charge is one row, keyed by Stripe's id. Deliveries are at least once and in any order, so
a row only moves forward: `amount_refunded` never decreases and a final status (`succeeded`,
`failed`) never goes back to `pending`. The totals are then recomputed from the rows, so a
duplicate changes nothing, and a `charge.refunded` that arrives before its `charge.succeeded`
gives the same totals as the other order.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import PaymentCharge, PaymentsAccount
from app.services.onboarding.steps import stripe_step
from app.services.onboarding.sync import locked_payments
from app.stripe_gateway import StripeCredentials

log = logging.getLogger(__name__)

CHARGE_EVENTS = ("charge.succeeded", "charge.refunded")
PAGE_SIZE = 100
# A charge's status moves from pending to a final one, never back.
_STATUS_RANK = {"pending": 0, "succeeded": 1, "failed": 1}


def _merge(row: PaymentCharge, charge: dict[str, Any]) -> None:
    """Move a stored charge forward to what `charge` says, never back."""
    status = str(charge.get("status") or "pending")
    if _STATUS_RANK.get(status, 0) >= _STATUS_RANK.get(row.status, 0):
        row.status = status
    row.amount = int(charge["amount"])
    row.amount_refunded = max(row.amount_refunded or 0, int(charge.get("amount_refunded") or 0))


def apply_charges(payments: PaymentsAccount, charges: list[dict[str, Any]]) -> bool:
    """Store `charges` of the payments row's account (locked by `locked_payments`) and
    recompute its totals; True when the totals changed. No commit."""
    account_id = payments.stripe_account_id
    ids = [str(charge["id"]) for charge in charges]
    stored = {
        row.id: row
        for row in db.session.scalars(select(PaymentCharge).where(PaymentCharge.id.in_(ids)))
    }
    for charge in charges:
        row = stored.get(charge["id"])
        if row is None:
            row = PaymentCharge(
                id=charge["id"],
                payments_account_id=payments.id,
                stripe_account_id=account_id,
                amount=int(charge["amount"]),
                amount_refunded=0,
                status="pending",
                currency=str(charge["currency"]).lower(),
                created=datetime.fromtimestamp(int(charge["created"]), UTC),
            )
            db.session.add(row)
            stored[row.id] = row
        _merge(row, charge)
    db.session.flush()
    return recompute_totals(payments)


def recompute_totals(payments: PaymentsAccount) -> bool:
    """Set the totals from the stored charges (see the module's definition); True if changed."""
    rows = db.session.scalars(
        select(PaymentCharge).where(
            PaymentCharge.payments_account_id == payments.id,
            PaymentCharge.stripe_account_id == payments.stripe_account_id,
            PaymentCharge.status == "succeeded",
            PaymentCharge.currency == (payments.currency or "").lower(),
        )
    ).all()
    earned = sum(row.amount - row.amount_refunded for row in rows)
    count = sum(1 for row in rows if row.amount_refunded < row.amount)
    before = (payments.total_earned_cents, payments.total_payment_count)
    payments.total_earned_cents, payments.total_payment_count = earned, count
    return before != (earned, count)


def backfill(
    payments_id: str,
    server_id: str,
    account_id: str,
    credentials: StripeCredentials,
    *,
    user_id: str | None,
    starting_after: str | None = None,
) -> int:
    """Page through the account's charges on Stripe and store them; returns how many.

    Call with no transaction you need: each page is fetched with none open (the session is
    committed first) and stored in its own short transaction under the payments lock. Starts
    after the charge `starting_after` when given (the caller stored the pages before it).
    Stops quietly if the resource no longer holds `account_id`. Stripe failures are recorded
    on the resource (`stripe_step`) and raised.
    """
    seen = 0
    while True:
        db.session.commit()  # hold no connection while Stripe answers
        with stripe_step(server_id, "charge_sync", credentials, user_id=user_id) as gateway:
            page, has_more = gateway.list_charges(
                account_id, starting_after=starting_after, limit=PAGE_SIZE
            )
        with locked_payments(payments_id) as payments:
            if payments.stripe_account_id != account_id:
                return seen
            apply_charges(payments, page)
        seen += len(page)
        if not has_more or not page:
            return seen
        starting_after = page[-1]["id"]
