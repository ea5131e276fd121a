"""Applying what Stripe says about an account: one function, one lock order, one record per change.

Every path that learns an account's state — Connect's create, the return page, Check status, the
API's `?sync=true`, webhooks, and any sweep to come — fetches the account from Stripe first, with
no transaction open, and then stores it with `apply_account` inside `locked_payments`, a short
transaction.

Lock order, followed by every writer of these rows so that PostgreSQL cannot deadlock on them:
  1. the payments row: `SELECT … FOR UPDATE` on PostgreSQL; on SQLite a write as the
     transaction's first statement, which takes the database's write lock at once (what
     `BEGIN IMMEDIATE` does), so the compare below reads the last committed state;
  2. then anything else: the server and connection rows, new audit and outbox rows.

Inside the lock the stored fields are compared before and after, so when the return page and
several webhooks apply the same completion at once, exactly one of them sees the change and
records it (audit row and partner notification); the others find nothing to do. A snapshot
whose fetch started before the stored one's is older and is not applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.account_snapshot import AccountSnapshot, Requirements
from app.extensions import db
from app.models import PaymentsAccount
from app.services import audit, notifications
from app.services.status import OnboardingState, derive_onboarding_status

REQUIREMENT_LISTS = ("currently_due", "past_due", "eventually_due", "pending_verification")

# What "the stored state changed" means: the derived status and every flag and list we keep.
TRACKED_FIELDS = (
    "status",
    "onboarding_status",
    "status_reason",
    "details_submitted",
    "charges_enabled",
    "payouts_enabled",
    "requirements",
    "disabled_reason",
    "current_deadline",
    "future_deadline",
    "future_currently_due",
    "dashboard_type",
    "requirement_collection",
)
_LOCKED = "locked_payments_id"


@dataclass(frozen=True)
class StatusChange:
    """The onboarding status before and after applying an account."""

    before: OnboardingState
    after: OnboardingState


@dataclass(frozen=True)
class Applied:
    """What applying one account snapshot did.

    `stored` is False when the snapshot was not written: it is not the resource's account
    (any more), or a snapshot fetched later is already stored. `changed` says whether a
    tracked field changed; `status_change` whether the onboarding status did.
    """

    stored: bool
    changed: bool = False
    status_change: StatusChange | None = None


@contextmanager
def locked_payments(payments_id: str) -> Iterator[PaymentsAccount]:
    """The payments row, locked (step 1 of the lock order) for a short transaction.

    Ends any transaction in progress first, so that this lock is the first one taken; commits
    when the block ends and rolls back if it raises. Never call Stripe inside the block.
    """
    db.session.commit()
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks and pysqlite begins lazily: a no-op write takes the
        # database's write lock now, before the read that the compare relies on.
        db.session.execute(
            update(PaymentsAccount)
            .where(PaymentsAccount.id == payments_id)
            .values(id=PaymentsAccount.id)
            .execution_options(synchronize_session=False)
        )
    payments = db.session.scalars(
        select(PaymentsAccount)
        .where(PaymentsAccount.id == payments_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    db.session.info[_LOCKED] = payments_id
    try:
        yield payments
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(_LOCKED, None)


def tracked_state(payments: PaymentsAccount) -> tuple:
    """The stored fields whose change is a change of the account's state."""
    return tuple(getattr(payments, name) for name in TRACKED_FIELDS)


def _requirement_lists(requirements: Requirements) -> dict[str, list[str]]:
    return {name: list(getattr(requirements, name)) for name in REQUIREMENT_LISTS}


def _requirements(account: AccountSnapshot) -> dict[str, Any]:
    """The requirements JSON we store: the lists, and of errors only what we show."""
    current = account.requirements
    future = account.future_requirements
    deadline = future.current_deadline
    return {
        **_requirement_lists(current),
        "errors": [asdict(error) for error in current.errors],
        # Fields that may be given instead of others (docs.stripe.com/api/accounts/object
        # #account_object-requirements-alternatives).
        "alternatives": [
            {name: list(values) for name, values in asdict(alternative).items()}
            for alternative in current.alternatives
        ],
        # What Stripe will require once new rules apply, and by when
        # (docs.stripe.com/connect/handle-verification-updates#future-requirements).
        "future": {
            **_requirement_lists(future),
            "current_deadline": deadline.isoformat() if deadline else None,
        },
    }


def apply_account(
    payments: PaymentsAccount,
    account: AccountSnapshot,
    *,
    source: str,
    fetched_at: datetime,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
) -> Applied:
    """Store the account's flags and requirements (read from v1 or v2 alike) on `payments`,
    locked by `locked_payments`; record a status change (audit row and partner notification)
    only if there is one.

    `fetched_at` is when the fetch of `account` started; `source` says how we learned it
    (connect, return, check, api, webhook) and goes into the audit trail. No commit.
    """
    if db.session.info.get(_LOCKED) != payments.id:
        raise RuntimeError("apply_account needs the payments row from locked_payments()")
    if account.id != payments.stripe_account_id or (
        payments.last_synced_at is not None and fetched_at < payments.last_synced_at
    ):
        return Applied(stored=False)
    before_state = tracked_state(payments)
    before = OnboardingState(payments.onboarding_status, payments.status_reason)
    payments.details_submitted = account.details_submitted
    payments.charges_enabled = account.charges_enabled
    payments.payouts_enabled = account.payouts_enabled
    payments.requirements = _requirements(account)
    payments.disabled_reason = account.requirements.disabled_reason
    payments.current_deadline = account.requirements.current_deadline
    payments.future_deadline = account.future_requirements.current_deadline
    payments.future_currently_due = list(account.future_requirements.currently_due)
    payments.dashboard_type = account.dashboard_type
    payments.requirement_collection = account.requirement_collection
    if account.email and not payments.email:
        payments.email = account.email
    if account.country:
        # Stripe's word on the country; it can never change for this account.
        payments.country = account.country
    if account.default_currency:
        # Stripe's default currency for the account (its country's unless set otherwise):
        # docs.stripe.com/api/accounts/object#account_object-default_currency.
        payments.currency = account.default_currency
    after = derive_onboarding_status(account)
    payments.onboarding_status, payments.status_reason = after.status, after.reason
    payments.last_synced_at = fetched_at
    payments.last_error = None
    if payments.status == "disconnected":
        payments.status = "active"
    change = record_status_change(
        payments,
        before,
        after,
        source=source,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
    )
    return Applied(
        stored=True, changed=tracked_state(payments) != before_state, status_change=change
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
