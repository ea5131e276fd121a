"""/web/v1's routes (seed 004): a workspace's Stripe connections, behind JWT bearer auth.

Every answer is seed 004's envelope; views raise and `ERRORS` answers. Session cookies are
ignored: only the bearer token authenticates, which is also why CSRF protection is safely off
for this blueprint. When `PORTAL_ACCESS_CODE` is configured, the request must also carry it in
`X-PORTAL-ACCESS-CODE` (the seed's Nginx header), compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from app.api.families import (
    json_body,
    refuse_control_characters_in_path,
    register_error_table,
    validated,
)
from app.api.web_v1.errors import ERRORS, StripeUnverifiable, Unauthenticated, web_api_error
from app.api.web_v1.models import StripeConnectionCreate
from app.errors import register_api_family
from app.extensions import csrf, limiter
from app.models import StripeConnection
from app.models.connections import STATUS_CODES
from app.security.api_tokens import bearer_token_from_request, rate_limit_key
from app.security.jwt_tokens import JwtRejected, user_from_jwt
from app.security.permissions import MANAGE
from app.serializers import isoformat
from app.services import access, connections
from app.services.connection_rules import ConnectionInvalid

bp = Blueprint("web_api", __name__, url_prefix="/web/v1")
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)
register_error_table(bp, ERRORS, web_api_error)
PORTAL_HEADER = "X-PORTAL-ACCESS-CODE"


@bp.record_once
def _register_error_family(state) -> None:
    register_api_family(state.app, "/web/v1/", web_api_error)


def success(data: Any, status: int = 200) -> Response:
    """Seed 004's success envelope around `data`."""
    response = jsonify(
        {
            "version": current_app.config["API_VERSION"],
            "timestamp": int(time.time() * 1000),
            "success": True,
            "code": "2000",
            "message": "SUCCESS",
            "data": data,
        }
    )
    response.status_code = status
    return response


def serialize_connection(connection: StripeConnection) -> dict[str, Any]:
    """A connection as seed 004's `data` object."""
    return {
        "bizId": connection.id,
        "tenantBizId": connection.workspace.tenant_id,
        "connectionName": connection.name,
        "connectionDescription": connection.description,
        "stripeAccountId": connection.stripe_account_id,
        "partnerEndpoint": connection.partner_endpoint,
        "configJson": connection.config_json,
        "status": STATUS_CODES[connection.status],
        "statusName": connection.status,
        "createdAt": isoformat(connection.created_at),
        "updatedAt": isoformat(connection.updated_at),
    }


def _portal_code_matches() -> bool:
    expected = current_app.config["PORTAL_ACCESS_CODE"]
    if not expected:
        return True
    given = request.headers.get(PORTAL_HEADER, "")
    return hmac.compare_digest(given.encode(), expected.encode())


@bp.before_request
def authenticate() -> None:
    """The portal code when configured, then `Authorization: Bearer <jwt>`; cookies never count.

    Then the caller needs `workspace:manage` on the workspace in the path: an unknown or
    foreign workspace is refused exactly like an insufficient role (403 `4030`).
    """
    if not _portal_code_matches():
        raise Unauthenticated
    token = bearer_token_from_request()
    if token is None:
        raise Unauthenticated
    try:
        g.web_api_user = user_from_jwt(token)
    except JwtRejected as error:
        current_app.logger.info("web/v1 token rejected: %s", error)
        raise Unauthenticated from None
    refuse_control_characters_in_path()
    workspace_id = (request.view_args or {}).get("workspace_id")
    if workspace_id is not None:
        access.require_workspace(g.web_api_user.id, workspace_id, MANAGE)


@bp.after_request
def never_cache(response: Response) -> Response:
    """Answers are per caller."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/workspaces/<workspace_id>/stripe/connections")
def create_connection(workspace_id: str) -> Response:
    """Create a Stripe connection (seed 004): 201 with the connection, never its secrets."""
    wanted = validated(StripeConnectionCreate, json_body(empty_means=None))
    try:
        connection, _notification_secret = connections.create_connection(
            workspace_id, actor_user_id=g.web_api_user.id, **wanted.service_values()
        )
    except ConnectionInvalid as invalid:
        if invalid.stripe_unreachable:
            raise StripeUnverifiable from invalid
        raise
    # Seed 004's data has no field for the notification signing secret; an admin reveals it
    # by rolling it on the connection's page.
    return success(serialize_connection(connection), 201)


@bp.get("/workspaces/<workspace_id>/stripe/connections")
def list_connections(workspace_id: str) -> Response:
    """The workspace's Stripe connections, in the same envelope."""
    return success([serialize_connection(c) for c in connections.list_connections(workspace_id)])


@bp.get("/workspaces/<workspace_id>/stripe/connections/<connection_id>")
def get_connection(workspace_id: str, connection_id: str) -> Response:
    """One Stripe connection of the workspace."""
    return success(serialize_connection(connections.get_connection(workspace_id, connection_id)))
