"""v1 and v2 accounts read into one `AccountSnapshot`: the same account gives the same status
and the same stored fields, whichever API described it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.account_snapshot import AccountSnapshot, Alternative, RequirementError
from app.services.status import derive_onboarding_status

DEADLINE = 1_900_000_000  # epoch seconds, as v1 writes it
DEADLINE_V2 = "2030-03-17T17:46:40.000Z"  # the same moment, as v2 writes it
FIELDS = ["business_type", "external_account"]


def v1_account(submitted=False, charges=False, payouts=False, future=None, **requirements):
    """A v1 account object (stripe-python `stripe/_account.py`) for an Express account."""
    req = {
        "currently_due": [],
        "past_due": [],
        "eventually_due": [],
        "pending_verification": [],
        "disabled_reason": None,
        "current_deadline": None,
        "errors": [],
        "alternatives": [],
    }
    req.update(requirements)
    return {
        "id": "acct_1Same",
        "object": "account",
        "created": DEADLINE - 86400,
        "country": "DE",
        "default_currency": "eur",
        "email": "owner@resource.example",
        "details_submitted": submitted,
        "charges_enabled": charges,
        "payouts_enabled": payouts,
        "controller": {"stripe_dashboard": {"type": "express"}},
        "metadata": {"payments_id": "pay_1"},
        "requirements": req,
        "future_requirements": {
            "currently_due": [],
            "past_due": [],
            "eventually_due": [],
            "pending_verification": [],
            "current_deadline": None,
            **(future or {}),
        },
    }


def entry(field, status="currently_due", by="user", errors=()):
    """One v2 requirement entry (`requirements.entries[]`)."""
    return {
        "description": field,
        "awaiting_action_from": by,
        "minimum_deadline": {"status": status},
        "errors": [{"code": code, "description": text} for code, text in errors],
        "impact": {"restricts_capabilities": []},
        "requested_reasons": [{"code": "routine_onboarding"}],
        "reference": None,
    }


def capability(status, code=None):
    """A v2 capability status, with the reason when it is not active."""
    details = [{"code": code, "resolution": "provide_info"}] if code else []
    return {"status": status, "status_details": details}


def v2_account(
    entries=(),
    submitted=False,
    card="restricted",
    payouts="restricted",
    code=None,
    deadline=None,
    future=(),
    future_deadline=None,
    alternatives=(),
):
    """The same account as `GET /v2/core/accounts/{id}` with everything we read included
    (stripe-python `stripe/v2/core/_account.py`)."""

    def requirements(found, time):
        strictest = next(
            (
                status
                for status in ("past_due", "currently_due", "eventually_due")
                if any(e["minimum_deadline"]["status"] == status for e in found)
            ),
            None,
        )
        return {
            "entries": list(found),
            "alternatives": list(alternatives) if found is entries else [],
            "summary": {"minimum_deadline": strictest and {"status": strictest, "time": time}},
        }

    terms = {"date": "2030-03-10T00:00:00.000Z", "ip": "127.0.0.1"} if submitted else None
    return {
        "id": "acct_1Same",
        "object": "v2.core.account",
        "created": "2030-03-16T17:46:40.000Z",
        "contact_email": "owner@resource.example",
        "dashboard": "express",
        "applied_configurations": ["merchant", "recipient"],
        "identity": {"country": "DE", "attestations": {"terms_of_service": {"account": terms}}},
        "defaults": {
            "currency": "eur",
            "responsibilities": {
                "fees_collector": "application",
                "losses_collector": "application",
                "requirements_collector": "stripe",
            },
        },
        "configuration": {
            "merchant": {
                "capabilities": {
                    "card_payments": capability(card, code),
                    "stripe_balance": {"payouts": capability(payouts, code)},
                }
            },
            "recipient": {
                "capabilities": {
                    "stripe_balance": {
                        "stripe_transfers": capability(card, code),
                        "payouts": capability(payouts, code),
                    }
                }
            },
            "customer": None,
        },
        "metadata": {"payments_id": "pay_1"},
        "requirements": requirements(entries, deadline),
        "future_requirements": requirements(future, future_deadline),
    }


ERROR = ("verification_failed_keyed_identity", "The identity information cannot be verified.")

# Each status, as v1 and as v2 describe the same account.
CASES = {
    "pending needs_info: nothing submitted yet": (
        v1_account(
            currently_due=FIELDS,
            past_due=FIELDS,
            eventually_due=[*FIELDS, "company.tax_id"],
            disabled_reason="requirements.past_due",
        ),
        v2_account(
            entries=[
                *(entry(f, "past_due") for f in FIELDS),
                entry("company.tax_id", "eventually_due"),
            ],
            code="requirements_past_due",
        ),
        ("pending", "needs_info"),
    ),
    "pending needs_info: submitted, then something fell past due, with an error": (
        v1_account(
            submitted=True,
            currently_due=["individual.verification.document"],
            past_due=["individual.verification.document"],
            eventually_due=["individual.verification.document"],
            current_deadline=DEADLINE,
            disabled_reason="requirements.past_due",
            errors=[
                {
                    "requirement": "individual.verification.document",
                    "code": ERROR[0],
                    "reason": ERROR[1],
                }
            ],
        ),
        v2_account(
            entries=[entry("individual.verification.document", "past_due", errors=[ERROR])],
            submitted=True,
            code="requirements_past_due",
            deadline=DEADLINE_V2,
        ),
        ("pending", "needs_info"),
    ),
    "pending under_review: Stripe is verifying a document": (
        v1_account(
            submitted=True,
            pending_verification=["individual.verification.document"],
            disabled_reason="requirements.pending_verification",
        ),
        v2_account(
            entries=[entry("individual.verification.document", by="stripe")],
            submitted=True,
            card="pending",
            payouts="pending",
            code="requirements_pending_verification",
        ),
        ("pending", "under_review"),
    ),
    "pending paused: rejected by Stripe": (
        v1_account(submitted=True, disabled_reason="rejected.fraud"),
        v2_account(submitted=True, card="rejected", payouts="rejected", code="rejected_fraud"),
        ("pending", "paused"),
    ),
    "pending paused: paused by the platform": (
        v1_account(submitted=True, disabled_reason="other"),
        v2_account(submitted=True, code="restricted_other"),
        ("pending", "paused"),
    ),
    "complete": (
        v1_account(submitted=True, charges=True, payouts=True),
        v2_account(submitted=True, card="active", payouts="active"),
        ("complete", "none"),
    ),
    "complete, something due soon with a deadline and an alternative": (
        v1_account(
            submitted=True,
            charges=True,
            payouts=True,
            currently_due=["company.tax_id"],
            eventually_due=["company.tax_id"],
            current_deadline=DEADLINE,
            alternatives=[
                {
                    "alternative_fields_due": ["company.verification.document"],
                    "original_fields_due": ["company.tax_id"],
                }
            ],
        ),
        v2_account(
            entries=[entry("company.tax_id")],
            submitted=True,
            card="active",
            payouts="active",
            deadline=DEADLINE_V2,
            alternatives=[
                {
                    "original_entries": [{"description": "company.tax_id"}],
                    "options": [{"entries": [{"description": "company.verification.document"}]}],
                }
            ],
        ),
        ("complete", "none"),
    ),
    "complete, future requirements due soon": (
        v1_account(
            submitted=True,
            charges=True,
            payouts=True,
            future={
                "currently_due": ["external_account"],
                "eventually_due": ["external_account"],
                "current_deadline": DEADLINE,
            },
        ),
        v2_account(
            submitted=True,
            card="active",
            payouts="active",
            future=[entry("external_account")],
            future_deadline=DEADLINE_V2,
        ),
        ("complete", "none"),
    ),
}


@pytest.mark.parametrize(("v1", "v2", "expected"), CASES.values(), ids=CASES.keys())
def test_v1_and_v2_of_the_same_account_read_the_same(v1, v2, expected):
    from_v1, from_v2 = AccountSnapshot.from_v1(v1), AccountSnapshot.from_v2(v2)

    assert tuple(derive_onboarding_status(from_v1)) == expected
    assert tuple(derive_onboarding_status(from_v2)) == expected
    # Every field we store or read, not just the status (`created` differs only by design).
    assert replace(from_v2, api="v1", created=from_v1.created) == from_v1


def test_no_account_is_not_started():
    assert tuple(derive_onboarding_status(None)) == ("not_started", "none")


def test_v2_fields_land_where_v1_keeps_them():
    v1, v2, _ = CASES["pending needs_info: submitted, then something fell past due, with an error"]
    snapshot = AccountSnapshot.from_v2(v2)

    assert snapshot.api == "v2"
    assert (snapshot.country, snapshot.default_currency, snapshot.email) == (
        "DE",
        "eur",
        "owner@resource.example",
    )
    assert (snapshot.dashboard_type, snapshot.requirement_collection) == ("express", "stripe")
    assert snapshot.requirements.errors == (
        RequirementError("individual.verification.document", *ERROR),
    )
    assert snapshot.requirements.current_deadline == datetime.fromtimestamp(DEADLINE, UTC)
    assert snapshot.metadata == {"payments_id": "pay_1"}
    assert snapshot.created == datetime(2030, 3, 16, 17, 46, 40, tzinfo=UTC)
    assert AccountSnapshot.from_v1(v1).created == datetime.fromtimestamp(DEADLINE - 86400, UTC)


def test_v2_alternatives_become_one_v1_alternative_per_option():
    v2 = v2_account(
        entries=[entry("company.tax_id")],
        alternatives=[
            {
                "original_entries": [{"description": "company.tax_id"}],
                "options": [
                    {"entries": [{"description": "company.verification.document"}]},
                    {"entries": [{"description": "company.registration_number"}]},
                ],
            }
        ],
    )
    assert AccountSnapshot.from_v2(v2).requirements.alternatives == (
        Alternative(("company.verification.document",), ("company.tax_id",)),
        Alternative(("company.registration_number",), ("company.tax_id",)),
    )


def test_a_recipient_only_v2_account_charges_by_receiving_transfers():
    """Cross-border accounts have only the recipient configuration: no card payments."""
    v2 = v2_account(submitted=True, card="active", payouts="active")
    v2["configuration"]["merchant"] = None
    v2["applied_configurations"] = ["recipient"]
    snapshot = AccountSnapshot.from_v2(v2)

    assert (snapshot.charges_enabled, snapshot.payouts_enabled) == (True, True)
    assert tuple(derive_onboarding_status(snapshot)) == ("complete", "none")


@pytest.mark.parametrize(
    ("codes", "reason"),
    [
        ((), None),
        (("determining_status",), None),
        (("requirements_pending_verification", "requirements_past_due"), "requirements.past_due"),
        (("requirements_past_due", "unsupported_country"), "other"),
        (("restricted_other", "rejected_listed"), "rejected.listed"),
    ],
)
def test_the_most_serious_capability_reason_is_the_disabled_reason(codes, reason):
    v2 = v2_account(submitted=True)
    capabilities = v2["configuration"]["merchant"]["capabilities"]
    capabilities["card_payments"]["status_details"] = [
        {"code": code, "resolution": "provide_info"} for code in codes
    ]
    assert AccountSnapshot.from_v2(v2).requirements.disabled_reason == reason


def test_an_active_capability_gives_no_reason():
    v2 = v2_account(submitted=True, card="active", payouts="active")
    v2["configuration"]["merchant"]["capabilities"]["card_payments"] = capability(
        "active", "requirements_past_due"
    )
    assert AccountSnapshot.from_v2(v2).requirements.disabled_reason is None
