"""Stripe Connect onboarding: create or continue, return, refresh, Check status, dashboard.

The flow (DESIGN.md, "The onboarding flow"): Connect claims the account's creation atomically,
creates it with a deterministic idempotency key, and mints a single-use Account Link at click
time. Link URLs are handed to the caller and nowhere else — never stored, logged or audited.
Every function here owns its transactions and commits before each Stripe step, so no database
connection waits on Stripe; what Stripe answered is stored afterwards in a short transaction
(`sync`). A Stripe failure rolls back what was in flight, leaves an audit entry, and
re-raises the gateway's exception for the caller to show (`stripe_step`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, Server, utcnow
from app.security.permissions import ONBOARD, VIEW
from app.services import access, audit, connection_secrets, earnings
from app.services.onboarding.creation import ensure_account
from app.services.onboarding.inputs import validate_connect_inputs
from app.services.onboarding.plan import (
    LINK_ONBOARDING,
    NextStep,
    plan_next_step,
    refresh_step,
)
from app.services.onboarding.steps import stripe_step
from app.services.onboarding.sync import StatusChange, apply_account, locked_payments
from app.services.stripe_credentials import choose_credentials, options_for
from app.stripe_gateway import AccountLink, StripeCredentials, StripeGatewayError, step_deadline


class OnboardingBlocked(Exception):
    """No Stripe key can be used for this resource; `reason` says what an admin must do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CountryMismatch(Exception):
    """Stripe cannot change an account's country, and another one was asked for."""

    def __init__(self, existing: str, requested: str) -> None:
        super().__init__(
            f"The Stripe account's country is {existing}; Stripe cannot change it to {requested}."
        )
        self.existing = existing
        self.requested = requested


class RefreshLoop(Exception):
    """Too many refreshes of one resource in a short time: stop instead of bouncing forever."""


class NothingToRefresh(Exception):
    """Onboarding is finished: there is no link to renew."""


class DashboardUnavailable(Exception):
    """The account has no Express dashboard, or has not finished onboarding yet."""


class LinkUrls(NamedTuple):
    """Where Stripe sends the person from an Account Link: built by the caller that knows
    our routes and the public address (the views), not by this service."""

    refresh_url: str
    return_url: str


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


# Create or continue --------------------------------------------------------------------------


def _mint_link(
    server: Server,
    credentials: StripeCredentials,
    link_type: str,
    urls: LinkUrls,
    *,
    user_id: str | None,
    actor_label: str | None,
    action: str,
    operation: str,
    deadline: float | None = None,
) -> AccountLink:
    """Mint an Account Link and audit it (type, API, expiry — never the URL), and commit.

    Links follow the account: Stripe documents Account Links v2 for accounts made with
    Accounts v2 (https://docs.stripe.com/api/v2/core/account-links), so the API that made the
    account mints its links (`account_links_api` v2 is refused with v1 accounts).
    """
    options = options_for(credentials)
    api = server.payments.accounts_api
    server_id, workspace_id = server.id, server.workspace_id
    account_id = server.payments.stripe_account_id
    db.session.commit()  # hold no connection while Stripe answers
    with stripe_step(
        server_id, operation, credentials, user_id=user_id, deadline=deadline
    ) as gateway:
        link = gateway.create_account_link(
            account_id=account_id,
            link_type=link_type,
            refresh_url=urls.refresh_url,
            return_url=urls.return_url,
            collection_fields=options.get("collection_fields", "currently_due"),
            future_requirements=options.get("future_requirements", "omit"),
            api=api,
        )
    # By ids read before the commit: the expired `server` would cost a SELECT to reload.
    audit.record(
        action,
        subject_type="server",
        subject_id=server_id,
        workspace_id=workspace_id,
        actor_user_id=user_id,
        actor_label=actor_label,
        details={
            "link_type": link_type,
            "api": api,
            "expires_at": link.expires_at.isoformat(),
            "stripe_account_id": account_id,
        },
    )
    db.session.commit()
    return link


def _check_country(payments: PaymentsAccount, inputs: dict[str, str]) -> None:
    """An existing account keeps its country: asking for another is refused, not ignored."""
    requested = inputs.get("country")
    if payments.stripe_account_id is None or requested is None:
        return
    if requested.upper() != payments.country.upper():
        raise CountryMismatch(payments.country.upper(), requested.upper())


def connect_or_continue(
    server_id: str,
    *,
    user_id: str,
    urls: LinkUrls | None,
    country: str | None = None,
    email: str | None = None,
    product_description: str | None = None,
    link_kind: str = "auto",
    actor_label: str | None = None,
) -> ConnectResult:
    """Create the resource's Stripe account if it has none, then mint the link that is due.

    Two Stripe calls on a first connect (create + link), one afterwards (link only: the link
    type comes from the stored `details_submitted`, no re-fetch), all within one deadline. A
    finished resource gets no link (`next_action` says what it can do instead) and is never
    sent through onboarding. `urls` may be None only with `link_kind="none"` (mint nothing).
    """
    server = access.require_resource(user_id, server_id, ONBOARD)
    return continue_onboarding(
        server,
        user_id=user_id,
        urls=urls,
        country=country,
        email=email,
        product_description=product_description,
        link_kind=link_kind,
        actor_label=actor_label,
    )


def continue_onboarding(
    server: Server,
    *,
    user_id: str | None,
    urls: LinkUrls | None,
    country: str | None = None,
    email: str | None = None,
    product_description: str | None = None,
    link_kind: str = "auto",
    actor_label: str | None = None,
) -> ConnectResult:
    """Create or continue for a resource whose access the caller has already checked: a
    member (`connect_or_continue`) or the holder of an onboarding invite (no user)."""
    inputs = validate_connect_inputs(country, email, product_description).as_params()
    credentials = _credentials(server)
    _check_country(server.payments, inputs)
    deadline = step_deadline()
    created = False
    if server.payments.stripe_account_id is None:
        created = ensure_account(
            server.id,
            credentials,
            inputs,
            user_id=user_id,
            actor_label=actor_label,
            deadline=deadline,
        )
        if not created:
            _check_country(server.payments, inputs)
    payments = server.payments
    step: NextStep = plan_next_step(payments, link_kind)
    link = None
    # link_kind "none": make sure the account exists, mint nothing (e.g. the demo seed).
    if step.link_type is not None and link_kind != "none":
        if urls is None:
            raise TypeError("connect_or_continue needs the link URLs to mint a link")
        try:
            link = _mint_link(
                server,
                credentials,
                step.link_type,
                urls,
                user_id=user_id,
                actor_label=actor_label,
                action="onboarding.link_minted",
                operation="account_link",
                deadline=deadline,
            )
        except StripeGatewayError as error:
            error.account_created = created
            raise
    db.session.commit()
    return ConnectResult(
        server=server,
        payments=payments,
        link=link,
        account_created=created,
        next_action=step.action,
    )


# Return, Check status, refresh, dashboard ----------------------------------------------------


# Asking for the status also re-reads the charges; the return page only needs the status.
EARNINGS_SOURCES = ("check", "api")


def sync_status(server_id: str, *, user_id: str, source: str) -> StatusChange | None:
    """Re-read the account from Stripe, persist it, audit the visit, and commit.

    Used by the return route (`source="return"`): Stripe sends people back both when they
    finish and when they leave early, with no state in the URL, so returning proves nothing
    until the account itself says so. Also Check status (`"check"`) and the API (`"api"`),
    which then backfill the account's charges (`earnings.backfill`), so missed charge
    webhooks are made good.
    The account is fetched with no transaction open, then applied under the payments lock.
    """
    server = access.require_resource(user_id, server_id, VIEW)
    return sync_resource_status(server, user_id=user_id, source=source)


def sync_resource_status(
    server: Server, *, user_id: str | None, source: str, actor_label: str | None = None
) -> StatusChange | None:
    """`sync_status` for a resource whose access the caller has already checked."""
    server_id = server.id
    payments = server.payments
    payments_id, account_id, api = payments.id, payments.stripe_account_id, payments.accounts_api
    action = "onboarding.returned" if source == "return" else "onboarding.status_checked"
    if account_id is None:
        audit.record_on_server(
            action,
            server,
            actor_user_id=user_id,
            actor_label=actor_label,
            details={"source": source, "account": False},
        )
        db.session.commit()
        return None
    credentials = _credentials(server)
    db.session.commit()  # hold no connection while Stripe answers
    fetched_at = utcnow()
    with stripe_step(server_id, f"sync_{source}", credentials, user_id=user_id) as gateway:
        account = gateway.retrieve_account(account_id, api=api)
    with locked_payments(payments_id) as payments:
        applied = apply_account(
            payments, account, source=source, fetched_at=fetched_at, actor_user_id=user_id
        )
        audit.record_on_server(
            action,
            payments.server,
            actor_user_id=user_id,
            actor_label=actor_label,
            details={
                "source": source,
                "status": payments.onboarding_status,
                "reason": payments.status_reason,
            },
        )
    if source in EARNINGS_SOURCES:
        earnings.backfill(payments_id, server_id, account_id, credentials, user_id=user_id)
    return applied.status_change


def _recent_refreshes(server_id: str, user_id: str) -> int:
    """This person's recent refreshes of this resource: one person's loop locks out no one else."""
    window = timedelta(seconds=float(current_app.config["REFRESH_LOOP_WINDOW_SECONDS"]))
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.subject_id == server_id,
                AuditEvent.actor_user_id == user_id,
                AuditEvent.action == "onboarding.refreshed",
                AuditEvent.created_at >= utcnow() - window,
            )
        )
        or 0
    )


def refresh_link(server_id: str, *, user_id: str, urls: LinkUrls) -> AccountLink:
    """A new link of the same kind for an expired or used one (Stripe's `refresh_url`).

    The loop guard counts this person's recent refreshes of this resource in the audit trail
    (shared by every process): a link that keeps bouncing straight back would otherwise
    redirect forever.
    """
    server = access.require_resource(user_id, server_id, ONBOARD)
    step = refresh_step(server.payments)
    if step.link_type is None or server.payments.stripe_account_id is None:
        raise NothingToRefresh(server_id)
    if _recent_refreshes(server.id, user_id) >= int(current_app.config["REFRESH_LOOP_LIMIT"]):
        audit.record_on_server(
            "onboarding.refresh_loop_stopped",
            server,
            actor_user_id=user_id,
        )
        db.session.commit()
        raise RefreshLoop(server_id)
    credentials = _credentials(server)
    return _mint_link(
        server,
        credentials,
        step.link_type or LINK_ONBOARDING,
        urls,
        user_id=user_id,
        actor_label=None,
        action="onboarding.refreshed",
        operation="account_link_refresh",
    )


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
    account_id = payments.stripe_account_id
    db.session.commit()  # hold no connection while Stripe answers
    with stripe_step(server_id, "login_link", credentials, user_id=user_id) as gateway:
        url = gateway.create_login_link(account_id)
    audit.record_on_server("onboarding.dashboard_opened", server, actor_user_id=user_id)
    db.session.commit()
    return url
