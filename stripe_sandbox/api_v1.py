"""Stripe's v1 Connect endpoints: accounts, the platform account, account and login links.

Reference: https://docs.stripe.com/api/accounts, https://docs.stripe.com/api/account_links,
https://docs.stripe.com/api/accounts/login_link.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from stripe_sandbox import accounts
from stripe_sandbox.errors import StripeError, no_such_account, no_such_charge
from stripe_sandbox.params import ANY, SCALAR, MapOf, check_params, choice, require, url
from stripe_sandbox.pipeline import (
    api_request_info,
    endpoint_started,
    request_params,
    sandbox_state,
)
from stripe_sandbox.platforms import (
    capability_unavailable,
    check_https,
    refuse_unfinished_profile,
    stripe_bears_no_losses,
)

bp = Blueprint("api_v1", __name__, url_prefix="/v1")

BUSINESS_PROFILE = {
    field: SCALAR for field in (*accounts.BUSINESS_PROFILE_FIELDS, "estimated_worker_count")
} | {"support_address": ANY, "annual_revenue": ANY, "monthly_estimated_revenue": ANY}
CONTROLLER = {
    "fees": {"payer": SCALAR},
    "losses": {"payments": SCALAR},
    "requirement_collection": SCALAR,
    "stripe_dashboard": {"type": SCALAR},
}
CAPABILITIES = MapOf({"requested": SCALAR})
METADATA = MapOf(SCALAR)
EXPAND = ANY
CREATE_ACCOUNT = {
    "type": SCALAR,
    "country": SCALAR,
    "email": SCALAR,
    "business_type": SCALAR,
    "business_profile": BUSINESS_PROFILE,
    "capabilities": CAPABILITIES,
    "controller": CONTROLLER,
    "default_currency": SCALAR,
    "metadata": METADATA,
    "settings": ANY,
    "tos_acceptance": ANY,
    "expand": EXPAND,
}
UPDATE_ACCOUNT = {
    key: CREATE_ACCOUNT[key]
    for key in (
        "email",
        "business_type",
        "business_profile",
        "capabilities",
        "default_currency",
        "metadata",
        "settings",
        "tos_acceptance",
        "expand",
    )
}
CREATE_ACCOUNT_LINK = {
    "account": SCALAR,
    "type": SCALAR,
    "refresh_url": SCALAR,
    "return_url": SCALAR,
    "collect": SCALAR,
    "collection_options": {"fields": SCALAR, "future_requirements": SCALAR},
    "expand": EXPAND,
}
LIST_ACCOUNTS = {
    "limit": SCALAR,
    "starting_after": SCALAR,
    "ending_before": SCALAR,
    "created": ANY,
    "expand": EXPAND,
}
LIST_CHARGES = {**LIST_ACCOUNTS, "customer": SCALAR, "payment_intent": SCALAR}
LINK_TYPES = ("account_onboarding", "account_update")
ACCOUNT_TYPES = ("custom", "express", "standard")


def public_url() -> str:
    """Where hosted pages live: `--public-url`, else the host this request came in on."""
    return sandbox_state().config.public_url or request.host_url.rstrip("/")


@bp.post("/accounts")
def create_account() -> ResponseReturnValue:
    """Create a connected account owned by the calling platform."""
    params = request_params()
    check_params(params, CREATE_ACCOUNT)
    if params.get("type"):
        choice(params["type"], "type", ACCOUNT_TYPES)
        if params.get("controller"):
            raise StripeError(
                400,
                "You cannot specify both `type` and `controller`; use controller properties "
                "instead of account types.",
                param="type",
            )
    endpoint_started()
    country = params.get("country")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise StripeError(
            400,
            f"Country '{country}' is unknown. Try using a 2-character alphanumeric country "
            "code instead, such as 'US', 'EG', or 'GB'.",
            param="country",
        )
    state = sandbox_state()
    settings = state.platform_settings(g.platform)
    if not settings.profile_complete and stripe_bears_no_losses(
        params.get("type"), params.get("controller")
    ):
        raise refuse_unfinished_profile()
    country = (country or "US").upper()
    unavailable = settings.unsupported_in(country, accounts.requested_capabilities(params))
    if unavailable:
        raise capability_unavailable(unavailable[0], country)
    account = state.create_account(g.api_key, params, api_request_info()).data
    g.account_id = account["id"]
    return jsonify(account)


@bp.get("/accounts")
def list_accounts() -> ResponseReturnValue:
    """The platform's connected accounts, newest first, with Stripe's cursor pagination."""
    params = request_params()
    check_params(params, LIST_ACCOUNTS)
    accounts_ = sandbox_state().platform_accounts(g.api_key)
    return jsonify(_page(accounts_, params, "/v1/accounts", no_such_account))


@bp.get("/charges")
def list_charges() -> ResponseReturnValue:
    """Charges, newest first: with `Stripe-Account`, those on that connected account."""
    params = request_params()
    check_params(params, LIST_CHARGES)
    state = sandbox_state()
    acting_for = request.headers.get("Stripe-Account")
    charges = []
    if acting_for:
        g.account_id = state.owned_account(g.api_key, acting_for).data["id"]
        charges = state.account_charges(acting_for)
    return jsonify(_page(charges, params, "/v1/charges", no_such_charge))


def _page(
    items: list[dict[str, Any]],
    params: dict[str, Any],
    list_url: str,
    missing: Callable[[str, str], StripeError],
) -> dict[str, Any]:
    """One page of a newest-first list: `limit`, `created` and the two cursors."""
    limit = list_limit(params.get("limit"))
    created = _created_filter(params.get("created"))
    matching = [item for item in items if created(item["created"])]
    if params.get("ending_before"):
        # The page just before the cursor (newer items), still newest first.
        cursor = _cursor_index(matching, params["ending_before"], "ending_before", missing)
        before = matching[:cursor]
        page, has_more = before[-limit:], len(before) > limit
    else:
        if params.get("starting_after"):
            cursor = _cursor_index(matching, params["starting_after"], "starting_after", missing)
            matching = matching[cursor + 1 :]
        page, has_more = matching[:limit], len(matching) > limit
    return {"object": "list", "url": list_url, "has_more": has_more, "data": page}


def list_limit(raw: Any) -> int:
    """A list's `limit`: 10 unless given, 1 to 100 (https://docs.stripe.com/api/pagination)."""
    if raw is None:
        return 10
    if not str(raw).isdigit() or not 1 <= int(raw) <= 100:
        raise StripeError(
            400,
            f"Invalid integer: {raw}; limit must be between 1 and 100.",
            code="parameter_invalid_integer",
            param="limit",
        )
    return int(raw)


def _created_filter(raw: Any) -> Callable[[int], bool]:
    """`created=<ts>` or `created[gt|gte|lt|lte]=<ts>` as a predicate on an account's time."""
    if raw is None:
        return lambda _created: True
    bounds = raw if isinstance(raw, dict) else {"eq": raw}
    checks = {
        "eq": lambda value, bound: value == bound,
        "gt": lambda value, bound: value > bound,
        "gte": lambda value, bound: value >= bound,
        "lt": lambda value, bound: value < bound,
        "lte": lambda value, bound: value <= bound,
    }
    parsed: list[tuple[Callable[[int, int], bool], int]] = []
    for operator, bound in bounds.items():
        name = "created" if operator == "eq" else f"created[{operator}]"
        if operator not in checks:
            raise StripeError(400, f"Received unknown parameter: {name}", param=name)
        if not str(bound).lstrip("-").isdigit():
            raise StripeError(
                400, f"Invalid integer: {bound}", code="parameter_invalid_integer", param=name
            )
        parsed.append((checks[operator], int(bound)))
    return lambda created: all(check(created, bound) for check, bound in parsed)


def _cursor_index(
    page: list[dict[str, Any]],
    object_id: str,
    param: str,
    missing: Callable[[str, str], StripeError],
) -> int:
    for index, item in enumerate(page):
        if item["id"] == object_id:
            return index
    raise missing(object_id, param)


@bp.get("/accounts/<account_id>")
def retrieve_account(account_id: str) -> ResponseReturnValue:
    """Retrieve a connected account the platform owns."""
    return jsonify(sandbox_state().owned_account(g.api_key, account_id).data)


@bp.post("/accounts/<account_id>")
def update_account(account_id: str) -> ResponseReturnValue:
    """Update a connected account's metadata, profile or requested capabilities."""
    params = request_params()
    check_params(params, UPDATE_ACCOUNT)
    endpoint_started()
    state = sandbox_state()
    return jsonify(state.update_account(g.api_key, account_id, params, api_request_info()))


@bp.get("/account")
def retrieve_own_account() -> ResponseReturnValue:
    """The account the key belongs to (or the `Stripe-Account` it acts for)."""
    acting_for = request.headers.get("Stripe-Account")
    if acting_for:
        return jsonify(sandbox_state().owned_account(g.api_key, acting_for).data)
    return jsonify(platform_account(g.api_key))


def platform_account(api_key: str) -> dict[str, Any]:
    """A fully enabled platform account: the one the key acts for."""
    account_id = sandbox_state().platform_of(api_key)
    created = 1_600_000_000 + int(hashlib.sha256(account_id.encode()).hexdigest()[:6], 16)
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {"name": "Sandbox platform", "url": None, "mcc": None},
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": "US",
        "created": created,
        "default_currency": "usd",
        "details_submitted": True,
        "email": None,
        "livemode": sandbox_state().platform_settings(account_id).livemode,
        "metadata": {},
        "payouts_enabled": True,
        "requirements": accounts.empty_requirements(),
        "settings": {"dashboard": {"display_name": "Sandbox platform", "timezone": "Etc/UTC"}},
        "type": "standard",
    }


@bp.post("/account_links")
def create_account_link() -> ResponseReturnValue:
    """Mint a single-use hosted-onboarding link."""
    params = request_params()
    check_params(params, CREATE_ACCOUNT_LINK)
    require(params, "account", "type", "refresh_url", "return_url")
    g.account_id = params["account"]
    link_type = choice(params["type"], "type", LINK_TYPES)
    refresh_url = url(params["refresh_url"], "refresh_url")
    return_url = url(params["return_url"], "return_url")
    options = params.get("collection_options") or {}
    if options.get("fields"):
        choice(options["fields"], "collection_options[fields]", ("currently_due", "eventually_due"))
    if options.get("future_requirements"):
        choice(
            options["future_requirements"],
            "collection_options[future_requirements]",
            ("include", "omit"),
        )
    endpoint_started()
    state = sandbox_state()
    stored = state.find_owned(g.api_key, params["account"])
    if stored is None:
        raise no_such_account(params["account"])
    check_link_type(stored.data, link_type, "type")
    if stored.data["livemode"]:
        check_https(refresh_url, "refresh_url")
        check_https(return_url, "return_url")
    link = state.mint_link(
        "account_link",
        stored,
        type=link_type,
        refresh_url=refresh_url,
        return_url=return_url,
        collection_options=options,
    )
    return jsonify(
        {
            "object": "account_link",
            "created": link.created,
            "expires_at": link.expires_at,
            "url": f"{public_url()}/setup/{link.token}",
        }
    )


def check_link_type(account: dict[str, Any], link_type: str, param: str) -> None:
    """Refuse `account_update` links where Stripe, not the platform, collects requirements.

    https://docs.stripe.com/api/account_links/create#create_account_link-type
    """
    if link_type == "account_update" and not accounts.platform_collects_requirements(account):
        raise StripeError(
            400,
            "You cannot create `account_update` type Account Links for accounts that have "
            "access to a Stripe-hosted Dashboard or where Stripe collects requirements. "
            "Use `account_onboarding` instead.",
            param=param,
        )


@bp.post("/accounts/<account_id>/login_links")
def create_login_link(account_id: str) -> ResponseReturnValue:
    """Mint a single-use Express Dashboard login link."""
    check_params(request_params(), {"expand": EXPAND})
    endpoint_started()
    state = sandbox_state()
    stored = state.owned_account(g.api_key, account_id)
    if stored.data["controller"]["stripe_dashboard"]["type"] != "express":
        raise StripeError(
            400,
            "You can only create login links for accounts that use the Express Dashboard "
            "and are connected to your platform.",
            param="account",
        )
    if not stored.data["details_submitted"]:
        raise StripeError(
            400,
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
        )
    link = state.mint_link("login_link", stored, type="express_dashboard")
    return jsonify(
        {
            "object": "login_link",
            "created": link.created,
            "url": f"{public_url()}/express/{account_id}/{link.token}",
        }
    )
