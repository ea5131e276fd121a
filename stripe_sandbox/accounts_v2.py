"""Accounts v2: reading `POST /v2/core/accounts` params into the sandbox's one account model,
and the v2 view of any account.

Contract: stripe-python 16.1's `stripe/params/v2/core/_account_create_params.py` and
`stripe/v2/core/_account.py`; https://docs.stripe.com/api/v2/core/accounts and
https://docs.stripe.com/connect/accounts-v2. The sandbox keeps one (v1-shaped) model per
account, so v1 and v2 calls see the same account, as Stripe's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stripe_sandbox.errors import StripeError
from stripe_sandbox.params import ANY, SCALAR, MapOf, check_params

REQUESTED = {"requested": SCALAR}
CREATE_ACCOUNT = {
    "account_token": SCALAR,
    "contact_email": SCALAR,
    "contact_phone": SCALAR,
    "display_name": SCALAR,
    "dashboard": SCALAR,
    "identity": {
        "country": SCALAR,
        "entity_type": SCALAR,
        "attestations": ANY,
        "business_details": ANY,
        "individual": ANY,
    },
    "defaults": {
        "currency": SCALAR,
        "locales": ANY,
        "profile": ANY,
        "responsibilities": {"fees_collector": SCALAR, "losses_collector": SCALAR},
    },
    "configuration": {
        "customer": ANY,
        "merchant": {
            "capabilities": MapOf(REQUESTED),
            "branding": ANY,
            "mcc": SCALAR,
            "support": ANY,
            "statement_descriptor": ANY,
            "card_payments": ANY,
            "bacs_debit_payments": ANY,
            "konbini_payments": ANY,
            "script_statement_descriptor": ANY,
            "sepa_debit_payments": ANY,
        },
        "recipient": {
            "capabilities": {
                "stripe_balance": {"stripe_transfers": REQUESTED, "payouts": ANY},
                "bank_accounts": ANY,
                "cards": ANY,
            }
        },
    },
    "metadata": MapOf(SCALAR),
    "include": ANY,
}
UPDATE_ACCOUNT = CREATE_ACCOUNT
DASHBOARDS = ("express", "full", "none")
FEES_COLLECTORS = ("application", "application_custom", "application_express", "stripe")
LOSSES_COLLECTORS = ("application", "stripe")
CONFIGURATIONS = ("merchant", "recipient")
# v1 capability name → (v2 configuration, v2 capability path)
CAPABILITIES = {
    "card_payments": ("merchant", "card_payments"),
    "transfers": ("recipient", "stripe_balance.stripe_transfers"),
}
V2_CAPABILITY_STATUS = {"active": "active", "pending": "pending", "inactive": "restricted"}
# v1 `requirements.disabled_reason` → the v2 `status_details[].code` of a capability that is not
# active (codes: stripe-python `stripe/v2/core/_account.py`, `Capabilities.*.StatusDetail`).
# v2 has no codes for `listed`, `platform_paused` or `other`: they are `restricted_other`.
# `under_review` gives a `pending` capability no code.
STATUS_DETAIL_CODES = {
    "requirements.past_due": "requirements_past_due",
    "requirements.pending_verification": "requirements_pending_verification",
    "listed": "restricted_other",
    "platform_paused": "restricted_other",
    "other": "restricted_other",
}
UNSUPPORTED = {
    "status": "unsupported",
    "status_details": [{"code": "unsupported_country", "resolution": "no_resolution"}],
}


def rfc3339(timestamp: float) -> str:
    """An RFC 3339 UTC timestamp with milliseconds, as v2 endpoints write them."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def check_v2_params(params: dict[str, Any], schema: dict[str, Any]) -> None:
    """`check_params` for JSON bodies: v2 names a parameter by its dotted path."""
    try:
        check_params(params, schema)
    except StripeError as error:
        dotted = (error.param or "").replace("][", ".").replace("[", ".").rstrip("]")
        raise StripeError(
            400, f"Received unknown parameter: {dotted}", code="parameter_unknown", param=dotted
        ) from None


def _choice(value: Any, param: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise StripeError(400, f"Invalid {param}: must be one of {', '.join(choices)}", param=param)
    return value


def requested_capabilities(configuration: dict[str, Any]) -> list[str]:
    """The v1 capability names a v2 `configuration` requests."""
    merchant = (configuration.get("merchant") or {}).get("capabilities") or {}
    recipient = (configuration.get("recipient") or {}).get("capabilities") or {}
    balance = recipient.get("stripe_balance") or {}
    requested = []
    if (merchant.get("card_payments") or {}).get("requested") is True:
        requested.append("card_payments")
    if (balance.get("stripe_transfers") or {}).get("requested") is True:
        requested.append("transfers")
    return requested


def losses_collector(params: dict[str, Any]) -> str:
    """Who bears losses: `defaults.responsibilities.losses_collector`, Stripe by default."""
    responsibilities = (params.get("defaults") or {}).get("responsibilities") or {}
    return responsibilities.get("losses_collector") or "stripe"


def v1_create_params(params: dict[str, Any]) -> dict[str, Any]:
    """The v1-model params for a v2 create, after checking its enums."""
    dashboard = _choice(params.get("dashboard") or "full", "dashboard", DASHBOARDS)
    defaults = params.get("defaults") or {}
    responsibilities = defaults.get("responsibilities") or {}
    fees = responsibilities.get("fees_collector") or "stripe"
    _choice(fees, "defaults.responsibilities.fees_collector", FEES_COLLECTORS)
    losses = _choice(
        losses_collector(params), "defaults.responsibilities.losses_collector", LOSSES_COLLECTORS
    )
    country = (params.get("identity") or {}).get("country")
    if country is not None and (not isinstance(country, str) or len(country) != 2):
        raise StripeError(400, f"Invalid country: {country}", param="identity.country")
    v1: dict[str, Any] = {
        "country": country,
        "email": params.get("contact_email"),
        "business_profile": {"name": params.get("display_name")},
        "business_type": (params.get("identity") or {}).get("entity_type"),
        "controller": {
            "fees": {"payer": "account" if fees == "stripe" else fees},
            "losses": {"payments": losses},
            # v2 takes no requirements collector: the platform collects for accounts without a
            # Stripe dashboard whose losses it bears, Stripe for the others
            # (https://docs.stripe.com/connect/accounts-v2/connected-account-configuration).
            "requirement_collection": "application"
            if dashboard == "none" and losses == "application"
            else "stripe",
            "stripe_dashboard": {"type": dashboard},
        },
        "metadata": dict(params.get("metadata") or {}),
    }
    if defaults.get("currency"):
        v1["default_currency"] = str(defaults["currency"]).lower()
    return v1


def applied_configurations(params: dict[str, Any]) -> list[str]:
    """The configurations a v2 create or update sends (merchant, recipient, customer)."""
    return sorted((params.get("configuration") or {}).keys())


def update(account: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The v1-model update params for a v2 update (metadata `null` deletes a key)."""
    v1: dict[str, Any] = {}
    if "contact_email" in params:
        v1["email"] = params["contact_email"] or ""
    if "display_name" in params:
        v1["business_profile"] = {"name": params["display_name"]}
    if (params.get("defaults") or {}).get("currency"):
        v1["default_currency"] = str(params["defaults"]["currency"]).lower()
    country = (params.get("identity") or {}).get("country")
    if country and country.upper() != account["country"]:
        raise StripeError(
            400,
            "You cannot change `identity.country` of an account once it has been set.",
            param="identity.country",
        )
    if "metadata" in params:
        v1["metadata"] = {
            key: "" if value is None else value for key, value in (params["metadata"] or {}).items()
        }
    requested = requested_capabilities(params.get("configuration") or {})
    if requested:
        v1["capabilities"] = {name: {"requested": "true"} for name in requested}
    return v1


def include_set(values: Any) -> set[str]:
    """`include` as a set, whether sent as a list (JSON, query) or one string."""
    if isinstance(values, str):
        return {values}
    return {str(value) for value in values or []}


def v2_account(
    account: dict[str, Any],
    configurations: list[str],
    include: set[str],
    unsupported: Sequence[str] = (),
) -> dict[str, Any]:
    """The v2 view of an account (`GET /v2/core/accounts/{id}`).

    v2 leaves include-dependent fields (configuration, identity, requirements, …) null unless
    asked for with `include`: https://docs.stripe.com/api-v2-overview#include-dependent-fields
    """
    reason = account["requirements"]["disabled_reason"]
    statuses = {
        name: _v2_status(status, reason) for name, status in account["capabilities"].items()
    } | {name: UNSUPPORTED for name in unsupported}
    # Payouts are a capability of both configurations, requested by Stripe with the account's
    # Stripe balance (docs.stripe.com/changelog/basil/2025-04-30/payouts-are-now-a-capability).
    payouts = _v2_status("active" if account["payouts_enabled"] else "inactive", reason)
    configuration: dict[str, Any] = {"customer": None, "merchant": None, "recipient": None}
    if "merchant" in configurations:
        caps: dict[str, Any] = {"stripe_balance": {"payouts": payouts}}
        if "card_payments" in statuses:
            caps["card_payments"] = statuses["card_payments"]
        configuration["merchant"] = {"capabilities": caps}
    if "recipient" in configurations:
        caps = {}
        if "transfers" in statuses:
            caps["stripe_balance"] = {"stripe_transfers": statuses["transfers"], "payouts": payouts}
        configuration["recipient"] = {"capabilities": caps}
    controller = account["controller"]
    losses = controller["losses"]["payments"]
    fees = controller["fees"]["payer"]
    full = {
        "id": account["id"],
        "object": "v2.core.account",
        "applied_configurations": configurations,
        "closed": False,
        "configuration": configuration,
        "contact_email": account["email"],
        "created": rfc3339(account["created"]),
        "dashboard": controller["stripe_dashboard"]["type"],
        "defaults": {
            "currency": account["default_currency"],
            "locales": ["en-US"],
            "responsibilities": {
                "fees_collector": "stripe" if fees == "account" else fees,
                "losses_collector": losses,
                "requirements_collector": controller["requirement_collection"],
            },
        },
        "display_name": account["business_profile"].get("name"),
        "future_requirements": _v2_requirements(account, account["future_requirements"]),
        "identity": {
            "country": account["country"],
            "entity_type": account["business_type"],
            # Hosted onboarding records the representative's acceptance of Stripe's services
            # agreement (v1's `tos_acceptance`): `identity.attestations.terms_of_service.account`.
            "attestations": {"terms_of_service": {"account": _terms(account["tos_acceptance"])}},
        },
        "livemode": account["livemode"],
        "metadata": account["metadata"],
        "requirements": _v2_requirements(account, account["requirements"]),
    }
    for field in ("configuration", "defaults", "future_requirements", "identity", "requirements"):
        if not any(item == field or item.startswith(field + ".") for item in include):
            full[field] = None
    if full["configuration"] is not None:
        for name in CONFIGURATIONS:
            if not {"configuration", f"configuration.{name}"} & include:
                full["configuration"][name] = None
    return full


def _v2_status(status: str, disabled_reason: str | None) -> dict[str, Any]:
    """A v2 capability status; one that is not active says why, in v2's codes."""
    if status == "active":
        return {"status": "active", "status_details": []}
    reason = disabled_reason or ""
    if reason.startswith("rejected."):
        code = "rejected_" + reason.removeprefix("rejected.")
        return {"status": "rejected", "status_details": [_detail(code, "contact_stripe")]}
    code = STATUS_DETAIL_CODES.get(reason)
    details = [_detail(code, "provide_info")] if code else []
    return {"status": V2_CAPABILITY_STATUS[status], "status_details": details}


def _detail(code: str, resolution: str) -> dict[str, str]:
    return {"code": code, "resolution": resolution}


def _terms(acceptance: dict[str, Any]) -> dict[str, Any] | None:
    if not acceptance.get("date"):
        return None
    return {
        "date": rfc3339(acceptance["date"]),
        "ip": acceptance.get("ip"),
        "user_agent": acceptance.get("user_agent"),
    }


STRICTNESS = ("eventually_due", "currently_due", "past_due")


def _v2_requirements(account: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
    """v1 requirement lists as v2 `entries` with a `summary` of the soonest deadline."""
    impacted = [
        {"capability": path.rsplit(".", 1)[-1], "configuration": config}
        for name, (config, path) in CAPABILITIES.items()
        if name in account["capabilities"]
    ]
    statuses: dict[str, str] = {}
    for status in STRICTNESS:
        for field in req[status]:
            statuses[field] = status
    entries = [
        _v2_entry(field, status, req, impacted, "user") for field, status in statuses.items()
    ] + [
        _v2_entry(field, "currently_due", req, impacted, "stripe")
        for field in req["pending_verification"]
    ]
    strictest = max(
        (entry["minimum_deadline"]["status"] for entry in entries),
        key=STRICTNESS.index,
        default=None,
    )
    deadline = req["current_deadline"]
    return {
        "entries": entries,
        "summary": {
            "minimum_deadline": strictest
            and {"status": strictest, "time": rfc3339(deadline) if deadline else None}
        },
    }


def _v2_entry(
    field: str,
    status: str,
    req: dict[str, Any],
    impacted: list[dict[str, str]],
    by: str,
) -> dict[str, Any]:
    errors = [
        {"code": error["code"], "description": error["reason"]}
        for error in req["errors"]
        if error["requirement"] == field
    ]
    return {
        "awaiting_action_from": by,
        "description": field,
        "errors": errors,
        "impact": {
            "restricts_capabilities": [
                {**capability, "deadline": {"status": status}} for capability in impacted
            ]
        },
        "minimum_deadline": {"status": status},
        "reference": None,
        "requested_reasons": [{"code": "routine_onboarding"}],
    }
