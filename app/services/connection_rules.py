"""What a valid Stripe connection looks like: the one set of rules the forms and the API share.

Field names are the service's (snake_case); each front end maps them to its own names
(`apiKey` in seed 004's JSON, `api_key` in the form) and shows the messages as they are.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from app.json_limits import HostileJson, loads_bounded
from app.security import outbound
from app.services.connection_options import app_defaults, option_errors
from app.stripe_gateway import mode_of_key

NAME_MAX = 100
DESCRIPTION_MAX = 500
ENDPOINT_MAX = 2048
CONFIG_MAX_BYTES = 16 * 1024

ACCOUNT_ID_RE = re.compile(r"^acct_[A-Za-z0-9]{6,60}$")
API_KEY_RE = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,240}$")
WEBHOOK_SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9+/=_-]{8,240}$")
# Plain http is only for a partner receiver on this machine while developing or testing.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class ConnectionInvalid(Exception):
    """Some fields are invalid: `errors` maps field name → message for a person."""

    def __init__(self, errors: dict[str, str], *, stripe_unreachable: bool = False) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        # True when only Stripe's silence stopped the save: the caller may offer "save unverified".
        self.stripe_unreachable = stripe_unreachable


@dataclass(frozen=True)
class ConnectionFields:
    """Cleaned values; a secret is None when it was left blank (edit: keep the stored one)."""

    name: str
    description: str | None
    stripe_account_id: str | None
    api_key: str | None
    webhook_secret: str | None
    event_destination_secret: str | None
    partner_endpoint: str
    config_json: str | None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _endpoint_error(url: str) -> str | None:
    if len(url) > ENDPOINT_MAX:
        return f"Keep the URL under {ENDPOINT_MAX} characters."
    parts = urlsplit(url)
    if not parts.netloc or not parts.hostname or parts.scheme not in ("https", "http"):
        return "Enter an absolute URL such as https://partner.example.com/stripe-events."
    if parts.username or parts.password:
        return "Leave credentials out of the URL; we sign every notification instead."
    if parts.scheme == "http":
        local = parts.hostname in LOCAL_HOSTS
        if not local:
            try:
                local = ipaddress.ip_address(parts.hostname).is_loopback
            except ValueError:
                local = False
        if not (local and current_app.config["APP_ENV"] in ("development", "testing")):
            return "Use an https:// URL (plain http is only allowed for localhost in development)."
    if refusal := outbound.endpoint_refusal(url):
        return (
            f"{refusal}: partner endpoints must be reachable on the internet "
            "(an operator can allow a network with OUTBOUND_ALLOWED_NETWORKS)."
        )
    return None


def _config_error(config: str) -> str | None:
    if len(config.encode()) > CONFIG_MAX_BYTES:
        return f"Keep the configuration under {CONFIG_MAX_BYTES // 1024} KiB."
    try:
        parsed = loads_bounded(config)
    except HostileJson as hostile:
        return hostile.message
    except ValueError as error:
        return f"This is not valid JSON ({error.msg} at line {error.lineno})."
    if not isinstance(parsed, dict):
        return 'Enter a JSON object, such as {"collection_fields": "eventually_due"}.'
    return " ".join(option_errors(parsed, app_defaults(current_app.config))) or None


def clean_connection_fields(
    raw: dict[str, object],
    *,
    require_secrets: bool,
    require_account: bool = True,
    require_webhook_secret: bool | None = None,
) -> ConnectionFields:
    """Check every field at once; ConnectionInvalid with one message per bad field."""
    errors: dict[str, str] = {}
    name = _text(raw.get("name"))
    if not name:
        errors["name"] = "Give the connection a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name under {NAME_MAX} characters."

    description = _text(raw.get("description")) or None
    if description and len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX} characters."

    account = _text(raw.get("stripe_account_id")) or None
    if account is None:
        if require_account:
            errors["stripe_account_id"] = "Enter the platform's Stripe account id (acct_…)."
    elif not ACCOUNT_ID_RE.match(account):
        errors["stripe_account_id"] = "A Stripe account id starts with acct_, e.g. acct_1Nv0…"

    # Secrets are never stripped of inner characters or echoed; surrounding blanks are copy noise.
    api_key = _text(raw.get("api_key")) or None
    if api_key is None:
        if require_secrets:
            errors["api_key"] = "Enter the platform's secret key (sk_test_… or sk_live_…)."
    elif not API_KEY_RE.match(api_key) or mode_of_key(api_key) is None:
        errors["api_key"] = (
            "That is not a Stripe secret or restricted key "
            "(it starts with sk_test_, sk_live_, rk_test_ or rk_live_)."
        )

    webhook_secret = _text(raw.get("webhook_secret")) or None
    if webhook_secret is None:
        # Optional where saving registers the endpoint at Stripe, which returns its secret.
        if require_secrets if require_webhook_secret is None else require_webhook_secret:
            errors["webhook_secret"] = "Enter the webhook signing secret (whsec_…)."  # noqa: S105
    elif not WEBHOOK_SECRET_RE.match(webhook_secret):
        errors["webhook_secret"] = "A webhook signing secret starts with whsec_."  # noqa: S105

    destination_secret = _text(raw.get("event_destination_secret")) or None
    if destination_secret is not None and not WEBHOOK_SECRET_RE.match(destination_secret):
        errors["event_destination_secret"] = "A signing secret starts with whsec_."  # noqa: S105

    endpoint = _text(raw.get("partner_endpoint"))
    if not endpoint:
        errors["partner_endpoint"] = "Enter the partner's callback URL (https://…)."
    elif message := _endpoint_error(endpoint):
        errors["partner_endpoint"] = message

    config = _text(raw.get("config_json")) or None
    if config is not None and (message := _config_error(config)):
        errors["config_json"] = message

    if errors:
        raise ConnectionInvalid(errors)
    return ConnectionFields(
        name=name,
        description=description,
        stripe_account_id=account,
        api_key=api_key,
        webhook_secret=webhook_secret,
        event_destination_secret=destination_secret,
        partner_endpoint=endpoint,
        config_json=config,
    )
