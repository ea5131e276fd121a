"""Payments resources: finding them for a user, listing, and creating them."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import (
    AuditEvent,
    Membership,
    PaymentsAccount,
    Server,
    StripeConnection,
    User,
    Workspace,
)
from app.security.permissions import MANAGE, ONBOARD, permissions_for_role
from app.services import audit
from app.services.access import NotFound
from app.services.onboarding.plan import Action, resource_actions
from app.services.onboarding_invites import latest_states
from app.services.stripe_credentials import KeySource, app_key_mode, choose_key_source

STATUS_FILTERS = ("not_started", "pending", "complete")


class ResourceNotFound(NotFound):
    """No such payments resource, or not one of the user's workspaces (no existence leak)."""


@dataclass(frozen=True)
class ResourcePage:
    """One page of the dashboard list."""

    items: list[Server]
    page: int
    pages: int
    total: int


def _visible_to(
    query: Select, user_id: str, workspace_id: str | None = None, status: str | None = None
) -> Select:
    """`query` (over servers joined to their payments account) narrowed to the user's view.

    Every filter has an index: memberships by its primary key (user_id, workspace_id), servers
    by (workspace_id, kind, created_at, id), accounts by (workspace_id, onboarding_status).
    """
    query = query.join(Membership, Membership.workspace_id == Server.workspace_id).where(
        Membership.user_id == user_id, Server.kind == "payments"
    )
    if workspace_id:
        query = query.where(Server.workspace_id == workspace_id)
    if status in STATUS_FILTERS:
        query = query.where(PaymentsAccount.onboarding_status == status)
    return query


def _with_account_and_workspace() -> Select:
    """Servers with their payments account and workspace loaded in the same statement."""
    return (
        select(Server)
        .join(Server.payments)
        .join(Server.workspace)
        .options(contains_eager(Server.payments), contains_eager(Server.workspace))
    )


def _count(user_id: str, workspace_id: str | None, status: str | None) -> Select:
    """How many resources `_visible_to` lets through, read from one index either way.

    A payments server and its account are created and deleted together, in the same workspace:
    without a status filter servers alone are counted (an index-only scan of
    (workspace_id, kind, …)); with one, accounts alone (an index-only scan of
    (workspace_id, onboarding_status)), never a join of the two tables row by row.
    """
    if status not in STATUS_FILTERS:
        return _visible_to(select(func.count()).select_from(Server), user_id, workspace_id)
    query = (
        select(func.count())
        .select_from(PaymentsAccount)
        .join(Membership, Membership.workspace_id == PaymentsAccount.workspace_id)
        .where(Membership.user_id == user_id, PaymentsAccount.onboarding_status == status)
    )
    if workspace_id:
        query = query.where(PaymentsAccount.workspace_id == workspace_id)
    return query


def list_resources(
    user_id: str,
    *,
    workspace_id: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> ResourcePage:
    """A page of the user's payments resources, newest first, in two queries whatever the size.

    The count reads indexed columns only (no row is built), so PostgreSQL answers it with
    index-only scans; the page walks the (created_at, id) order and stops after `per_page`.
    Numbered pages rather than keyset pagination: the dashboard shows "page N of M" and
    `/v1/servers` promises `total` and `totalPages` (seed 000), and on these indexes the count of
    one person's resources stays cheap (EXPLAIN at 10,000 and 100,000: bench/RESULTS.md).
    """
    total = db.session.scalar(_count(user_id, workspace_id, status)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    listed = _visible_to(_with_account_and_workspace(), user_id, workspace_id, status)
    items = db.session.scalars(
        listed.order_by(Server.created_at.desc(), Server.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ResourcePage(items=list(items), page=page, pages=pages, total=total)


def get_resource(user_id: str, server_id: str) -> Server:
    """The user's payments resource `server_id`, or ResourceNotFound.

    Its workspace's Stripe connections come in the same statement (a workspace has a handful),
    so the page's `resource_onboarding` needs no query of its own.
    """
    query = (
        _visible_to(_with_account_and_workspace(), user_id)
        .where(Server.id == server_id)
        .options(contains_eager(Server.workspace).joinedload(Workspace.stripe_connections))
    )
    found = db.session.scalars(query).unique().first()
    if found is None:
        raise ResourceNotFound(server_id)
    return found


@dataclass(frozen=True)
class ResourceOnboarding:
    """What a page shows about onboarding one resource, as this person may use it."""

    actions: list[Action]
    key_source: KeySource
    can_onboard: bool
    can_manage: bool
    # The newest onboarding invite's state (`sent`, `opened`, … `completed`), or None.
    invite_state: str | None = None


def onboarding_panels(user: User, servers: list[Server]) -> dict[str, ResourceOnboarding]:
    """Buttons, key source, rights and invite state for each server, in two queries whatever
    the count.

    The person's roles come from `user.memberships`, which the user loader reads with the user
    (`security.sessions.load_user`); the key availability of every row comes from one query
    over all the page's workspaces. No Stripe call and no key decrypted: a page must stay cheap.
    """
    workspace_ids = {server.workspace_id for server in servers}
    if not workspace_ids:
        return {}
    by_workspace: dict[str, list[StripeConnection]] = {ws: [] for ws in workspace_ids}
    for connection in db.session.scalars(
        select(StripeConnection)
        .where(StripeConnection.workspace_id.in_(workspace_ids))
        .order_by(StripeConnection.created_at, StripeConnection.id)
    ):
        by_workspace[connection.workspace_id].append(connection)
    invite_states = latest_states([server.id for server in servers])
    mode = app_key_mode()
    return {
        server.id: _onboarding(
            user,
            server,
            by_workspace[server.workspace_id],
            mode,
            invite_state=invite_states.get(server.id),
        )
        for server in servers
    }


def resource_onboarding(user: User, server: Server) -> ResourceOnboarding:
    """Buttons, key source and rights for one resource that `get_resource` loaded: no query.

    Without the invite state: a resource's own page lists its invites (`invite_panel`).
    """
    return _onboarding(user, server, server.workspace.stripe_connections, app_key_mode())


def _onboarding(
    user: User,
    server: Server,
    connections: list[StripeConnection],
    mode: str | None,
    *,
    invite_state: str | None = None,
) -> ResourceOnboarding:
    role = next((m.role for m in user.memberships if m.workspace_id == server.workspace_id), "")
    granted = permissions_for_role(role)
    return ResourceOnboarding(
        actions=resource_actions(server.payments),
        key_source=choose_key_source(server.payments, connections, mode),
        can_onboard=ONBOARD in granted,
        can_manage=MANAGE in granted,
        invite_state=invite_state,
    )


def can_manage(user_id: str, server_id: str) -> bool:
    """Whether the person is an admin (`workspace:manage`) of the resource's workspace."""
    role = db.session.scalar(
        select(Membership.role)
        .join(Server, Server.workspace_id == Membership.workspace_id)
        .where(Server.id == server_id, Membership.user_id == user_id)
    )
    return role is not None and MANAGE in permissions_for_role(role)


def recent_activity(server: Server, limit: int = 50) -> list[AuditEvent]:
    """The resource's audit trail (its server row and payments account), newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id.in_([server.id, server.payments.id]))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def user_workspaces(user: User, permission: str | None = None) -> list[Workspace]:
    """The user's workspaces by name — only those where they hold `permission`, when given.

    Reads `user.memberships` and their workspaces, which the user loader brings along with the
    signed-in person: no query of its own on a page.
    """
    return sorted(
        (
            membership.workspace
            for membership in user.memberships
            if permission is None or permission in permissions_for_role(membership.role)
        ),
        key=lambda workspace: (workspace.name, workspace.id),
    )


def create_payments_resource(
    *,
    workspace_id: str,
    user_id: str | None,
    name: str,
    description: str,
    mode: str,
    currency: str,
    country: str,
    actor_label: str | None = None,
) -> Server:
    """Create a payments resource (server row + not yet onboarded payments account); commit."""
    server = Server(
        workspace_id=workspace_id,
        user_id=user_id,
        name=name,
        description=description,
        kind="payments",
        status="draft",
        auth_mode="private",
        metadata_={},
    )
    server.payments = PaymentsAccount(
        workspace_id=workspace_id,
        name=name,
        mode=mode,
        currency=currency.lower(),
        country=country.upper(),
    )
    db.session.add(server)
    db.session.flush()
    audit.record_on_server(
        "resource.created",
        server,
        actor_user_id=user_id,
        actor_label=actor_label,
        details={"name": name, "mode": mode},
    )
    db.session.commit()
    return server
