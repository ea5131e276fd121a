"""Connected-account objects (v1 and v2 shapes) and the states onboarding moves them through.

Field meanings: https://docs.stripe.com/api/accounts/object and
https://docs.stripe.com/connect/handling-api-verification.
"""

from __future__ import annotations

import copy
from typing import Any

from stripe_sandbox.errors import StripeError

# What Stripe asks a fresh account for before it can take charges and receive payouts.
ONBOARDING_FIELDS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.dob.day",
    "representative.dob.month",
    "representative.dob.year",
    "representative.email",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
LATER_FIELDS = ["representative.id_number"]
VERIFICATION_FIELD = "representative.verification.document"
DAY = 86_400

# The states tests and the hosted page can put an account in (see `apply_state`).
STATES = ("new", "needs_info", "complete", "under_review", "past_due", "rejected", "paused")

LEGACY_CONTROLLERS: dict[str, dict[str, Any]] = {
    # https://docs.stripe.com/connect/migrate-to-controller-properties
    "standard": {
        "type": "account",
        "is_controller": False,
        "fees": {"payer": "account"},
        "losses": {"payments": "stripe"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "full"},
    },
    "express": {
        "type": "application",
        "is_controller": True,
        "fees": {"payer": "application_express"},
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
    },
    "custom": {
        "type": "application",
        "is_controller": True,
        "fees": {"payer": "application_custom"},
        "losses": {"payments": "application"},
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
    },
}

# An account's default currency is its country's: Stripe sets `default_currency` to the
# currency of the account's country (https://docs.stripe.com/api/accounts/object
# #account_object-default_currency; https://docs.stripe.com/currencies#presentment-currencies).
EURO_COUNTRIES = ("AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT")
EURO_COUNTRIES += ("LT", "LU", "LV", "MT", "NL", "PT", "SI", "SK")
COUNTRY_CURRENCIES: dict[str, str] = {country: "eur" for country in EURO_COUNTRIES} | {
    "AU": "aud",
    "BG": "bgn",
    "BR": "brl",
    "CA": "cad",
    "CH": "chf",
    "CZ": "czk",
    "DK": "dkk",
    "GB": "gbp",
    "HK": "hkd",
    "HU": "huf",
    "IN": "inr",
    "JP": "jpy",
    "MX": "mxn",
    "NO": "nok",
    "NZ": "nzd",
    "PL": "pln",
    "RO": "ron",
    "SE": "sek",
    "SG": "sgd",
    "TH": "thb",
    "US": "usd",
}


def currency_for(country: str) -> str:
    """The default currency of an account in `country` (usd for countries not listed)."""
    return COUNTRY_CURRENCIES.get(country.upper(), "usd")


BUSINESS_PROFILE_FIELDS = (
    "mcc",
    "name",
    "product_description",
    "support_email",
    "support_phone",
    "support_url",
    "url",
)


def build_controller(account_type: str | None, controller: dict[str, Any] | None) -> dict:
    """The `controller` hash for a new account, from legacy `type` or controller params."""
    if account_type:
        return copy.deepcopy(LEGACY_CONTROLLERS[account_type])
    controller = controller or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type") or "full"
    collection = controller.get("requirement_collection") or "stripe"
    if collection == "application" and dashboard != "none":
        # https://docs.stripe.com/connect/accounts-v2/connected-account-configuration
        raise StripeError(
            400,
            "Accounts where the platform collects requirements cannot have access to a "
            "Stripe-hosted Dashboard: set controller[stripe_dashboard][type]=none.",
            param="controller[stripe_dashboard][type]",
        )
    return {
        "type": "application",
        "is_controller": True,
        "fees": {"payer": (controller.get("fees") or {}).get("payer") or "account"},
        "losses": {"payments": (controller.get("losses") or {}).get("payments") or "stripe"},
        "requirement_collection": collection,
        "stripe_dashboard": {"type": dashboard},
    }


def requested_capabilities(params: dict[str, Any], defaults: bool = True) -> list[str]:
    """The capabilities v1 create params request (card payments and transfers when none are
    named and `defaults`)."""
    requested = [
        name
        for name, options in (params.get("capabilities") or {}).items()
        if isinstance(options, dict) and str(options.get("requested")).lower() == "true"
    ]
    if not requested and defaults:
        requested = ["card_payments", "transfers"]
    return requested


def new_account(
    account_id: str, params: dict[str, Any], now: int, default_capabilities: bool = True
) -> dict[str, Any]:
    """A freshly created v1 account object for `POST /v1/accounts` params (v1 requests card
    payments and transfers when no capability is named; v2 requests only what it names)."""
    account_type = params.get("type")
    requested = requested_capabilities(params, default_capabilities)
    profile = {field: None for field in BUSINESS_PROFILE_FIELDS}
    profile.update(params.get("business_profile") or {})
    country = (params.get("country") or "US").upper()
    account = {
        "id": account_id,
        "object": "account",
        "business_profile": profile,
        "business_type": params.get("business_type"),
        "capabilities": {name: "inactive" for name in sorted(requested)},
        "charges_enabled": False,
        "controller": build_controller(account_type, params.get("controller")),
        "country": country,
        "created": now,
        "default_currency": params.get("default_currency") or currency_for(country),
        "details_submitted": False,
        "email": params.get("email"),
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": empty_requirements(),
        "livemode": False,
        "metadata": dict(params.get("metadata") or {}),
        "payouts_enabled": False,
        "requirements": empty_requirements(),
        "settings": {"dashboard": {"display_name": profile.get("name"), "timezone": "Etc/UTC"}},
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        # Accounts created with controller properties report `type: none`:
        # https://docs.stripe.com/api/accounts/object#account_object-type
        "type": account_type or "none",
    }
    return apply_state(account, "new", now)


def empty_requirements() -> dict[str, Any]:
    """A requirements hash with nothing due."""
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def _due_now(account: dict[str, Any]) -> list[str]:
    profile = account["business_profile"]
    return [
        field
        for field in ONBOARDING_FIELDS
        if not (field.startswith("business_profile.") and profile.get(field.split(".", 1)[1]))
    ]


def apply_state(account: dict[str, Any], state: str, now: int) -> dict[str, Any]:
    """Return a copy of `account` moved into one of `STATES`.

    new          nothing submitted: every onboarding field currently and past due (Stripe
                 reports fresh accounts as `requirements.past_due`), capabilities inactive.
    needs_info   submitted and enabled, but Stripe wants more by a future deadline.
    complete     submitted, charges and payouts enabled, capabilities active, nothing due.
    under_review submitted; documents pending verification, capabilities pending.
    past_due     submitted but information is missing or failed: disabled, with an error.
    rejected     Stripe rejected the account (`rejected.fraud`).
    paused       the platform paused the account (`platform_paused`).
    """
    if state not in STATES:
        raise ValueError(f"unknown account state {state!r}; expected one of {STATES}")
    account = copy.deepcopy(account)
    req = empty_requirements()
    submitted = state != "new"
    enabled = state in ("complete", "needs_info")
    capability = {"complete": "active", "needs_info": "active", "under_review": "pending"}.get(
        state, "inactive"
    )
    if state == "new":
        due = _due_now(account)
        req.update(
            currently_due=due,
            eventually_due=due + LATER_FIELDS,
            past_due=list(due),
            disabled_reason="requirements.past_due",
        )
    elif state == "needs_info":
        req.update(
            currently_due=LATER_FIELDS[:],
            eventually_due=LATER_FIELDS[:],
            current_deadline=now + 14 * DAY,
        )
    elif state == "under_review":
        req.update(
            pending_verification=[VERIFICATION_FIELD],
            disabled_reason="requirements.pending_verification",
        )
    elif state == "past_due":
        missing = [VERIFICATION_FIELD, "external_account"]
        req.update(
            currently_due=missing,
            eventually_due=missing + LATER_FIELDS,
            past_due=list(missing),
            current_deadline=now - DAY,
            disabled_reason="requirements.past_due",
            errors=[
                {
                    "code": "verification_failed_keyed_identity",
                    "reason": "The identity information you entered cannot be verified. "
                    "Please correct any errors or upload a document that matches the "
                    "identity fields (e.g., name and date of birth) that you entered.",
                    "requirement": VERIFICATION_FIELD,
                }
            ],
        )
    elif state == "rejected":
        req["disabled_reason"] = "rejected.fraud"
    elif state == "paused":
        req["disabled_reason"] = "platform_paused"
    account.update(
        details_submitted=submitted,
        charges_enabled=enabled,
        payouts_enabled=enabled,
        requirements=req,
        capabilities={name: capability for name in account["capabilities"]},
    )
    if submitted and account["tos_acceptance"]["date"] is None:
        account["tos_acceptance"] = {"date": now, "ip": "127.0.0.1", "user_agent": "sandbox"}
    return account


REQUIREMENT_LISTS = ("currently_due", "eventually_due", "past_due", "pending_verification")


def check_requirements(changes: Any) -> str | None:
    """Why `changes` is not a valid requirements patch (None when it is)."""
    if not isinstance(changes, dict):
        return "requirements must be an object"
    for key, value in changes.items():
        if key in REQUIREMENT_LISTS:
            if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
                return f"{key} must be a list of requirement names"
        elif key == "current_deadline":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                return "current_deadline must be a Unix timestamp or null"
        elif key == "disabled_reason":
            if value is not None and not isinstance(value, str):
                return "disabled_reason must be a string or null"
        else:
            return f"unknown requirements field {key!r}"
    return None


def patch_requirements(
    account: dict[str, Any], current: dict[str, Any] | None, future: dict[str, Any] | None
) -> dict[str, Any]:
    """Return a copy of `account` with fields of `requirements` / `future_requirements`
    replaced; what is past or currently due is also eventually due, as Stripe reports it."""
    account = copy.deepcopy(account)
    for name, changes in (("requirements", current), ("future_requirements", future)):
        if changes is None:
            continue
        req = account[name]
        req.update(copy.deepcopy(changes))
        due = [*req["past_due"], *req["currently_due"]]
        req["eventually_due"] = list(dict.fromkeys([*due, *req["eventually_due"]]))
    return account


def update_account(account: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Apply `POST /v1/accounts/{id}` params; an empty metadata value deletes that key."""
    account = copy.deepcopy(account)
    metadata = params.get("metadata")
    if metadata == "":
        account["metadata"] = {}
    elif isinstance(metadata, dict):
        for key, value in metadata.items():
            if value == "":
                account["metadata"].pop(key, None)
            else:
                account["metadata"][key] = value
    if isinstance(params.get("business_profile"), dict):
        account["business_profile"].update(params["business_profile"])
    for field in ("email", "default_currency", "business_type"):
        if field in params:
            account[field] = params[field] or None
    for name, options in (params.get("capabilities") or {}).items():
        if isinstance(options, dict) and str(options.get("requested")).lower() == "true":
            account["capabilities"].setdefault(name, "inactive")
    return account


def has_hosted_dashboard(account: dict[str, Any]) -> bool:
    """True when the account can use a Stripe-hosted Dashboard (Express or full)."""
    return account["controller"]["stripe_dashboard"]["type"] != "none"


def platform_collects_requirements(account: dict[str, Any]) -> bool:
    """True when the platform, not Stripe, collects requirements (Custom-like accounts)."""
    return account["controller"]["requirement_collection"] == "application"


def capability_object(account: dict[str, Any], name: str) -> dict[str, Any]:
    """The `capability` object `capability.updated` events carry."""
    req = account["requirements"]
    return {
        "id": name,
        "object": "capability",
        "account": account["id"],
        "future_requirements": empty_requirements(),
        "requested": True,
        "requested_at": account["created"],
        "requirements": {key: req[key] for key in req},
        "status": account["capabilities"][name],
    }
