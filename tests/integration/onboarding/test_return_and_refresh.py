"""Stripe's return and refresh redirects, Check status, and the Express dashboard link."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.helpers import stripe_calls
from tests.integration.onboarding.test_connect import connect


@pytest.fixture
def connected(auth, signed_in, sandbox, stored):
    """`signed_in`, after a first Connect (the account exists, nothing submitted)."""
    connect(auth, signed_in.server.id)
    sandbox.clear_requests()
    return signed_in


def return_path(server_id: str) -> str:
    return f"/payments/{server_id}/onboarding/return"


def refresh_path(server_id: str) -> str:
    return f"/payments/{server_id}/onboarding/refresh"


def test_return_after_finishing_rereads_the_account_and_shows_complete(
    client, connected, sandbox, stored, audit_actions
):
    server_id = connected.server.id
    sandbox.force_account_state(stored(server_id).stripe_account_id, "complete")
    sandbox.clear_requests()

    response = client.get(return_path(server_id))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert stripe_calls(sandbox) == [("GET", f"/v1/accounts/{stored(server_id).stripe_account_id}")]
    assert "is ready to take payments" in html
    assert 'data-status="complete"' in html
    assert "Open Stripe dashboard" in html and "Continue onboarding" not in html
    payments = stored(server_id)
    assert (payments.onboarding_status, payments.details_submitted) == ("complete", True)
    assert payments.charges_enabled and payments.payouts_enabled
    actions = [a for a, _ in audit_actions(server_id)]
    assert actions[-2:] == ["onboarding.status_changed", "onboarding.returned"]


def test_returning_without_finishing_is_not_success_and_lists_what_is_due(
    client, connected, sandbox, stored
):
    response = client.get(return_path(connected.server.id))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "still needs information" in html
    assert "ready to take payments" not in html
    assert 'data-status="complete"' not in html
    assert "Bank account for payouts" in html
    assert "Continue onboarding" in html
    assert stored(connected.server.id).onboarding_status == "pending"


@pytest.mark.parametrize(
    ("state", "heading", "reason"),
    [
        ("under_review", "Stripe is reviewing", "under_review"),
        ("past_due", "still needs information", "needs_info"),
        ("rejected", "Stripe has paused", "paused"),
    ],
)
def test_return_shows_each_state_in_words(
    client, connected, sandbox, stored, state, heading, reason
):
    sandbox.force_account_state(stored(connected.server.id).stripe_account_id, state)
    html = client.get(return_path(connected.server.id)).get_data(as_text=True)
    assert heading in html
    assert stored(connected.server.id).status_reason == reason


def test_past_due_shows_the_overdue_list_and_what_stripe_refused(
    client, connected, sandbox, stored
):
    sandbox.force_account_state(stored(connected.server.id).stripe_account_id, "past_due")
    html = client.get(return_path(connected.server.id)).get_data(as_text=True)
    assert "Overdue" in html
    assert "Stripe could not accept" in html


def test_return_needs_sign_in_and_comes_back_after_it(client, auth, owned, sandbox):
    path = return_path(owned.server.id)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert response.headers["Location"] == f"/auth/login?next={quote(path, safe='')}"
    login = auth.login(owned.owner.email, next_=quote(path, safe=""))
    assert login.status_code == 303
    assert login.headers["Location"] == path


def test_return_for_a_resource_of_another_workspace_is_404(client, auth, connected, factory):
    auth.logout()
    stranger = factory.user()
    auth.login(stranger.email)
    assert client.get(return_path(connected.server.id)).status_code == 404


def test_refresh_mints_a_new_link_with_one_stripe_call(client, connected, sandbox, audit_actions):
    response = client.get(refresh_path(connected.server.id))
    assert response.status_code == 303
    assert "/setup/" in response.headers["Location"]
    assert stripe_calls(sandbox) == [("POST", "/v1/account_links")]
    refreshed = [d for a, d in audit_actions(connected.server.id) if a == "onboarding.refreshed"]
    assert refreshed[0]["link_type"] == "account_onboarding"


def test_refresh_loop_guard_stops_and_offers_a_retry(
    app, client, connected, sandbox, audit_actions
):
    limit = app.config["REFRESH_LOOP_LIMIT"]
    for _ in range(limit):
        assert client.get(refresh_path(connected.server.id)).status_code == 303
    sandbox.clear_requests()

    response = client.get(refresh_path(connected.server.id))

    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "keeps expiring" in html
    assert f'action="/payments/{connected.server.id}/connect"' in html  # the retry button
    assert sandbox.requests() == []
    assert audit_actions(connected.server.id)[-1][0] == "onboarding.refresh_loop_stopped"


def test_refresh_of_a_finished_resource_goes_to_its_page(client, connected, sandbox, stored):
    sandbox.force_account_state(stored(connected.server.id).stripe_account_id, "complete")
    client.get(return_path(connected.server.id))
    sandbox.clear_requests()
    response = client.get(refresh_path(connected.server.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/{connected.server.id}"
    assert sandbox.requests() == []


def test_check_status_resyncs_and_redirects_303(client, auth, connected, sandbox, stored):
    server_id = connected.server.id
    sandbox.force_account_state(stored(server_id).stripe_account_id, "under_review")
    sandbox.clear_requests()

    response = auth.post(f"/payments/{server_id}/check-status", page=f"/payments/{server_id}")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/{server_id}"
    # The account, then its charges (Check status backfills earnings too).
    assert [r["path"] for r in sandbox.requests()] == [
        f"/v1/accounts/{stored(server_id).stripe_account_id}",
        "/v1/charges",
    ]
    assert stored(server_id).status_reason == "under_review"
    assert "the status is now “Under review”" in client.get(f"/payments/{server_id}").get_data(
        as_text=True
    )


def test_check_status_is_rate_limited_per_user_and_resource(
    app, client, auth, connected, factory, sandbox
):
    server_id = connected.server.id
    other = factory.resource(connected.workspace, "Other")
    token = auth.csrf(f"/payments/{server_id}")
    limit = int(app.config["CHECK_STATUS_RATE_LIMIT"].split()[0])
    codes = [
        client.post(f"/payments/{server_id}/check-status", data={"csrf_token": token}).status_code
        for _ in range(limit + 1)
    ]
    assert codes == [303] * limit + [429]
    limited = client.post(f"/payments/{server_id}/check-status", data={"csrf_token": token})
    html = limited.get_data(as_text=True)
    assert "the limit on status checks of this resource" in html
    assert f'href="/payments/{server_id}">Back to where you were' in html
    # Another resource is not slowed down by this one.
    response = client.post(f"/payments/{other.id}/check-status", data={"csrf_token": token})
    assert response.status_code == 303


def test_viewers_may_check_status_but_not_open_the_dashboard(
    client, auth, connected, factory, sandbox, stored
):
    server_id = connected.server.id
    sandbox.force_account_state(stored(server_id).stripe_account_id, "complete")
    viewer = factory.member(connected.workspace, "viewer")
    auth.logout()
    auth.login(viewer.email)
    page = f"/payments/{server_id}"
    html = client.get(page).get_data(as_text=True)
    assert "Open Stripe dashboard" not in html and "Connect with Stripe" not in html
    assert auth.post(f"/payments/{server_id}/check-status", page=page).status_code == 303
    assert auth.post(f"/payments/{server_id}/dashboard", page=page).status_code == 403


def test_dashboard_opens_an_express_login_link(client, auth, connected, sandbox, stored):
    server_id = connected.server.id
    account_id = stored(server_id).stripe_account_id
    sandbox.force_account_state(account_id, "complete")
    client.get(return_path(server_id))
    sandbox.clear_requests()

    response = auth.post(f"/payments/{server_id}/dashboard", page=f"/payments/{server_id}")

    assert response.status_code == 303
    assert f"/express/{account_id}/" in response.headers["Location"]
    assert stripe_calls(sandbox) == [("POST", f"/v1/accounts/{account_id}/login_links")]


def test_dashboard_before_onboarding_is_finished_explains_why_not(auth, connected, sandbox):
    server_id = connected.server.id
    response = auth.post(f"/payments/{server_id}/dashboard", page=f"/payments/{server_id}")
    assert response.status_code == 409
    assert "no Stripe dashboard for this account yet" in response.get_data(as_text=True)
    assert sandbox.requests() == []


def test_pages_call_stripe_zero_times(client, connected, factory, sandbox):
    factory.resource(connected.workspace, "Another")
    assert client.get("/").status_code == 200
    assert client.get(f"/payments/{connected.server.id}").status_code == 200
    assert sandbox.requests() == []
