"""Payments resources: finding one for a user, what pages show about onboarding them, creating
them (pages of them: `resource_list`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, load_only

from app.extensions import db
from app.models import (
    AuditEvent,
    Membership,
    PaymentsAccount,
    Server,
    StripeConnection,
    User,
    Workspace,
    utcnow,
)
from app.security.permissions import MANAGE, ONBOARD, permissions_for_role
from app.services import audit, onboarding_invites
from app.services.access import NotFound
from app.services.onboarding.plan import Action, resource_actions
from app.services.resource_list import ListedResource, visible_to, with_account_and_workspace
from app.services.stripe_credentials import KeySource, app_key_mode, choose_key_source


class ResourceNotFound(NotFound):
    """No such payments resource, or not one of the user's workspaces (no existence leak)."""


def get_resource(user_id: str, server_id: str) -> Server:
    """The user's payments resource `server_id`, or ResourceNotFound.

    Its workspace's Stripe connections come in the same statement (a workspace has a handful),
    so the page's `resource_onboarding` needs no query of its own.
    """
    query = (
        visible_to(with_account_and_workspace(), user_id)
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


def onboarding_panels(user: User, rows: list[ListedResource]) -> dict[str, ResourceOnboarding]:
    """Buttons, key source, rights and invite state for each row of `list_resource_rows`, in
    one query whatever the count.

    The person's roles come from `user.memberships`, which the user loader reads with the user
    (`security.sessions.load_user`); the key availability of every row comes from one query
    over all the page's workspaces, of the columns `choose_key_source` reads (no secret). No
    Stripe call and no key decrypted: a page must stay cheap.
    """
    workspace_ids = {row.workspace_id for row in rows}
    if not workspace_ids:
        return {}
    by_workspace: dict[str, list[StripeConnection]] = {ws: [] for ws in workspace_ids}
    found = db.session.scalars(_key_source_connections(), {"workspace_ids": list(workspace_ids)})
    for connection in found:
        by_workspace[connection.workspace_id].append(connection)
    roles = {m.workspace_id: m.role for m in user.memberships}
    mode, now = app_key_mode(), utcnow()
    return {
        row.id: _onboarding(
            row,
            roles.get(row.workspace_id, ""),
            by_workspace[row.workspace_id],
            mode,
            invite_state=(onboarding_invites.invite_state(row, now=now) if row.invite_id else None),
        )
        for row in rows
    }


@cache
def _key_source_connections() -> Select:
    """The connections of the workspaces `workspace_ids`, oldest first, with only the columns
    `choose_key_source` reads (no secret): built once, like the listing's statements."""
    return (
        select(StripeConnection)
        .options(
            load_only(
                StripeConnection.workspace_id,
                StripeConnection.name,
                StripeConnection.mode,
                StripeConnection.status,
                StripeConnection.is_default,
                StripeConnection.created_at,
            )
        )
        .where(StripeConnection.workspace_id.in_(bindparam("workspace_ids", expanding=True)))
        .order_by(StripeConnection.created_at, StripeConnection.id)
    )


def resource_onboarding(user: User, server: Server) -> ResourceOnboarding:
    """Buttons, key source and rights for one resource that `get_resource` loaded: no query.

    Without the invite state: a resource's own page lists its invites (`invite_panel`).
    """
    role = next((m.role for m in user.memberships if m.workspace_id == server.workspace_id), "")
    return _onboarding(server.payments, role, server.workspace.stripe_connections, app_key_mode())


def _onboarding(
    payments: PaymentsAccount | ListedResource,
    role: str,
    connections: list[StripeConnection],
    mode: str | None,
    *,
    invite_state: str | None = None,
) -> ResourceOnboarding:
    granted = permissions_for_role(role)
    return ResourceOnboarding(
        actions=resource_actions(payments),
        key_source=choose_key_source(payments, connections, mode),
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
