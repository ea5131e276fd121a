"""The one function that turns a Stripe account into our onboarding status (v1's words here;
tests/unit/test_account_snapshot.py shows v2 reads the same)."""

import pytest

from app.account_snapshot import AccountSnapshot
from app.services.status import derive_onboarding_status


def account(submitted=False, charges=False, payouts=False, **requirements):
    req = {
        "currently_due": [],
        "past_due": [],
        "eventually_due": [],
        "pending_verification": [],
        "disabled_reason": None,
        "errors": [],
    }
    req.update(requirements)
    return AccountSnapshot.from_v1(
        {
            "id": "acct_1Status",
            "details_submitted": submitted,
            "charges_enabled": charges,
            "payouts_enabled": payouts,
            "requirements": req,
        }
    )


@pytest.mark.parametrize(
    ("acct", "expected"),
    [
        (None, ("not_started", "none")),
        (
            account(currently_due=["business_type"], disabled_reason="requirements.past_due"),
            ("pending", "needs_info"),
        ),
        (account(), ("pending", "needs_info")),
        (account(submitted=True, charges=True, payouts=True), ("complete", "none")),
        (
            account(submitted=True, charges=True, payouts=True, currently_due=["company.tax_id"]),
            ("complete", "none"),
        ),
        (account(submitted=True, charges=True, payouts=False), ("pending", "under_review")),
        (
            account(
                submitted=True,
                pending_verification=["individual.verification.document"],
                disabled_reason="requirements.pending_verification",
            ),
            ("pending", "under_review"),
        ),
        (account(submitted=True, disabled_reason="under_review"), ("pending", "under_review")),
        (
            account(
                submitted=True,
                past_due=["external_account"],
                disabled_reason="requirements.past_due",
            ),
            ("pending", "needs_info"),
        ),
        (
            account(submitted=True, charges=True, payouts=True, past_due=["external_account"]),
            ("pending", "needs_info"),
        ),
        (
            account(submitted=True, currently_due=["individual.id_number"]),
            ("pending", "needs_info"),
        ),
        (
            account(submitted=True, disabled_reason="action_required.requested_capabilities"),
            ("pending", "needs_info"),
        ),
        (account(submitted=True, disabled_reason="rejected.fraud"), ("pending", "paused")),
        (account(submitted=True, disabled_reason="listed"), ("pending", "paused")),
        (account(submitted=True, disabled_reason="platform_paused"), ("pending", "paused")),
        (account(submitted=True, disabled_reason="other"), ("pending", "paused")),
    ],
    ids=lambda v: str(v)[:60],
)
def test_status_table(acct, expected):
    assert tuple(derive_onboarding_status(acct)) == expected


def test_returning_alone_never_means_complete():
    """A fresh account the person left without submitting is pending, with what is due."""
    fresh = account(currently_due=["business_type", "external_account"])
    assert derive_onboarding_status(fresh).status == "pending"
