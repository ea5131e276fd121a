"""Stripe's v2 core endpoints the project uses: account links and account retrieval.

v2 takes JSON and writes RFC 3339 timestamps: https://docs.stripe.com/api-v2-overview.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from stripe_sandbox import accounts
from stripe_sandbox.api_v1 import check_link_type, public_url
from stripe_sandbox.errors import StripeError
from stripe_sandbox.pipeline import request_params, sandbox_state

bp = Blueprint("api_v2", __name__, url_prefix="/v2/core")

USE_CASES = ("account_onboarding", "account_update")


def _missing(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _unknown(param: str) -> StripeError:
    return StripeError(
        400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def _not_found(account_id: str) -> StripeError:
    # v2 answers unknown or foreign ids with 404 `not_found` (seed 003's error table).
    return StripeError(404, f"No such account: '{account_id}'", code="not_found", param="account")


def _only(params: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in params:
        if key not in allowed:
            raise _unknown(f"{prefix}{key}")


@bp.post("/account_links")
def create_account_link() -> ResponseReturnValue:
    """Mint a v2 account link (use_case account_onboarding or account_update)."""
    params = request_params()
    _only(params, ("account", "use_case"), "")
    for name in ("account", "use_case"):
        if not params.get(name):
            raise _missing(name)
    g.account_id = params["account"]
    use_case = params["use_case"]
    if not isinstance(use_case, dict):
        raise StripeError(400, "use_case must be an object.", param="use_case")
    _only(use_case, ("type", *USE_CASES), "use_case.")
    link_type = use_case.get("type")
    if link_type not in USE_CASES:
        raise StripeError(
            400,
            f"Invalid use_case.type: must be one of {', '.join(USE_CASES)}",
            param="use_case.type",
        )
    options = use_case.get(link_type)
    if not isinstance(options, dict):
        raise _missing(f"use_case.{link_type}")
    # `configurations` was removed from use_case on 2026-09-30.endive; sending it now fails
    # like any unknown field (docs changelog; STRIPE_NOTES.md).
    _only(options, ("refresh_url", "return_url", "collection_options"), f"use_case.{link_type}.")
    if not options.get("refresh_url"):
        raise _missing(f"use_case.{link_type}.refresh_url")
    collection = options.get("collection_options") or {}
    _only(
        collection, ("fields", "future_requirements"), f"use_case.{link_type}.collection_options."
    )

    state = sandbox_state()
    stored = state.find_owned(g.api_key, params["account"])
    if stored is None:
        raise _not_found(params["account"])
    check_link_type(stored.data, link_type, "use_case.type")
    link = state.mint_link(
        "v2_account_link",
        stored,
        type=link_type,
        refresh_url=options["refresh_url"],
        return_url=options.get("return_url"),
        collection_options=collection,
    )
    echoed = {
        key: options[key]
        for key in ("refresh_url", "return_url", "collection_options")
        if key in options
    }
    return jsonify(
        {
            "object": "v2.core.account_link",
            "account": link.account,
            "created": accounts.rfc3339(link.created),
            "expires_at": accounts.rfc3339(link.expires_at),
            "livemode": False,
            "url": f"{public_url()}/r/{link.account}/{link.token}",
            "use_case": {"type": link_type, link_type: echoed},
        }
    )


@bp.get("/accounts/<account_id>")
def retrieve_account(account_id: str) -> ResponseReturnValue:
    """Retrieve an owned account in its v2 shape; `include` asks for dependent fields."""
    stored = sandbox_state().find_owned(g.api_key, account_id)
    if stored is None:
        raise _not_found(account_id)
    include = set(request.args.getlist("include")) | {
        value for key, value in request.args.items(multi=True) if key.startswith("include[")
    }
    return jsonify(accounts.v2_account(stored.data, include))
