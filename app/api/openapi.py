"""The OpenAPI 3.1 document of both families, generated from their models and error tables.

Schemas come from the Pydantic models (`models_json_schema`, JSON Schema 2020-12 — OpenAPI
3.1's own dialect); each operation lists the statuses it can answer, and each error status is
described from the family's error table, so a code added there is documented here. The tests
check that every route is documented and that every documented status can be answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from app.api.families import ErrorRule
from app.api.v1 import models as v1
from app.api.v1.errors import ERRORS as V1_ERRORS
from app.api.web_v1 import models as web
from app.api.web_v1.errors import ERRORS as WEB_ERRORS
from app.json_limits import MAX_DEPTH

JSON = "application/json"
V1_TAG = "Payments resources (/v1)"
WEB_TAG = "Stripe connections (/web/v1)"
RESPONSE_MODELS = (
    v1.Resource,
    v1.ServerList,
    v1.PaymentsStatus,
    v1.ConnectAccountResponse,
    v1.OnboardingInvite,
    v1.Error,
    web.ConnectionEnvelope,
    web.ConnectionListEnvelope,
    web.WebError,
)
REQUEST_MODELS = (v1.ConnectAccountRequest, v1.OnboardingInviteRequest, web.StripeConnectionCreate)
HOSTILE_JSON = (
    f"JSON nesting deeper than {MAX_DEPTH} levels, integers of 2^53 or more in magnitude, "
    "NaN/Infinity, or control characters (other than tab and line breaks) in a string"
)


class _Schemas(GenerateJsonSchema):
    """Pydantic's schemas without titles or null defaults; `T | None` as `type: [T, "null"]`."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: Any) -> dict[str, Any]:
        if schema.get("default") is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)

    def nullable_schema(self, schema: Any) -> dict[str, Any]:
        inner = self.generate_inner(schema["schema"])
        if isinstance(inner.get("type"), str):
            return {**inner, "type": [inner["type"], "null"]}
        return super().nullable_schema(schema)

    def model_schema(self, schema: Any) -> dict[str, Any]:
        generated = super().model_schema(schema)
        generated.pop("title", None)
        return generated


def _components() -> dict[str, Any]:
    pairs = [(model, "serialization") for model in RESPONSE_MODELS]
    pairs += [(model, "validation") for model in REQUEST_MODELS]
    _, generated = models_json_schema(
        pairs, ref_template="#/components/schemas/{model}", schema_generator=_Schemas
    )
    schemas = generated["$defs"]
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
    return dict(sorted(schemas.items()))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(schema_generator=_Schemas)
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": prop.pop("description", ""),
            "schema": prop,
        }
        for name, prop in schema.get("properties", {}).items()
    ]


# Errors --------------------------------------------------------------------------------------

# What each status means beyond the table's messages, per family.
V1_STATUS_NOTES = {
    400: f"The body is not JSON or not a JSON object, or it holds {HOSTILE_JSON}.",
    401: "No token, or an invalid or revoked token, or one whose user is deactivated.",
    403: "The token's user is a member of the resource's workspace but their role lacks the "
    "permission.",
    404: "No such payments resource, or one in a workspace the token's user does not belong "
    "to — the two are indistinguishable on purpose.",
    409: "The server is not of kind `payments`, or onboarding is blocked because no usable "
    "Stripe key is configured (the message says what an admin must do).",
    415: "A body was sent with a content type other than `application/json`.",
    422: "Validation failed; `error.fields` names each bad body field or query parameter. "
    "Unknown body fields and unknown query parameters are refused too.",
    429: "Rate limit exceeded: `API_RATE_LIMIT` per token (default 120 per minute).",
    502: "Stripe refused the request.",
    503: "Stripe or our database is unreachable, or another request is creating this "
    "resource's account right now. Retry after `Retry-After` seconds.",
}
WEB_STATUS_NOTES = {
    400: f"No JSON object body, malformed JSON, or JSON holding {HOSTILE_JSON}.",
    401: "Missing, malformed, expired or wrongly signed JWT, or its user is inactive; or, when "
    "the server has `PORTAL_ACCESS_CODE` configured, a missing or wrong "
    "`X-PORTAL-ACCESS-CODE` header.",
    403: "The workspace is unknown, belongs to another tenant, or the user lacks "
    "`workspace:manage` in it — one answer for all three, so workspaces cannot be probed.",
    404: "No such connection in the workspace.",
    422: "Validation failed; `errors` maps each body field to a message. Unknown body fields "
    "are refused, as are empty `connectionName`, `stripeAccountId`, `apiKey`, "
    "`webhookSecret` and `partnerEndpoint`. The key and account are also verified with "
    "Stripe.",
    429: "Rate limit exceeded.",
    503: "Stripe (to verify the key) or our database is unreachable. Retry after "
    "`Retry-After` seconds.",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
}


@dataclass(frozen=True)
class Family:
    """How one API family's errors look and are explained."""

    error_model: type[BaseModel]
    table: tuple[ErrorRule, ...]
    notes: dict[int, str]
    extra_codes: dict[int, str]  # codes that do not come from the table (routing, limits)

    def response(self, status: int) -> dict[str, Any]:
        codes = [rule.code for rule in self.table if rule.status == status]
        if status in self.extra_codes:
            codes.append(self.extra_codes[status])
        codes = list(dict.fromkeys(codes))
        description = self.notes[status] + " Codes: " + ", ".join(f"`{c}`" for c in codes) + "."
        answer: dict[str, Any] = {
            "description": description,
            "content": {JSON: {"schema": _ref(self.error_model)}},
        }
        if status in (429, 503):
            answer["headers"] = _RETRY_AFTER
        return answer


V1 = Family(v1.Error, V1_ERRORS, V1_STATUS_NOTES, {429: "rate_limited"})
WEB = Family(web.WebError, WEB_ERRORS, WEB_STATUS_NOTES, {429: "4290"})


# Operations ----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Operation:
    """One route as documented: what it reads, what it answers, which statuses."""

    path: str
    method: str
    operation_id: str
    summary: str
    description: str
    success: tuple[int, str, dict[str, Any]]
    errors: tuple[int, ...]
    query: type[BaseModel] | None = None
    body: tuple[type[BaseModel], bool] | None = None


V1_OPERATIONS = (
    Operation(
        "/v1/servers",
        "get",
        "listServers",
        "List your payments resources",
        "The payments resources of every workspace the token's user belongs to, newest first. "
        "Paginated with `page` and `perPage`; a page past the end has no items.",
        (200, "A page of resources.", _ref(v1.ServerList)),
        (401, 422, 429, 503),
        query=v1.ServerListQuery,
    ),
    Operation(
        "/v1/servers/{serverId}",
        "get",
        "getServer",
        "Get one payments resource",
        "Seed 000's `server` and `payments` objects for one resource.",
        (200, "The resource.", _ref(v1.Resource)),
        (401, 404, 409, 422, 429, 503),
        query=v1.NoQuery,
    ),
    Operation(
        "/v1/servers/{serverId}/payments",
        "get",
        "getPaymentsStatus",
        "Current onboarding status",
        "The `payments` object and the onboarding status in detail, as last synced (by "
        "webhooks, the web app, or this call). With `sync=true` the account is re-read from "
        "Stripe first — one Stripe call.",
        (200, "The status.", _ref(v1.PaymentsStatus)),
        (401, 404, 409, 422, 429, 502, 503),
        query=v1.PaymentsQuery,
    ),
    Operation(
        "/v1/servers/{serverId}/payments/connect-account",
        "post",
        "connectAccount",
        "Create Stripe onboarding link",
        "Create or continue Stripe Connect onboarding for a payments resource — what the web "
        "app's Connect button does. If the resource has no Stripe account yet, one is created "
        "(exactly one, however many calls race); then a fresh Account Link is minted and "
        "returned as `url`. When onboarding is complete, no link is minted: `url` is absent "
        "and `nextAction` is `dashboard` or `none`. Links lead back to the web app's return "
        "and refresh pages, like the browser flow. Needs `payments:onboard` (owner, admin, "
        "developer).",
        (200, "Payments onboarding link.", _ref(v1.ConnectAccountResponse)),
        (400, 401, 403, 404, 409, 415, 422, 429, 502, 503),
        query=v1.NoQuery,
        body=(v1.ConnectAccountRequest, False),
    ),
    Operation(
        "/v1/servers/{serverId}/payments/onboarding-invites",
        "post",
        "createOnboardingInvite",
        "Invite someone to complete onboarding",
        "Invite one email address (the business owner, who needs no account) to complete the "
        "resource's Stripe onboarding through a landing page. The link expires after "
        "ONBOARDING_INVITE_DAYS (14 by default). By default it is mailed; with `sendEmail: "
        "false` nothing is mailed and the link is returned once as `url`. One live invite per "
        "address and resource (409 `invite_exists`); a finished resource needs none (409 "
        "`onboarding_complete`). Needs `payments:onboard` (owner, admin, developer).",
        (201, "The invite.", _ref(v1.OnboardingInvite)),
        (400, 401, 403, 404, 409, 415, 422, 429, 503),
        query=v1.NoQuery,
        body=(v1.OnboardingInviteRequest, True),
    ),
)
_MANAGE = " Requires `workspace:manage`."
WEB_OPERATIONS = (
    Operation(
        "/web/v1/workspaces/{workspaceId}/stripe/connections",
        "post",
        "createStripeConnection",
        "Create Stripe connection",
        "Creates a Stripe connection for the workspace (seed 004). The key is verified with "
        "Stripe and must belong to `stripeAccountId`. `apiKey` and `webhookSecret` are stored "
        "encrypted and never returned." + _MANAGE,
        (201, "Created.", _ref(web.ConnectionEnvelope)),
        (400, 401, 403, 422, 429, 503),
        body=(web.StripeConnectionCreate, True),
    ),
    Operation(
        "/web/v1/workspaces/{workspaceId}/stripe/connections",
        "get",
        "listStripeConnections",
        "List Stripe connections",
        "The workspace's connections, active first." + _MANAGE,
        (200, "The connections.", _ref(web.ConnectionListEnvelope)),
        (401, 403, 429, 503),
    ),
    Operation(
        "/web/v1/workspaces/{workspaceId}/stripe/connections/{connectionId}",
        "get",
        "getStripeConnection",
        "Get a Stripe connection",
        "One connection of the workspace." + _MANAGE,
        (200, "The connection.", _ref(web.ConnectionEnvelope)),
        (401, 403, 404, 429, 503),
    ),
)
_PATH_PARAMETERS = {
    "/v1/servers": [],
    "/v1/servers/{serverId}": [_SERVER_ID],
    "/v1/servers/{serverId}/payments": [_SERVER_ID],
    "/v1/servers/{serverId}/payments/connect-account": [_SERVER_ID],
    "/v1/servers/{serverId}/payments/onboarding-invites": [_SERVER_ID],
    "/web/v1/workspaces/{workspaceId}/stripe/connections": [_WORKSPACE_ID],
    "/web/v1/workspaces/{workspaceId}/stripe/connections/{connectionId}": [
        _WORKSPACE_ID,
        _CONNECTION_ID,
    ],
}
_HEADER_NOTES = {
    "X-Request-Id": "Optional: 1–128 characters of `[A-Za-z0-9._:-]`, echoed in the response "
    "header, the logs, audit rows and partner notifications; anything else is replaced by a "
    "fresh id. Every response carries `X-Request-Id`.",
}


def _operation(op: Operation, family: Family, tag: str, security: str) -> dict[str, Any]:
    status, description, schema = op.success
    answer: dict[str, Any] = {
        "operationId": op.operation_id,
        "tags": [tag],
        "summary": op.summary,
        "description": op.description,
        "security": [{security: []}],
    }
    if op.query is not None and (parameters := _query_parameters(op.query)):
        answer["parameters"] = parameters
    if op.body is not None:
        model, required = op.body
        answer["requestBody"] = {
            "required": required,
            "description": "A JSON object. Unknown fields are refused (422)."
            + ("" if required else " Optional: an empty body means no fields."),
            "content": {JSON: {"schema": _ref(model)}},
        }
    answer["responses"] = {
        str(status): {"description": description, "content": {JSON: {"schema": schema}}},
        **{str(code): family.response(code) for code in op.errors},
    }
    return answer


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for ops, family, tag, security in (
        (V1_OPERATIONS, V1, V1_TAG, "apiToken"),
        (WEB_OPERATIONS, WEB, WEB_TAG, "webJwt"),
    ):
        for op in ops:
            item = paths.setdefault(op.path, {})
            if _PATH_PARAMETERS[op.path]:
                item["parameters"] = _PATH_PARAMETERS[op.path]
            item[op.method] = _operation(op, family, tag, security)
    return paths


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
            "(`flask tokens jwt`). Tokens act with their user's permissions. "
            + _HEADER_NOTES["X-Request-Id"]
            + " `Retry-After` is sent only with 429 and 503 answers.",
        },
        "tags": [
            {"name": V1_TAG, "description": "Seed 000."},
            {"name": WEB_TAG, "description": "Seed 004."},
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
                    "description": "An HS256 JWT naming the user in `sub`. When the server "
                    "has `PORTAL_ACCESS_CODE` configured, requests must also carry it in "
                    "`X-PORTAL-ACCESS-CODE`.",
                },
            },
            "schemas": _components(),
        },
    }
