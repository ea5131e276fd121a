"""One internal model of a connected account, whichever Stripe API answered.

`POST|GET /v1/accounts` and `POST|GET /v2/core/accounts` describe the same account in two shapes
(stripe-python 16.1: `stripe/_account.py` and `stripe/v2/core/_account.py`). Everything after
the gateway — `derive_onboarding_status`, `apply_account`, the recovery lookup — reads an
`AccountSnapshot` instead, so the status rules and the stored fields exist once.

How v2 maps onto v1's words (v2 has no account-level flags; it says everything per requirement
and per capability — https://docs.stripe.com/api/v2/core/accounts/object):

- `requirements.entries[]` awaiting the `user` go into v1's lists by `minimum_deadline.status`,
  nested as v1 nests them (docs.stripe.com/api/accounts/object#account_object-requirements):
  `past_due` → past_due, currently_due and eventually_due; `currently_due` → currently_due and
  eventually_due; `eventually_due` → eventually_due. Entries awaiting `stripe` are Stripe
  verifying what was given: v1's `pending_verification`.
- `entries[].errors[]` (`code`, `description`) become v1's errors (`requirement`, `code`,
  `reason`); each `alternatives[].options[]` becomes one v1 alternative.
- `requirements.summary.minimum_deadline.time` is v1's `current_deadline`; the same for
  `future_requirements`.
- `details_submitted`: the account's representative accepted Stripe's services agreement
  (`identity.attestations.terms_of_service.account.date`), which hosted onboarding records as
  its last step.
- `charges_enabled`: the merchant's `card_payments` capability is `active`; for an account with
  only the recipient configuration (cross-border payouts take no card payments), its
  `stripe_balance.stripe_transfers` capability is. `payouts_enabled`: a `stripe_balance.payouts`
  capability is `active` (payouts are a capability of both configurations since 2025-04-30:
  docs.stripe.com/changelog/basil/2025-04-30/payouts-are-now-a-capability).
- `disabled_reason`: the most serious `status_details[].code` of those capabilities that are
  not active, in v1's words (`V2_DISABLED_REASONS`).
- dashboard: `dashboard`; requirement collection: `defaults.responsibilities.
  requirements_collector`; email, country, currency: `contact_email`, `identity.country`,
  `defaults.currency`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

# Old Stripe account types, for v1 accounts that carry no `controller.stripe_dashboard`.
_DASHBOARD_BY_TYPE = {"express": "express", "standard": "full", "custom": "none"}

# v2 capability `status_details[].code` → v1 `requirements.disabled_reason`, most serious
# first. Codes: stripe-python `stripe/v2/core/_account.py` (`...Capabilities.*.StatusDetail`);
# v1 reasons: docs.stripe.com/api/accounts/object#account_object-requirements-disabled_reason.
# A capability Stripe does not offer for the account (`unsupported_*`) or restricts for another
# reason cannot be fixed by a form: v1 calls that `other`. `determining_status` is no reason.
V2_DISABLED_REASONS: tuple[tuple[str, str], ...] = (
    ("rejected_fraud", "rejected.fraud"),
    ("rejected_incomplete_verification", "rejected.incomplete_verification"),
    ("rejected_listed", "rejected.listed"),
    ("rejected_other", "rejected.other"),
    ("rejected_platform_fraud", "rejected.platform_fraud"),
    ("rejected_platform_other", "rejected.platform_other"),
    ("rejected_platform_terms_of_service", "rejected.platform_terms_of_service"),
    ("rejected_terms_of_service", "rejected.terms_of_service"),
    ("restricted_other", "other"),
    ("unsupported_business", "other"),
    ("unsupported_country", "other"),
    ("unsupported_entity_type", "other"),
    ("requirements_past_due", "requirements.past_due"),
    ("requirements_pending_verification", "requirements.pending_verification"),
)

# What we ask v2 to include: its requirements, capabilities, identity and defaults are null
# unless asked for (https://docs.stripe.com/api-v2-overview#include-dependent-fields).
V2_INCLUDE = (
    "requirements",
    "future_requirements",
    "configuration.merchant",
    "configuration.recipient",
    "identity",
    "defaults",
)


@dataclass(frozen=True)
class RequirementError:
    """Why Stripe could not accept what was given for one requirement."""

    requirement: str
    code: str | None
    reason: str | None


@dataclass(frozen=True)
class Alternative:
    """Fields that may be given instead of others."""

    alternative_fields_due: tuple[str, ...]
    original_fields_due: tuple[str, ...]


@dataclass(frozen=True)
class Requirements:
    """What Stripe needs from the account, in v1's lists."""

    currently_due: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    eventually_due: tuple[str, ...] = ()
    pending_verification: tuple[str, ...] = ()
    errors: tuple[RequirementError, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    disabled_reason: str | None = None
    current_deadline: datetime | None = None


@dataclass(frozen=True)
class AccountSnapshot:
    """A connected account as Stripe described it at one moment (v1 or v2 shape)."""

    id: str
    api: str  # the shape it was read from: v1 | v2
    created: datetime | None = None
    email: str | None = None
    country: str | None = None
    default_currency: str | None = None
    details_submitted: bool = False
    charges_enabled: bool = False
    payouts_enabled: bool = False
    requirements: Requirements = Requirements()
    future_requirements: Requirements = Requirements()
    dashboard_type: str | None = None
    requirement_collection: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def from_v1(cls, account: Mapping[str, Any]) -> AccountSnapshot:
        """A `v1` account object (`stripe/_account.py`)."""
        dashboard, collection = _v1_controller(account)
        return cls(
            id=account["id"],
            api="v1",
            created=stripe_time(account.get("created")),
            email=account.get("email") or None,
            country=_upper(account.get("country")),
            default_currency=_lower(account.get("default_currency")),
            details_submitted=bool(account.get("details_submitted")),
            charges_enabled=bool(account.get("charges_enabled")),
            payouts_enabled=bool(account.get("payouts_enabled")),
            requirements=_v1_requirements(account.get("requirements")),
            future_requirements=_v1_requirements(account.get("future_requirements")),
            dashboard_type=dashboard,
            requirement_collection=collection,
            metadata=dict(account.get("metadata") or {}),
        )

    @classmethod
    def from_v2(cls, account: Mapping[str, Any]) -> AccountSnapshot:
        """A `v2.core.account` object (`stripe/v2/core/_account.py`), read with `V2_INCLUDE`."""
        identity = account.get("identity") or {}
        defaults = account.get("defaults") or {}
        capabilities = _v2_capabilities(account.get("configuration") or {})
        charging = "card_payments" if "card_payments" in capabilities else "stripe_transfers"
        payouts = [status for name, status in capabilities.items() if name.endswith("payouts")]
        requirements = _v2_requirements(account.get("requirements"))
        dashboard = account.get("dashboard")
        collector = (defaults.get("responsibilities") or {}).get("requirements_collector")
        return cls(
            id=account["id"],
            api="v2",
            created=stripe_time(account.get("created")),
            email=account.get("contact_email") or None,
            country=_upper(identity.get("country")),
            default_currency=_lower(defaults.get("currency")),
            details_submitted=_terms_accepted(identity),
            charges_enabled=_active(capabilities.get(charging)),
            payouts_enabled=any(_active(status) for status in payouts),
            requirements=replace(requirements, disabled_reason=_v2_disabled_reason(capabilities)),
            future_requirements=_v2_requirements(account.get("future_requirements")),
            dashboard_type=dashboard,
            requirement_collection=collector or _collection_by_dashboard(dashboard),
            metadata=dict(account.get("metadata") or {}),
        )


def stripe_time(value: Any) -> datetime | None:
    """A Stripe timestamp as an aware UTC datetime: v1 writes epoch seconds, v2 RFC 3339."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _upper(value: Any) -> str | None:
    return str(value).upper() if value else None


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def _names(values: Any) -> tuple[str, ...]:
    return tuple(str(value) for value in values or ())


def _collection_by_dashboard(dashboard: str | None) -> str | None:
    """Stripe collects requirements for accounts with a Stripe-hosted dashboard."""
    return "stripe" if dashboard in ("express", "full") else None


def _v1_controller(account: Mapping[str, Any]) -> tuple[str | None, str | None]:
    controller = account.get("controller") or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    if dashboard is None:
        dashboard = _DASHBOARD_BY_TYPE.get(account.get("type") or "")
    collection = controller.get("requirement_collection")
    if collection is None and account.get("type") == "custom":
        collection = "application"
    return dashboard, collection or _collection_by_dashboard(dashboard)


def _v1_requirements(raw: Mapping[str, Any] | None) -> Requirements:
    raw = raw or {}
    return Requirements(
        currently_due=_names(raw.get("currently_due")),
        past_due=_names(raw.get("past_due")),
        eventually_due=_names(raw.get("eventually_due")),
        pending_verification=_names(raw.get("pending_verification")),
        errors=tuple(
            RequirementError(error.get("requirement"), error.get("code"), error.get("reason"))
            for error in raw.get("errors") or ()
        ),
        alternatives=tuple(
            Alternative(
                _names(alternative.get("alternative_fields_due")),
                _names(alternative.get("original_fields_due")),
            )
            for alternative in raw.get("alternatives") or ()
        ),
        disabled_reason=raw.get("disabled_reason") or None,
        current_deadline=stripe_time(raw.get("current_deadline")),
    )


# A requirement's v2 deadline status → the v1 lists it belongs to (v1 nests them).
_V2_LISTS = {
    "past_due": ("past_due", "currently_due", "eventually_due"),
    "currently_due": ("currently_due", "eventually_due"),
    "eventually_due": ("eventually_due",),
}


def _v2_requirements(raw: Mapping[str, Any] | None) -> Requirements:
    raw = raw or {}
    lists: dict[str, list[str]] = {
        "currently_due": [],
        "past_due": [],
        "eventually_due": [],
        "pending_verification": [],
    }
    errors = []
    for entry in raw.get("entries") or ():
        name = entry["description"]
        if entry.get("awaiting_action_from") == "stripe":
            targets: tuple[str, ...] = ("pending_verification",)
        else:
            status = (entry.get("minimum_deadline") or {}).get("status") or "currently_due"
            targets = _V2_LISTS.get(status, _V2_LISTS["currently_due"])
        for target in targets:
            if name not in lists[target]:
                lists[target].append(name)
        errors += [
            RequirementError(name, error.get("code"), error.get("description"))
            for error in entry.get("errors") or ()
        ]
    minimum = (raw.get("summary") or {}).get("minimum_deadline") or {}
    return Requirements(
        **{name: tuple(values) for name, values in lists.items()},
        errors=tuple(errors),
        alternatives=tuple(
            Alternative(
                tuple(entry["description"] for entry in option.get("entries") or ()),
                tuple(entry["description"] for entry in alternative.get("original_entries") or ()),
            )
            for alternative in raw.get("alternatives") or ()
            for option in alternative.get("options") or ()
        ),
        current_deadline=stripe_time(minimum.get("time")),
    )


def _v2_capabilities(configuration: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The capabilities our status reads, by name, from the merchant and recipient
    configurations (`configuration.<name>.capabilities`)."""
    merchant = (configuration.get("merchant") or {}).get("capabilities") or {}
    recipient = (configuration.get("recipient") or {}).get("capabilities") or {}
    merchant_balance = merchant.get("stripe_balance") or {}
    recipient_balance = recipient.get("stripe_balance") or {}
    found = {
        "card_payments": merchant.get("card_payments"),
        "merchant_payouts": merchant_balance.get("payouts"),
        "stripe_transfers": recipient_balance.get("stripe_transfers"),
        "recipient_payouts": recipient_balance.get("payouts"),
    }
    return {name: status for name, status in found.items() if status}


def _active(capability: Mapping[str, Any] | None) -> bool:
    return bool(capability) and capability.get("status") == "active"


def _v2_disabled_reason(capabilities: Mapping[str, Mapping[str, Any]]) -> str | None:
    codes = {
        detail.get("code")
        for capability in capabilities.values()
        if not _active(capability)
        for detail in capability.get("status_details") or ()
    }
    return next((reason for code, reason in V2_DISABLED_REASONS if code in codes), None)


def _terms_accepted(identity: Mapping[str, Any]) -> bool:
    terms = (identity.get("attestations") or {}).get("terms_of_service") or {}
    return bool((terms.get("account") or {}).get("date"))
