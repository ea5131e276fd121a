"""The /web/v1 JSON API (seed 004): a workspace's Stripe connections, behind JWT bearer auth.

Every answer is seed 004's envelope. Successes: `{version, timestamp, success, code: "2000",
message: "SUCCESS", data}`; errors: `{success: false, code, message}` (plus per-field `errors`
for validation) — exactly the seed's 401/403 bodies. Session cookies are ignored: only the
bearer token authenticates, which is also why CSRF protection is safely off for this blueprint.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import BadRequest

from app.errors import MESSAGES, register_api_family
from app.extensions import csrf, limiter
from app.models import StripeConnection, User
from app.models.connections import STATUS_CODES
from app.security.api_tokens import bearer_token_from_request, rate_limit_key
from app.security.jwt_tokens import JwtRejected, user_from_jwt
from app.security.permissions import MANAGE, membership, permissions_for_role
from app.serializers import isoformat
from app.services import connections

bp = Blueprint("web_api", __name__, url_prefix="/web/v1")
PREFIX = "/web/v1/"
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)

# Body field (seed 004) → service field; the service's messages come back under the body names.
BODY_FIELDS = {
    "connectionName": "name",
    "connectionDescription": "description",
    "stripeAccountId": "stripe_account_id",
    "apiKey": "api_key",
    "webhookSecret": "webhook_secret",
    "partnerEndpoint": "partner_endpoint",
    "configJson": "config_json",
}
SERVICE_TO_BODY = {service: body for body, service in BODY_FIELDS.items()}

# HTTP status → seed 004 style code; 401 and 403 carry the seed's own sentences.
CODES = {
    400: "4000",
    401: "4010",
    403: "4030",
    404: "4040",
    405: "4050",
    409: "4090",
    413: "4130",
    415: "4000",
    422: "4220",
    429: "4290",
    500: "5000",
    503: "5030",
}
SEED_MESSAGES = {401: "Invalid or expired token", 403: "Insufficient permissions"}
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request_id() -> str:
    """The gateway's X-Request-Id when it is sane, else one of ours; the same all request long."""
    if "web_request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.web_request_id = given if REQUEST_ID_RE.match(given) else "req_" + secrets.token_hex(12)
    return g.web_request_id


def _answer(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["X-Request-Id"] = _request_id()
    response.headers["Cache-Control"] = "no-store"
    return response


def success(data: Any, status: int = 200) -> Response:
    """Seed 004's success envelope around `data`."""
    return _answer(
        status,
        {
            "version": current_app.config["API_VERSION"],
            "timestamp": int(time.time() * 1000),
            "success": True,
            "code": "2000",
            "message": "SUCCESS",
            "data": data,
        },
    )


def web_api_error(
    status: int, code: str | None = None, message: str | None = None, fields: dict | None = None
) -> Response:
    """Seed 004's error body; also the family renderer for routing errors under /web/v1."""
    if code is None or not code.isdigit():
        code = CODES.get(status, f"{status}0")
    if status in SEED_MESSAGES:
        message = SEED_MESSAGES[status]
    body: dict[str, Any] = {
        "success": False,
        "code": code,
        "message": message or MESSAGES.get(status, ("", "Something went wrong."))[1],
    }
    if fields:
        body["errors"] = fields
    response = _answer(status, body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="web/v1"'
    return response


register_api_family(PREFIX, web_api_error)


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


@bp.before_request
def authenticate() -> Response | None:
    """Only `Authorization: Bearer <jwt>` counts; a session cookie is never looked at."""
    _request_id()
    token = bearer_token_from_request()
    if token is None:
        return web_api_error(401)
    try:
        g.web_api_user = user_from_jwt(token)
    except JwtRejected as error:
        current_app.logger.info("web/v1 token rejected: %s", error)
        return web_api_error(401)
    return None


def _require_manage(workspace_id: str) -> Response | None:
    """404 when the caller is not a member (no existence leak), 403 without workspace:manage."""
    user: User = g.web_api_user
    found = membership(user.id, workspace_id)
    if found is None:
        return web_api_error(404, message="No such workspace.")
    if MANAGE not in permissions_for_role(found.role):
        return web_api_error(403)
    return None


def _json_body() -> dict[str, Any] | Response:
    """The request's JSON object, or the 400 answer explaining what was wrong with it."""
    if not request.is_json:
        return web_api_error(400, message="Send a JSON body with Content-Type: application/json.")
    try:
        body = request.get_json()
    except BadRequest:
        return web_api_error(400, message="The body is not valid JSON.")
    if not isinstance(body, dict):
        return web_api_error(400, message="The body must be a JSON object.")
    return body


def _field_values(body: dict[str, Any]) -> dict[str, Any] | Response:
    """Service arguments from the body; strings (or null for optional fields) only."""
    errors = {
        name: f"{name} must be a string."
        for name in BODY_FIELDS
        if body.get(name) is not None and not isinstance(body[name], str)
    }
    if errors:
        return web_api_error(422, message="Some fields are invalid.", fields=errors)
    return {service: body.get(name) for name, service in BODY_FIELDS.items()}


@bp.post("/workspaces/<workspace_id>/stripe/connections")
def create_connection(workspace_id: str) -> Response:
    """Create a Stripe connection (seed 004): 201 with the connection, never its secrets."""
    if (refused := _require_manage(workspace_id)) is not None:
        return refused
    body = _json_body()
    if isinstance(body, Response):
        return body
    values = _field_values(body)
    if isinstance(values, Response):
        return values
    try:
        connection, _notification_secret = connections.create_connection(
            workspace_id, actor_user_id=g.web_api_user.id, **values
        )
    except connections.ConnectionInvalid as invalid:
        fields = {SERVICE_TO_BODY.get(k, k): v for k, v in invalid.errors.items()}
        if invalid.stripe_unreachable:
            return web_api_error(
                503, message="Stripe is unavailable to verify the key. Try again shortly."
            )
        return web_api_error(422, message="Some fields are invalid.", fields=fields)
    # Seed 004's data has no field for the notification signing secret; an admin reveals it
    # by rolling it on the connection's page.
    return success(serialize_connection(connection), 201)


@bp.get("/workspaces/<workspace_id>/stripe/connections")
def list_connections(workspace_id: str) -> Response:
    """The workspace's Stripe connections, in the same envelope."""
    if (refused := _require_manage(workspace_id)) is not None:
        return refused
    return success([serialize_connection(c) for c in connections.list_connections(workspace_id)])


@bp.get("/workspaces/<workspace_id>/stripe/connections/<connection_id>")
def get_connection(workspace_id: str, connection_id: str) -> Response:
    """One Stripe connection of the workspace."""
    if (refused := _require_manage(workspace_id)) is not None:
        return refused
    try:
        connection = connections.get_connection(workspace_id, connection_id)
    except connections.ConnectionNotFound:
        return web_api_error(404, message="No such Stripe connection.")
    return success(serialize_connection(connection))
