"""Persisting what Stripe says about an account, and noticing when the status changes.

Used by every path that learns the account's state — return, Check status, the API's re-sync,
and webhooks — so they all store the same fields and derive the status the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.models import PaymentsAccount, utcnow
from app.services import audit, notifications
from app.services.status import OnboardingState, derive_onboarding_status

REQUIREMENT_LISTS = ("currently_due", "past_due", "eventually_due", "pending_verification")

# Old Stripe account types, for accounts that carry no `controller.stripe_dashboard`.
_DASHBOARD_BY_TYPE = {"express": "express", "standard": "full", "custom": "none"}


@dataclass(frozen=True)
class StatusChange:
    """The onboarding status before and after applying an account."""

    before: OnboardingState
    after: OnboardingState


def _requirements(account: dict[str, Any]) -> dict[str, Any]:
    raw = account.get("requirements") or {}
    kept: dict[str, Any] = {name: list(raw.get(name) or []) for name in REQUIREMENT_LISTS}
    # Keep only what we show: an error's requirement, code and reason.
    kept["errors"] = [
        {k: error.get(k) for k in ("requirement", "code", "reason")}
        for error in raw.get("errors") or []
    ]
    return kept


def _controller(account: dict[str, Any]) -> tuple[str | None, str | None]:
    controller = account.get("controller") or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    if dashboard is None:
        dashboard = _DASHBOARD_BY_TYPE.get(account.get("type") or "")
    collection = controller.get("requirement_collection")
    if collection is None and account.get("type") == "custom":
        collection = "application"
    return dashboard, collection or ("stripe" if dashboard in ("express", "full") else None)


def apply_account(
    payments: PaymentsAccount,
    account: dict[str, Any],
    *,
    source: str,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
) -> StatusChange | None:
    """Store the account's flags and requirements on `payments`; return the status change.

    Adds to the current transaction (no commit). `source` says how we learned it (return,
    check, api, webhook) and goes into the audit trail.
    """
    before = OnboardingState(payments.onboarding_status, payments.status_reason)
    requirements = account.get("requirements") or {}
    payments.details_submitted = bool(account.get("details_submitted"))
    payments.charges_enabled = bool(account.get("charges_enabled"))
    payments.payouts_enabled = bool(account.get("payouts_enabled"))
    payments.requirements = _requirements(account)
    payments.disabled_reason = requirements.get("disabled_reason")
    deadline = requirements.get("current_deadline")
    payments.current_deadline = datetime.fromtimestamp(deadline, UTC) if deadline else None
    payments.dashboard_type, payments.requirement_collection = _controller(account)
    if account.get("email") and not payments.email:
        payments.email = account["email"]
    after = derive_onboarding_status(account)
    payments.onboarding_status, payments.status_reason = after.status, after.reason
    payments.last_synced_at = utcnow()
    payments.last_error = None
    if payments.status == "disconnected":
        payments.status = "active"
    server = payments.server
    server.status = "deployed" if after.status == "complete" else "draft"
    return record_status_change(
        payments,
        before,
        after,
        source=source,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
    )


def record_status_change(
    payments: PaymentsAccount,
    before: OnboardingState,
    after: OnboardingState,
    *,
    source: str,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
) -> StatusChange | None:
    """Audit a status change and queue its partner notification; None when nothing changed.

    Every path that changes the status goes through here (no commit inside), so the audit
    trail and the partner always hear of a change in the transaction that made it.
    """
    if after == before:
        return None
    server = payments.server
    audit.record_on_server(
        "onboarding.status_changed",
        server,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        details={
            "from": before.status,
            "from_reason": before.reason,
            "to": after.status,
            "to_reason": after.reason,
            "source": source,
        },
    )
    notifications.enqueue_status_change(payments, before, after, source=source)
    return StatusChange(before, after)
