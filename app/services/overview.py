"""A workspace at a glance: where its resources stand, how long onboarding takes, who to chase.

Three queries whatever the number of resources: counts are grouped and times aggregated by the
database, and the "needs attention" list is one ordered, limited select.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import and_, case, func, or_, select, type_coerce

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, Server
from app.models.base import UTCDateTime

# The funnel's stages, in the order a resource moves through them: (status, reason).
FUNNEL = (
    ("not_started", "none"),
    ("not_started", "disconnected"),
    ("pending", "needs_info"),
    ("pending", "under_review"),
    ("pending", "paused"),
    ("complete", "none"),
)
# Stages that wait on a person (or on Stripe support), not on Stripe's own review.
STUCK = {("pending", "needs_info"), ("pending", "paused"), ("not_started", "disconnected")}
ATTENTION_LIMIT = 20
STARTED = ("onboarding.account_created", "onboarding.account_recovered")


@dataclass(frozen=True)
class Stage:
    status: str
    reason: str
    count: int


@dataclass(frozen=True)
class AttentionItem:
    server_id: str
    name: str
    status: str
    reason: str
    deadline: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Overview:
    stages: list[Stage]
    total: int
    stuck: int
    completed: int  # resources whose time to complete is known
    median_to_complete: timedelta | None
    slowest_to_complete: timedelta | None
    attention: list[AttentionItem]


def workspace_overview(workspace_id: str) -> Overview:
    """Counts per funnel stage, time from first Connect to complete, and who needs attention."""
    counts = dict.fromkeys(FUNNEL, 0)
    rows = db.session.execute(
        select(PaymentsAccount.onboarding_status, PaymentsAccount.status_reason, func.count())
        .join(Server, Server.id == PaymentsAccount.server_id)
        .where(Server.workspace_id == workspace_id)
        .group_by(PaymentsAccount.onboarding_status, PaymentsAccount.status_reason)
    )
    for status, reason, count in rows:
        counts[(status, reason)] = counts.get((status, reason), 0) + count
    durations = _times_to_complete(workspace_id)
    return Overview(
        stages=[Stage(status, reason, count) for (status, reason), count in counts.items()],
        total=sum(counts.values()),
        stuck=sum(count for stage, count in counts.items() if stage in STUCK),
        completed=len(durations),
        median_to_complete=median(durations) if durations else None,
        slowest_to_complete=max(durations) if durations else None,
        attention=_needing_attention(workspace_id),
    )


def _times_to_complete(workspace_id: str) -> list[timedelta]:
    """For each resource that reached complete: first account creation → first completion.

    Read from the audit trail (every status change is recorded there, in the transaction that
    made it), one row per resource.
    """
    completed = and_(
        AuditEvent.action == "onboarding.status_changed",
        AuditEvent.details["to"].as_string() == "complete",
    )
    started_at = type_coerce(
        func.min(case((AuditEvent.action.in_(STARTED), AuditEvent.created_at))), UTCDateTime
    )
    completed_at = type_coerce(func.min(case((completed, AuditEvent.created_at))), UTCDateTime)
    rows = db.session.execute(
        select(started_at, completed_at)
        .where(
            AuditEvent.workspace_id == workspace_id,
            AuditEvent.subject_type == "server",
            AuditEvent.action.in_([*STARTED, "onboarding.status_changed"]),
        )
        .group_by(AuditEvent.subject_id)
    )
    # An account Stripe reports complete at creation records its status change first, in the
    # same transaction: that is no time at all, not a negative one.
    return [max(done - start, timedelta(0)) for start, done in rows if start and done]


def _needing_attention(workspace_id: str) -> list[AttentionItem]:
    """Stuck resources, the one with Stripe's nearest deadline first (no deadline last)."""
    stuck = [
        and_(PaymentsAccount.onboarding_status == status, PaymentsAccount.status_reason == reason)
        for status, reason in sorted(STUCK)
    ]
    rows = db.session.execute(
        select(
            Server.id,
            Server.name,
            PaymentsAccount.onboarding_status,
            PaymentsAccount.status_reason,
            PaymentsAccount.current_deadline,
            PaymentsAccount.updated_at,
        )
        .join(Server, Server.id == PaymentsAccount.server_id)
        .where(Server.workspace_id == workspace_id, or_(*stuck))
        .order_by(
            PaymentsAccount.current_deadline.is_(None),
            PaymentsAccount.current_deadline,
            PaymentsAccount.updated_at,
            Server.id,
        )
        .limit(ATTENTION_LIMIT)
    )
    return [AttentionItem(*row) for row in rows]
