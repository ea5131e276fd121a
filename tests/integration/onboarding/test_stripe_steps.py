"""Around every Stripe step: no database connection held while Stripe answers, one deadline,
a lapsed claim taken over, messages that say what really happened, and logs without links."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection
from app.services import api_tokens
from app.services.onboarding.creation import claim_lease
from app.services.onboarding.steps import KEY_REJECTED_REASON
from tests.helpers import PLATFORM_KEY, is_postgres
from tests.integration.onboarding.test_concurrency import leave_a_dead_claim
from tests.integration.onboarding.test_connect import connect
from tests.integration.onboarding.test_return_and_refresh import refresh_path, return_path

CONNECTION_KEY = "sk_test_stripeStepConnectionKey0000000001"


def wait_until_stripe_is_answering(sandbox, timeout: float = 10.0) -> None:
    """Block until the sandbox has taken every pending fault: the slowed call is in flight."""
    give_up_at = time.monotonic() + timeout
    while sandbox.control("GET", "/faults")["data"]:
        assert time.monotonic() < give_up_at, "the slowed Stripe call never started"
        time.sleep(0.02)


def held_while_stripe_answers(app, sandbox, request) -> tuple[int, int, object]:
    """Run `request()` in a thread while Stripe is slow; (pool connections checked out,
    sessions idle in transaction on PostgreSQL, the response)."""
    answer: list = []
    worker = threading.Thread(target=lambda: answer.append(request()))
    worker.start()
    wait_until_stripe_is_answering(sandbox)
    time.sleep(0.3)  # well inside the slow call
    with app.app_context():
        checked_out = db.engine.pool.checkedout()
        idle_in_transaction = 0
        if is_postgres(app):
            with db.engine.connect() as connection:
                idle_in_transaction = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND state LIKE 'idle in transaction%'"
                    )
                )
    worker.join(timeout=30)
    return checked_out, idle_in_transaction, answer[0]


@pytest.mark.parametrize(
    ("step", "path", "method"),
    [
        ("first connect", "/v1/accounts", "POST"),
        ("link", "/v1/account_links", "POST"),
        ("return", "/v1/accounts/", "GET"),
    ],
)
def test_no_database_connection_waits_on_stripe(
    app, auth, client, signed_in, sandbox, stored, step, path, method
):
    server_id = signed_in.server.id
    if step != "first connect":
        connect(auth, server_id)
    sandbox.inject_fault(path, "slow", seconds=1.5, method=method)
    if step == "return":
        request = lambda: client.get(return_path(server_id))  # noqa: E731
    else:
        request = lambda: connect(auth, server_id)  # noqa: E731
    token = auth.csrf(f"/payments/{server_id}")  # load the sign-in session before timing
    assert token

    checked_out, idle_in_transaction, response = held_while_stripe_answers(app, sandbox, request)

    assert (checked_out, idle_in_transaction) == (0, 0)
    assert response.status_code in (200, 303)
    assert stored(server_id).stripe_account_id is not None


@pytest.fixture
def step_deadline(app):
    """A short STRIPE_STEP_DEADLINE_SECONDS, shorter than one attempt's timeout (3 s)."""
    app.config["STRIPE_STEP_DEADLINE_SECONDS"] = 1.0
    yield 1.0
    app.config["STRIPE_STEP_DEADLINE_SECONDS"] = 10.0


def test_one_deadline_cuts_a_slow_attempt_short_and_starts_no_retry(
    auth, signed_in, sandbox, stored, step_deadline
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    sandbox.clear_requests()
    # Each attempt alone would be answered within the 3 s timeout; the step must not wait.
    sandbox.inject_fault("/v1/account_links", "slow", count=3, seconds=2.0)

    started = time.monotonic()
    response = connect(auth, server_id)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    # One attempt cut to the deadline (plus the page load for the CSRF token), where three
    # 3-second attempts were allowed before.
    assert elapsed < step_deadline + 1.5
    assert len(sandbox.requests("/v1/account_links")) <= 1


def test_retries_stop_when_the_deadline_would_be_exceeded(
    auth, signed_in, sandbox, stored, step_deadline
):
    server_id = signed_in.server.id
    connect(auth, server_id)
    sandbox.clear_requests()
    sandbox.inject_fault("/v1/account_links", "500", count=3)

    started = time.monotonic()
    response = connect(auth, server_id)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert elapsed < step_deadline + 1.0
    # The SDK alone would try three times (0.5 s and 1 s apart); only what fits is tried.
    assert 1 <= len(sandbox.requests("/v1/account_links")) <= 2


def test_a_claim_whose_lease_ran_out_is_taken_over_and_the_account_found(
    app, auth, owned, sandbox, stored, audit_actions, monkeypatch
):
    # The claimant crashed after Stripe made the account: once its lease (step deadline plus
    # a commit grace) is over it is provably done with Stripe, so the retry looks it up.
    with app.app_context():
        lapsed = claim_lease() + timedelta(seconds=1)
    assert lapsed < timedelta(seconds=60)
    params, key = leave_a_dead_claim(app, owned, lapsed)
    created = sandbox.stripe_client(PLATFORM_KEY).v1.accounts.create(
        params=params, options={"idempotency_key": key}
    )
    monkeypatch.setitem(app.config, "ACCOUNT_CLAIM_WAIT_SECONDS", 0.3)
    auth.login(owned.owner.email)
    response = auth.post(f"/payments/{owned.server.id}/connect", page="/")

    assert response.status_code == 303
    assert stored(owned.server.id).stripe_account_id == created.id
    assert len(sandbox.accounts()) == 1
    assert "onboarding.account_recovered" in [a for a, _ in audit_actions(owned.server.id)]


def test_a_claim_within_its_lease_still_answers_still_being_created(
    app, auth, owned, sandbox, stored, monkeypatch
):
    leave_a_dead_claim(app, owned, timedelta(seconds=1))
    monkeypatch.setitem(app.config, "ACCOUNT_CLAIM_WAIT_SECONDS", 0.3)
    auth.login(owned.owner.email)
    response = auth.post(f"/payments/{owned.server.id}/connect", page="/")

    assert response.status_code == 409
    assert "still being created" in response.get_data(as_text=True)
    assert sandbox.requests() == []


def test_a_failure_after_the_account_was_created_does_not_say_nothing_changed(
    auth, signed_in, sandbox, stored, audit_actions
):
    server_id = signed_in.server.id
    sandbox.inject_fault("/v1/account_links", "500", count=3)

    response = connect(auth, server_id)

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert stored(server_id).stripe_account_id is not None
    assert "Nothing was changed" not in html
    assert "Your Stripe account was created" in html


def test_a_failure_before_anything_was_created_says_nothing_changed(auth, signed_in, sandbox):
    sandbox.inject_fault("/v1/accounts", "500", count=3)
    html = connect(auth, signed_in.server.id).get_data(as_text=True)
    assert "Nothing was changed" in html


def test_a_rejected_app_level_key_names_stripe_secret_key(auth, signed_in, sandbox, stored):
    sandbox.revoke_key(PLATFORM_KEY)

    response = connect(auth, signed_in.server.id)

    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "STRIPE_SECRET_KEY" in html
    assert "connection" not in html.split("<main", 1)[-1].lower()
    assert PLATFORM_KEY not in html


def test_v1_names_stripe_secret_key_when_the_app_level_key_is_rejected(app, client, owned, sandbox):
    with app.app_context():
        token = api_tokens.create_token(owned.owner.id, "tests").secret
    sandbox.revoke_key(PLATFORM_KEY)

    response = client.post(
        f"/v1/servers/{owned.server.id}/payments/connect-account",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 502
    assert "STRIPE_SECRET_KEY" in response.get_json()["error"]["message"]


def test_a_rejected_connection_key_still_names_the_connection(
    app, auth, signed_in, sandbox, store_connection
):
    store_connection(signed_in.workspace.id, CONNECTION_KEY)
    sandbox.revoke_key(CONNECTION_KEY)

    html = connect(auth, signed_in.server.id).get_data(as_text=True)

    assert "This connection&#39;s key was rejected" in html or "connection's key" in html
    assert "STRIPE_SECRET_KEY" not in html


def test_a_key_flag_is_cleared_by_an_account_creation_that_works(
    app, auth, signed_in, sandbox, store_connection, runner
):
    connection_id = store_connection(signed_in.workspace.id, CONNECTION_KEY)
    with app.app_context():
        db.session.get(StripeConnection, connection_id).attention_reason = KEY_REJECTED_REASON
        db.session.commit()
    # The create worked; the link step fails, so only the create can have cleared the flag.
    sandbox.inject_fault("/v1/account_links", "500", count=3)

    assert connect(auth, signed_in.server.id).status_code == 503

    with app.app_context():
        assert db.session.get(StripeConnection, connection_id).attention_reason is None


def test_no_link_url_key_or_email_reaches_any_log_at_debug(
    app, auth, client, signed_in, sandbox, stored, caplog
):
    server_id = signed_in.server.id
    email = "owner.of.the.shop@example.com"
    with app.app_context():
        payments = db.session.scalars(
            select(PaymentsAccount).where(PaymentsAccount.server_id == server_id)
        ).one()
        payments.email = email
        db.session.commit()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")
    caplog.set_level(logging.DEBUG, logger="urllib3")

    links = [connect(auth, server_id).headers["Location"]]
    links.append(client.get(refresh_path(server_id)).headers["Location"])
    sandbox.force_account_state(stored(server_id).stripe_account_id, "complete")
    assert client.get(return_path(server_id)).status_code == 200
    dashboard = auth.post(f"/payments/{server_id}/dashboard", page=f"/payments/{server_id}")
    links.append(dashboard.headers["Location"])

    assert all(link.startswith(sandbox.url) for link in links)
    logged = caplog.text
    assert "Stripe API response" in logged  # the SDK did log, at INFO
    for secret in [*links, "/setup/", "/_sandbox/onboard", "sk_test_", email]:
        assert secret not in logged
