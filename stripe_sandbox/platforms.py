"""What a platform's Stripe account allows: its "strict modes".

A new real platform differs from the sandbox's permissive default in ways the app must
survive: an unfinished Connect platform profile, live mode, restricted keys, endpoints not
enabled for it. Tests switch these on per platform through `/_sandbox/platforms/...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from stripe_sandbox.errors import StripeError
from stripe_sandbox.ids import mask_key

# Stripe's answer to `POST /v1/accounts` (and v2 create) for an account where Stripe is not
# liable for losses, while the platform profile is unfinished (STRIPE_NOTES.md, "What real
# Stripe answers"; https://docs.stripe.com/connect/platform-profile).
PLATFORM_PROFILE_MESSAGE = (
    "Please review the responsibilities of managing losses for connected accounts at "
    "https://dashboard.stripe.com/settings/connect/platform-profile."
)
# Live-mode account links must send people back over HTTPS (STRIPE_NOTES.md;
# https://docs.stripe.com/api/account_links/create).
HTTPS_REQUIRED_MESSAGE = "Livemode requests must always be redirected via HTTPS."

# Which restricted-key permission each endpoint needs. Stripe names permissions `rak_…` with
# the resource and `_read`/`_write` (e.g. `rak_accounts_kyc_id_numbers_read` in
# https://github.com/stripe/stripe-node/issues/2246); the exact names per endpoint are the
# sandbox's approximation, not Stripe's published list.
ENDPOINT_PERMISSIONS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), permission)
    for method, pattern, permission in (
        ("GET", r"/v1/account$", "rak_accounts_read"),
        ("GET", r"/v1/accounts(/[^/]+)?$", "rak_accounts_read"),
        ("POST", r"/v1/accounts(/[^/]+)?$", "rak_accounts_write"),
        ("POST", r"/v1/accounts/[^/]+/login_links$", "rak_login_links_write"),
        ("POST", r"/v1/account_links$", "rak_account_links_write"),
        ("GET", r"/v1/charges$", "rak_charge_read"),
        ("GET", r"/v1/webhook_endpoints(/[^/]+)?$", "rak_webhook_read"),
        ("POST", r"/v1/webhook_endpoints(/[^/]+)?$", "rak_webhook_write"),
        ("DELETE", r"/v1/webhook_endpoints/[^/]+$", "rak_webhook_write"),
        ("GET", r"/v2/core/accounts/[^/]+$", "rak_accounts_read"),
        ("POST", r"/v2/core/accounts(/[^/]+)?$", "rak_accounts_write"),
        ("POST", r"/v2/core/account_links$", "rak_account_links_write"),
        ("GET", r"/v2/core/events/[^/]+$", "rak_event_read"),
        ("GET", r"/v2/core/event_destinations(/[^/]+)?$", "rak_event_destination_read"),
        ("POST", r"/v2/core/event_destinations(/.*)?$", "rak_event_destination_write"),
    )
)


@dataclass
class PlatformSettings:
    """How strict Stripe is with one platform (all permissive by default)."""

    profile_complete: bool = True
    livemode: bool = False
    unavailable_paths: list[str] = field(default_factory=list)
    # Seconds before a v1-created account is usable on v2 endpoints. Stripe says up to 10
    # minutes (STRIPE_NOTES.md, "Accounts v2"); 0 by default so tests need not wait.
    v1_account_v2_delay: int = 0
    # Country → capabilities Stripe does not offer there for this platform (e.g. only
    # `transfers` for many cross-border accounts: docs.stripe.com/connect/cross-border-payouts).
    unsupported_capabilities: dict[str, list[str]] = field(default_factory=dict)

    def unsupported_in(self, country: str, requested: list[str]) -> list[str]:
        """Which of the `requested` capabilities are not available in `country`."""
        refused = self.unsupported_capabilities.get(country.upper(), [])
        return [name for name in requested if name in refused]

    def to_dict(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return {
            "profile_complete": self.profile_complete,
            "livemode": self.livemode,
            "unavailable_paths": list(self.unavailable_paths),
            "v1_account_v2_delay": self.v1_account_v2_delay,
            "unsupported_capabilities": dict(self.unsupported_capabilities),
        }


@dataclass
class RestrictedKey:
    """An `rk_test_…` key acting for `platform` with only `permissions`."""

    key: str
    platform: str
    permissions: set[str]


def required_permission(method: str, path: str) -> str | None:
    """The permission a restricted key needs for this request (None: any key may call it)."""
    for endpoint_method, pattern, permission in ENDPOINT_PERMISSIONS:
        if method == endpoint_method and pattern.match(path):
            return permission
    return None


def missing_permission(key: str, platform: str, permission: str) -> StripeError:
    """Stripe's 403 for a restricted key without the endpoint's permission.

    Wording and shape (403, `invalid_request_error`, no code, key masked to its last six
    characters) as reported in https://github.com/stripe/stripe-node/issues/2246.
    """
    return StripeError(
        403,
        f"The provided key '{mask_key(key, visible=6)}' does not have the required "
        f"permissions for this endpoint on account '{platform}'. Having the '{permission}' "
        "permission would allow this request to continue.",
    )


def stripe_bears_no_losses(account_type: str | None, controller: dict[str, Any] | None) -> bool:
    """True when the platform, not Stripe, is liable for the account's losses.

    Express and Custom accounts make the platform liable
    (https://docs.stripe.com/connect/migrate-to-controller-properties).
    """
    if account_type:
        return account_type in ("express", "custom")
    return ((controller or {}).get("losses") or {}).get("payments") == "application"


def refuse_unfinished_profile() -> StripeError:
    """The platform-profile refusal for accounts where the platform bears losses."""
    return StripeError(400, PLATFORM_PROFILE_MESSAGE)


def capability_unavailable(name: str, country: str) -> StripeError:
    """v1's 400 for requesting a capability the account's country does not support.

    Stripe answers v1 with a 400 validation error here (v2 instead marks the capability
    `unsupported`: docs.stripe.com/changelog/basil/2025-06-30/adds-unsupported-capability-status);
    the exact v1 wording is not published, so this message is the sandbox's.
    """
    return StripeError(
        400,
        f"The `{name}` capability is not available for accounts in {country}.",
        param=f"capabilities[{name}]",
    )


def check_https(url: str, param: str) -> None:
    """Refuse a non-HTTPS redirect URL in live mode."""
    if not url.startswith("https://"):
        raise StripeError(400, HTTPS_REQUIRED_MESSAGE, param=param)
