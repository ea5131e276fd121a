"""Roles and the permissions they grant — the one table in code — and the checks using it."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Membership

MANAGE = "workspace:manage"
ONBOARD = "payments:onboard"
VIEW = "payments:view"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset({MANAGE, ONBOARD, VIEW}),
    "admin": frozenset({MANAGE, ONBOARD, VIEW}),
    "developer": frozenset({ONBOARD, VIEW}),
    "viewer": frozenset({VIEW}),
}
ROLES = tuple(ROLE_PERMISSIONS)


def permissions_for_role(role: str) -> frozenset[str]:
    """The permissions a role grants (none for an unknown role)."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def membership(user_id: str, workspace_id: str) -> Membership | None:
    """The user's membership of a workspace, or None."""
    return db.session.get(Membership, (user_id, workspace_id))


def user_can(user_id: str, workspace_id: str, permission: str) -> bool:
    """Whether the user holds `permission` in the workspace."""
    found = membership(user_id, workspace_id)
    return found is not None and permission in permissions_for_role(found.role)


def workspace_ids_with(user_id: str, permission: str) -> list[str]:
    """Ids of the workspaces where the user holds `permission`."""
    rows = db.session.execute(
        select(Membership.workspace_id, Membership.role).where(Membership.user_id == user_id)
    )
    return [ws for ws, role in rows if permission in permissions_for_role(role)]


def require_workspace_permission(workspace_id: str, permission: str) -> Membership:
    """404 for non-members (no existence leak), 403 for members without the permission."""
    found = membership(current_user.id, workspace_id)
    if found is None:
        abort(404)
    if permission not in permissions_for_role(found.role):
        abort(403)
    return found


def login_required_json_aware(view):
    """Like `login_required`, but answers API callers 401 JSON and browsers a sign-in redirect."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if request.accept_mimetypes.best == "application/json":
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
