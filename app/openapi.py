"""The OpenAPI 3.1 document of both JSON APIs: /v1 (seed 000) and /web/v1 (seed 004).

Written by hand, next to the code it describes, and checked against it by the tests: every route
under /v1 and /web/v1 is documented (and nothing else is), and schemathesis sends generated
requests to the app and validates every answer against this document. Field lists come from
the serializers, so a field added there and not here fails the conformance tests.
"""

from __future__ import annotations

from typing import Any

from app.api_input import (
    CONNECT_FIELDS,
    EMAIL_MAX_LENGTH,
    MAX_PAGE,
    MAX_PER_PAGE,
    PRODUCT_DESCRIPTION_MAX_LENGTH,
)
from app.models.servers import AUTH_MODES, SERVER_KINDS, SERVER_STATUSES
from app.reference import STRIPE_COUNTRIES
from app.serializers import CONNECTION_FIELDS, PAYMENTS_FIELDS, SERVER_FIELDS

JSON = "application/json"
NEXT_ACTIONS = ("onboarding", "update", "dashboard", "none")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **extra}


def _timestamp(description: str = "ISO 8601 timestamp, UTC.") -> dict[str, Any]:
    return {"type": "string", "format": "date-time", "description": description}


def _json_response(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


# /v1 errors ---------------------------------------------------------------------------------

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string"},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": '`Bearer realm="v1"`, with `error="invalid_token"` for a bad token.',
        "schema": {"type": "string"},
    }
}

V1_ERRORS: dict[str, dict[str, Any]] = {
    "400": _json_response(
        "Malformed JSON (`malformed_json`) or a body that is not a JSON object (`invalid_body`).",
        _ref("Error"),
    ),
    "401": _json_response(
        "No token (`unauthorized`), or an invalid or revoked token, or one whose user is "
        "deactivated (`invalid_token`).",
        _ref("Error"),
        headers=_WWW_AUTHENTICATE,
    ),
    "403": _json_response(
        "The token's user is a member of the resource's workspace but their role lacks "
        "`payments:onboard` (`forbidden`).",
        _ref("Error"),
    ),
    "404": _json_response(
        "No such server, or one in a workspace the token's user does not belong to — the two "
        "are indistinguishable on purpose (`not_found`).",
        _ref("Error"),
    ),
    "409": _json_response(
        "The server is not of kind `payments` (`not_a_payments_resource`), or onboarding is "
        "blocked because no usable Stripe key is configured (`onboarding_blocked`; the message "
        "says what an admin must do).",
        _ref("Error"),
    ),
    "415": _json_response(
        "A body was sent with a content type other than `application/json`.", _ref("Error")
    ),
    "422": _json_response(
        "Validation failed (`validation_failed`); `error.fields` maps each bad field or query "
        "parameter to a message.",
        _ref("Error"),
    ),
    "429": _json_response(
        "Rate limit exceeded (`rate_limited`): `API_RATE_LIMIT` per token (default 120 per "
        "minute).",
        _ref("Error"),
        headers=_RETRY_AFTER,
    ),
    "502": _json_response(
        "Stripe refused: the workspace's key was rejected (`stripe_key_rejected`), the account "
        "is unknown to the key (`stripe_account_not_found`), or another Stripe error "
        "(`stripe_error`).",
        _ref("Error"),
    ),
    "503": _json_response(
        "Stripe is unreachable, timed out or rate-limited us (`stripe_unavailable`), or another "
        "request is creating this resource's account right now (`account_creation_busy`).",
        _ref("Error"),
        headers=_RETRY_AFTER,
    ),
}


def _v1_errors(*statuses: int) -> dict[str, dict[str, Any]]:
    return {str(status): V1_ERRORS[str(status)] for status in statuses}


# /web/v1 errors -----------------------------------------------------------------------------

WEB_ERRORS: dict[str, dict[str, Any]] = {
    "400": _json_response(
        "No JSON object body, or malformed JSON (code `4000`).", _ref("WebError")
    ),
    "401": _json_response(
        "Missing, malformed, expired or wrongly signed JWT, or its user is inactive (code "
        "`4010`, message `Invalid or expired token`).",
        _ref("WebError"),
    ),
    "403": _json_response(
        "The user is a member of the workspace but lacks `workspace:manage` (code `4030`, "
        "message `Insufficient permissions`).",
        _ref("WebError"),
    ),
    "404": _json_response(
        "No such workspace for this user, or no such connection in it (code `4040`).",
        _ref("WebError"),
    ),
    "422": _json_response(
        "Validation failed (code `4220`); `errors` maps each body field to a message. The key "
        "and account are also verified with Stripe.",
        _ref("WebError"),
    ),
    "429": _json_response("Rate limit exceeded (code `4290`).", _ref("WebError")),
    "503": _json_response(
        "Stripe is unavailable to verify the key (code `5030`).", _ref("WebError")
    ),
}


def _web_errors(*statuses: int) -> dict[str, dict[str, Any]]:
    return {str(status): WEB_ERRORS[str(status)] for status in statuses}


# Schemas ------------------------------------------------------------------------------------

SERVER_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "description": "Unique identifier (`srv_…`)."},
    "userId": _nullable("string", description="User ID of the resource's creator."),
    "projectId": {"type": "string", "description": "Project ID: the workspace (`ws_…`)."},
    "name": {"type": "string", "description": "Human-readable name."},
    "description": {"type": "string", "description": "Human-readable description."},
    "kind": {"type": "string", "enum": list(SERVER_KINDS)},
    "sourceType": _nullable("string"),
    "sourceEnvironmentId": _nullable("string"),
    "sourcePath": _nullable("string", description="Workspace-relative file path."),
    "region": _nullable("string"),
    "runtime": _nullable("string"),
    "authMode": {"type": "string", "enum": list(AUTH_MODES)},
    "serviceUrl": _nullable("string"),
    "customDomain": _nullable("string"),
    "cloudRunServiceName": _nullable("string"),
    "imageUrl": _nullable("string"),
    "status": {
        "type": "string",
        "enum": list(SERVER_STATUSES),
        "description": "Current lifecycle status.",
    },
    "lastDeployedAt": _nullable("string", format="date-time"),
    "metadata": {"type": "object", "description": "Free-form metadata object."},
    "createdAt": _timestamp(),
    "updatedAt": _timestamp(),
}

PAYMENTS_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "description": "Unique identifier (`pay_…`)."},
    "name": {"type": "string", "description": "Human-readable name."},
    "kind": {"type": "string", "enum": ["payments"]},
    "status": {
        "type": "string",
        "description": "Current lifecycle status: `active`, or `disconnected` after the Stripe "
        "account removed the platform's access.",
    },
    "provider": {"type": "string", "enum": ["stripe"]},
    "mode": {"type": "string", "enum": ["test", "live"]},
    "stripeAccountId": _nullable(
        "string", description="The connected account (`acct_…`); null before Connect."
    ),
    "onboardingStatus": {"type": "string", "enum": ["not_started", "pending", "complete"]},
    "chargesEnabled": {"type": "boolean"},
    "payoutsEnabled": {"type": "boolean"},
    "currency": {"type": "string", "description": "Three-letter ISO currency code, lower case."},
    "totalEarnedCents": {"type": "integer"},
    "totalPaymentCount": {"type": "integer"},
    "updatedAt": _timestamp(),
}

_STRING_LIST = {"type": "array", "items": {"type": "string"}}


def _schemas() -> dict[str, Any]:
    return {
        "Server": {
            "type": "object",
            "description": "Seed 000's `server` object.",
            "properties": SERVER_PROPERTIES,
            "required": list(SERVER_FIELDS),
        },
        "Payments": {
            "type": "object",
            "description": "Seed 000's `payments` object.",
            "properties": PAYMENTS_PROPERTIES,
            "required": list(PAYMENTS_FIELDS),
        },
        "Resource": {
            "type": "object",
            "description": "A payments resource: a server of kind `payments` and its account.",
            "properties": {"server": _ref("Server"), "payments": _ref("Payments")},
            "required": ["server", "payments"],
        },
        "ConnectAccountRequest": {
            "type": "object",
            "description": "Used only when this call creates the Stripe account; ignored when "
            "the resource already has one. Unknown fields are refused (422).",
            "properties": {
                "country": {
                    "type": "string",
                    "enum": sorted(STRIPE_COUNTRIES),
                    "description": "ISO 3166-1 alpha-2 country code (upper case) for Stripe "
                    "Connect onboarding; one where Stripe accounts can be created. Defaults "
                    "to the resource's country.",
                },
                "email": {
                    "type": "string",
                    "format": "email",
                    "maxLength": EMAIL_MAX_LENGTH,
                    "description": "The account holder's email, prefilled in onboarding.",
                },
                "productDescription": {
                    "type": "string",
                    "maxLength": PRODUCT_DESCRIPTION_MAX_LENGTH,
                    "description": "What the business sells, prefilled in onboarding.",
                },
            },
            "additionalProperties": False,
        },
        "ConnectAccountResponse": {
            "type": "object",
            "description": "Seed 000's response, plus `nextAction`, `accountCreated` and "
            "`urlExpiresAt`.",
            "properties": {
                "server": _ref("Server"),
                "payments": _ref("Payments"),
                "url": {
                    "type": "string",
                    "format": "uri",
                    "description": "Stripe Connect onboarding URL when a new onboarding link "
                    "was minted. Absent when onboarding is complete: no link is minted and "
                    "`nextAction` says what the resource can do instead. Single-use and "
                    "short-lived: send the person there now; never store or log it.",
                },
                "urlExpiresAt": _timestamp("When `url` stops working (present with `url`)."),
                "nextAction": {
                    "type": "string",
                    "enum": list(NEXT_ACTIONS),
                    "description": "`onboarding`: `url` starts or continues onboarding; "
                    "`update`: `url` lets the person update details; `dashboard`: onboarding "
                    "is complete, the person manages the account in Stripe's Express "
                    "dashboard (open it from the web app); `none`: complete, nothing to do.",
                },
                "accountCreated": {
                    "type": "boolean",
                    "description": "Whether this call gave the resource its Stripe "
                    "account: created it, or found the one an interrupted earlier attempt "
                    "had made.",
                },
            },
            "required": ["server", "payments", "nextAction", "accountCreated"],
            "dependentRequired": {"url": ["urlExpiresAt"]},
        },
        "ServerList": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": _ref("Resource")},
                "page": {"type": "integer", "minimum": 1},
                "perPage": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "total": {"type": "integer", "minimum": 0},
                "totalPages": {"type": "integer", "minimum": 1},
            },
            "required": ["items", "page", "perPage", "total", "totalPages"],
        },
        "Onboarding": {
            "type": "object",
            "description": "The onboarding status in detail, as last synced from Stripe.",
            "properties": {
                "status": {"type": "string", "enum": ["not_started", "pending", "complete"]},
                "reason": {
                    "type": "string",
                    "enum": ["needs_info", "under_review", "paused", "disconnected", "none"],
                    "description": "Why a status is what it is: `needs_info` (something is "
                    "due), `under_review` (Stripe is verifying), `paused` (Stripe disabled "
                    "the account), `disconnected` (the account removed our access).",
                },
                "detailsSubmitted": {"type": "boolean"},
                "chargesEnabled": {"type": "boolean"},
                "payoutsEnabled": {"type": "boolean"},
                "requirements": {
                    "type": "object",
                    "properties": {
                        "currentlyDue": _STRING_LIST,
                        "pastDue": _STRING_LIST,
                        "eventuallyDue": _STRING_LIST,
                        "pendingVerification": _STRING_LIST,
                        "disabledReason": _nullable("string"),
                        "currentDeadline": _nullable("string", format="date-time"),
                    },
                    "required": [
                        "currentlyDue",
                        "pastDue",
                        "eventuallyDue",
                        "pendingVerification",
                        "disabledReason",
                        "currentDeadline",
                    ],
                },
                "lastSyncedAt": _nullable("string", format="date-time"),
            },
            "required": [
                "status",
                "reason",
                "detailsSubmitted",
                "chargesEnabled",
                "payoutsEnabled",
                "requirements",
                "lastSyncedAt",
            ],
        },
        "PaymentsStatus": {
            "type": "object",
            "properties": {"payments": _ref("Payments"), "onboarding": _ref("Onboarding")},
            "required": ["payments", "onboarding"],
        },
        "Error": {
            "type": "object",
            "description": "The one error shape of /v1.",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer", "description": "The HTTP status."},
                        "code": {"type": "string", "description": "Machine-readable code."},
                        "message": {"type": "string", "description": "For people."},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "Per-field messages (422 only).",
                        },
                    },
                    "required": ["status", "code", "message"],
                }
            },
            "required": ["error"],
        },
        "StripeConnectionCreate": {
            "type": "object",
            "description": "Seed 004's request body.",
            "properties": {
                "connectionName": {"type": "string", "description": "Display name."},
                "connectionDescription": _nullable("string", description="Optional."),
                "stripeAccountId": {
                    "type": "string",
                    "description": "The platform's Stripe account id (`acct_…`), checked "
                    "against the key.",
                },
                "apiKey": {
                    "type": "string",
                    "description": "Stripe secret or restricted key (`sk_…`/`rk_…`). Stored "
                    "encrypted, never returned.",
                },
                "webhookSecret": {
                    "type": "string",
                    "description": "Webhook signing secret (`whsec_…`). Stored encrypted, "
                    "never returned.",
                },
                "partnerEndpoint": {
                    "type": "string",
                    "description": "Partner callback URL (https) for status notifications.",
                },
                "configJson": _nullable(
                    "string", description="Extra configuration as a JSON object string."
                ),
            },
            "required": [
                "connectionName",
                "stripeAccountId",
                "apiKey",
                "webhookSecret",
                "partnerEndpoint",
            ],
        },
        "StripeConnection": {
            "type": "object",
            "description": "Seed 004's `data` object. Secrets are never included.",
            "properties": {
                "bizId": {"type": "string", "description": "`sc_…`"},
                "tenantBizId": {"type": "string", "description": "`tn_…`"},
                "connectionName": {"type": "string"},
                "connectionDescription": _nullable("string"),
                "stripeAccountId": {"type": "string"},
                "partnerEndpoint": {"type": "string"},
                "configJson": _nullable("string"),
                "status": {"type": "integer", "enum": [0, 1], "description": "1 active."},
                "statusName": {"type": "string", "enum": ["ACTIVE", "INACTIVE"]},
                "createdAt": _timestamp(),
                "updatedAt": _timestamp(),
            },
            "required": list(CONNECTION_FIELDS),
            "additionalProperties": False,
        },
        "WebEnvelope": {
            "type": "object",
            "description": "Seed 004's success envelope.",
            "properties": {
                "version": {"type": "string"},
                "timestamp": {"type": "integer", "description": "Milliseconds since epoch."},
                "success": {"const": True},
                "code": {"const": "2000"},
                "message": {"const": "SUCCESS"},
            },
            "required": ["version", "timestamp", "success", "code", "message", "data"],
        },
        "WebError": {
            "type": "object",
            "description": "Seed 004's error body.",
            "properties": {
                "success": {"const": False},
                "code": {"type": "string", "pattern": "^[0-9]{4}$"},
                "message": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Per-field messages (validation errors).",
                },
            },
            "required": ["success", "code", "message"],
        },
    }


def _web_envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "allOf": [_ref("WebEnvelope"), {"type": "object", "properties": {"data": data}}],
    }


# Operations ---------------------------------------------------------------------------------


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


_SERVER_ID = _path_id("serverId", "Resource ID (`srv_…`).")
_WORKSPACE_ID = _path_id("workspaceId", "Workspace business ID (`ws_…`).")
_CONNECTION_ID = _path_id("connectionId", "Connection business ID (`sc_…`).")
_V1_SECURITY = [{"apiToken": []}]
_WEB_SECURITY = [{"webJwt": []}]


def _paths() -> dict[str, Any]:
    return {
        "/v1/servers": {
            "get": {
                "operationId": "listServers",
                "tags": ["Payments resources (/v1)"],
                "summary": "List your payments resources",
                "description": "The payments resources of every workspace the token's user "
                "belongs to, newest first. Paginated with `page` and `perPage`; a page past "
                "the end has no items.",
                "security": _V1_SECURITY,
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "required": False,
                        "description": "Page number, from 1.",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                    },
                    {
                        "name": "perPage",
                        "in": "query",
                        "required": False,
                        "description": f"Items per page, 1–{MAX_PER_PAGE} (default 20).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                    },
                ],
                "responses": {
                    "200": _json_response("A page of resources.", _ref("ServerList")),
                    **_v1_errors(401, 422, 429),
                },
            }
        },
        "/v1/servers/{serverId}": {
            "parameters": [_SERVER_ID],
            "get": {
                "operationId": "getServer",
                "tags": ["Payments resources (/v1)"],
                "summary": "Get one payments resource",
                "description": "Seed 000's `server` and `payments` objects for one resource.",
                "security": _V1_SECURITY,
                "responses": {
                    "200": _json_response("The resource.", _ref("Resource")),
                    **_v1_errors(401, 404, 409, 429),
                },
            },
        },
        "/v1/servers/{serverId}/payments": {
            "parameters": [_SERVER_ID],
            "get": {
                "operationId": "getPaymentsStatus",
                "tags": ["Payments resources (/v1)"],
                "summary": "Current onboarding status",
                "description": "The `payments` object and the onboarding status in detail, as "
                "last synced (by webhooks, the web app, or this call). With `sync=true` the "
                "account is re-read from Stripe first — one Stripe call.",
                "security": _V1_SECURITY,
                "parameters": [
                    {
                        "name": "sync",
                        "in": "query",
                        "required": False,
                        "description": "Re-read the account from Stripe before answering.",
                        "schema": {"type": "boolean", "default": False},
                    }
                ],
                "responses": {
                    "200": _json_response("The status.", _ref("PaymentsStatus")),
                    **_v1_errors(401, 404, 409, 422, 429, 502, 503),
                },
            },
        },
        "/v1/servers/{serverId}/payments/connect-account": {
            "parameters": [_SERVER_ID],
            "post": {
                "operationId": "connectAccount",
                "tags": ["Payments resources (/v1)"],
                "summary": "Create Stripe onboarding link",
                "description": "Create or continue Stripe Connect onboarding for a payments "
                "resource — what the web app's Connect button does. If the resource has no "
                "Stripe account yet, one is created (exactly one, however many calls race); "
                "then a fresh Account Link is minted and returned as `url`. When onboarding "
                "is complete, no link is minted: `url` is absent and `nextAction` is "
                "`dashboard` or `none`. Links lead back to the web app's return and refresh "
                "pages, like the browser flow. Needs `payments:onboard` (owner, admin, "
                "developer).",
                "security": _V1_SECURITY,
                "requestBody": {
                    "required": False,
                    "description": "Optional. Fields: " + ", ".join(CONNECT_FIELDS) + ".",
                    "content": {JSON: {"schema": _ref("ConnectAccountRequest")}},
                },
                "responses": {
                    "200": _json_response(
                        "Payments onboarding link.", _ref("ConnectAccountResponse")
                    ),
                    **_v1_errors(400, 401, 403, 404, 409, 415, 422, 429, 502, 503),
                },
            },
        },
        "/web/v1/workspaces/{workspaceId}/stripe/connections": {
            "parameters": [_WORKSPACE_ID],
            "post": {
                "operationId": "createStripeConnection",
                "tags": ["Stripe connections (/web/v1)"],
                "summary": "Create Stripe connection",
                "description": "Creates a Stripe connection for the workspace (seed 004). The "
                "key is verified with Stripe and must belong to `stripeAccountId`. `apiKey` "
                "and `webhookSecret` are stored encrypted and never returned. Requires "
                "`workspace:manage`.",
                "security": _WEB_SECURITY,
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("StripeConnectionCreate")}},
                },
                "responses": {
                    "201": _json_response("Created.", _web_envelope(_ref("StripeConnection"))),
                    **_web_errors(400, 401, 403, 404, 422, 429, 503),
                },
            },
            "get": {
                "operationId": "listStripeConnections",
                "tags": ["Stripe connections (/web/v1)"],
                "summary": "List Stripe connections",
                "description": "The workspace's connections, active first. Requires "
                "`workspace:manage`.",
                "security": _WEB_SECURITY,
                "responses": {
                    "200": _json_response(
                        "The connections.",
                        _web_envelope({"type": "array", "items": _ref("StripeConnection")}),
                    ),
                    **_web_errors(401, 403, 404, 429),
                },
            },
        },
        "/web/v1/workspaces/{workspaceId}/stripe/connections/{connectionId}": {
            "parameters": [_WORKSPACE_ID, _CONNECTION_ID],
            "get": {
                "operationId": "getStripeConnection",
                "tags": ["Stripe connections (/web/v1)"],
                "summary": "Get a Stripe connection",
                "description": "One connection of the workspace. Requires `workspace:manage`.",
                "security": _WEB_SECURITY,
                "responses": {
                    "200": _json_response(
                        "The connection.", _web_envelope(_ref("StripeConnection"))
                    ),
                    **_web_errors(401, 403, 404, 429),
                },
            },
        },
    }


def openapi_document(version: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document; `version` is the API version (API_VERSION)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Connect Onboarding API",
            "version": version,
            "description": "Onboard payments resources onto Stripe Connect from programs. "
            "`/v1` (seed 000) authenticates with a personal API token created under Settings → "
            "API tokens or with `flask tokens create`; `/web/v1` (seed 004) with a JWT "
            "(`flask tokens jwt`). Tokens act with their user's permissions.",
        },
        "tags": [
            {"name": "Payments resources (/v1)", "description": "Seed 000."},
            {"name": "Stripe connections (/web/v1)", "description": "Seed 004."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "apiToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "cot_ + 40 characters",
                    "description": "A personal API token: `Authorization: Bearer cot_…`.",
                },
                "webJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An HS256 JWT naming the user in `sub`.",
                },
            },
            "schemas": _schemas(),
        },
    }


# The readable page -------------------------------------------------------------------------


def _type_words(schema: dict[str, Any]) -> str:
    """A schema's type as a short phrase: `string`, `string or null`, `Server`, `array of …`."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " + ".join(_type_words(part) for part in schema["allOf"])
    if "const" in schema:
        return repr(schema["const"]).replace("True", "true").replace("False", "false")
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return "array of " + _type_words(schema.get("items", {}))
    return kind


def _constraints(schema: dict[str, Any]) -> str:
    """The rules a value must follow, in words (enum, length, range, format)."""
    parts = []
    if "enum" in schema:
        values = schema["enum"]
        shown = ", ".join(str(v) for v in values[:10])
        parts.append(
            f"one of {shown}" + (f" (+{len(values) - 10} more)" if len(values) > 10 else "")
        )
    if "format" in schema:
        parts.append(f"format {schema['format']}")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']} characters")
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '…')}–{schema.get('maximum', '…')}")
    return "; ".join(parts)


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_words(prop),
            "required": name in required,
            "description": prop.get("description", ""),
            "rules": _constraints(prop),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def reference_page(document: dict[str, Any]) -> dict[str, Any]:
    """The document flattened for the HTML reference: operations, then schemas."""
    schemas = document["components"]["schemas"]
    operations = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            body = op.get("requestBody")
            body_schema = body["content"][JSON]["schema"] if body else None
            operations.append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "description": op.get("description", ""),
                    "tag": op["tags"][0],
                    "auth": ", ".join(name for req in op.get("security", []) for name in req),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_words(p["schema"]),
                            "rules": _constraints(p["schema"]),
                            "description": p.get("description", ""),
                        }
                        for p in [*shared, *op.get("parameters", [])]
                    ],
                    "body": {
                        "required": body.get("required", False),
                        "schema": _type_words(body_schema),
                    }
                    if body
                    else None,
                    "responses": [
                        {
                            "status": status,
                            "description": response["description"],
                            "schema": _type_words(response["content"][JSON]["schema"]),
                        }
                        for status, response in op["responses"].items()
                    ],
                }
            )
    return {
        "info": document["info"],
        "operations": operations,
        "security": document["components"]["securitySchemes"],
        "schemas": [
            {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
            for name, schema in schemas.items()
        ],
    }
