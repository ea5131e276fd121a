"""Connection options: the one table of onboarding settings a connection's config JSON may set.

Each option has an app-wide setting (its default for every key) and may be overridden per
connection. This table feeds the app's config check (app/config.py), the connection validation
(a bad value is a field error on save), `flask stripe doctor`, the form's hint and the README
table (tests/unit/test_connection_options.py keeps the README in step). It imports nothing from
the app, so the config module can use it before any app exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConnectionOption:
    """One option: its config JSON key, allowed values, app setting, default and meaning."""

    name: str
    allowed: tuple[str, ...]
    config_key: str
    default: str
    help: str


# Countries whose platforms may pay out across borders, self-serve, to accounts in any of them:
# the US, UK, EEA, Canada and Switzerland (docs.stripe.com/connect/cross-border-payouts,
# "Availability"). `app.services.account_terms` chooses capabilities and agreement from it.
EEA_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
CROSS_BORDER_COUNTRIES = ("US", "GB", "CA", "CH", *EEA_COUNTRIES)

CONNECTION_OPTIONS: tuple[ConnectionOption, ...] = (
    ConnectionOption(
        "accounts_api",
        ("v1", "v2"),
        "STRIPE_ACCOUNTS_API",
        "v1",
        "new accounts are made with `v1` (`/v1/accounts`) or `v2` (`/v2/core/accounts`); an "
        "account is always read, and its links minted, through the API that made it",
    ),
    ConnectionOption(
        "account_links_api",
        ("v1", "v2"),
        "STRIPE_ACCOUNT_LINKS_API",
        "v1",
        "kept for older settings: an account's links use the API that made the account "
        "(`/v1/account_links` or `/v2/core/account_links`), so `v2` is refused unless "
        "`accounts_api` is `v2`, which implies it",
    ),
    ConnectionOption(
        "collection_fields",
        ("currently_due", "eventually_due"),
        "STRIPE_COLLECTION_FIELDS",
        "currently_due",
        "which requirements an Account Link collects now",
    ),
    ConnectionOption(
        "future_requirements",
        ("omit", "include"),
        "STRIPE_FUTURE_REQUIREMENTS",
        "omit",
        "whether an Account Link also collects requirements announced for later",
    ),
    ConnectionOption(
        "dashboard",
        ("express", "full", "none"),
        "STRIPE_ACCOUNT_DASHBOARD",
        "express",
        "new accounts get `express` (login links), `full`, or `none` (platform collects "
        "requirements → **Update details**)",
    ),
    ConnectionOption(
        "platform_country",
        ("same", *CROSS_BORDER_COUNTRIES),
        "STRIPE_PLATFORM_COUNTRY",
        "same",
        "the platform's country: an account elsewhere gets the `recipient` service agreement "
        "and only `transfers` (cross-border payouts); `same` treats every account as domestic",
    ),
)


# Account Links v2 are for accounts created with Accounts v2
# (https://docs.stripe.com/api/v2/core/account-links; STRIPE_NOTES.md, "Accounts v2").
V2_LINKS_NEED_V2_ACCOUNTS = (
    "“account_links_api” v2 needs “accounts_api” v2: Stripe documents Account Links v2 for "
    "accounts created with Accounts v2 (and a new v1 account is refused by v2 endpoints for up "
    "to 10 minutes). Set accounts_api to v2, or account_links_api to v1."
)


def option_errors(
    config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> list[str]:
    """One sentence per known option whose value is not allowed (unknown keys are ignored),
    and one if the options, over `defaults` (the app's), would pair v2 links with v1 accounts.
    """
    errors = [
        f"“{option.name}” must be one of {', '.join(option.allowed)}, not {config[option.name]!r}."
        for option in CONNECTION_OPTIONS
        if option.name in config and config[option.name] not in option.allowed
    ]
    effective = {**(defaults or {}), **config}
    if effective.get("account_links_api") == "v2" and effective.get("accounts_api", "v1") == "v1":
        errors.append(V2_LINKS_NEED_V2_ACCOUNTS)
    return errors


def known_options(config: Mapping[str, Any]) -> dict[str, str]:
    """The valid known options of a parsed config JSON object."""
    return {
        option.name: config[option.name]
        for option in CONNECTION_OPTIONS
        if config.get(option.name) in option.allowed
    }


def app_defaults(settings: Mapping[str, Any]) -> dict[str, str]:
    """The app-wide value of each option, from the app's settings (its config)."""
    return {option.name: settings[option.config_key] for option in CONNECTION_OPTIONS}


def form_hint() -> str:
    """The hint under the config JSON field."""
    listed = ", ".join(
        f'"{option.name}" ({" | ".join(option.allowed)})' for option in CONNECTION_OPTIONS
    )
    return f"A JSON object. Known options: {listed}."


def readme_table() -> str:
    """The README's table of options, in Markdown."""
    rows = [
        "| Config JSON key | App setting | Default | Values | Meaning |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| `{o.name}` | `{o.config_key}` | `{o.default}` | "
        f"{', '.join(f'`{v}`' for v in o.allowed)} | {o.help} |"
        for o in CONNECTION_OPTIONS
    ]
    return "\n".join(rows)
