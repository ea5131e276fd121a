"""/v1's error table: every domain exception a /v1 route can raise, and how it is answered.

Stripe's refusals come from `app.stripe_errors.REFUSALS`, the table the pages and /web/v1 use.

Answers use `json_error`'s shape, `{"error": {"status", "code", "message", "fields"?}}`; the
OpenAPI document describes each status from this table.
"""

from __future__ import annotations

from app.api.families import (
    ControlCharacterInPath,
    DatabaseUnavailable,
    ErrorRule,
    InvalidFields,
    MalformedJson,
    NotAnObject,
    NotJson,
)
from app.services import access, onboarding, onboarding_invites
from app.stripe_errors import StripeGatewayError, rows_by_exception

NOT_FOUND = "No payments resource with that id in your workspaces."


class MissingToken(Exception):
    """No `Authorization: Bearer` token."""


class InvalidToken(Exception):
    """A token that is invalid, revoked, or belongs to an inactive user."""


ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(MalformedJson, 400, "malformed_json", lambda e: e.message),
    ErrorRule(NotAnObject, 400, "invalid_body", lambda e: e.message),
    ErrorRule(
        MissingToken,
        401,
        "unauthorized",
        "Send a personal API token: `Authorization: Bearer <token>` "
        "(create one under Settings → API tokens).",
        headers=(("WWW-Authenticate", 'Bearer realm="v1"'),),
    ),
    ErrorRule(
        InvalidToken,
        401,
        "invalid_token",
        "The API token is invalid, revoked, or its user is inactive.",
        headers=(("WWW-Authenticate", 'Bearer realm="v1", error="invalid_token"'),),
    ),
    ErrorRule(access.NotFound, 404, "not_found", NOT_FOUND),
    ErrorRule(ControlCharacterInPath, 404, "not_found", NOT_FOUND),
    ErrorRule(
        access.PermissionDenied,
        403,
        "forbidden",
        lambda e: f"Your role in this workspace does not include `{e.permission}`.",
    ),
    ErrorRule(
        access.NotAPaymentsResource,
        409,
        "not_a_payments_resource",
        "This server is not of kind `payments`, so it has no Stripe onboarding.",
    ),
    ErrorRule(onboarding.OnboardingBlocked, 409, "onboarding_blocked", lambda e: e.reason),
    ErrorRule(onboarding.CountryMismatch, 409, "country_mismatch", str),
    ErrorRule(onboarding_invites.InviteExists, 409, "invite_exists", str),
    ErrorRule(onboarding_invites.InviteNotNeeded, 409, "onboarding_complete", str),
    ErrorRule(
        NotJson,
        415,
        "unsupported_media_type",
        "Send the body as JSON with `Content-Type: application/json` (or send no body).",
    ),
    ErrorRule(
        InvalidFields, 422, "validation_failed", lambda e: e.message, fields=lambda e: e.fields
    ),
    ErrorRule(
        onboarding_invites.InviteError,
        422,
        "validation_failed",
        "Some fields are invalid.",
        fields=lambda e: {e.field: str(e)},
    ),
    ErrorRule(
        onboarding.InvalidOnboardingInput,
        422,
        "validation_failed",
        "Some fields are invalid.",
        fields=lambda e: e.fields,
    ),
    ErrorRule(
        onboarding.AccountCreationBusy,
        503,
        "account_creation_busy",
        "Another request is creating this resource's Stripe account. Retry in a moment.",
    ),
    ErrorRule(
        DatabaseUnavailable,
        503,
        "database_unavailable",
        "Our database is unavailable right now. Try again shortly.",
    ),
    # Stripe's refusals, from the one table every surface answers with: the cause, what to do
    # and who must, then Stripe's own words (cleaned) and its request id.
    *(
        ErrorRule(exception, row.v1_status, row.v1_code, StripeGatewayError.explained)
        for exception, row in rows_by_exception().items()
    ),
)
