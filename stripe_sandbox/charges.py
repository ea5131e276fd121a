"""Charges on connected accounts, and their refunds.

Field meanings: https://docs.stripe.com/api/charges/object and
https://docs.stripe.com/api/refunds/object. A direct charge lives on the connected account:
the platform lists it with the `Stripe-Account` header
(https://docs.stripe.com/connect/authentication#stripe-account-header).
"""

from __future__ import annotations

import copy
from typing import Any

from stripe_sandbox.ids import new_id


def new_charge(account: dict[str, Any], amount: int, currency: str, now: int) -> dict[str, Any]:
    """A succeeded, captured card charge on `account`."""
    charge_id = new_id("ch", 24)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "balance_transaction": new_id("txn", 24),
        "captured": True,
        "created": now,
        "currency": currency,
        "description": None,
        "livemode": account["livemode"],
        "metadata": {},
        "paid": True,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "status": "succeeded",
    }


def refund(charge: dict[str, Any], amount: int, now: int) -> dict[str, Any]:
    """Return a copy of `charge` with `amount` more refunded (`refunded` once all of it is)."""
    charge = copy.deepcopy(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    refunds = charge["refunds"]
    refunds["data"].insert(
        0,
        {
            "id": new_id("re", 24),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": now,
            "currency": charge["currency"],
            "status": "succeeded",
        },
    )
    refunds["total_count"] = len(refunds["data"])
    return charge
