"""The Stripe calls of each step of the onboarding loop, for v1 and v2 accounts: the README's
"Minimal Stripe calls" table."""

from __future__ import annotations

from tests.helpers import ACCOUNT_CREATE_PATH, ACCOUNT_LINK_PATH, stripe_calls
from tests.integration.onboarding.test_connect import connect


def expected_calls(api: str, account_id: str) -> dict[str, list[tuple[str, str]]]:
    """The README's table: the same counts through either Accounts API."""
    link = ("POST", ACCOUNT_LINK_PATH[api])
    return {
        "first Connect": [("POST", ACCOUNT_CREATE_PATH[api]), link],
        "later Connect": [link],
        "refresh": [link],
        "return": [("GET", f"{ACCOUNT_CREATE_PATH[api]}/{account_id}")],
        "dashboard": [],
    }


def test_each_step_makes_the_tables_stripe_calls(
    client, auth, signed_in, sandbox, stored, accounts_api
):
    server_id = signed_in.server.id
    page = f"/payments/{server_id}"
    steps = {
        "first Connect": lambda: connect(auth, server_id),
        "later Connect": lambda: connect(auth, server_id),
        "refresh": lambda: client.get(f"{page}/onboarding/refresh"),
        "return": lambda: client.get(f"{page}/onboarding/return"),
        "dashboard": lambda: client.get("/"),
    }
    calls, statuses = {}, {}
    for step, run in steps.items():
        sandbox.clear_requests()
        statuses[step] = run().status_code
        calls[step] = stripe_calls(sandbox)

    payments = stored(server_id)
    assert payments.accounts_api == accounts_api
    assert calls == expected_calls(accounts_api, payments.stripe_account_id)
    assert statuses == {
        "first Connect": 303,
        "later Connect": 303,
        "refresh": 303,
        "return": 200,
        "dashboard": 200,
    }
    assert (payments.onboarding_status, payments.status_reason) == ("pending", "needs_info")
