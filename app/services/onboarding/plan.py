"""Pure rules of onboarding: what to create, which link to mint, which buttons to offer.

No database and no Stripe here, so the dashboard can ask these questions for every row without
a single extra query or API call, and the tables in tests/unit cover every case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from app.account_snapshot import V2_INCLUDE
from app.models import PaymentsAccount, Server
from app.services.connection_options import CROSS_BORDER_COUNTRIES

# Next actions the API reports (seed 000 callers branch on them).
ONBOARDING, UPDATE, DASHBOARD, NONE = "onboarding", "update", "dashboard", "none"
LINK_ONBOARDING, LINK_UPDATE = "account_onboarding", "account_update"

# `controller` for new accounts per the connection's `dashboard` option
# (docs.stripe.com/connect/migrate-to-controller-properties).
CONTROLLERS: dict[str, dict[str, Any]] = {
    "express": {
        "stripe_dashboard": {"type": "express"},
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
    },
    "full": {"stripe_dashboard": {"type": "full"}},
    "none": {
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
    },
}


@dataclass(frozen=True)
class NextStep:
    """What Connect does now: `action` for the API, and the link type to mint (or None)."""

    action: str
    link_type: str | None


def idempotency_key_for(payments: PaymentsAccount, params: dict[str, Any]) -> str:
    """The one idempotency key for creating this resource's account with these params.

    Deterministic, so a second click, another process, or a retry after a crash between
    Stripe's answer and our commit gets Stripe's first answer replayed: one account, never two.
    The generation moves on when the account was lost (deauthorized) or Stripe refused the
    creation; the params' hash means changed params (another country) never reuse a key, which
    Stripe would refuse with `idempotency_error` for 24 hours
    (https://docs.stripe.com/api/idempotent_requests).
    """
    digest = sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return f"co-account-{payments.id}-g{payments.account_generation}-{digest}"


# Stripe's metadata limits (docs.stripe.com/api/metadata): 50 keys, 40-char keys, 500-char
# values; three keys are ours.
METADATA_MAX_KEYS, METADATA_KEY_MAX, METADATA_VALUE_MAX = 47, 40, 500


def forwarded_metadata(server_metadata: dict[str, Any] | None) -> dict[str, str]:
    """The server's string metadata that fits Stripe's limits, copied onto its account.

    It lets a platform tag accounts (and the sandbox honour `sandbox_state` for the demo).
    """
    forwarded: dict[str, str] = {}
    for key, value in sorted((server_metadata or {}).items()):
        if len(forwarded) == METADATA_MAX_KEYS:
            break
        if (
            isinstance(value, str)
            and len(key) <= METADATA_KEY_MAX
            and len(value) <= METADATA_VALUE_MAX
        ):
            forwarded[key] = value
    return forwarded


@dataclass(frozen=True)
class AccountTerms:
    """What a new account is asked for: its capabilities and Stripe service agreement."""

    capabilities: tuple[str, ...]
    service_agreement: str


DOMESTIC = AccountTerms(("card_payments", "transfers"), "full")
# Cross-border payouts need the `recipient` service agreement, under which an account can only
# receive transfers, not take card payments (docs.stripe.com/connect/cross-border-payouts,
# "Limitations"; docs.stripe.com/connect/service-agreement-types#recipient).
CROSS_BORDER = AccountTerms(("transfers",), "recipient")


def account_terms(platform_country: str, account_country: str) -> AccountTerms:
    """The table, platform country × account country: same country (or `same`) → DOMESTIC;
    both in the self-serve cross-border region (US, UK, EEA, CA, CH) → CROSS_BORDER; any other
    pair → DOMESTIC, which Stripe refuses with a reason the refusal table explains."""
    platform, account = platform_country.upper(), account_country.upper()
    if platform in ("SAME", account):
        return DOMESTIC
    if platform in CROSS_BORDER_COUNTRIES and account in CROSS_BORDER_COUNTRIES:
        return CROSS_BORDER
    return DOMESTIC


# Where each capability we request lives on a v2 account: configuration and capability path
# (stripe-python `stripe/params/v2/core/_account_create_params.py`). Requesting the recipient's
# `stripe_transfers` without a merchant configuration is v2's recipient service agreement
# (docs.stripe.com/connect/accounts-v2; cross-border payouts: the `CROSS_BORDER` terms).
V2_CAPABILITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "card_payments": ("merchant", ("card_payments",)),
    "transfers": ("recipient", ("stripe_balance", "stripe_transfers")),
}


def account_params(
    server: Server,
    payments: PaymentsAccount,
    dashboard: str,
    platform_country: str = "same",
    api: str = "v1",
) -> dict[str, Any]:
    """Creation params for `POST /v1/accounts` or `POST /v2/core/accounts` (`api`), built only
    from what is stored on the row (retry-identical); both shapes ask for the same terms."""
    terms = account_terms(platform_country, payments.country)
    metadata = {
        **forwarded_metadata(server.metadata_),
        "server_id": server.id,
        "payments_id": payments.id,
        "workspace_id": server.workspace_id,
    }
    if api == "v2":
        return _v2_account_params(server, payments, dashboard, terms, metadata)
    params: dict[str, Any] = {
        "country": payments.country,
        "controller": CONTROLLERS[dashboard],
        "capabilities": {name: {"requested": True} for name in terms.capabilities},
        "metadata": metadata,
    }
    if terms.service_agreement != DOMESTIC.service_agreement:
        params["tos_acceptance"] = {"service_agreement": terms.service_agreement}
    if payments.email:
        params["email"] = payments.email
    if payments.product_description:
        params["business_profile"] = {"product_description": payments.product_description}
    return params


def _v2_account_params(
    server: Server,
    payments: PaymentsAccount,
    dashboard: str,
    terms: AccountTerms,
    metadata: dict[str, str],
) -> dict[str, Any]:
    """The v2 shape of the same request: who pays fees and bears losses come from the same
    `CONTROLLERS` row as v1's (v1 leaving them to Stripe is v2's `stripe`)."""
    controller = CONTROLLERS[dashboard]
    defaults: dict[str, Any] = {
        "responsibilities": {
            "fees_collector": (controller.get("fees") or {}).get("payer", "stripe"),
            "losses_collector": (controller.get("losses") or {}).get("payments", "stripe"),
        }
    }
    if payments.product_description:
        defaults["profile"] = {"product_description": payments.product_description}
    configuration: dict[str, Any] = {}
    for name in terms.capabilities:
        config_name, path = V2_CAPABILITIES[name]
        node = configuration.setdefault(config_name, {}).setdefault("capabilities", {})
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = {"requested": True}
    params: dict[str, Any] = {
        "display_name": server.name,
        "dashboard": dashboard,
        "identity": {"country": payments.country},
        "defaults": defaults,
        "configuration": configuration,
        "metadata": metadata,
        "include": list(V2_INCLUDE),
    }
    if payments.email:
        params["contact_email"] = payments.email
    return params


def _needs_onboarding(payments: PaymentsAccount) -> bool:
    # A submitted account with something due goes back through `account_onboarding`, which
    # collects just what is missing; a finished one never does.
    return (
        payments.stripe_account_id is None
        or not payments.details_submitted
        or (payments.onboarding_status != "complete" and payments.status_reason == "needs_info")
    )


def plan_next_step(payments: PaymentsAccount, link_kind: str = "auto") -> NextStep:
    """The link Connect mints for this resource, from stored state only (no Stripe call).

    `account_update` links exist only where the platform collects requirements; Express
    accounts edit their details in the Stripe dashboard (docs.stripe.com/api/account_links).
    """
    platform_collects = payments.requirement_collection == "application"
    if _needs_onboarding(payments):
        return NextStep(ONBOARDING, LINK_ONBOARDING)
    if link_kind == "update" and platform_collects:
        return NextStep(UPDATE, LINK_UPDATE)
    if payments.dashboard_type == "express":
        return NextStep(DASHBOARD, None)
    if platform_collects:
        return NextStep(UPDATE, None)
    return NextStep(NONE, None)


def refresh_step(payments: PaymentsAccount) -> NextStep:
    """The link a refresh re-mints: onboarding while due, else an update link if possible."""
    step = plan_next_step(payments, "update")
    return step if step.link_type else NextStep(step.action, None)


@dataclass(frozen=True)
class Action:
    """One button: `endpoint` is an onboarding route taking `server_id`; POSTed with `hidden`."""

    kind: str
    label: str
    endpoint: str
    style: str = "primary"
    hidden: dict[str, str] = field(default_factory=dict)


def resource_actions(payments: PaymentsAccount) -> list[Action]:
    """The onboarding buttons for a resource's state (availability is applied by the caller)."""
    if payments.stripe_account_id is None:
        return [Action("connect", "Connect with Stripe", "onboarding.connect")]
    if _needs_onboarding(payments):
        return [Action("continue", "Continue onboarding", "onboarding.connect")]
    actions = []
    if payments.dashboard_type == "express":
        actions.append(Action("dashboard", "Open Stripe dashboard", "onboarding.dashboard"))
    if payments.requirement_collection == "application":
        actions.append(
            Action(
                "update",
                "Update details",
                "onboarding.connect",
                style="secondary" if actions else "primary",
                hidden={"link_kind": "update"},
            )
        )
    return actions
