"""The /v1 JSON API (seed 000): payments resources and create-or-continue onboarding.

Callers authenticate with a personal API token (`Authorization: Bearer cot_…`) and act with
their user's permissions. Session cookies are ignored here — only the bearer token counts — so
CSRF protection, which guards cookie-authenticated forms, is not needed and is switched off.
Errors have one shape, `{"error": {"status", "code", "message", "fields"?}}` (`json_error`), also
for routing errors under /v1/. The OpenAPI document in app/openapi.py describes all of it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify

from app.api_input import ApiInputError, connect_input, json_object_body, page_request, sync_flag
from app.errors import json_error, register_api_family
from app.extensions import csrf, limiter
from app.security.api_tokens import bearer_token_from_request, rate_limit_key
from app.security.permissions import VIEW
from app.serializers import (
    isoformat,
    serialize_onboarding,
    serialize_payments,
    serialize_resource,
)
from app.services import access, api_tokens, onboarding, resources
from app.stripe_gateway import (
    StripeAccountNotFound,
    StripeKeyRejected,
    StripeRequestRejected,
    StripeUnavailable,
)

bp = Blueprint("api", __name__, url_prefix="/v1")
csrf.exempt(bp)

# Retry-After for failures that are over in moments (Stripe hiccups, a concurrent creation).
RETRY_AFTER_SECONDS = "5"


def _api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# One budget per token (per address for calls without one), across every /v1 route.
limiter.limit(_api_rate_limit, key_func=rate_limit_key)(bp)


@bp.record_once
def _register_error_family(_state) -> None:
    register_api_family("/v1/", json_error)


def _unauthorized(token_sent: bool) -> Response:
    if token_sent:
        response = json_error(
            401, "invalid_token", "The API token is invalid, revoked, or its user is inactive."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="v1", error="invalid_token"'
    else:
        response = json_error(
            401,
            "unauthorized",
            "Send a personal API token: `Authorization: Bearer <token>` "
            "(create one under Settings → API tokens).",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="v1"'
    return response


@bp.before_request
def authenticate() -> Response | None:
    """Every /v1 call needs a live token of an active user; the user is `g.api_user_id`."""
    token = bearer_token_from_request()
    user = api_tokens.authenticate_token(token) if token else None
    if user is None:
        return _unauthorized(token is not None)
    g.api_user_id = user.id
    return None


@bp.after_request
def never_cache(response: Response) -> Response:
    """API answers are per-caller, and connect-account's carry a single-use link."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/servers")
def list_servers():
    """The caller's payments resources, newest first, one page at a time."""
    wanted = page_request()
    page = resources.list_resources(g.api_user_id, page=wanted.page, per_page=wanted.per_page)
    # The service clamps past-the-end pages to the last one; an API client asked for nothing.
    items = page.items if page.page == wanted.page else []
    return jsonify(
        {
            "items": [serialize_resource(server) for server in items],
            "page": wanted.page,
            "perPage": wanted.per_page,
            "total": page.total,
            "totalPages": page.pages,
        }
    )


@bp.get("/servers/<server_id>")
def get_server(server_id: str):
    """One payments resource: seed 000's `server` and `payments` objects."""
    server = access.require_resource(g.api_user_id, server_id, VIEW)
    return jsonify(serialize_resource(server))


@bp.get("/servers/<server_id>/payments")
def get_payments(server_id: str):
    """The resource's payments object and onboarding status; `?sync=true` re-reads Stripe first."""
    if sync_flag():
        onboarding.sync_status(server_id, user_id=g.api_user_id, source="api")
    server = access.require_resource(g.api_user_id, server_id, VIEW)
    return jsonify(
        {
            "payments": serialize_payments(server.payments),
            "onboarding": serialize_onboarding(server.payments),
        }
    )


@bp.post("/servers/<server_id>/payments/connect-account")
def connect_account(server_id: str):
    """Create or continue Stripe onboarding — the Connect button's service — and answer the link."""
    wanted = connect_input(json_object_body())
    result = onboarding.connect_or_continue(
        server_id,
        user_id=g.api_user_id,
        country=wanted.country,
        email=wanted.email,
        product_description=wanted.product_description,
        actor_label="api",
    )
    body: dict[str, Any] = serialize_resource(result.server)
    if result.link is not None:
        # Seed 000: `url` only when a new onboarding link was minted; a finished resource gets
        # none and `nextAction` says what it can do instead.
        body["url"] = result.link.url
        body["urlExpiresAt"] = isoformat(result.link.expires_at)
    body["nextAction"] = result.next_action
    body["accountCreated"] = result.account_created
    return jsonify(body)


# Errors ------------------------------------------------------------------------------------


def _retry_later(response: Response) -> Response:
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


@bp.errorhandler(ApiInputError)
def _bad_input(error: ApiInputError) -> Response:
    return json_error(error.status, error.code, error.message, error.fields)


@bp.errorhandler(access.NotFound)
def _not_found(_error: Exception) -> Response:
    return json_error(404, "not_found", "No payments resource with that id in your workspaces.")


@bp.errorhandler(access.NotAPaymentsResource)
def _not_payments(_error: Exception) -> Response:
    return json_error(
        409,
        "not_a_payments_resource",
        "This server is not of kind `payments`, so it has no Stripe onboarding.",
    )


@bp.errorhandler(access.PermissionDenied)
def _forbidden(error: access.PermissionDenied) -> Response:
    return json_error(
        403,
        "forbidden",
        f"Your role in this workspace does not include `{error.permission}`.",
    )


@bp.errorhandler(onboarding.OnboardingBlocked)
def _blocked(error: onboarding.OnboardingBlocked) -> Response:
    return json_error(409, "onboarding_blocked", error.reason)


@bp.errorhandler(onboarding.InvalidOnboardingInput)
def _invalid_for_stripe(error: onboarding.InvalidOnboardingInput) -> Response:
    return json_error(422, "validation_failed", "Some fields are invalid.", error.fields)


@bp.errorhandler(onboarding.AccountCreationBusy)
def _busy(_error: Exception) -> Response:
    return _retry_later(
        json_error(
            503,
            "account_creation_busy",
            "Another request is creating this resource's Stripe account. Retry in a moment.",
        )
    )


@bp.errorhandler(StripeUnavailable)
def _stripe_unavailable(_error: Exception) -> Response:
    return _retry_later(
        json_error(503, "stripe_unavailable", "Stripe is unavailable right now. Try again shortly.")
    )


@bp.errorhandler(StripeKeyRejected)
def _stripe_key_rejected(_error: Exception) -> Response:
    return json_error(
        502,
        "stripe_key_rejected",
        "Stripe rejected the API key this resource uses. A workspace admin must update the "
        "Stripe connection.",
    )


@bp.errorhandler(StripeAccountNotFound)
def _stripe_account_missing(_error: Exception) -> Response:
    return json_error(
        502,
        "stripe_account_not_found",
        "Stripe no longer knows this resource's account with the key in use.",
    )


@bp.errorhandler(StripeRequestRejected)
def _stripe_rejected(_error: Exception) -> Response:
    return json_error(
        502, "stripe_error", "Stripe could not complete the request. It has been logged."
    )
