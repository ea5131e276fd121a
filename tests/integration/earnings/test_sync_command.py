"""`flask stripe sync` over 1,000 sandbox accounts: killed part way, resumed, then exact."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import PaymentsAccount, Server, SyncRun
from app.models.payments import CLAIM_CREATED
from tests.helpers import PLATFORM_KEY, TEST_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[3]
ACCOUNTS = 1000
STATES = ("new", "needs_info", "complete", "under_review", "past_due", "rejected", "paused")


def make_accounts(app, factory, sandbox) -> tuple[dict[str, str], set[str]]:
    """1,000 resources onboarded under the app-level key: payments id -> account id, and the
    accounts that have charges.

    Every 25th account gets charges (one partly refunded); the states rotate through the
    sandbox's starting states, so the stored status is wrong until synced. The accounts are
    made through the real SDK; the resources are inserted in one transaction.
    """
    workspace = factory.workspace()
    client = sandbox.stripe_client(PLATFORM_KEY)
    account_ids, charged = [], set()
    try:
        for n in range(ACCOUNTS):
            params = {"type": "express", "metadata": {"sandbox_state": STATES[n % len(STATES)]}}
            account_ids.append(client.v1.accounts.create(params=params).id)
            if n % 25 == 0:
                charge = sandbox.create_charge(account_ids[-1], 1000 + n)
                sandbox.create_charge(account_ids[-1], 300)
                sandbox.refund_charge(charge["id"], 100)
                charged.add(account_ids[-1])
    finally:
        client._requestor._client.close()
    accounts = {}
    with app.app_context():
        for n, account_id in enumerate(account_ids):
            server = Server(
                workspace_id=workspace.id,
                name=f"Resource {n:04d}",
                description="",
                kind="payments",
                status="draft",
                auth_mode="private",
                metadata_={},
            )
            server.payments = PaymentsAccount(
                workspace_id=workspace.id,
                name=server.name,
                stripe_account_id=account_id,
                account_claim=CLAIM_CREATED,
            )
            db.session.add(server)
            db.session.flush()
            accounts[server.payments.id] = account_id
        db.session.commit()
    return accounts, charged


def sync_command(app, sandbox) -> subprocess.Popen:
    """`flask stripe sync` in its own process, on the test database and the sandbox."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLASK_APP": "app",
        "APP_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "JWT_SECRET": app.config["JWT_SECRET"],
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "STRIPE_SECRET_KEY": PLATFORM_KEY,
        "STRIPE_API_BASE": sandbox.url,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "flask", "stripe", "sync"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def the_run(app) -> SyncRun | None:
    with app.app_context():
        run = db.session.scalars(select(SyncRun).order_by(SyncRun.started_at.desc())).first()
        if run is not None:
            db.session.expunge(run)
        db.session.remove()
        return run


def account_reads(sandbox) -> int:
    return sum(
        1
        for r in sandbox.requests()
        if r["method"] == "GET" and r["path"].startswith("/v1/accounts/")
    )


def test_sync_is_interrupted_for_real_resumes_and_matches_the_sandbox(app, factory, sandbox):
    accounts, charged = make_accounts(app, factory, sandbox)
    sandbox.clear_requests()

    first = sync_command(app, sandbox)
    deadline = time.monotonic() + 40
    while (run := the_run(app)) is None or run.synced < 200:
        assert first.poll() is None, first.stdout.read()
        assert time.monotonic() < deadline, "the sync made no progress"
        time.sleep(0.05)
    first.kill()
    first.wait(10)
    first.stdout.close()
    interrupted = the_run(app)
    assert interrupted.finished_at is None
    assert 200 <= interrupted.synced < ACCOUNTS
    sandbox.clear_requests()

    second = sync_command(app, sandbox)
    output, _ = second.communicate(timeout=120)

    assert second.returncode == 0, output
    assert f"Resuming sync run {interrupted.id}" in output
    finished = the_run(app)
    assert finished.id == interrupted.id and finished.finished_at is not None
    assert (finished.synced, finished.failed) == (ACCOUNTS, 0)
    # Only what the first process had not finished (at most one account twice) was re-read.
    assert account_reads(sandbox) <= ACCOUNTS - interrupted.synced + 1

    by_id = {a["account"]["id"]: a["account"] for a in sandbox.accounts()}
    client = sandbox.stripe_client(PLATFORM_KEY)
    try:
        with app.app_context():
            rows = db.session.scalars(select(PaymentsAccount).order_by(PaymentsAccount.id)).all()
            assert len(rows) == ACCOUNTS
            for payments in rows:
                account = by_id[accounts[payments.id]]
                stored = (
                    payments.charges_enabled,
                    payments.payouts_enabled,
                    payments.details_submitted,
                    payments.disabled_reason,
                    sorted(payments.requirements["currently_due"]),
                )
                requirements = account["requirements"]
                assert stored == (
                    account["charges_enabled"],
                    account["payouts_enabled"],
                    account["details_submitted"],
                    requirements["disabled_reason"],
                    sorted(requirements["currently_due"]),
                ), payments.id
                # Only these accounts have charges: asking Stripe about the others too
                # would only slow the test down.
                charges = []
                if account["id"] in charged:
                    charges = client.v1.charges.list(
                        params={"limit": 100}, options={"stripe_account": account["id"]}
                    ).data
                earned = sum(c.amount - c.amount_refunded for c in charges)
                paid = sum(1 for c in charges if c.amount_refunded < c.amount)
                assert (payments.total_earned_cents, payments.total_payment_count) == (
                    earned,
                    paid,
                ), payments.id
            enabled = [p for p in rows if by_id[accounts[p.id]]["charges_enabled"]]
            assert enabled and {p.onboarding_status for p in enabled} == {"complete"}
            assert sum(p.total_payment_count for p in rows) == 2 * (ACCOUNTS // 25)
    finally:
        client._requestor._client.close()


def test_restart_starts_a_new_run_from_the_beginning(app, runner, factory, sandbox):
    with app.app_context():
        db.session.add(SyncRun(last_payments_id="pay_zzzz"))
        db.session.commit()

    result = runner.invoke(args=["stripe", "sync", "--restart"])

    assert result.exit_code == 0, result.output
    assert "Starting sync run" in result.output
    with app.app_context():
        runs = db.session.scalars(select(SyncRun).order_by(SyncRun.started_at)).all()
        assert [run.finished_at is not None for run in runs] == [True, True]
        assert runs[1].last_payments_id is None


def test_an_account_stripe_refuses_is_counted_and_the_run_goes_on(app, runner, factory, sandbox):
    workspace = factory.workspace()
    client = sandbox.stripe_client(PLATFORM_KEY)
    try:
        real = client.v1.accounts.create(params={"type": "express"}).id
    finally:
        client._requestor._client.close()
    sandbox.create_charge(real, 4200)
    with app.app_context():
        for n, account_id in enumerate((real, "acct_notOnThisPlatform000")):
            server = Server(workspace_id=workspace.id, name=f"R{n}", kind="payments", metadata_={})
            server.payments = PaymentsAccount(
                workspace_id=workspace.id,
                name=server.name,
                stripe_account_id=account_id,
                account_claim=CLAIM_CREATED,
            )
            db.session.add(server)
        db.session.commit()

    result = runner.invoke(args=["stripe", "sync"])

    assert result.exit_code == 1, result.output
    assert "Synced 1 account(s); 1 failed." in result.output
    run = the_run(app)
    assert run.finished_at is not None and (run.synced, run.failed) == (1, 1)
    with app.app_context():
        synced = db.session.scalars(
            select(PaymentsAccount).where(PaymentsAccount.stripe_account_id == real)
        ).one()
        assert (synced.total_earned_cents, synced.total_payment_count) == (4200, 1)
        refused = db.session.scalars(
            select(PaymentsAccount).where(PaymentsAccount.stripe_account_id != real)
        ).one()
        assert refused.last_error  # the failure is recorded on its resource
