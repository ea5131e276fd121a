"""Stripe's v2 core endpoints the project uses: accounts and account links.

v2 takes JSON, writes RFC 3339 timestamps and answers errors in its own shape:
https://docs.stripe.com/api-v2-overview. Accounts: https://docs.stripe.com/api/v2/core/accounts;
links: https://docs.stripe.com/api/v2/core/account-links.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from stripe_sandbox import accounts_v2
from stripe_sandbox.api_v1 import check_link_type, list_limit, public_url
from stripe_sandbox.errors import StripeError
from stripe_sandbox.pipeline import (
    api_request_info,
    endpoint_started,
    request_params,
    sandbox_state,
)
from stripe_sandbox.platforms import check_https, refuse_unfinished_profile
from stripe_sandbox.records import StoredAccount

bp = Blueprint("api_v2", __name__, url_prefix="/v2/core")

USE_CASES = ("account_onboarding", "account_update")
CONFIGURATIONS_REMOVED = "2026-09-30"


def _api_version() -> str:
    """The request's API version (`Stripe-Version`, else the sandbox's), e.g. 2026-10-28.endive;
    versions compare by their date."""
    return request.headers.get("Stripe-Version") or sandbox_state().config.api_version


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


def _v2_account(account_id: str) -> StoredAccount:
    """An account of the calling platform that v2 endpoints may use.

    A v1-created account can take up to 10 minutes to become usable on v2 endpoints
    (STRIPE_NOTES.md, "Accounts v2"); with the platform's `v1_account_v2_delay` set, the
    sandbox refuses it until then. Stripe publishes no error for this: the sandbox answers
    400 `invalid_request_error`, code `account_not_yet_available`, naming the account.
    """
    state = sandbox_state()
    stored = state.find_owned(g.api_key, account_id)
    if stored is None:
        raise _not_found(account_id)
    delay = state.platform_settings(stored.platform).v1_account_v2_delay
    if stored.api == "v1" and state.now() - stored.data["created"] < delay:
        raise StripeError(
            400,
            f"The account '{account_id}' was created with the v1 API and is not yet "
            "available on v2 endpoints. Try again in a few minutes.",
            code="account_not_yet_available",
            param="account",
        )
    return stored


def _include() -> set[str]:
    """`include` from a JSON body or the query string (`include[0]=…` or `include=…`)."""
    if request.method == "POST":
        return accounts_v2.include_set(request_params().get("include"))
    return set(request.args.getlist("include")) | {
        value for key, value in request.args.items(multi=True) if key.startswith("include[")
    }


def _view(stored: StoredAccount) -> dict[str, Any]:
    configurations = sandbox_state().configurations_of(stored)
    return accounts_v2.v2_account(stored.data, configurations, _include(), stored.unsupported)


@bp.post("/accounts")
def create_account() -> ResponseReturnValue:
    """Create a v2 account: identity, defaults, dashboard and the configurations requested."""
    params = request_params()
    accounts_v2.check_v2_params(params, accounts_v2.CREATE_ACCOUNT)
    v1_params = accounts_v2.v1_create_params(params)
    endpoint_started()
    state = sandbox_state()
    if (
        not state.platform_settings(g.platform).profile_complete
        and accounts_v2.losses_collector(params) == "application"
    ):
        raise refuse_unfinished_profile()
    requested = accounts_v2.requested_capabilities(params.get("configuration") or {})
    # v2 does not refuse a capability the country lacks: it reports it `unsupported`
    # (docs.stripe.com/changelog/basil/2025-06-30/adds-unsupported-capability-status).
    country = (v1_params["country"] or "US").upper()
    unsupported = state.platform_settings(g.platform).unsupported_in(country, requested)
    v1_params["capabilities"] = {
        name: {"requested": "true"} for name in requested if name not in unsupported
    }
    stored = state.create_account(
        g.api_key,
        v1_params,
        api_request_info(),
        api="v2",
        configurations=accounts_v2.applied_configurations(params),
        unsupported=unsupported,
    )
    g.account_id = stored.data["id"]
    return jsonify(_view(stored))


LIST_PARAMS = ("limit", "page", "applied_configurations", "closed")


@bp.get("/accounts")
def list_accounts() -> ResponseReturnValue:
    """The platform's accounts, newest first, in v2's list shape: `data`, `next_page_url` and
    `previous_page_url` (stripe-python `stripe/v2/_list_object.py` follows `next_page_url`).

    Params: `limit`, `applied_configurations`, `closed` (stripe-python
    `stripe/params/v2/core/_account_list_params.py`) and the `page` token of a page URL. Like
    every v2 list there is no `created` filter and no `include`: include-dependent fields
    (requirements, configuration, identity, defaults) are null here.
    """
    for key in request.args:
        if key.split("[", 1)[0] not in LIST_PARAMS:
            raise _unknown(key)
    limit = list_limit(request.args.get("limit"))
    wanted = set(request.args.getlist("applied_configurations")) | {
        value
        for key, value in request.args.items(multi=True)
        if key.startswith("applied_configurations[")
    }
    state = sandbox_state()
    accounts = [
        stored
        for stored in state.platform_stored_accounts(g.api_key)
        if wanted <= set(state.configurations_of(stored))
    ]
    start = _page_start(request.args.get("page"), len(accounts))
    page = accounts[start : start + limit]
    more = start + limit < len(accounts)
    return jsonify(
        {
            "data": [
                accounts_v2.v2_account(
                    stored.data, state.configurations_of(stored), set(), stored.unsupported
                )
                for stored in page
            ],
            "next_page_url": f"/v2/core/accounts?limit={limit}&page=p{start + limit}"
            if more
            else None,
            "previous_page_url": f"/v2/core/accounts?limit={limit}&page=p{max(start - limit, 0)}"
            if start
            else None,
        }
    )


def _page_start(token: str | None, total: int) -> int:
    """Where a page token (`p<offset>`, opaque to clients) starts."""
    if token is None:
        return 0
    offset = token.removeprefix("p")
    if not token.startswith("p") or not offset.isdigit() or int(offset) > total:
        raise StripeError(400, f"Invalid page token: {token}", code="invalid_page", param="page")
    return int(offset)


@bp.get("/accounts/<account_id>")
def retrieve_account(account_id: str) -> ResponseReturnValue:
    """Retrieve an owned account in its v2 shape; `include` asks for dependent fields."""
    return jsonify(_view(_v2_account(account_id)))


@bp.post("/accounts/<account_id>")
def update_account(account_id: str) -> ResponseReturnValue:
    """Update contact, display name, defaults, metadata or request more capabilities."""
    params = request_params()
    accounts_v2.check_v2_params(params, accounts_v2.UPDATE_ACCOUNT)
    endpoint_started()
    state = sandbox_state()
    stored = _v2_account(account_id)
    changes = accounts_v2.update(stored.data, params)
    state.update_account(g.api_key, account_id, changes, api_request_info())
    added = accounts_v2.applied_configurations(params)
    if stored.api == "v2" and added:
        with state.lock:
            stored.configurations = sorted(set(stored.configurations) | set(added))
    return jsonify(_view(stored))


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
    # `configurations` was removed from use_case on 2026-09-30.endive; on that version and
    # later sending it fails like any unknown field (docs changelog; STRIPE_NOTES.md).
    allowed = ("refresh_url", "return_url", "collection_options")
    if _api_version() < CONFIGURATIONS_REMOVED:
        allowed += ("configurations",)
    _only(options, allowed, f"use_case.{link_type}.")
    if not options.get("refresh_url"):
        raise _missing(f"use_case.{link_type}.refresh_url")
    collection = options.get("collection_options") or {}
    _only(
        collection, ("fields", "future_requirements"), f"use_case.{link_type}.collection_options."
    )
    endpoint_started()
    state = sandbox_state()
    stored = _v2_account(params["account"])
    check_link_type(stored.data, link_type, "use_case.type")
    if stored.data["livemode"]:
        check_https(options["refresh_url"], f"use_case.{link_type}.refresh_url")
        if options.get("return_url"):
            check_https(options["return_url"], f"use_case.{link_type}.return_url")
    link = state.mint_link(
        "v2_account_link",
        stored,
        type=link_type,
        refresh_url=options["refresh_url"],
        return_url=options.get("return_url"),
        collection_options=collection,
    )
    echoed = {key: options[key] for key in allowed if key in options}
    return jsonify(
        {
            "object": "v2.core.account_link",
            "account": link.account,
            "created": accounts_v2.rfc3339(link.created),
            "expires_at": accounts_v2.rfc3339(link.expires_at),
            "livemode": stored.data["livemode"],
            "url": f"{public_url()}/r/{link.account}/{link.token}",
            "use_case": {"type": link_type, link_type: echoed},
        }
    )
