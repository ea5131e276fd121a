"""One Stripe account per resource, whatever the clicks, tabs, processes or crashes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PaymentsAccount, Server, utcnow
from app.services.onboarding.plan import account_params, idempotency_key_for
from tests.helpers import (
    ACCOUNT_LINK_PATH,
    PLATFORM_KEY,
    AuthActions,
    account_creations,
    is_postgres,
)


def press_connect_together(app, owned, clicks: int) -> list:
    """`clicks` signed-in browsers press Connect at the same moment; their responses."""
    page = f"/payments/{owned.server.id}"
    browsers = []
    for _ in range(clicks):
        client = app.test_client()
        actions = AuthActions(client)
        actions.login(owned.owner.email)
        browsers.append((client, actions.csrf(page)))
    start = threading.Barrier(clicks)
    responses: list = [None] * clicks

    def click(index: int) -> None:
        client, token = browsers[index]
        start.wait()
        responses[index] = client.post(f"{page}/connect", data={"csrf_token": token})

    threads = [threading.Thread(target=click, args=(i,)) for i in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def assert_one_account_and_links_to_it(responses, sandbox, stored, server_id, api) -> None:
    account_id = stored(server_id).stripe_account_id
    assert stored(server_id).accounts_api == api
    assert [r.status_code for r in responses] == [303] * len(responses)
    hosted_page = "/r/" if api == "v2" else "/setup/"  # where the sandbox's links lead
    assert all(hosted_page in r.headers["Location"] for r in responses)
    assert [a["account"]["id"] for a in sandbox.accounts()] == [account_id]
    creates = account_creations(sandbox, api)
    assert len([r for r in creates if not r["replayed"]]) == 1
    links = sandbox.requests(ACCOUNT_LINK_PATH[api])
    assert len(links) == len(responses)
    assert {link["account"] for link in links} == {account_id}


@pytest.mark.postgres
def test_ten_concurrent_connects_on_postgresql_create_exactly_one_account(
    app, owned, sandbox, stored, accounts_api
):
    assert is_postgres(app)
    responses = press_connect_together(app, owned, 10)
    assert_one_account_and_links_to_it(responses, sandbox, stored, owned.server.id, accounts_api)


def test_a_double_click_creates_one_account(app, owned, sandbox, stored, accounts_api):
    responses = press_connect_together(app, owned, 3)
    assert_one_account_and_links_to_it(responses, sandbox, stored, owned.server.id, accounts_api)


def leave_a_dead_claim(app, owned, claimed_ago: timedelta, api: str = "v1") -> tuple[dict, str]:
    """What a request that died after claiming leaves behind: a claim, the stored inputs,
    no account id. Returns the account params and idempotency key it would have sent."""
    with app.app_context():
        payments = db.session.scalars(
            select(PaymentsAccount).where(PaymentsAccount.server_id == owned.server.id)
        ).one()
        payments.account_claim = "claimed"
        payments.claimed_at = payments.creation_started_at = utcnow() - claimed_ago
        payments.email = "shop@example.com"
        payments.accounts_api = api
        db.session.commit()
        server = db.session.get(Server, owned.server.id)
        params = account_params(server, payments, "express", api=api)
        return params, idempotency_key_for(payments, params)


def create_as_the_dead_request(sandbox, api: str, params: dict, key: str):
    """The creation the dead request sent, which Stripe carried out."""
    client = sandbox.stripe_client(PLATFORM_KEY)
    accounts = client.v2.core.accounts if api == "v2" else client.v1.accounts
    return accounts.create(params=params, options={"idempotency_key": key})


@pytest.mark.parametrize(
    ("claimed_ago", "stripe_forgot_the_key"),
    [(timedelta(minutes=5), False), (timedelta(hours=25), True)],
    ids=["minutes-later", "after-stripe-forgot-the-idempotency-key"],
)
def test_a_crash_between_stripes_answer_and_our_commit_does_not_create_a_second_account(
    app,
    auth,
    owned,
    sandbox,
    stored,
    audit_actions,
    claimed_ago,
    stripe_forgot_the_key,
    accounts_api,
):
    # The dead request: it claimed, Stripe created the account, the process died before our
    # commit. Its claim is stale now; after 24 hours Stripe no longer knows its key either.
    params, key = leave_a_dead_claim(app, owned, claimed_ago, accounts_api)
    created = create_as_the_dead_request(sandbox, accounts_api, params, key)
    if stripe_forgot_the_key:
        assert sandbox.forget_idempotency_keys() == 1

    auth.login(owned.owner.email)
    response = auth.post(f"/payments/{owned.server.id}/connect", page="/")

    assert response.status_code == 303
    assert stored(owned.server.id).stripe_account_id == created.id
    assert [a["account"]["id"] for a in sandbox.accounts()] == [created.id]
    assert stored(owned.server.id).accounts_api == accounts_api
    assert len(account_creations(sandbox, accounts_api)) == 1  # only the dead request's
    actions = [action for action, _ in audit_actions(owned.server.id)]
    assert "onboarding.account_recovered" in actions
    assert "onboarding.account_created" not in actions


def test_a_dead_claim_that_never_reached_stripe_creates_the_account_once(
    app, auth, owned, factory, sandbox, stored, accounts_api
):
    # Another resource's account, made in the same minutes, must not be mistaken for ours.
    neighbour = factory.resource(owned.workspace, name="Neighbour")
    auth.login(owned.owner.email)
    assert auth.post(f"/payments/{neighbour.id}/connect", page="/").status_code == 303
    leave_a_dead_claim(app, owned, timedelta(hours=25), accounts_api)

    response = auth.post(f"/payments/{owned.server.id}/connect", page="/")

    assert response.status_code == 303
    ours = stored(owned.server.id).stripe_account_id
    assert ours is not None and ours != stored(neighbour.id).stripe_account_id
    assert len(sandbox.accounts()) == 2
    assert [r["replayed"] for r in account_creations(sandbox, accounts_api)] == [False, False]
