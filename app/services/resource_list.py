"""Listing a person's payments resources: the dashboard's rows and `/v1/servers`' page.

Each page is one SQL statement whatever the number of resources: the rows, newest first, with
the total folded in. The statements are built once per process for each combination of filters
and executed with bound values: building a select of two dozen columns and its subqueries cost
more worker time per request than PostgreSQL took to answer it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from math import ceil
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import BindParameter, Row, Select, bindparam, func, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import Membership, OnboardingInvite, PaymentsAccount, Server, Workspace

STATUS_FILTERS = ("not_started", "pending", "complete")

T = TypeVar("T")
# A filter's value, or the bind parameter a statement built once receives it through.
Value = str | BindParameter[str]


@dataclass(frozen=True)
class ResourcePage(Generic[T]):
    """One page of the dashboard list or of `/v1/servers`."""

    items: list[T]
    page: int
    pages: int
    total: int


def visible_to(
    query: Select, user_id: Value, workspace_id: Value | None = None, status: Value | None = None
) -> Select:
    """`query` (over servers joined to their payments account) narrowed to the user's view.

    Every filter has an index: memberships by its primary key (user_id, workspace_id), servers
    by (workspace_id, kind, created_at, id), accounts by (workspace_id, onboarding_status).
    """
    query = query.join(Membership, Membership.workspace_id == Server.workspace_id).where(
        Membership.user_id == user_id, Server.kind == "payments"
    )
    if workspace_id is not None:
        query = query.where(Server.workspace_id == workspace_id)
    if status is not None:
        query = query.where(PaymentsAccount.onboarding_status == status)
    return query


def with_account_and_workspace() -> Select:
    """Servers with their payments account and workspace loaded in the same statement."""
    return (
        select(Server)
        .join(Server.payments)
        .join(Server.workspace)
        .options(contains_eager(Server.payments), contains_eager(Server.workspace))
    )


def _count(user_id: Value, workspace_id: Value | None, status: Value | None) -> Select:
    """How many resources `visible_to` lets through, read from one index either way.

    A payments server and its account are created and deleted together, in the same workspace:
    without a status filter servers alone are counted (an index-only scan of
    (workspace_id, kind, …)); with one, accounts alone (an index-only scan of
    (workspace_id, onboarding_status)), never a join of the two tables row by row.
    """
    if status is None:
        return visible_to(select(func.count()).select_from(Server), user_id, workspace_id)
    query = (
        select(func.count())
        .select_from(PaymentsAccount)
        .join(Membership, Membership.workspace_id == PaymentsAccount.workspace_id)
        .where(Membership.user_id == user_id, PaymentsAccount.onboarding_status == status)
    )
    if workspace_id is not None:
        query = query.where(PaymentsAccount.workspace_id == workspace_id)
    return query


class ListedResource(NamedTuple):
    """One dashboard row as read: what it prints, and what its buttons and key source are
    decided from.

    It reads like the PaymentsAccount the pure rules ask about (`resource_actions`,
    `choose_key_source`) and, when `invite_id` is set, like its newest invite (`invite_state`).
    A plain tuple: building 20 ORM objects of three entities cost more worker time than
    PostgreSQL took to answer, and reading a SQLAlchemy Row's attributes ten times as much as a
    tuple's.
    """

    id: str
    name: str
    workspace_id: str
    workspace_name: str
    mode: str
    currency: str
    onboarding_status: str
    status_reason: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    total_earned_cents: int
    total_payment_count: int
    updated_at: datetime
    stripe_account_id: str | None
    connection_id: str | None
    dashboard_type: str | None
    requirement_collection: str | None
    invite_id: str | None
    expires_at: datetime | None
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    revoked_at: datetime | None


# Where each field of a ListedResource is read from.
LISTED_COLUMNS: dict[str, Any] = {
    "id": Server.id,
    "name": Server.name,
    "workspace_id": Server.workspace_id,
    "workspace_name": Workspace.name,
    "mode": PaymentsAccount.mode,
    "currency": PaymentsAccount.currency,
    "onboarding_status": PaymentsAccount.onboarding_status,
    "status_reason": PaymentsAccount.status_reason,
    "charges_enabled": PaymentsAccount.charges_enabled,
    "payouts_enabled": PaymentsAccount.payouts_enabled,
    "details_submitted": PaymentsAccount.details_submitted,
    "total_earned_cents": PaymentsAccount.total_earned_cents,
    "total_payment_count": PaymentsAccount.total_payment_count,
    "updated_at": PaymentsAccount.updated_at,
    "stripe_account_id": PaymentsAccount.stripe_account_id,
    "connection_id": PaymentsAccount.connection_id,
    "dashboard_type": PaymentsAccount.dashboard_type,
    "requirement_collection": PaymentsAccount.requirement_collection,
    "invite_id": OnboardingInvite.id,
    "expires_at": OnboardingInvite.expires_at,
    "opened_at": OnboardingInvite.opened_at,
    "started_at": OnboardingInvite.started_at,
    "completed_at": OnboardingInvite.completed_at,
    "revoked_at": OnboardingInvite.revoked_at,
}


def _listed_columns() -> Select:
    """A ListedResource's columns: servers with their account, workspace and newest invite."""
    newest_invite = (
        select(OnboardingInvite.id)
        .where(OnboardingInvite.server_id == Server.id)
        .order_by(OnboardingInvite.created_at.desc(), OnboardingInvite.id)
        .limit(1)
        .correlate(Server)
        .scalar_subquery()
    )
    return (
        select(*(LISTED_COLUMNS[name].label(name) for name in ListedResource._fields))
        .select_from(Server)
        .join(Server.payments)
        .join(Server.workspace)
        .outerjoin(OnboardingInvite, OnboardingInvite.id == newest_invite)
    )


# The two shapes of a listing: ORM servers for the API, plain rows for the dashboard.
_SHAPES: dict[str, Callable[[], Select]] = {
    "servers": with_account_and_workspace,
    "rows": _listed_columns,
}


@cache
def _statements(
    shape: str, by_workspace: bool, by_status: bool, among: bool
) -> tuple[Select, Select]:
    """(page, count) of `shape` under these filters, with their values as bind parameters.

    The count rides along the page as an uncorrelated scalar subquery, which PostgreSQL runs
    once (an InitPlan) on the index-only path `_count` chooses: one round trip for a page.
    `among`: the person's workspaces spelled out as well, which the membership join alone
    hides from the planner: PostgreSQL then reads the servers of one workspace from
    (workspace_id, kind, created_at, id) in order, instead of walking everybody's newest
    servers until 20 of theirs turn up (200 resources behind another tenant's 10,000 newer
    ones: 1.9 ms of PostgreSQL's time per page before, 0.19 ms after).
    """
    user_id = bindparam("user_id")
    workspace_id = bindparam("workspace_id") if by_workspace else None
    status = bindparam("status") if by_status else None
    count = _count(user_id, workspace_id, status)
    listed = visible_to(_SHAPES[shape](), user_id, workspace_id, status)
    if among:
        listed = listed.where(Server.workspace_id.in_(bindparam("among", expanding=True)))
    page = (
        listed.add_columns(count.scalar_subquery().label("total"))
        .order_by(Server.created_at.desc(), Server.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, count


def _page_of(
    shape: str,
    item: Callable[[Row[Any]], T],
    user_id: str,
    workspace_id: str | None,
    status: str | None,
    page: int,
    per_page: int,
    among: Collection[str] | None = None,
) -> ResourcePage[T]:
    """Page `page` (clamped to the last one) of the user's resources in `shape`, newest first,
    each row made an `item` (the total is the row's last column).

    Only a page past the end comes back without its total: that costs a count and the last page.
    """
    workspace_id = workspace_id or None
    status = status if status in STATUS_FILTERS else None
    among = list(among) if among is not None and workspace_id is None else None
    statement, count = _statements(
        shape, workspace_id is not None, status is not None, among is not None
    )
    values = {"user_id": user_id, "workspace_id": workspace_id, "status": status, "among": among}

    # Plain columns need none of the ORM's result handling: they run on the session's
    # connection (its transaction), a fifth cheaper in worker time than `session.execute`.
    execute = db.session.execute if shape == "servers" else db.session.connection().execute

    def fetch(number: int) -> list[Row[Any]]:
        bound = {**values, "limit": per_page, "offset": (number - 1) * per_page}
        return list(execute(statement, bound))

    page = max(1, page)
    rows = fetch(page)
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:
        total = db.session.scalar(count, values) or 0
        page = min(page, max(1, ceil(total / per_page)))
        rows = fetch(page) if total else []
    return ResourcePage([item(row) for row in rows], page, max(1, ceil(total / per_page)), total)


def list_resources(
    user_id: str,
    *,
    workspace_id: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> ResourcePage[Server]:
    """A page of the user's payments resources (with account and workspace), newest first:
    `/v1/servers` serializes every column.

    Numbered pages rather than keyset pagination: the dashboard shows "page N of M" and
    `/v1/servers` promises `total` and `totalPages` (seed 000), and on these indexes the count of
    one person's resources stays cheap (EXPLAIN at 10,000 and 100,000: bench/RESULTS.md).
    """
    return _page_of("servers", _server, user_id, workspace_id, status, page, per_page)


def list_resource_rows(
    user_id: str,
    *,
    workspace_id: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
    among: Collection[str] | None = None,
) -> ResourcePage[ListedResource]:
    """The same page as `list_resources`, as plain tuples of only what the dashboard prints and
    decides from, each with its resource's newest invite.

    `among`: the ids of the person's workspaces when the caller has them at hand (the signed-in
    person's memberships): only a hint to the query planner, the memberships still decide.
    """
    return _page_of("rows", _listed, user_id, workspace_id, status, page, per_page, among)


def _server(row: Row[Any]) -> Server:
    return row[0]


def _listed(row: Row[Any]) -> ListedResource:
    return ListedResource(*row[:-1])
