"""Onboarding a payments resource onto Stripe Connect: the whole create-or-continue cluster.

- `flow`: what the pages, `/v1` and the CLI call — Connect (create or continue), return,
  refresh, Check status, the Express dashboard link;
- `inputs`: the one validator for Connect's country, email and product description;
- `plan`: which link or button is due next, and the creation parameters and idempotency key;
- `creation`: claiming and creating the account once per resource, with crash recovery;
- `sync`: applying an account Stripe answered, under the one lock order;
- `steps`: `stripe_step`, the guard around every Stripe call.

The flow's names are re-exported here, so callers write `onboarding.connect_or_continue`.
"""

from app.services.onboarding.creation import AccountCreationBusy
from app.services.onboarding.flow import (
    ConnectResult,
    CountryMismatch,
    DashboardUnavailable,
    LinkUrls,
    NothingToRefresh,
    OnboardingBlocked,
    RefreshLoop,
    connect_or_continue,
    continue_onboarding,
    dashboard_link,
    refresh_link,
    sync_resource_status,
    sync_status,
)
from app.services.onboarding.inputs import InvalidOnboardingInput

__all__ = [
    "AccountCreationBusy",
    "ConnectResult",
    "CountryMismatch",
    "DashboardUnavailable",
    "InvalidOnboardingInput",
    "LinkUrls",
    "NothingToRefresh",
    "OnboardingBlocked",
    "RefreshLoop",
    "connect_or_continue",
    "continue_onboarding",
    "dashboard_link",
    "refresh_link",
    "sync_resource_status",
    "sync_status",
]
