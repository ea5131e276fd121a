"""The detail page's stepper, read from what Stripe last said about the account."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models import PaymentsAccount
from app.presentation import onboarding_steps

DEADLINE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NO_REQUIREMENTS = {"currently_due": [], "past_due": [], "pending_verification": [], "errors": []}


def account(**fields) -> PaymentsAccount:
    """A payments account as onboarding would have stored it (never saved)."""
    values = {
        "stripe_account_id": "acct_1Test",
        "details_submitted": False,
        "charges_enabled": False,
        "payouts_enabled": False,
        "status_reason": "none",
        "requirements": NO_REQUIREMENTS,
        "current_deadline": None,
    }
    return PaymentsAccount(**{**values, **fields})


def states(payments: PaymentsAccount) -> list[str]:
    return [step.state for step in onboarding_steps(payments)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"stripe_account_id": None}, ["current", "upcoming", "upcoming", "upcoming", "upcoming"]),
        ({}, ["done", "current", "upcoming", "upcoming", "upcoming"]),
        (
            {
                "details_submitted": True,
                "requirements": {"pending_verification": ["individual.id_number"]},
            },
            ["done", "done", "current", "upcoming", "upcoming"],
        ),
        ({"details_submitted": True}, ["done", "done", "done", "current", "upcoming"]),
        (
            {"details_submitted": True, "charges_enabled": True, "payouts_enabled": True},
            ["done", "done", "done", "done", "done"],
        ),
        # Stripe can enable charges before a verification finishes: both are said as they are.
        (
            {
                "details_submitted": True,
                "charges_enabled": True,
                "requirements": {"pending_verification": ["individual.id_number"]},
            },
            ["done", "done", "current", "done", "upcoming"],
        ),
    ],
)
def test_each_reached_step_is_done_and_the_first_unreached_is_current(fields, expected):
    assert states(account(**fields)) == expected


def test_the_current_step_says_what_stripe_needs_and_by_when():
    payments = account(
        details_submitted=True,
        current_deadline=DEADLINE,
        requirements={"past_due": ["external_account"], "currently_due": ["external_account"]},
    )
    current = next(step for step in onboarding_steps(payments) if step.state == "current")
    assert current.title == "Verification"
    assert current.blocker == "Stripe needs: Bank account for payouts."
    assert current.deadline == DEADLINE


def test_a_paused_account_says_so_at_its_current_step():
    payments = account(details_submitted=True, status_reason="paused")
    current = next(step for step in onboarding_steps(payments) if step.state == "current")
    assert "paused" in current.blocker
    assert [step.deadline for step in onboarding_steps(payments)] == [None] * 5
