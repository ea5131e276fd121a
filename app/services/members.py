"""Workspaces and their members: create, rename, change roles, remove, leave.

The rule that a workspace always keeps an owner lives in `_ensure_an_owner_remains`, and every
change of a membership — from the browser, the CLI or any API — goes through `change_role` or
`remove_member` here, so no caller can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Membership, User, Workspace
from app.security.permissions import MANAGE, ROLES
from app.services import audit
from app.services.access import NotFound, require_workspace

NAME_MAX_LENGTH = 120


class MemberError(ValueError):
    """A membership change was refused; the message says why, for people."""


class LastOwnerError(MemberError):
    """The change would leave the workspace without an owner."""


@dataclass(frozen=True)
class MemberRow:
    """A member as the members page lists them."""

    user_id: str
    name: str
    email: str
    role: str


def clean_workspace_name(name: str | None) -> str:
    """A workspace name, stripped; MemberError when empty or too long."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise MemberError("Give the workspace a name.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise MemberError(f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return cleaned


def create_workspace(user_id: str, name: str | None) -> Workspace:
    """A new workspace with `user_id` as its owner; commits."""
    workspace = Workspace(name=clean_workspace_name(name))
    workspace.memberships.append(Membership(user_id=user_id, role="owner"))
    db.session.add(workspace)
    db.session.flush()
    audit.record(
        "workspace.created",
        subject_type="workspace",
        subject_id=workspace.id,
        workspace_id=workspace.id,
        actor_user_id=user_id,
        details={"name": workspace.name},
    )
    db.session.commit()
    return workspace


def rename_workspace(workspace_id: str, name: str | None, *, actor_user_id: str) -> Workspace:
    """Rename a workspace (`workspace:manage`); commits."""
    require_workspace(actor_user_id, workspace_id, MANAGE)
    cleaned = clean_workspace_name(name)
    workspace = db.session.get(Workspace, workspace_id)
    if workspace.name != cleaned:
        audit.record(
            "workspace.renamed",
            subject_type="workspace",
            subject_id=workspace.id,
            workspace_id=workspace.id,
            actor_user_id=actor_user_id,
            details={"from": workspace.name, "to": cleaned},
        )
        workspace.name = cleaned
        db.session.commit()
    return workspace


def workspaces_of(user_id: str) -> list[tuple[Workspace, str]]:
    """The user's workspaces with their role in each, by name."""
    rows = db.session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.name, Workspace.id)
    )
    return [(workspace, role) for workspace, role in rows]


def list_members(workspace_id: str) -> list[MemberRow]:
    """Every member with their role: owners first, then by name and email."""
    role_order = {role: index for index, role in enumerate(ROLES)}
    rows = db.session.execute(
        select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.name, User.email, User.id)
    ).all()
    members = [MemberRow(*row) for row in rows]
    return sorted(members, key=lambda m: role_order.get(m.role, len(role_order)))


def _lock_workspace(workspace_id: str) -> None:
    """Serialise membership changes of one workspace until the transaction ends.

    Without it two owners demoting each other at once would each see the other still an
    owner and both commit, leaving none. A no-op UPDATE takes the row lock on PostgreSQL and
    the write lock on SQLite, so the owner count read after it is the committed truth.
    """
    db.session.execute(
        update(Workspace).where(Workspace.id == workspace_id).values(name=Workspace.name)
    )


def _ensure_an_owner_remains(workspace_id: str, user_id: str, new_role: str | None) -> None:
    """Refuse to demote or remove the last owner (`new_role` None means removal)."""
    found = db.session.get(Membership, (user_id, workspace_id))
    if found is None or found.role != "owner" or new_role == "owner":
        return
    owners = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == "owner")
    )
    if (owners or 0) <= 1:
        raise LastOwnerError(
            "A workspace needs an owner, and this is its last owner: make someone else an owner "
            "first."
            if new_role
            else "The last owner cannot leave or be removed: make someone else an owner first."
        )


def _membership_for_change(workspace_id: str, user_id: str) -> Membership:
    _lock_workspace(workspace_id)
    found = db.session.get(Membership, (user_id, workspace_id), populate_existing=True)
    if found is None:
        raise NotFound(user_id)
    return found


def change_role(
    workspace_id: str,
    user_id: str,
    role: str,
    *,
    actor_user_id: str | None,
    actor_label: str | None = None,
) -> Membership:
    """Give a member another role; commits. Callers check the actor's permission first."""
    if role not in ROLES:
        raise MemberError(f"Choose one of: {', '.join(ROLES)}.")
    found = _membership_for_change(workspace_id, user_id)
    try:
        _ensure_an_owner_remains(workspace_id, user_id, role)
    except LastOwnerError:
        db.session.rollback()
        raise
    if found.role != role:
        audit.record(
            "member.role_changed",
            subject_type="membership",
            subject_id=user_id,
            workspace_id=workspace_id,
            actor_user_id=actor_user_id,
            actor_label=actor_label,
            details={"from": found.role, "to": role},
        )
        found.role = role
    db.session.commit()
    return found


def remove_member(
    workspace_id: str,
    user_id: str,
    *,
    actor_user_id: str | None,
    actor_label: str | None = None,
) -> None:
    """Remove a member (or, when actor and member are one, leave); commits.

    Access is checked on every request against the membership row, so the removed person's
    open sessions, API tokens and JWTs lose this workspace with this commit.
    """
    found = _membership_for_change(workspace_id, user_id)
    try:
        _ensure_an_owner_remains(workspace_id, user_id, None)
    except LastOwnerError:
        db.session.rollback()
        raise
    audit.record(
        "member.left" if actor_user_id == user_id else "member.removed",
        subject_type="membership",
        subject_id=user_id,
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        details={"role": found.role},
    )
    db.session.delete(found)
    db.session.commit()


def change_role_as(actor_user_id: str, workspace_id: str, user_id: str, role: str) -> Membership:
    """A manager changes a member's role (`workspace:manage`)."""
    require_workspace(actor_user_id, workspace_id, MANAGE)
    return change_role(workspace_id, user_id, role, actor_user_id=actor_user_id)


def remove_member_as(actor_user_id: str, workspace_id: str, user_id: str) -> None:
    """A manager removes a member (`workspace:manage`)."""
    require_workspace(actor_user_id, workspace_id, MANAGE)
    remove_member(workspace_id, user_id, actor_user_id=actor_user_id)


def leave_workspace(user_id: str, workspace_id: str) -> None:
    """A member leaves a workspace, whatever their role (the last owner cannot)."""
    remove_member(workspace_id, user_id, actor_user_id=user_id)
