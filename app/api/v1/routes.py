"""/v1's routes (seed 000): payments resources and create-or-continue onboarding.

Callers authenticate with a personal API token (`Authorization: Bearer cot_…`) and act with
their user's permissions. Session cookies are ignored here — only the bearer token counts — so
CSRF protection, which guards cookie-authenticated forms, is not needed and is switched off.
Views raise; `ERRORS` answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from app.api.families import (
    InvalidFields,
    M,
    json_body,
    refuse_control_characters_in_path,
    register_error_table,
    validated,
)
from app.api.v1.errors import ERRORS, InvalidToken, MissingToken
from app.api.v1.models import (
    ConnectAccountRequest,
    NoQuery,
    OnboardingInviteRequest,
    PaymentsQuery,
    ServerListQuery,
)
from app.errors import json_error, register_api_family
from app.extensions import csrf, limiter
from app.security.api_tokens import bearer_token_from_request, rate_limit_key
from app.security.permissions import ONBOARD, VIEW
from app.serializers import isoformat, serialize_onboarding, serialize_payments, serialize_resource
from app.services import access, api_tokens, onboarding, onboarding_invites, resource_list
from app.urls import onboarding_urls

bp = Blueprint("api", __name__, url_prefix="/v1")
csrf.exempt(bp)
register_error_table(bp, ERRORS, json_error)


def _api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# One budget per token (per address for calls without one), across every /v1 route.
limiter.limit(_api_rate_limit, key_func=rate_limit_key)(bp)


@bp.record_once
def _register_error_family(state) -> None:
    register_api_family(state.app, "/v1/", json_error)


@bp.before_request
def authenticate() -> None:
    """Every /v1 call needs a live token of an active user; the user is `g.api_user_id`."""
    token = bearer_token_from_request()
    if token is None:
        raise MissingToken
    user = api_tokens.authenticate_token(token)
    if user is None:
        raise InvalidToken
    g.api_user_id = user.id
    refuse_control_characters_in_path()


@bp.after_request
def never_cache(response: Response) -> Response:
    """API answers are per-caller, and connect-account's carry a single-use link."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _query(model: type[M]) -> M:
    """The query string as `model`; a parameter given twice is refused like an unknown one."""
    repeated = {
        name[:64]: "Give this parameter once."
        for name in request.args
        if len(request.args.getlist(name)) > 1
    }
    if repeated:
        raise InvalidFields(repeated, "Some query parameters are invalid.")
    try:
        return validated(model, request.args.to_dict())
    except InvalidFields as invalid:
        raise InvalidFields(invalid.fields, "Some query parameters are invalid.") from None


@bp.get("/servers")
def list_servers() -> Response:
    """The caller's payments resources, newest first, one page at a time."""
    wanted = _query(ServerListQuery)
    page = resource_list.list_resources(g.api_user_id, page=wanted.page, per_page=wanted.perPage)
    # The service clamps past-the-end pages to the last one; an API client asked for nothing.
    items = page.items if page.page == wanted.page else []
    return jsonify(
        {
            "items": [serialize_resource(server) for server in items],
            "page": wanted.page,
            "perPage": wanted.perPage,
            "total": page.total,
            "totalPages": page.pages,
        }
    )


@bp.get("/servers/<server_id>")
def get_server(server_id: str) -> Response:
    """One payments resource: seed 000's `server` and `payments` objects."""
    _query(NoQuery)
    server = access.require_resource(g.api_user_id, server_id, VIEW)
    return jsonify(serialize_resource(server))


@bp.get("/servers/<server_id>/payments")
def get_payments(server_id: str) -> Response:
    """The resource's payments object and onboarding status; `?sync=true` re-reads Stripe first."""
    wanted = _query(PaymentsQuery)
    server = access.require_resource(g.api_user_id, server_id, VIEW)
    if wanted.sync == "true":
        onboarding.sync_status(server_id, user_id=g.api_user_id, source="api")
    return jsonify(
        {
            "payments": serialize_payments(server.payments),
            "onboarding": serialize_onboarding(server.payments),
        }
    )


@bp.post("/servers/<server_id>/payments/connect-account")
def connect_account(server_id: str) -> Response:
    """Create or continue Stripe onboarding — the Connect button's service — and answer the link."""
    _query(NoQuery)
    wanted = validated(ConnectAccountRequest, json_body(empty_means={}))
    result = onboarding.connect_or_continue(
        server_id,
        user_id=g.api_user_id,
        urls=onboarding_urls(server_id),
        country=wanted.country,
        email=wanted.email,
        product_description=wanted.productDescription,
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


@bp.post("/servers/<server_id>/payments/onboarding-invites")
def create_onboarding_invite(server_id: str) -> tuple[Response, int]:
    """Invite someone to complete the resource's onboarding; mail it, or answer the link."""
    _query(NoQuery)
    # Whose resource first: a stranger learns nothing from a body error (404, not 422).
    access.require_resource(g.api_user_id, server_id, ONBOARD)
    wanted = validated(OnboardingInviteRequest, json_body(empty_means={}))
    issued = onboarding_invites.create_invite(
        server_id,
        actor_user_id=g.api_user_id,
        email=wanted.email,
        locale=wanted.locale,
        send_mail=wanted.sendEmail,
    )
    invite = issued.invite
    body: dict[str, Any] = {
        "id": invite.id,
        "serverId": invite.server_id,
        "email": invite.email,
        "locale": invite.locale,
        "state": onboarding_invites.invite_state(invite),
        "mailed": wanted.sendEmail,
        "createdAt": isoformat(invite.created_at),
        "expiresAt": isoformat(invite.expires_at),
    }
    if not wanted.sendEmail:
        body["url"] = issued.link
    return jsonify(body), 201
