"""A workspace's activity: the audit trail of its resources, connections and members.

Reads only. Every page costs the same few queries whatever the number of events: the events
of one page with their actors joined in, one count, and the people who acted (for the filter).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditEvent, User

# Filter value → the audit subject types it covers, in the order the filter lists them.
KINDS: dict[str, tuple[str, ...]] = {
    "resources": ("server",),
    "connections": ("stripe_connection",),
    "members": ("membership", "invitation"),
    "workspace": ("workspace",),
}
KIND_LABELS = {
    "resources": "Payments resources",
    "connections": "Stripe connections",
    "members": "Members and invitations",
    "workspace": "Workspace",
}
CSV_COLUMNS = ("time", "action", "subject_type", "subject_id", "actor", "details")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ActivityFilter:
    """What the person asked to see."""

    kind: str | None = None
    actor_user_id: str | None = None


@dataclass(frozen=True)
class ActivityPage:
    """One page of events, newest first, and what the pager needs."""

    events: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _matching(workspace_id: str, wanted: ActivityFilter) -> Select:
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    if wanted.kind in KINDS:
        query = query.where(AuditEvent.subject_type.in_(KINDS[wanted.kind]))
    if wanted.actor_user_id:
        query = query.where(AuditEvent.actor_user_id == wanted.actor_user_id)
    return query


def activity_page(
    workspace_id: str, wanted: ActivityFilter, *, page: int, per_page: int
) -> ActivityPage:
    """The events of one page (page numbers start at 1; past the end gives the last page)."""
    query = _matching(workspace_id, wanted)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = list(
        db.session.scalars(
            query.options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return ActivityPage(events=events, total=total, page=page, per_page=per_page)


def actors(workspace_id: str) -> list[User]:
    """People who appear in the workspace's trail, by name, for the person filter."""
    acting = select(AuditEvent.actor_user_id).where(
        AuditEvent.workspace_id == workspace_id, AuditEvent.actor_user_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(acting)).order_by(User.name, User.email, User.id)
        )
    )


def actor_label(event: AuditEvent) -> str:
    """Who acted, in words: the person, or the system that did it."""
    if event.actor is not None:
        return event.actor.display_name
    return event.actor_label or "system"


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_csv(workspace_id: str, wanted: ActivityFilter) -> Iterator[str]:
    """The whole filtered trail as CSV lines, oldest first, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    query = (
        _matching(workspace_id, wanted)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at, AuditEvent.id)
        .execution_options(yield_per=500)
    )
    for event in db.session.scalars(query):
        buffer.seek(0)
        buffer.truncate()
        details = "; ".join(f"{key}={value}" for key, value in sorted(event.details.items()))
        writer.writerow(
            [
                safe_cell(event.created_at.isoformat()),
                safe_cell(event.action),
                safe_cell(event.subject_type),
                safe_cell(event.subject_id),
                safe_cell(actor_label(event)),
                safe_cell(details),
            ]
        )
        yield buffer.getvalue()
