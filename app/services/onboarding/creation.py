"""Creating a resource's Stripe account exactly once, whatever the concurrency or crashes.

A conditional UPDATE claims the creation (one winner, also on PostgreSQL under concurrency),
the winner creates the account with a deterministic idempotency key, and everyone else waits for
its commit. The claim is committed and the connection released before Stripe is called, and the
account is stored afterwards in a short transaction, so no database connection waits on Stripe.

A claim is a lease: the claimant's Stripe step ends by its deadline (the gateway starts no
attempt after it and cuts every attempt's timeout to it), so once the deadline and a grace for
the final commit have passed since the claim, its claimant is provably done with Stripe —
finished, failed, or dead. Such a claim is taken over; the retry sends the same key and params,
so Stripe replays the same account instead of making a second one, and a claimant that was
merely slow finds the account already stored when it commits. Stripe forgets an idempotency key
after 24 hours, so any attempt that follows an unfinished one (crashed, timed out, failed) first
looks for an account the earlier one may have made, by the `payments_id` metadata we send.

Stripe stores the first answer under a key once the endpoint started, refusals (4xx) included,
and replays it for 24 hours (https://docs.stripe.com/api/idempotent_requests). So a refused
creation (say, the platform profile not yet reviewed) moves creation to a new generation's key
at once: the next attempt, having looked up that no account was made, sends a fresh request and
succeeds as soon as the cause is fixed. A replayed 5xx moves the key the same way, after its
lookup. The key also hashes the params, so changed params never reuse one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from app.account_snapshot import AccountSnapshot
from app.extensions import db
from app.models import PaymentsAccount, Server, utcnow
from app.models.payments import CLAIM_CLAIMED, CLAIM_CREATED, CLAIM_NONE
from app.services import audit
from app.services.onboarding.plan import account_params, idempotency_key_for
from app.services.onboarding.steps import stripe_step
from app.services.onboarding.sync import apply_account, locked_payments
from app.services.stripe_credentials import options_for
from app.stripe_gateway import (
    StripeCredentials,
    StripeGateway,
    StripeGatewayError,
    StripeUnavailable,
)

log = logging.getLogger(__name__)

# After the claimant's step deadline, the time it may still need to commit what it got.
CLAIM_COMMIT_GRACE_SECONDS = 5.0
# How often a Connect waiting for another request's creation looks again (how long it waits:
# ACCOUNT_CLAIM_WAIT_SECONDS; when a claim counts as abandoned: `claim_lease`).
CLAIM_POLL_SECONDS = 0.1
# Our clock and Stripe's may differ a little; look this much earlier than the lost request.
CLOCK_SKEW = timedelta(minutes=5)


class AccountCreationBusy(Exception):
    """Another request is creating this resource's account and did not finish in time."""


def claim_lease() -> timedelta:
    """How long a claim proves its claimant may still be working with Stripe."""
    deadline = float(current_app.config["STRIPE_STEP_DEADLINE_SECONDS"])
    return timedelta(seconds=deadline + CLAIM_COMMIT_GRACE_SECONDS)


@dataclass(frozen=True)
class Claim:
    """This request owns the account's creation.

    `search_since` is set when an earlier attempt of this generation was sent and never
    stored an account (it crashed, timed out, or Stripe failed): that attempt may have made
    the account, so look for it before creating.
    """

    claimed_at: datetime
    search_since: datetime | None = None


@dataclass(frozen=True)
class _Attempt:
    """What one creation attempt sends Stripe, read from the row before the call."""

    payments_id: str
    api: str
    params: dict[str, Any]
    idempotency_key: str
    generation: int


def claim_creation(payments_id: str, inputs: dict[str, str]) -> Claim | None:
    """Try to own the account's creation; a Claim for exactly one request at a time.

    A conditional UPDATE, not read-then-write: on PostgreSQL a concurrent UPDATE waits for the
    row lock and then re-checks the WHERE against the committed row, so only one wins. A stale
    claim (its owner crashed) is taken over *without* changing the stored inputs, so the retry
    sends Stripe identical params under the same idempotency key and gets the same account.
    """
    now = utcnow()
    earlier_attempt = db.session.scalar(
        select(PaymentsAccount.creation_started_at).where(PaymentsAccount.id == payments_id)
    )
    claimed = {
        "account_claim": CLAIM_CLAIMED,
        "claimed_at": now,
        "creation_started_at": func.coalesce(PaymentsAccount.creation_started_at, now),
    }
    fresh = db.session.execute(
        update(PaymentsAccount)
        .where(
            PaymentsAccount.id == payments_id,
            PaymentsAccount.stripe_account_id.is_(None),
            PaymentsAccount.account_claim == CLAIM_NONE,
        )
        .values(**claimed, **inputs)
        .execution_options(synchronize_session=False)
    )
    won = fresh.rowcount == 1
    if not won:
        stale_before = now - claim_lease()
        takeover = db.session.execute(
            update(PaymentsAccount)
            .where(
                PaymentsAccount.id == payments_id,
                PaymentsAccount.stripe_account_id.is_(None),
                or_(
                    and_(
                        PaymentsAccount.account_claim == CLAIM_CLAIMED,
                        PaymentsAccount.claimed_at < stale_before,
                    ),
                    # `created` without an id cannot last; treat it like a stale claim.
                    PaymentsAccount.account_claim == CLAIM_CREATED,
                ),
            )
            .values(**claimed)
            .execution_options(synchronize_session=False)
        )
        won = takeover.rowcount == 1
    db.session.commit()
    return Claim(claimed_at=now, search_since=earlier_attempt) if won else None


def release_claim(payments: PaymentsAccount, claimed_at: datetime) -> None:
    """After a failed create, let the next click try again at once (same key, same params).

    Only the failed request's own claim is released, never one that took it over.
    `creation_started_at` stays: the failed call may still have made the account.
    """
    if (
        payments.stripe_account_id is None
        and payments.account_claim == CLAIM_CLAIMED
        and payments.claimed_at == claimed_at
    ):
        payments.account_claim = CLAIM_NONE
        payments.claimed_at = None


def _create_account(
    server_id: str,
    credentials: StripeCredentials,
    claim: Claim,
    *,
    user_id: str | None,
    actor_label: str | None,
    deadline: float | None,
) -> bool:
    """Create the Stripe account we hold the claim for (or find the one an earlier attempt
    made) and store it; True when this request stored it."""
    server = db.session.get(Server, server_id)
    payments = server.payments
    db.session.refresh(payments)  # the stored inputs, exactly as a retry would read them
    options = options_for(credentials)
    params = account_params(
        server,
        payments,
        options["dashboard"],
        options["platform_country"],
        api=payments.accounts_api,
    )
    attempt = _Attempt(
        payments_id=payments.id,
        api=payments.accounts_api,
        params=params,
        idempotency_key=idempotency_key_for(payments, params),
        generation=payments.account_generation,
    )
    db.session.commit()  # hold no connection while Stripe answers
    fetched_at = utcnow()
    with stripe_step(
        server_id,
        "account_create",
        credentials,
        user_id=user_id,
        deadline=deadline,
        on_failure=partial(release_claim, claimed_at=claim.claimed_at),
    ) as gateway:
        account, recovered = _find_or_create(gateway, attempt, claim)
    with locked_payments(attempt.payments_id) as payments:
        if payments.stripe_account_id is not None:
            # A request that took over our lapsed claim stored it first (the same account:
            # same idempotency key, or found by its metadata).
            if payments.stripe_account_id != account.id:
                log.error(
                    "payments %s: Stripe gave account %s but %s is stored",
                    payments.id,
                    account.id,
                    payments.stripe_account_id,
                )
            return False
        payments.stripe_account_id = account.id
        payments.connection_id = credentials.connection_id
        payments.account_claim = CLAIM_CREATED
        payments.creation_started_at = None
        apply_account(
            payments,
            account,
            source="connect",
            fetched_at=fetched_at,
            actor_user_id=user_id,
            actor_label=actor_label,
        )
        audit.record_on_server(
            "onboarding.account_recovered" if recovered else "onboarding.account_created",
            payments.server,
            actor_user_id=user_id,
            actor_label=actor_label,
            details={
                "stripe_account_id": account.id,
                "connection_id": credentials.connection_id,
                "accounts_api": attempt.api,
                "generation": payments.account_generation,
            },
        )
    return True


def _find_or_create(
    gateway: StripeGateway, attempt: _Attempt, claim: Claim
) -> tuple[AccountSnapshot, bool]:
    """The resource's account, and True when an earlier attempt had made it."""

    def find(since: datetime) -> AccountSnapshot | None:
        return gateway.find_account_created_since(
            since - CLOCK_SKEW,
            metadata_key="payments_id",
            metadata_value=attempt.payments_id,
            api=attempt.api,
        )

    if claim.search_since is not None:
        # Within 24 hours the idempotency key alone would replay it; after that Stripe has
        # forgotten the key and only a search finds it.
        found = find(claim.search_since)
        if found is not None:
            return found, True
    try:
        return gateway.create_account(
            attempt.params, idempotency_key=attempt.idempotency_key, api=attempt.api
        ), False
    except StripeUnavailable as error:
        if not error.replayed:
            raise
    except StripeGatewayError:
        # Stripe refused to create it: no account was made, and the refusal is stored under
        # this key for 24 hours. The next attempt (it looks up first: `search_since`) uses a
        # new key, so it succeeds as soon as the cause is fixed.
        _next_generation(attempt)
        raise
    # Stripe replayed a 5xx it stored under this key: the request that got it (an earlier
    # attempt, or this call's first try before the SDK retried) is over, so an account it
    # made is listed by now. If none is, the key can never give one for 24 hours: move to a
    # new key, committed first so a failure from here on still leaves the old key behind.
    found = find(claim.search_since or claim.claimed_at)
    if found is not None:
        return found, True
    _next_generation(attempt)
    payments = db.session.get(PaymentsAccount, attempt.payments_id)
    db.session.refresh(payments)
    key = idempotency_key_for(payments, attempt.params)
    db.session.commit()  # hold no connection while Stripe answers
    return gateway.create_account(attempt.params, idempotency_key=key, api=attempt.api), False


def _next_generation(attempt: _Attempt) -> None:
    """Move creation to the next generation's idempotency key (committed at once)."""
    db.session.execute(
        update(PaymentsAccount)
        .where(
            PaymentsAccount.id == attempt.payments_id,
            PaymentsAccount.account_generation == attempt.generation,
        )
        .values(account_generation=attempt.generation + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def ensure_account(
    server_id: str,
    credentials: StripeCredentials,
    inputs: dict[str, str],
    *,
    user_id: str | None,
    actor_label: str | None,
    deadline: float | None = None,
) -> bool:
    """Make sure the resource has a Stripe account; True when this request stored it
    (created it, or found the one an interrupted attempt made).

    Losers of the claim wait for the winner's commit (polling the row) and continue with its
    account; if the winner gave up, or its lease ran out, the next round claims again. The
    claim stores the API to create with (the connection's `accounts_api`) with the inputs, so
    a retry that takes a lapsed claim over sends the same request.
    """
    inputs = {**inputs, "accounts_api": options_for(credentials)["accounts_api"]}
    payments_id = db.session.scalar(
        select(PaymentsAccount.id).where(PaymentsAccount.server_id == server_id)
    )
    wait = float(current_app.config["ACCOUNT_CLAIM_WAIT_SECONDS"])
    give_up_at = time.monotonic() + wait
    while True:
        claim = claim_creation(payments_id, inputs)
        if claim is not None:
            return _create_account(
                server_id,
                credentials,
                claim,
                user_id=user_id,
                actor_label=actor_label,
                deadline=deadline,
            )
        stored = db.session.scalar(
            select(PaymentsAccount.stripe_account_id).where(PaymentsAccount.id == payments_id)
        )
        db.session.commit()  # end the read so the next poll sees the winner's commit
        if stored is not None:
            return False
        if time.monotonic() >= give_up_at:
            raise AccountCreationBusy(server_id)
        time.sleep(CLAIM_POLL_SECONDS)
