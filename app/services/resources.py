"""Payments resources: finding them for a user, listing, and creating them."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import AuditEvent, Membership, PaymentsAccount, Server, StripeConnection, Workspace
from app.security.permissions import MANAGE, ONBOARD, permissions_for_role, workspace_ids_with
from app.services import audit
from app.services.access import NotFound
from app.services.onboarding_invites import latest_states
from app.services.onboarding_plan import Action, resource_actions
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


def _visible_to(user_id: str) -> Select:
    """Payments resources in the user's workspaces, with account and workspace loaded."""
    return (
        select(Server)
        .join(Server.payments)
        .join(Server.workspace)
        .join(Membership, Membership.workspace_id == Server.workspace_id)
        .where(Membership.user_id == user_id, Server.kind == "payments")
        .options(contains_eager(Server.payments), contains_eager(Server.workspace))
    )


def list_resources(
    user_id: str,
    *,
    workspace_id: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> ResourcePage:
    """A page of the user's payments resources, newest first, in two queries whatever the size."""
    query = _visible_to(user_id)
    if workspace_id:
        query = query.where(Server.workspace_id == workspace_id)
    if status in STATUS_FILTERS:
        query = query.where(PaymentsAccount.onboarding_status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    items = db.session.scalars(
        query.order_by(Server.created_at.desc(), Server.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ResourcePage(items=list(items), page=page, pages=pages, total=total)


def get_resource(user_id: str, server_id: str) -> Server:
    """The user's payments resource `server_id`, or ResourceNotFound."""
    found = db.session.scalars(_visible_to(user_id).where(Server.id == server_id)).first()
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


def onboarding_panels(user_id: str, servers: list[Server]) -> dict[str, ResourceOnboarding]:
    """Buttons, key source, rights and invite state for each server, in three queries
    whatever the count.

    No Stripe call and no key decrypted: a page of the dashboard must stay cheap.
    """
    workspace_ids = {server.workspace_id for server in servers}
    if not workspace_ids:
        return {}
    roles = dict(
        db.session.execute(
            select(Membership.workspace_id, Membership.role).where(
                Membership.user_id == user_id, Membership.workspace_id.in_(workspace_ids)
            )
        ).all()
    )
    by_workspace: dict[str, list[StripeConnection]] = {ws: [] for ws in workspace_ids}
    for connection in db.session.scalars(
        select(StripeConnection)
        .where(StripeConnection.workspace_id.in_(workspace_ids))
        .order_by(StripeConnection.created_at, StripeConnection.id)
    ):
        by_workspace[connection.workspace_id].append(connection)
    invite_states = latest_states([server.id for server in servers])
    mode = app_key_mode()
    panels = {}
    for server in servers:
        granted = permissions_for_role(roles.get(server.workspace_id, ""))
        panels[server.id] = ResourceOnboarding(
            actions=resource_actions(server.payments),
            key_source=choose_key_source(server.payments, by_workspace[server.workspace_id], mode),
            can_onboard=ONBOARD in granted,
            can_manage=MANAGE in granted,
            invite_state=invite_states.get(server.id),
        )
    return panels


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


def workspaces_where(user_id: str, permission: str) -> list[Workspace]:
    """The user's workspaces in which they hold `permission`, by name."""
    allowed = set(workspace_ids_with(user_id, permission))
    return [workspace for workspace in user_workspaces(user_id) if workspace.id in allowed]


def user_workspaces(user_id: str) -> list[Workspace]:
    """The workspaces the user belongs to, by name."""
    return list(
        db.session.scalars(
            select(Workspace)
            .join(Membership)
            .where(Membership.user_id == user_id)
            .order_by(Workspace.name)
        )
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
        name=name, mode=mode, currency=currency.lower(), country=country.upper()
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
