"""Who may act on a workspace or a payments resource: the one check every caller uses.

Pages, both JSON APIs and the CLI ask here and translate the two exceptions into their own
answers (404 / 403 for pages and `/v1`; seed 004's 403 `4030` for `/web/v1`). An unknown id
and another workspace's id raise the same `NotFound`, so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Membership, Server
from app.security import permissions


class NotFound(LookupError):
    """No such object, or not in one of the person's workspaces (no existence leak)."""


class NotAPaymentsResource(NotFound):
    """A server of another kind in one of the person's workspaces: it has no onboarding.

    Pages answer it as any NotFound; `/v1` says 409 `not_a_payments_resource` (seed 000).
    """


class PermissionDenied(Exception):
    """A member of the workspace without the permission the action needs."""

    def __init__(self, permission: str) -> None:
        super().__init__(permission)
        self.permission = permission


def require_workspace(user_id: str, workspace_id: str, permission: str) -> Membership:
    """The person's membership of the workspace, if it grants `permission`."""
    found = db.session.get(Membership, (user_id, workspace_id))
    if found is None:
        raise NotFound(workspace_id)
    if permission not in permissions.permissions_for_role(found.role):
        raise PermissionDenied(permission)
    return found


def require_resource(user_id: str, server_id: str, permission: str) -> Server:
    """The payments resource `server_id`, if the person holds `permission` in its workspace.

    Membership is checked before the kind, so a stranger learns nothing about a server.
    """
    # Every caller goes on to the payments row (checked just below): one statement for both.
    server = db.session.get(Server, server_id, options=(joinedload(Server.payments),))
    if server is None or db.session.get(Membership, (user_id, server.workspace_id)) is None:
        raise NotFound(server_id)
    if server.kind != "payments" or server.payments is None:
        raise NotAPaymentsResource(server_id)
    require_workspace(user_id, server.workspace_id, permission)
    return server
