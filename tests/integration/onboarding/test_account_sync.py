"""`apply_account`: only under the payments lock, never older over newer, one record per change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.account_snapshot import V2_INCLUDE, AccountSnapshot
from app.extensions import db
from app.models import AuditEvent, PaymentsAccount, utcnow
from app.services.onboarding.sync import apply_account, locked_payments
from app.services.status import derive_onboarding_status
from tests.helpers import PLATFORM_KEY
from tests.integration.onboarding.test_connect import connect, connect_under_v2


@pytest.fixture
def onboarded(auth, signed_in, sandbox, stored):
    """A resource after its first Connect: (payments id, account id)."""
    connect(auth, signed_in.server.id)
    payments = stored(signed_in.server.id)
    return payments.id, payments.stripe_account_id


def complete_account(sandbox, account_id: str) -> dict:
    """The account, finished, as `GET /v1/accounts/{id}` answers it (a dict)."""
    sandbox.force_account_state(account_id, "complete")
    client = sandbox.stripe_client(PLATFORM_KEY)
    return client.v1.accounts.retrieve(account_id).to_dict()


def changes_recorded() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "onboarding.status_changed")
    )


def test_apply_account_refuses_a_row_that_is_not_locked(app, onboarded, sandbox):
    payments_id, account_id = onboarded
    account = complete_account(sandbox, account_id)
    with app.app_context():
        payments = db.session.get(PaymentsAccount, payments_id)
        with pytest.raises(RuntimeError):
            apply_account(
                payments, AccountSnapshot.from_v1(account), source="check", fetched_at=utcnow()
            )
        db.session.remove()


def test_a_snapshot_fetched_before_the_stored_one_is_not_applied(app, onboarded, sandbox):
    payments_id, account_id = onboarded
    complete_dict = complete_account(sandbox, account_id)
    complete = AccountSnapshot.from_v1(complete_dict)
    with app.app_context():
        before = changes_recorded()
        fetched_later = utcnow()
        with locked_payments(payments_id) as payments:
            first = apply_account(payments, complete, source="check", fetched_at=fetched_later)
        stale = AccountSnapshot.from_v1(
            {**complete_dict, "details_submitted": False, "charges_enabled": False}
        )
        with locked_payments(payments_id) as payments:
            second = apply_account(
                payments, stale, source="webhook", fetched_at=fetched_later - timedelta(seconds=1)
            )
        with locked_payments(payments_id) as payments:
            again = apply_account(payments, complete, source="return", fetched_at=utcnow())

        assert (first.stored, first.status_change is not None) == (True, True)
        assert (second.stored, second.changed) == (False, False)
        assert (again.stored, again.changed, again.status_change) == (True, False, None)
        assert db.session.get(PaymentsAccount, payments_id).onboarding_status == "complete"
        assert changes_recorded() == before + 1
        db.session.remove()


def test_a_snapshot_of_another_account_is_not_applied(app, onboarded, sandbox):
    payments_id, account_id = onboarded
    other = AccountSnapshot.from_v1(
        {**complete_account(sandbox, account_id), "id": "acct_notThisOne"}
    )
    with app.app_context(), locked_payments(payments_id) as payments:
        applied = apply_account(payments, other, source="check", fetched_at=utcnow())
        assert not applied.stored
        assert payments.onboarding_status != "complete"
    with app.app_context():
        db.session.remove()


def test_future_requirements_are_stored_and_listed_as_due_soon_with_their_date(
    app, client, auth, signed_in, onboarded, sandbox, stored
):
    _payments_id, account_id = onboarded
    deadline = sandbox.now() + 30 * 86400
    sandbox.set_requirements(
        account_id,
        future_requirements={"current_deadline": deadline, "currently_due": ["external_account"]},
    )
    server_id = signed_in.server.id

    auth.post(f"/payments/{server_id}/check-status", page=f"/payments/{server_id}")

    future = stored(server_id).requirements["future"]
    assert future["currently_due"] == ["external_account"]
    due = datetime.fromisoformat(future["current_deadline"])
    assert due == datetime.fromtimestamp(deadline, UTC)
    html = client.get(f"/payments/{server_id}").get_data(as_text=True)
    assert f"Due soon — by {due.strftime('%-d %b %Y')}" in html


def test_requirement_alternatives_are_stored_and_shown(
    app, client, signed_in, onboarded, sandbox, stored
):
    payments_id, account_id = onboarded
    account = sandbox.stripe_client(PLATFORM_KEY).v1.accounts.retrieve(account_id).to_dict()
    account["requirements"]["alternatives"] = [
        {
            "alternative_fields_due": ["individual.verification.document"],
            "original_fields_due": ["individual.id_number"],
        }
    ]
    with app.app_context():
        with locked_payments(payments_id) as payments:
            apply_account(
                payments, AccountSnapshot.from_v1(account), source="check", fetched_at=utcnow()
            )
        db.session.commit()

    [alternative] = stored(signed_in.server.id).requirements["alternatives"]
    assert alternative["original_fields_due"] == ["individual.id_number"]
    assert "Or instead" in client.get(f"/payments/{signed_in.server.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("new", ("pending", "needs_info")),
        ("needs_info", ("complete", "none")),
        ("under_review", ("pending", "under_review")),
        ("past_due", ("pending", "needs_info")),
        ("rejected", ("pending", "paused")),
        ("paused", ("pending", "paused")),
        ("complete", ("complete", "none")),
    ],
)
def test_one_account_reads_the_same_through_v1_and_v2_in_every_state(
    app, auth, signed_in, sandbox, stored, state, expected
):
    connect_under_v2(app, auth, signed_in.server.id)
    account_id = stored(signed_in.server.id).stripe_account_id
    sandbox.force_account_state(account_id, state)
    stripe_client = sandbox.stripe_client(PLATFORM_KEY)

    v1 = AccountSnapshot.from_v1(stripe_client.v1.accounts.retrieve(account_id).to_dict())
    v2 = AccountSnapshot.from_v2(
        stripe_client.v2.core.accounts.retrieve(
            account_id, params={"include": list(V2_INCLUDE)}
        ).to_dict()
    )

    assert tuple(derive_onboarding_status(v1)) == tuple(derive_onboarding_status(v2)) == expected
    if state == "paused":
        # v2 has no code for the platform's pause: `restricted_other`, v1's `other`.
        v1 = replace(v1, requirements=replace(v1.requirements, disabled_reason="other"))
    assert replace(v2, api="v1") == v1


def test_a_return_reads_a_v2_account_through_v2(
    app, client, auth, signed_in, sandbox, stored, audit_actions
):
    connect_under_v2(app, auth, signed_in.server.id)
    server_id = signed_in.server.id
    account_id = stored(server_id).stripe_account_id
    sandbox.force_account_state(account_id, "complete")

    html = client.get(f"/payments/{server_id}/onboarding/return").get_data(as_text=True)

    payments = stored(server_id)
    assert (payments.onboarding_status, payments.details_submitted) == ("complete", True)
    assert (payments.charges_enabled, payments.payouts_enabled) == (True, True)
    assert (payments.dashboard_type, payments.currency) == ("express", "eur")
    assert 'data-status="complete"' in html
    [changed] = [d for a, d in audit_actions(server_id) if a == "onboarding.status_changed"][-1:]
    assert (changed["to"], changed["source"]) == ("complete", "return")
