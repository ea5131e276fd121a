"""One pure function turns a Stripe account into our onboarding status and its reason.

Stripe's flags are easy to misread (docs.stripe.com/connect/handling-api-verification):
`details_submitted` only means the form was finished once; an account can be submitted and still
unable to charge while Stripe verifies it, or be switched off later when something falls past due.
So the status comes from all of them together, in this order.
"""

from __future__ import annotations

from typing import NamedTuple

from app.account_snapshot import AccountSnapshot

# disabled_reason values after which the person cannot fix things by filling in a form.
PAUSED_REASONS = ("listed", "platform_paused", "other")
REVIEW_REASONS = ("requirements.pending_verification", "under_review")


class OnboardingState(NamedTuple):
    """`status` is not_started | pending | complete; `reason` is needs_info | under_review |
    paused | none."""

    status: str
    reason: str


NOT_STARTED = OnboardingState("not_started", "none")
COMPLETE = OnboardingState("complete", "none")


def derive_onboarding_status(account: AccountSnapshot | None) -> OnboardingState:
    """The status of an account (read from v1 or v2: `AccountSnapshot`), or of no account.

    An account that exists but is not finished is `pending`, never `not_started`: the person has
    begun (the account was created for them), and "leave for now" must show what is still due.
    """
    if account is None:
        return NOT_STARTED
    requirements = account.requirements
    disabled_reason = requirements.disabled_reason or ""
    submitted = account.details_submitted
    enabled = account.charges_enabled and account.payouts_enabled
    past_due = requirements.past_due
    currently_due = requirements.currently_due
    pending_verification = requirements.pending_verification

    if disabled_reason.startswith("rejected.") or disabled_reason in PAUSED_REASONS:
        return OnboardingState("pending", "paused")
    if submitted and enabled and not past_due:
        # Still complete when something is currently due with a future deadline: charges work
        # until then, and the page shows the deadline.
        return COMPLETE
    if past_due or not submitted or disabled_reason.startswith("action_required."):
        return OnboardingState("pending", "needs_info")
    if currently_due and disabled_reason not in REVIEW_REASONS and not pending_verification:
        return OnboardingState("pending", "needs_info")
    return OnboardingState("pending", "under_review")
