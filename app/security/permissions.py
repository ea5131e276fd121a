"""Roles and the permissions they grant — the one table in code — and the route decorator."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_login import current_user

from app.extensions import db
from app.models import Membership
from app.services import access

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

# What the 403 page says to a member who lacks a permission.
DENIED_MESSAGES: dict[str, str] = {
    ONBOARD: "Your role in this workspace can view this resource but not onboard it.",
    MANAGE: "Only the workspace's owners and admins can do that.",
}


def permissions_for_role(role: str) -> frozenset[str]:
    """The permissions a role grants (none for an unknown role)."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def membership(user_id: str, workspace_id: str) -> Membership | None:
    """The user's membership of a workspace, or None."""
    return db.session.get(Membership, (user_id, workspace_id))


def workspace_permission(permission: str) -> Callable:
    """Route decorator: the signed-in person must hold `permission` in `<workspace_id>`.

    Non-members get 404 (`access.NotFound`: no existence leak) and members without the
    permission 403 (`access.PermissionDenied`); the app's error handlers render both. Put it
    below `@login_required`.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            access.require_workspace(current_user.id, kwargs["workspace_id"], permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator
