"""POST /v1/servers/{serverId}/payments/connect-account: create or continue, by token."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from app.models.payments import CLAIM_CREATED
from tests.helpers import PLATFORM_KEY, ApiClient, connect_path, stripe_calls

# Seed 000, the API's contract, kept in the repository (tests/contracts/test_contracts.py checks
# the copy against ../shared/seeds whenever that folder is beside the checkout).
SEED_000 = Path(__file__).resolve().parents[2] / "contracts" / "seed_000_connect_account.txt"


def seed_response_fields() -> dict[str, list[str]]:
    """The response fields of seed 000's table in its order: {"": top level, "server": …}."""
    text = SEED_000.read_text()
    response_table = text.split("What the API returns", 1)[1]
    fields: dict[str, list[str]] = {"": [], "server": [], "payments": []}
    for name in re.findall(r"^\| ([A-Za-z.]+) \|", response_table, flags=re.MULTILINE):
        if name == "Field":
            continue
        group, _, field = name.rpartition(".")
        fields[group].append(field)
    return fields


def test_seed_table_is_read_completely():
    fields = seed_response_fields()
    assert fields[""] == ["server", "payments", "url"]
    assert len(fields["server"]) == 21
    assert len(fields["payments"]) == 14


def test_first_call_creates_the_account_and_answers_seed_000_with_a_link(
    api, owned, sandbox, stored
):
    sandbox.clear_requests()
    response = api.post(connect_path(owned.server.id))

    assert response.status_code == 200
    body = response.get_json()
    seed = seed_response_fields()
    # The seed's fields, in the seed's order, then ours.
    assert list(body["server"]) == seed["server"]
    assert list(body["payments"]) == seed["payments"]
    assert list(body) == [*seed[""], "urlExpiresAt", "nextAction", "accountCreated"]
    assert body["url"].startswith(f"{sandbox.url}/setup/")
    assert body["nextAction"] == "onboarding"
    assert body["accountCreated"] is True
    assert stripe_calls(sandbox) == [("POST", "/v1/accounts"), ("POST", "/v1/account_links")]
    payments = stored(owned.server.id)
    assert body["payments"]["stripeAccountId"] == payments.stripe_account_id
    assert payments.account_claim == CLAIM_CREATED
    assert body["server"]["id"] == owned.server.id
    assert body["server"]["kind"] == "payments"
    assert body["server"]["projectId"] == owned.workspace.id
    assert body["payments"]["onboardingStatus"] == "pending"
    assert response.headers["Cache-Control"] == "no-store"


def test_second_call_continues_with_the_same_account_and_one_stripe_call(
    api, owned, sandbox, stored
):
    first = api.post(connect_path(owned.server.id)).get_json()
    sandbox.clear_requests()

    second = api.post(connect_path(owned.server.id))

    assert second.status_code == 200
    body = second.get_json()
    assert body["accountCreated"] is False
    assert body["url"] != first["url"]
    assert body["payments"]["stripeAccountId"] == first["payments"]["stripeAccountId"]
    assert stripe_calls(sandbox) == [("POST", "/v1/account_links")]
    assert len(sandbox.accounts()) == 1


def test_the_body_fields_are_used_to_create_the_account(api, owned, sandbox):
    response = api.post(
        connect_path(owned.server.id),
        json={"country": "FR", "email": "Owner@Example.com", "productDescription": "Tea"},
    )

    assert response.status_code == 200
    [entry] = sandbox.accounts()
    assert entry["account"]["country"] == "FR"
    assert entry["account"]["email"] == "Owner@example.com"
    assert entry["account"]["business_profile"]["product_description"] == "Tea"


def test_links_lead_back_to_the_browser_routes_of_the_resource(api, owned, sandbox):
    url = api.post(connect_path(owned.server.id)).get_json()["url"]

    # Leaving Stripe's hosted page goes to return_url; a used-up link bounces to refresh_url.
    page = requests.get(url, timeout=5)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    left = requests.post(
        urljoin(url, action), data={"outcome": "leave"}, allow_redirects=False, timeout=5
    )
    reused = requests.get(url, allow_redirects=False, timeout=5)

    assert urlsplit(left.headers["Location"]).path == (
        f"/payments/{owned.server.id}/onboarding/return"
    )
    assert urlsplit(reused.headers["Location"]).path == (
        f"/payments/{owned.server.id}/onboarding/refresh"
    )


def test_a_complete_resource_gets_no_link_and_says_what_to_do_instead(api, owned, sandbox, stored):
    first = api.post(connect_path(owned.server.id)).get_json()
    sandbox.force_account_state(first["payments"]["stripeAccountId"], "complete")
    assert api.get(f"/v1/servers/{owned.server.id}/payments?sync=true").status_code == 200
    sandbox.clear_requests()

    response = api.post(connect_path(owned.server.id))

    assert response.status_code == 200
    body = response.get_json()
    assert "url" not in body and "urlExpiresAt" not in body
    assert body["nextAction"] in ("dashboard", "none")
    assert body["payments"]["onboardingStatus"] == "complete"
    assert sandbox.requests("/v1/account_links") == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"country": "ZZ"}, "country", "ISO 3166-1 alpha-2"),
        ({"country": "KP"}, "country", "Stripe Connect"),
        ({"country": 1}, "country", "string"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "a@" + "b" * 250 + ".com"}, "email", "254"),
        ({"email": None}, "email", "string"),
        ({"productDescription": "x" * 501}, "productDescription", "500"),
        ({"productDescription": ["tea"]}, "productDescription", "string"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)
def test_invalid_fields_are_refused_with_422_per_field_and_nothing_created(
    api, owned, sandbox, stored, body, field, words
):
    response = api.post(connect_path(owned.server.id), json=body)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["status"] == 422
    assert words in error["fields"][field]
    assert stored(owned.server.id).stripe_account_id is None
    assert sandbox.requests() == []


def test_a_500_character_description_is_accepted(api, owned, sandbox):
    response = api.post(connect_path(owned.server.id), json={"productDescription": "x" * 500})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ('{"country": "US"', "application/json", 400, "malformed_json"),
        ("[1, 2]", "application/json", 400, "invalid_body"),
        ("null", "application/json", 400, "invalid_body"),
        (b"\xff\xfe{", "application/json", 400, "malformed_json"),
        ("country=US", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ('{"country": "US"}', "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(
    api, owned, sandbox, stored, data, content_type, status, code
):
    response = api.post(connect_path(owned.server.id), data=data, content_type=content_type)

    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert stored(owned.server.id).stripe_account_id is None


def test_an_empty_body_of_any_type_means_no_fields(api, owned, sandbox):
    response = api.post(connect_path(owned.server.id), data="", content_type="text/plain")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), ("developer", 200), ("admin", 200), ("owner", 200)]
)
def test_tokens_act_with_their_users_role(
    client, owned, factory, token_for, sandbox, stored, role, status
):
    member = owned.owner if role == "owner" else factory.member(owned.workspace, role)
    api = ApiClient(client, token_for(member))

    response = api.post(connect_path(owned.server.id))

    assert response.status_code == status
    if status == 403:
        assert response.get_json()["error"]["code"] == "forbidden"
        assert "payments:onboard" in response.get_json()["error"]["message"]
    assert (stored(owned.server.id).stripe_account_id is not None) == (status == 200)


def test_another_workspace_and_unknown_ids_look_the_same_404(
    client, owned, factory, token_for, sandbox, stored
):
    stranger = factory.user()
    factory.workspace(stranger)
    api = ApiClient(client, token_for(stranger))

    theirs = api.post(connect_path(owned.server.id))
    unknown = api.post(connect_path("srv_doesNotExist"))

    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json() == unknown.get_json()
    assert stored(owned.server.id).stripe_account_id is None
    assert sandbox.requests() == []


def test_a_server_of_another_kind_is_a_409(api, other_server, sandbox):
    response = api.post(connect_path(other_server))

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_a_payments_resource"
    assert sandbox.requests() == []


def test_without_any_stripe_key_onboarding_is_blocked_with_the_reason(
    app, api, owned, sandbox, stored, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)

    response = api.post(connect_path(owned.server.id))

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "onboarding_blocked"
    assert error["message"]
    assert sandbox.requests() == []


def test_stripe_unavailable_is_a_503_with_retry_after_and_nothing_half_done(
    api, owned, sandbox, stored
):
    sandbox.inject_fault("/v1/accounts", "500", count=10)

    response = api.post(connect_path(owned.server.id))

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "stripe_unavailable"
    assert response.headers["Retry-After"]
    payments = stored(owned.server.id)
    assert payments.stripe_account_id is None
    assert payments.account_claim != CLAIM_CREATED


def test_a_rejected_stripe_key_is_a_502_that_says_an_admin_must_act(api, owned, sandbox, stored):
    sandbox.revoke_key(PLATFORM_KEY)

    response = api.post(connect_path(owned.server.id))

    assert response.status_code == 502
    error = response.get_json()["error"]
    assert error["code"] == "stripe_key_rejected"
    assert "admin" in error["message"]
    assert PLATFORM_KEY not in response.get_data(as_text=True)


def test_answers_never_contain_a_token_or_a_secret(api, owned, sandbox, owner_token):
    responses = [
        api.post(connect_path(owned.server.id)),
        api.get("/v1/servers"),
        api.get(f"/v1/servers/{owned.server.id}"),
        api.get(f"/v1/servers/{owned.server.id}/payments?sync=true"),
        api.post(connect_path(owned.server.id), json={"country": "ZZ"}),
    ]
    for response in responses:
        text = response.get_data(as_text=True)
        assert owner_token not in text
        assert "cot_" not in text
        assert PLATFORM_KEY not in text
        assert "sk_test_" not in text and "whsec_" not in text
        json.loads(text)  # every answer is JSON
