"""`flask stripe doctor`: is every key, webhook secret and endpoint in working order?

Each check is one line an operator can act on. Nothing printed here contains a secret: keys and
secrets appear only in their masked form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import StripeConnection, WebhookEvent
from app.security.crypto import SecretUnreadable, decrypt_secret, mask_secret
from app.serializers import isoformat
from app.services import webhook_worker
from app.services.connection_options import app_defaults, option_errors
from app.services.webhook_listeners import check_listeners, kinds_for
from app.stripe_gateway import StripeCredentials, StripeGateway, StripeGatewayError, mode_of_key

OK, FAIL, INFO = "OK", "FAIL", "--"
# A recorded event still waiting this long means no `flask webhooks work` keeps up (or runs).
WEBHOOK_LATE_AFTER = timedelta(minutes=5)


@dataclass
class Section:
    """The checks for one key: the app-level one or a workspace connection."""

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, verdict: str, text: str) -> None:
        self.lines.append((verdict, text))

    @property
    def failed(self) -> bool:
        return any(verdict == FAIL for verdict, _ in self.lines)


def _check_platform(
    section: Section, api_key: str, mode: str, expected_account: str | None
) -> None:
    try:
        account = StripeGateway(
            StripeCredentials(api_key=api_key, mode=mode)
        ).retrieve_platform_account()
    except StripeGatewayError as error:
        section.add(FAIL, f"Stripe did not accept the key: {error}")
        return
    if expected_account and account.get("id") != expected_account:
        section.add(
            FAIL,
            f"the key belongs to {account.get('id')}, not the stored {expected_account}",
        )
    else:
        section.add(OK, f"Stripe answers for platform account {account.get('id')}")


def _check_endpoints(section: Section, api_key: str, connection: StripeConnection) -> None:
    """Stripe has, enabled and at our URL, every endpoint or destination the connection needs,
    listening to every event we handle."""
    gateway = StripeGateway(StripeCredentials(api_key=api_key, mode=connection.mode))
    try:
        checks = check_listeners(gateway, connection.id, connection.config_json)
    except RuntimeError:
        # No PUBLIC_BASE_URL (production requires it): our URL is unknown outside a request.
        section.add(INFO, "webhooks not checked: set PUBLIC_BASE_URL to check them")
        return
    for check in checks:
        noun = check.kind.noun
        if check.refused is not None:
            section.add(FAIL, f"could not read the {noun}s: {check.refused.advice()}")
        for problem in check.problems:
            section.add(
                FAIL, f"{problem.text}: run `flask stripe webhooks register {connection.id}`"
            )
        if check.in_order:
            section.add(OK, f"Stripe's {noun} is enabled, at our URL, with every event")


def _check_webhook_secret(section: Section, secret: str | None, label: str = "webhook") -> None:
    if not secret:
        section.add(FAIL, f"no {label} signing secret: Stripe's events cannot be verified")
    elif not secret.startswith("whsec_"):
        section.add(FAIL, f"the {label} signing secret does not look like whsec_…")
    else:
        section.add(OK, f"{label} signing secret {mask_secret(secret)}")


def _check_stored_secret(section: Section, ciphertext: str | None, label: str) -> None:
    """A signing secret kept on a connection: present, decrypting, and shaped like one."""
    try:
        secret = decrypt_secret(ciphertext) if ciphertext else None
    except SecretUnreadable:
        section.add(FAIL, f"the stored {label} signing secret does not decrypt")
    else:
        _check_webhook_secret(section, secret, label)


def _check_options(section: Section, config_json: str | None) -> None:
    """Stored options the app would ignore (saved before values were checked)."""
    try:
        config = json.loads(config_json) if config_json else {}
    except ValueError:
        section.add(FAIL, "the config JSON does not parse: every option uses the app default")
        return
    if not isinstance(config, dict):
        section.add(FAIL, "the config JSON is not an object: every option uses the app default")
        return
    errors = option_errors(config, app_defaults(current_app.config))
    for error in errors:
        section.add(FAIL, f"config JSON: {error} The app default applies until it is fixed.")
    if not errors:
        section.add(OK, "config JSON options are valid")


def _last_webhook(section: Section, when: datetime | None) -> None:
    section.add(INFO, f"last webhook received: {isoformat(when) if when else 'never'}")


def check_app_level() -> Section:
    """The app-level key from configuration (STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET)."""
    section = Section("App-level key (STRIPE_SECRET_KEY)")
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        section.add(INFO, "not configured (resources use their workspace's connections)")
        return section
    mode = mode_of_key(key)
    if mode is None:
        section.add(FAIL, "STRIPE_SECRET_KEY is not a Stripe secret key (sk_…/rk_…)")
        return section
    section.add(OK, f"key {mask_secret(key)} ({mode} mode)")
    _check_platform(section, key, mode, None)
    _check_webhook_secret(section, current_app.config.get("STRIPE_WEBHOOK_SECRET"))
    last = db.session.scalar(
        select(func.max(WebhookEvent.received_at)).where(WebhookEvent.connection_id.is_(None))
    )
    _last_webhook(section, last)
    return section


def check_connection(connection: StripeConnection) -> Section:
    """One workspace connection: its key, platform account, secrets and webhook traffic."""
    section = Section(
        f"Connection {connection.name!r} ({connection.id}, workspace {connection.workspace_id}, "
        f"{connection.mode} mode, {connection.status.lower()})"
    )
    try:
        api_key = decrypt_secret(connection.api_key_ciphertext)
    except SecretUnreadable:
        section.add(FAIL, "the stored API key does not decrypt with ENCRYPTION_KEYS")
    else:
        section.add(OK, f"API key decrypts ({mask_secret(api_key)})")
        if mode_of_key(api_key) != connection.mode:
            section.add(FAIL, f"the key is not a {connection.mode}-mode key")
        _check_platform(section, api_key, connection.mode, connection.stripe_account_id)
        _check_endpoints(section, api_key, connection)
    for kind in kinds_for(connection.config_json):
        ciphertext = getattr(connection, f"{kind.secret_field}_ciphertext")
        _check_stored_secret(section, ciphertext, kind.secret_label)
    if connection.notification_secret_ciphertext:
        try:
            decrypt_secret(connection.notification_secret_ciphertext)
            section.add(OK, "partner notification signing secret decrypts")
        except SecretUnreadable:
            section.add(FAIL, "the partner notification signing secret does not decrypt")
    else:
        section.add(FAIL, "no partner notification signing secret: notifications can't be signed")
    _check_options(section, connection.config_json)
    _last_webhook(section, connection.last_webhook_at)
    return section


def check_webhook_inbox() -> Section:
    """Whether `flask webhooks work` keeps up, and which events it gave up on."""
    section = Section("Webhook inbox (flask webhooks work)")
    health = webhook_worker.health(late_after=WEBHOOK_LATE_AFTER)
    if health.late:
        section.add(
            FAIL,
            f"{health.late} event(s) waiting since {isoformat(health.oldest_late)}: "
            "is `flask webhooks work` running?",
        )
    else:
        section.add(OK, "no event has waited longer than 5 minutes")
    if health.failed:
        section.add(
            FAIL,
            f"{health.failed} event{'s' if health.failed > 1 else ''} failed after every "
            f"attempt (newest {health.newest_failed}); the log says why",
        )
    return section


def run_checks() -> list[Section]:
    """Every check, app-level first, then each connection by workspace and name, then the
    webhook inbox."""
    connections = db.session.scalars(
        select(StripeConnection).order_by(StripeConnection.workspace_id, StripeConnection.name)
    ).all()
    return [
        check_app_level(),
        *(check_connection(c) for c in connections),
        check_webhook_inbox(),
    ]
