"""Stripe Connect onboarding: create or continue, return, refresh, Check status, dashboard.

The flow (DESIGN.md, "The onboarding flow"): Connect claims the account's creation atomically,
creates it with a deterministic idempotency key, and mints a single-use Account Link at click
time. Link URLs are handed to the caller and nowhere else — never stored, logged or audited.
Every function here owns its transaction; a Stripe failure rolls back what was in flight,
leaves an audit entry, and re-raises the gateway's exception for the caller to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, Server, utcnow
from app.reference import STRIPE_COUNTRIES
from app.security.permissions import ONBOARD, VIEW
from app.services import access, audit, connection_secrets
from app.services.account_creation import AccountCreationBusy, ensure_account
from app.services.account_sync import StatusChange, apply_account
from app.services.onboarding_plan import (
    LINK_ONBOARDING,
    NextStep,
    plan_next_step,
    refresh_step,
)
from app.services.stripe_credentials import choose_credentials, options_for
from app.services.stripe_failures import clear_key_flag, run_guarded
from app.stripe_gateway import (
    AccountLink,
    StripeCredentials,
    StripeGateway,
)
from app.urls import onboarding_urls

__all__ = [
    "AccountCreationBusy",
    "ConnectResult",
    "DashboardUnavailable",
    "InvalidOnboardingInput",
    "NothingToRefresh",
    "OnboardingBlocked",
    "RefreshLoop",
    "connect_or_continue",
    "dashboard_link",
    "refresh_link",
    "sync_status",
]

# The longest product description we send Stripe; the /v1 API enforces the same limit.
PRODUCT_DESCRIPTION_MAX = 500


class OnboardingBlocked(Exception):
    """No Stripe key can be used for this resource; `reason` says what an admin must do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidOnboardingInput(ValueError):
    """Creation inputs that Stripe would refuse; `fields` maps each to a message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class RefreshLoop(Exception):
    """Too many refreshes of one resource in a short time: stop instead of bouncing forever."""


class NothingToRefresh(Exception):
    """Onboarding is finished: there is no link to renew."""


class DashboardUnavailable(Exception):
    """The account has no Express dashboard, or has not finished onboarding yet."""


@dataclass(frozen=True)
class ConnectResult:
    """What Connect did: the link to send the person to (None when nothing is due)."""

    server: Server
    payments: PaymentsAccount
    link: AccountLink | None
    account_created: bool
    next_action: str


# Loading and checks --------------------------------------------------------------------------


def _credentials(server: Server) -> StripeCredentials:
    choice = choose_credentials(server.payments, server.workspace_id)
    if choice.credentials is None:
        if choice.unreadable:
            connection_secrets.flag_unreadable_key(choice.connection)
        raise OnboardingBlocked(choice.reason)
    return choice.credentials


def _validated_inputs(
    country: str | None, email: str | None, product_description: str | None
) -> dict[str, str]:
    """Normalised creation inputs; InvalidOnboardingInput names each bad one."""
    problems: dict[str, str] = {}
    found: dict[str, str] = {}
    if country is not None:
        code = country.strip().upper()
        if code not in STRIPE_COUNTRIES:
            problems["country"] = "Use a two-letter country code Stripe supports, such as US."
        found["country"] = code
    if email is not None:
        cleaned = email.strip()
        if cleaned and ("@" not in cleaned or len(cleaned) > 254 or " " in cleaned):
            problems["email"] = "Enter a valid email address."
        if cleaned:
            found["email"] = cleaned
    if product_description is not None:
        cleaned = product_description.strip()
        if len(cleaned) > PRODUCT_DESCRIPTION_MAX:
            problems["productDescription"] = f"Keep it under {PRODUCT_DESCRIPTION_MAX} characters."
        if cleaned:
            found["product_description"] = cleaned
    if problems:
        raise InvalidOnboardingInput(problems)
    return found


# Create or continue --------------------------------------------------------------------------


def _mint_link(
    server: Server,
    credentials: StripeCredentials,
    link_type: str,
    *,
    user_id: str | None,
    actor_label: str | None,
    action: str,
) -> AccountLink:
    """Mint an Account Link and audit it (type, API, expiry — never the URL). No commit."""
    options = options_for(credentials)
    api = options.get("account_links_api", "v1")
    refresh_url, return_url = onboarding_urls(server.id)
    link = StripeGateway(credentials).create_account_link(
        account_id=server.payments.stripe_account_id,
        link_type=link_type,
        refresh_url=refresh_url,
        return_url=return_url,
        collection_fields=options.get("collection_fields", "currently_due"),
        future_requirements=options.get("future_requirements", "omit"),
        api=api,
    )
    clear_key_flag(credentials)
    audit.record_on_server(
        action,
        server,
        actor_user_id=user_id,
        actor_label=actor_label,
        details={
            "link_type": link_type,
            "api": api,
            "expires_at": link.expires_at.isoformat(),
            "stripe_account_id": server.payments.stripe_account_id,
        },
    )
    return link


def _mint_link_guarded(
    server: Server,
    credentials: StripeCredentials,
    link_type: str,
    *,
    user_id: str | None,
    actor_label: str | None,
    action: str,
    operation: str,
) -> AccountLink:
    """`_mint_link` with Stripe failures rolled back, audited and re-raised."""
    return run_guarded(
        server.id,
        operation,
        user_id,
        credentials,
        lambda: _mint_link(
            server,
            credentials,
            link_type,
            user_id=user_id,
            actor_label=actor_label,
            action=action,
        ),
    )


def connect_or_continue(
    server_id: str,
    *,
    user_id: str,
    country: str | None = None,
    email: str | None = None,
    product_description: str | None = None,
    link_kind: str = "auto",
    actor_label: str | None = None,
) -> ConnectResult:
    """Create the resource's Stripe account if it has none, then mint the link that is due.

    Two Stripe calls on a first connect (create + link), one afterwards (link only: the link
    type comes from the stored `details_submitted`, no re-fetch). A finished resource gets no
    link (`next_action` says what it can do instead) and is never sent through onboarding.
    """
    server = access.require_resource(user_id, server_id, ONBOARD)
    inputs = _validated_inputs(country, email, product_description)
    credentials = _credentials(server)
    created = False
    if server.payments.stripe_account_id is None:
        created = ensure_account(
            server, credentials, inputs, user_id=user_id, actor_label=actor_label
        )
    payments = server.payments
    step: NextStep = plan_next_step(payments, link_kind)
    link = None
    # link_kind "none": make sure the account exists, mint nothing (e.g. the demo seed).
    if step.link_type is not None and link_kind != "none":
        link = _mint_link_guarded(
            server,
            credentials,
            step.link_type,
            user_id=user_id,
            actor_label=actor_label,
            action="onboarding.link_minted",
            operation="account_link",
        )
    db.session.commit()
    return ConnectResult(
        server=server,
        payments=payments,
        link=link,
        account_created=created,
        next_action=step.action,
    )


# Return, Check status, refresh, dashboard ----------------------------------------------------


def sync_status(server_id: str, *, user_id: str, source: str) -> StatusChange | None:
    """Re-read the account from Stripe, persist it, audit the visit, and commit.

    Used by the return route (`source="return"`): Stripe sends people back both when they
    finish and when they leave early, with no state in the URL, so returning proves nothing
    until the account itself says so. Also Check status (`"check"`) and the API (`"api"`).
    """
    server = access.require_resource(user_id, server_id, VIEW)
    payments = server.payments
    action = "onboarding.returned" if source == "return" else "onboarding.status_checked"
    if payments.stripe_account_id is None:
        audit.record_on_server(
            action,
            server,
            actor_user_id=user_id,
            details={"source": source, "account": False},
        )
        db.session.commit()
        return None
    credentials = _credentials(server)

    def work() -> StatusChange | None:
        account = StripeGateway(credentials).retrieve_account(payments.stripe_account_id)
        clear_key_flag(credentials)
        change = apply_account(payments, account, source=source, actor_user_id=user_id)
        audit.record_on_server(
            action,
            server,
            actor_user_id=user_id,
            details={
                "source": source,
                "status": payments.onboarding_status,
                "reason": payments.status_reason,
            },
        )
        db.session.commit()
        return change

    return run_guarded(server.id, f"sync_{source}", user_id, credentials, work)


def _recent_refreshes(server_id: str) -> int:
    window = timedelta(seconds=float(current_app.config["REFRESH_LOOP_WINDOW_SECONDS"]))
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.subject_id == server_id,
                AuditEvent.action == "onboarding.refreshed",
                AuditEvent.created_at >= utcnow() - window,
            )
        )
        or 0
    )


def refresh_link(server_id: str, *, user_id: str) -> AccountLink:
    """A new link of the same kind for an expired or used one (Stripe's `refresh_url`).

    The loop guard counts this resource's recent refreshes in the audit trail (shared by every
    process): a link that keeps bouncing straight back would otherwise redirect forever.
    """
    server = access.require_resource(user_id, server_id, ONBOARD)
    step = refresh_step(server.payments)
    if step.link_type is None or server.payments.stripe_account_id is None:
        raise NothingToRefresh(server_id)
    if _recent_refreshes(server.id) >= int(current_app.config["REFRESH_LOOP_LIMIT"]):
        audit.record_on_server(
            "onboarding.refresh_loop_stopped",
            server,
            actor_user_id=user_id,
        )
        db.session.commit()
        raise RefreshLoop(server_id)
    credentials = _credentials(server)
    link = _mint_link_guarded(
        server,
        credentials,
        step.link_type or LINK_ONBOARDING,
        user_id=user_id,
        actor_label=None,
        action="onboarding.refreshed",
        operation="account_link_refresh",
    )
    db.session.commit()
    return link


def dashboard_link(server_id: str, *, user_id: str) -> str:
    """A single-use Express dashboard login URL for a finished account. Never store it."""
    server = access.require_resource(user_id, server_id, ONBOARD)
    payments = server.payments
    if (
        payments.stripe_account_id is None
        or payments.dashboard_type != "express"
        or not payments.details_submitted
    ):
        raise DashboardUnavailable(server_id)
    credentials = _credentials(server)

    def work() -> str:
        url = StripeGateway(credentials).create_login_link(payments.stripe_account_id)
        clear_key_flag(credentials)
        audit.record_on_server(
            "onboarding.dashboard_opened",
            server,
            actor_user_id=user_id,
        )
        db.session.commit()
        return url

    return run_guarded(server.id, "login_link", user_id, credentials, work)
