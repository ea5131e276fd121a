"""Stripe failing: a clear page, status unchanged, an audit entry, and a retry that works."""

from __future__ import annotations

import logging
import time

import pytest

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from tests.helpers import PLATFORM_KEY
from tests.integration.onboarding.test_connect import connect


@pytest.fixture
def short_timeout(app):
    """A Stripe timeout short enough for `slow` faults to time out quickly."""
    before = app.config["STRIPE_TIMEOUT_SECONDS"]
    app.config["STRIPE_TIMEOUT_SECONDS"] = 0.5
    yield
    app.config["STRIPE_TIMEOUT_SECONDS"] = before


# Three of each: the SDK's two network retries must all fail too. (A `slow` create is carried
# out after all; see the timed-out test below.)
FAULTS = ["500", "429", "drop"]


@pytest.mark.parametrize("kind", FAULTS)
def test_unavailable_stripe_on_first_connect_shows_503_and_a_retry_creates_one_account(
    auth, signed_in, sandbox, stored, audit_actions, caplog, kind
):
    server_id = signed_in.server.id
    sandbox.inject_fault("/v1/accounts", kind, count=3)

    with caplog.at_level(logging.DEBUG):
        response = connect(auth, server_id)

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Stripe is unavailable, try again" in html
    assert f'action="/payments/{server_id}/connect"' in html
    assert "Traceback" not in html and PLATFORM_KEY not in html
    assert PLATFORM_KEY not in caplog.text
    payments = stored(server_id)
    assert payments.stripe_account_id is None
    assert (payments.onboarding_status, payments.account_claim) == ("not_started", "none")
    action, details = audit_actions(server_id)[-1]
    assert (action, details["error"], details["operation"]) == (
        "onboarding.stripe_failed",
        "unavailable",
        "account_create",
    )

    sandbox.clear_faults()
    retry = connect(auth, server_id)
    assert retry.status_code == 303
    assert len(sandbox.accounts()) == 1
    assert stored(server_id).stripe_account_id == sandbox.accounts()[0]["account"]["id"]


def test_a_create_that_timed_out_but_succeeded_is_found_days_later(
    auth, signed_in, sandbox, stored, audit_actions, short_timeout
):
    # Stripe made the account, but its answer came after our timeout (and the SDK's retries).
    server_id = signed_in.server.id
    sandbox.inject_fault("/v1/accounts", "slow", count=3, seconds=1.5)
    assert connect(auth, server_id).status_code == 503
    # Our client gave up, but the sandbox is still working through the three slowed attempts;
    # let them finish so none lands after the keys are forgotten (or in the next test).
    deadline = time.monotonic() + 10
    while len(sandbox.requests("/v1/accounts")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    attempts = [(r["status"], r["replayed"]) for r in sandbox.requests("/v1/accounts")]
    assert attempts == [(200, False), (200, True), (200, True)]  # all too late for us
    [made] = [entry["account"]["id"] for entry in sandbox.accounts()]
    assert stored(server_id).stripe_account_id is None
    # Days later: Stripe has forgotten the idempotency key, so the key alone cannot save us.
    sandbox.forget_idempotency_keys()
    sandbox.clear_requests()

    assert connect(auth, server_id).status_code == 303

    assert stored(server_id).stripe_account_id == made
    assert [entry["account"]["id"] for entry in sandbox.accounts()] == [made]
    assert [(r["method"], r["path"]) for r in sandbox.requests()] == [
        ("GET", "/v1/accounts"),
        ("POST", "/v1/account_links"),
    ]
    assert audit_actions(server_id)[-2][0] == "onboarding.account_recovered"


def creates_and_lookups(sandbox) -> list[tuple[str, int, bool]]:
    """(method, status, replayed) of the account creations and lookups Stripe saw."""
    return [
        (r["method"], r["status"], r["replayed"])
        for r in sandbox.requests()
        if r["path"] == "/v1/accounts"
    ]


def test_a_create_stripe_ran_but_answered_500_is_found_at_once(
    auth, signed_in, sandbox, stored, audit_actions
):
    # Stripe made the account, then answered 500 and stored that 500 under our idempotency
    # key: the SDK's retries get it replayed, and so would every retry for 24 hours.
    server_id = signed_in.server.id
    sandbox.inject_fault("/v1/accounts", "500_after", count=1)

    assert connect(auth, server_id).status_code == 303

    [made] = [entry["account"]["id"] for entry in sandbox.accounts()]
    assert stored(server_id).stripe_account_id == made
    assert creates_and_lookups(sandbox) == [
        ("POST", 500, False),
        ("POST", 500, True),
        ("POST", 500, True),
        ("GET", 200, False),  # the lookup finds it
    ]
    assert audit_actions(server_id)[-2][0] == "onboarding.account_recovered"


def test_a_500_stored_under_the_key_moves_creation_to_a_new_key(auth, signed_in, sandbox, stored):
    # A 5xx after Stripe's endpoint started, with no account made: Stripe would replay it for
    # 24 hours. The lookup finds nothing, so a new key is the way forward.
    server_id = signed_in.server.id
    sandbox.inject_fault("/v1/accounts", "500_stored", count=1)

    assert connect(auth, server_id).status_code == 303

    [made] = [entry["account"]["id"] for entry in sandbox.accounts()]
    payments = stored(server_id)
    assert (payments.stripe_account_id, payments.account_generation) == (made, 1)
    assert creates_and_lookups(sandbox) == [
        ("POST", 500, False),
        ("POST", 500, True),
        ("POST", 500, True),
        ("GET", 200, False),
        ("POST", 200, False),
    ]
    keys = [r["idempotency_key"] for r in sandbox.requests() if r["method"] == "POST"]
    assert keys[0] == keys[2] != keys[3]


def test_stored_500s_on_two_keys_in_a_row_still_end_in_one_account(
    auth, signed_in, sandbox, stored
):
    server_id = signed_in.server.id
    # The first key's 500 is stored, and so is the second's: this click fails. (Three tries of
    # the first key, as the SDK retries; then the first try of the second.)
    sandbox.inject_fault("/v1/accounts", "500_stored", count=4, method="POST")
    assert connect(auth, server_id).status_code == 503
    assert sandbox.accounts() == []
    assert stored(server_id).account_generation == 1  # the move to a new key was kept

    assert connect(auth, server_id).status_code == 303

    assert len(sandbox.accounts()) == 1
    payments = stored(server_id)
    assert payments.account_generation == 2
    assert payments.stripe_account_id == sandbox.accounts()[0]["account"]["id"]


def test_a_failing_link_keeps_the_created_account_and_the_retry_only_mints(
    auth, signed_in, sandbox, stored
):
    server_id = signed_in.server.id
    sandbox.inject_fault("/v1/account_links", "500", count=3)
    assert connect(auth, server_id).status_code == 503
    account_id = stored(server_id).stripe_account_id
    assert account_id is not None  # the create was committed before the link failed

    sandbox.clear_faults()
    sandbox.clear_requests()
    assert connect(auth, server_id).status_code == 303
    assert [r["path"] for r in sandbox.requests()] == ["/v1/account_links"]
    assert stored(server_id).stripe_account_id == account_id


@pytest.mark.parametrize(("kind", "seconds"), [("500", None), ("slow", 1.0)])
def test_unavailable_stripe_on_return_leaves_the_status_as_it_was(
    client, auth, signed_in, sandbox, stored, audit_actions, short_timeout, kind, seconds
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    before = stored(server_id)
    sandbox.force_account_state(before.stripe_account_id, "complete")
    sandbox.inject_fault("/v1/accounts/", kind, count=3, seconds=seconds)

    response = client.get(f"/payments/{server_id}/onboarding/return")

    assert response.status_code == 503
    assert f'action="/payments/{server_id}/check-status"' in response.get_data(as_text=True)
    after = stored(server_id)
    assert (after.onboarding_status, after.status_reason) == (
        before.onboarding_status,
        before.status_reason,
    )
    assert audit_actions(server_id)[-1][1]["operation"] == "sync_return"
    sandbox.clear_faults()
    assert "is ready to take payments" in client.get(
        f"/payments/{server_id}/onboarding/return"
    ).get_data(as_text=True)


def test_a_revoked_connection_key_flags_the_connection_and_says_an_admin_must_act(
    app, client, auth, signed_in, sandbox, stored, store_connection, audit_actions, caplog
):
    key = "sk_test_soonRevokedConnectionKey0000000001"
    connection_id = store_connection(signed_in.workspace.id, key)
    sandbox.revoke_key(key)

    with caplog.at_level(logging.DEBUG):
        response = connect(auth, signed_in.server.id)

    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "key was rejected — an admin must update it" in html
    assert key not in html and key not in caplog.text
    with app.app_context():
        connection = db.session.get(StripeConnection, connection_id)
        assert connection.attention_reason
    assert stored(signed_in.server.id).stripe_account_id is None
    details = audit_actions(signed_in.server.id)[-1][1]
    assert details["error"] == "key_rejected" and details["request_id"].startswith("req_")
    assert "Needs attention" in client.get(f"/payments/{signed_in.server.id}").get_data(
        as_text=True
    )


def test_an_account_stripe_does_not_know_gets_a_clear_page_and_nothing_changes(
    app, client, auth, signed_in, sandbox, stored
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    with app.app_context():
        payments = db.session.get(PaymentsAccount, stored(server_id).id)
        payments.stripe_account_id = "acct_1UnknownToStripe00"
        db.session.commit()

    response = client.get(f"/payments/{server_id}/onboarding/return")

    assert response.status_code == 502
    assert "recognise this resource" in response.get_data(as_text=True)
    assert stored(server_id).onboarding_status == "pending"


def test_a_stuck_claim_of_another_request_answers_409_without_calling_stripe(
    app, auth, signed_in, sandbox, stored, monkeypatch
):
    with app.app_context():
        payments = db.session.get(PaymentsAccount, stored(signed_in.server.id).id)
        payments.account_claim = "claimed"
        payments.claimed_at = db.func.now()
        db.session.commit()
    monkeypatch.setitem(app.config, "ACCOUNT_CLAIM_WAIT_SECONDS", 0.3)
    response = connect(auth, signed_in.server.id)
    assert response.status_code == 409
    assert "still being created" in response.get_data(as_text=True)
    assert sandbox.requests() == []
