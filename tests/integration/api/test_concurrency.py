"""Many programs calling connect-account at once still create exactly one Stripe account."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.helpers import connect_path


@pytest.mark.postgres
def test_ten_parallel_connect_calls_create_one_stripe_account(
    live_server, owned, owner_token, sandbox, stored
):
    url = live_server.url + connect_path(owned.server.id)
    headers = {"Authorization": f"Bearer {owner_token}"}
    sandbox.set_latency(0.2)  # keep the first creation in flight while the others arrive

    def call(_: int) -> requests.Response:
        return requests.post(url, headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(call, range(10)))

    assert [r.status_code for r in responses] == [200] * 10
    bodies = [r.json() for r in responses]
    account_ids = {body["payments"]["stripeAccountId"] for body in bodies}
    assert len(account_ids) == 1
    assert sum(body["accountCreated"] for body in bodies) == 1
    assert len({body["url"] for body in bodies}) == 10  # each caller gets its own link
    assert len(sandbox.accounts()) == 1
    creations = [r for r in sandbox.requests("/v1/accounts") if r["method"] == "POST"]
    assert len(creations) == 1
    assert stored(owned.server.id).stripe_account_id == account_ids.pop()
