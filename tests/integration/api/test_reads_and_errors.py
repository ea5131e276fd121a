"""GET /v1/servers…, and the one JSON error shape of the /v1 family (routing errors, 429)."""

from __future__ import annotations

import pytest

from tests.helpers import ApiClient, connect_path, stripe_calls


def test_servers_are_listed_newest_first_a_page_at_a_time(api, owned, factory, sandbox):
    for name in ("Second", "Third"):
        factory.resource(owned.workspace, name)

    first = api.get("/v1/servers?perPage=2").get_json()
    second = api.get("/v1/servers?perPage=2&page=2").get_json()
    beyond = api.get("/v1/servers?perPage=2&page=3").get_json()

    assert [i["server"]["name"] for i in first["items"]] == ["Third", "Second"]
    assert [i["server"]["name"] for i in second["items"]] == ["Shop"]
    assert beyond["items"] == []
    assert (first["total"], first["totalPages"], first["page"], first["perPage"]) == (3, 2, 1, 2)
    assert set(first["items"][0]) == {"server", "payments"}


def test_the_list_holds_only_the_callers_payments_resources(
    client, owned, factory, token_for, other_server, sandbox
):
    stranger = factory.user()
    theirs = factory.resource(factory.workspace(stranger), "Theirs")

    mine = ApiClient(client, token_for(owned.owner)).get("/v1/servers").get_json()
    listed = ApiClient(client, token_for(stranger)).get("/v1/servers").get_json()

    assert [i["server"]["id"] for i in mine["items"]] == [owned.server.id]
    assert [i["server"]["id"] for i in listed["items"]] == [theirs.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=" + "9" * 5000, "page"),
        ("perPage=101", "perPage"),
        ("perPage=0", "perPage"),
        ("perPage=1.5", "perPage"),
    ],
)
def test_bad_pagination_is_a_422_naming_the_parameter(api, owned, sandbox, query, field):
    response = api.get(f"/v1/servers?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_one_server_has_seed_000_server_and_payments(api, owned, sandbox):
    response = api.get(f"/v1/servers/{owned.server.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["server"]["id"] == owned.server.id
    assert body["payments"]["onboardingStatus"] == "not_started"
    assert body["payments"]["stripeAccountId"] is None


def test_viewers_can_read_but_not_connect(client, owned, factory, token_for, sandbox):
    viewer = ApiClient(client, token_for(factory.member(owned.workspace, "viewer")))
    assert viewer.get(f"/v1/servers/{owned.server.id}").status_code == 200
    assert viewer.get(f"/v1/servers/{owned.server.id}/payments").status_code == 200
    assert viewer.post(connect_path(owned.server.id)).status_code == 403


@pytest.mark.parametrize("suffix", ["", "/payments", "/payments?sync=true"])
def test_reads_of_unknown_foreign_and_non_payments_servers(
    client, owned, factory, token_for, other_server, sandbox, suffix
):
    owner = ApiClient(client, token_for(owned.owner))
    stranger = ApiClient(client, token_for(factory.user()))
    path, _, query = suffix.partition("?")
    query = f"?{query}" if query else ""

    assert owner.get(f"/v1/servers/srv_unknown{path}{query}").status_code == 404
    assert stranger.get(f"/v1/servers/{owned.server.id}{path}{query}").status_code == 404
    assert owner.get(f"/v1/servers/{other_server}{path}{query}").status_code == 409
    assert sandbox.requests() == []


def test_status_without_sync_makes_no_stripe_call_and_sync_reads_account_and_charges(
    api, owned, sandbox
):
    account_id = api.post(connect_path(owned.server.id)).get_json()["payments"]["stripeAccountId"]
    sandbox.force_account_state(account_id, "under_review")
    sandbox.clear_requests()

    cached = api.get(f"/v1/servers/{owned.server.id}/payments").get_json()
    assert stripe_calls(sandbox) == []
    synced = api.get(f"/v1/servers/{owned.server.id}/payments?sync=true").get_json()

    # The account, then its charges (earnings are backfilled on every sync).
    assert stripe_calls(sandbox) == [("GET", f"/v1/accounts/{account_id}"), ("GET", "/v1/charges")]
    assert cached["onboarding"]["reason"] == "needs_info"
    assert synced["onboarding"]["status"] == "pending"
    assert synced["onboarding"]["reason"] == "under_review"
    assert synced["onboarding"]["lastSyncedAt"]
    assert synced["payments"]["onboardingStatus"] == "pending"


def test_sync_when_stripe_is_down_is_a_503(api, owned, sandbox):
    api.post(connect_path(owned.server.id))
    sandbox.inject_fault("/v1/accounts", "500", count=10)

    response = api.get(f"/v1/servers/{owned.server.id}/payments?sync=true")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "stripe_unavailable"


def test_sync_must_be_true_or_false(api, owned, sandbox):
    response = api.get(f"/v1/servers/{owned.server.id}/payments?sync=yes")
    assert response.status_code == 422
    assert "sync" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/v1/nothing-here", 404),
        ("get", "/v1/", 404),
        ("delete", "/v1/servers", 405),
        ("get", "/v1/servers/srv_x/payments/connect-account", 405),
        ("put", "/v1/servers/srv_x", 405),
    ],
)
def test_routing_errors_under_v1_answer_the_same_json_shape(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["error"]["status"] == status
    if status == 405:
        assert response.headers["Allow"]


def test_web_v1_is_not_answered_in_the_v1_shape(client):
    response = client.get("/web/v1/nothing-here")
    assert response.status_code == 404
    assert "error" not in response.get_json()
    assert response.get_json()["success"] is False


def test_the_rate_limit_is_per_token_and_answers_429_in_the_same_shape(
    app, client, owned, factory, token_for, sandbox, monkeypatch
):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    busy = ApiClient(client, token_for(owned.owner))
    calm = ApiClient(client, token_for(owned.owner, name="another"))

    statuses = [busy.get("/v1/servers").status_code for _ in range(4)]
    limited = busy.get("/v1/servers")

    assert statuses == [200, 200, 200, 429]
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert calm.get("/v1/servers").status_code == 200
