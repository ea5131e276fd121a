"""`flask stripe sync`: re-read every connected account's status and charges from Stripe.

A run walks the resources that have an account in id order and records, after each one, the
last id it finished in its `sync_runs` row, so a run that is interrupted (killed, deployed
over) resumes after that id; `restart` starts a new run from the beginning instead.

It is safe beside the running app: each account is fetched with no transaction open and stored
through `onboarding.sync` and `earnings` in short transactions under the payments row lock, the
same lock order as the app's own writers, so a webhook or Check status applying at the same
moment either goes first or waits a few milliseconds.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from app.extensions import db
from app.models import PaymentsAccount, Server, SyncRun, utcnow
from app.services import earnings
from app.services.onboarding.steps import stripe_step
from app.services.onboarding.sync import apply_account, locked_payments
from app.services.stripe_credentials import choose_credentials
from app.stripe_gateway import StripeGatewayError

log = logging.getLogger(__name__)

SOURCE = "sync"


def current_run(*, restart: bool) -> tuple[SyncRun, bool]:
    """The unfinished run to resume (and True), or a new run (and False).

    With `restart`, unfinished runs are closed and a new one starts from the beginning.
    """
    unfinished = db.session.scalars(
        select(SyncRun).where(SyncRun.finished_at.is_(None)).order_by(SyncRun.started_at.desc())
    ).all()
    if unfinished and not restart:
        return unfinished[0], True
    for run in unfinished:
        run.finished_at = utcnow()
    run = SyncRun()
    db.session.add(run)
    db.session.commit()
    return run, False


def remaining(run: SyncRun) -> list[str]:
    """Ids of the resources with an account that this run has not synced yet, in order."""
    query = select(PaymentsAccount.id).where(PaymentsAccount.stripe_account_id.is_not(None))
    if run.last_payments_id is not None:
        query = query.where(PaymentsAccount.id > run.last_payments_id)
    ids = list(db.session.scalars(query.order_by(PaymentsAccount.id)))
    db.session.commit()
    return ids


def sync_account(run_id: str, payments_id: str) -> bool:
    """Fetch one resource's account and charges, store them and mark the resource done for
    the run; False (also marked, as failed) if Stripe or the credentials failed.

    The account and the first page of charges are stored with the run's progress in one
    short transaction; an account with more than a page of charges pages on after it.
    """
    payments = db.session.get(PaymentsAccount, payments_id)
    account_id = payments.stripe_account_id if payments is not None else None
    if account_id is None:
        _record_progress(run_id, payments_id, ok=True)  # disconnected since the run began
        db.session.commit()
        return True
    api = payments.accounts_api  # the API that made the account reads it
    server = db.session.get(Server, payments.server_id)
    choice = choose_credentials(payments, server.workspace_id)
    server_id = server.id
    db.session.commit()  # hold no connection while Stripe answers
    if choice.credentials is None:
        log.warning("sync of %s skipped: %s", payments_id, choice.reason)
        _record_progress(run_id, payments_id, ok=False)
        db.session.commit()
        return False
    try:
        fetched_at = utcnow()
        with stripe_step(server_id, "sync_cli", choice.credentials, user_id=None) as gateway:
            account = gateway.retrieve_account(account_id, api=api)
            charges, more = gateway.list_charges(account_id, limit=earnings.PAGE_SIZE)
        with locked_payments(payments_id) as locked:
            apply_account(locked, account, source=SOURCE, fetched_at=fetched_at, actor_label=SOURCE)
            if locked.stripe_account_id == account_id:
                earnings.apply_charges(locked, charges)
            if not more:
                _record_progress(run_id, payments_id, ok=True)
        if more:
            earnings.backfill(
                payments_id,
                server_id,
                account_id,
                choice.credentials,
                user_id=None,
                starting_after=charges[-1]["id"],
            )
            _record_progress(run_id, payments_id, ok=True)
            db.session.commit()
    except StripeGatewayError as error:
        log.warning("sync of %s failed: %s", payments_id, error)
        _record_progress(run_id, payments_id, ok=False)
        db.session.commit()
        return False
    return True


def _record_progress(run_id: str, payments_id: str, *, ok: bool) -> None:
    """Mark `payments_id` done for the run (no commit: the caller's transaction does)."""
    counter = SyncRun.synced if ok else SyncRun.failed
    db.session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values({"last_payments_id": payments_id, counter.key: counter + 1})
    )


def finish(run_id: str) -> SyncRun:
    """Close the run; returns it with its final counts."""
    run = db.session.get(SyncRun, run_id)
    run.finished_at = utcnow()
    db.session.commit()
    return run
