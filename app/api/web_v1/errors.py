"""/web/v1's envelope for errors and its error table (seed 004).

Errors are `{success: false, code, message}` (plus per-field `errors` for validation): exactly
the seed's 401 and 403 bodies. An unknown workspace, another tenant's workspace and one where
the caller lacks `workspace:manage` all answer the seed's 403 `4030`, so nobody can tell which
workspaces exist.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from app.api.families import (
    ControlCharacterInPath,
    DatabaseUnavailable,
    ErrorRule,
    InvalidFields,
    MalformedJson,
    NotAnObject,
    NotJson,
)
from app.api.web_v1.models import SERVICE_TO_BODY
from app.errors import MESSAGES
from app.services import access, connections
from app.services.connection_rules import ConnectionInvalid
from app.stripe_errors import StripeGatewayError, rows_by_exception

# HTTP status → seed 004 style code; 401 and 403 carry the seed's own sentences.
CODES = {
    400: "4000",
    401: "4010",
    403: "4030",
    404: "4040",
    405: "4050",
    409: "4090",
    502: "5020",
    413: "4130",
    415: "4000",
    422: "4220",
    429: "4290",
    500: "5000",
    503: "5030",
}
SEED_MESSAGES = {401: "Invalid or expired token", 403: "Insufficient permissions"}


class Unauthenticated(Exception):
    """No valid bearer JWT, or (when configured) no matching portal access code."""


class StripeUnverifiable(Exception):
    """Stripe could not be reached to verify the key."""


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
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="web/v1"'
    return response


def _body_fields(invalid: ConnectionInvalid) -> dict[str, str]:
    return {SERVICE_TO_BODY.get(name, name): message for name, message in invalid.errors.items()}


ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(MalformedJson, 400, "4000", lambda e: e.message),
    ErrorRule(NotAnObject, 400, "4000", lambda e: e.message),
    ErrorRule(NotJson, 400, "4000", lambda e: e.message),
    ErrorRule(Unauthenticated, 401, "4010", SEED_MESSAGES[401]),
    ErrorRule(access.NotFound, 403, "4030", SEED_MESSAGES[403]),
    ErrorRule(access.PermissionDenied, 403, "4030", SEED_MESSAGES[403]),
    ErrorRule(ControlCharacterInPath, 403, "4030", SEED_MESSAGES[403]),
    ErrorRule(connections.ConnectionNotFound, 404, "4040", "No such Stripe connection."),
    ErrorRule(InvalidFields, 422, "4220", "Some fields are invalid.", fields=lambda e: e.fields),
    ErrorRule(ConnectionInvalid, 422, "4220", "Some fields are invalid.", fields=_body_fields),
    ErrorRule(
        StripeUnverifiable,
        503,
        "5030",
        "Stripe is unavailable to verify the key. Try again shortly.",
    ),
    ErrorRule(
        DatabaseUnavailable,
        503,
        "5030",
        "Our database is unavailable right now. Try again shortly.",
    ),
    # Stripe's refusals, from the one table the pages and /v1 use.
    *(
        ErrorRule(exception, row.v1_status, row.web_code, StripeGatewayError.explained)
        for exception, row in rows_by_exception().items()
    ),
)
