"""The /web/v1 Stripe connection API against seed 004: statuses, codes, envelope, tokens."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import StripeConnection
from app.security.jwt_tokens import mint_jwt
from tests.helpers import TEST_KEY, WEBHOOK_SECRET, service_values

JWT_SECRET = "test-jwt-secret-that-is-long-enough-0123456789"
SEED_004 = Path(__file__).resolve().parents[2] / "contracts" / "seed_004_stripe_connections.txt"


def seed_success_example() -> dict:
    """The 201 example of seed 004, parsed from the document itself."""
    text = SEED_004.read_text()
    block = text.split("Created201", 1)[1].split("Error Responses", 1)[0]
    return json.loads(re.search(r"\{.*\}", block, flags=re.DOTALL).group(0))


UNAUTHORIZED = {"success": False, "code": "4010", "message": "Invalid or expired token"}
FORBIDDEN = {"success": False, "code": "4030", "message": "Insufficient permissions"}


def seed_body(**overrides) -> dict:
    """A seed 004 request body that passes validation and verification."""
    values = service_values()
    body = {
        "connectionName": values["name"],
        "connectionDescription": values["description"],
        "stripeAccountId": values["stripe_account_id"],
        "apiKey": values["api_key"],
        "webhookSecret": values["webhook_secret"],
        "partnerEndpoint": values["partner_endpoint"],
        "configJson": values["config_json"],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def admin(factory):
    user = factory.user("admin@example.com")
    return user, factory.workspace(user, "Acme")


def bearer(app, user) -> dict:
    with app.app_context():
        return {"Authorization": f"Bearer {mint_jwt(user.id)}"}


def url(workspace) -> str:
    return f"/web/v1/workspaces/{workspace.id}/stripe/connections"


def test_create_answers_201_in_the_seed_envelope_without_secrets(app, client, admin, sandbox):
    user, workspace = admin
    before = int(time.time() * 1000)
    response = client.post(
        url(workspace), json=seed_body(), headers={**bearer(app, user), "X-Request-Id": "gw-123"}
    )
    assert response.status_code == 201
    assert response.headers["X-Request-Id"] == "gw-123"
    body = response.get_json()
    assert set(body) == {"version", "timestamp", "success", "code", "message", "data"}
    assert (body["version"], body["success"], body["code"], body["message"]) == (
        "1.3.0",
        True,
        "2000",
        "SUCCESS",
    )
    assert before <= body["timestamp"] <= int(time.time() * 1000)
    data = body["data"]
    # The seed's fields in the seed's order.
    assert list(body) == list(seed_success_example())
    assert list(data) == list(seed_success_example()["data"])
    assert data["bizId"].startswith("sc_")
    assert data["tenantBizId"] == workspace.tenant_id
    assert (data["status"], data["statusName"]) == (1, "ACTIVE")
    assert data["configJson"] == '{"collection_fields": "eventually_due"}'
    assert data["createdAt"].endswith("Z")
    text = response.get_data(as_text=True)
    assert TEST_KEY not in text and WEBHOOK_SECRET not in text
    with app.app_context():
        stored = db.session.get(StripeConnection, data["bizId"])
        assert (stored.workspace_id, stored.mode, stored.is_default) == (workspace.id, "test", True)


def test_list_and_get_use_the_same_envelope(app, client, admin, add_connection):
    user, workspace = admin
    connection, _ = add_connection(workspace)
    headers = bearer(app, user)
    listed = client.get(url(workspace), headers=headers)
    assert listed.status_code == 200
    assert [c["bizId"] for c in listed.get_json()["data"]] == [connection.id]
    one = client.get(f"{url(workspace)}/{connection.id}", headers=headers)
    assert one.status_code == 200
    assert one.get_json()["data"] == listed.get_json()["data"][0]
    assert one.headers["X-Request-Id"].startswith("req_")
    missing = client.get(f"{url(workspace)}/sc_nope", headers=headers)
    assert (missing.status_code, missing.get_json()["code"]) == (404, "4040")


def _token(claims: dict, key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims(user_id: str, **overrides) -> dict:
    now = datetime.now(UTC)
    claims = {"sub": user_id, "iat": now, "exp": now + timedelta(minutes=5)}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _none_alg(user_id: str) -> str:
    return jwt.encode(_claims(user_id), None, algorithm="none")


BAD_AUTH = {
    "missing": lambda uid: None,
    "not bearer": lambda uid: "Basic " + "YWRhOnB3",
    "malformed": lambda uid: "Bearer not.a.jwt",
    "expired": lambda uid: (
        "Bearer " + _token(_claims(uid, exp=datetime.now(UTC) - timedelta(minutes=1)))
    ),
    "wrong signature": lambda uid: "Bearer " + _token(_claims(uid), key="another-secret-" * 3),
    "alg none": lambda uid: "Bearer " + _none_alg(uid),
    "HS512": lambda uid: "Bearer " + _token(_claims(uid), algorithm="HS512"),
    "no exp": lambda uid: "Bearer " + _token({"sub": uid, "iat": datetime.now(UTC)}),
    "no iat": lambda uid: (
        "Bearer " + _token({"sub": uid, "exp": datetime.now(UTC) + timedelta(minutes=5)})
    ),
    "no sub": lambda uid: "Bearer " + _token(_claims(uid, sub=None)),
    "unknown user": lambda uid: "Bearer " + _token(_claims("usr_doesNotExist")),
}


@pytest.mark.parametrize("kind", BAD_AUTH)
# HS512 signed with our (HS256-sized) secret: PyJWT warns about the key length while minting it.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_every_bad_token_kind_answers_the_seeds_401(app, client, admin, kind):
    user, workspace = admin
    header = BAD_AUTH[kind](user.id)
    headers = {"Authorization": header} if header else {}
    response = client.post(url(workspace), json=seed_body(), headers=headers)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    assert response.headers["X-Request-Id"]
    with app.app_context():
        assert db.session.scalars(select(StripeConnection)).all() == []


def test_an_inactive_users_token_is_refused(app, client, factory):
    user = factory.user(active=False)
    workspace = factory.workspace(factory.user())
    factory.member(workspace, "owner", user)
    response = client.get(url(workspace), headers=bearer(app, user))
    assert (response.status_code, response.get_json()) == (401, UNAUTHORIZED)


def test_a_signed_in_browser_session_is_not_a_credential(client, auth, admin):
    _user, workspace = admin
    auth.login("admin@example.com")
    response = client.post(url(workspace), json=seed_body())
    assert (response.status_code, response.get_json()) == (401, UNAUTHORIZED)


@pytest.mark.parametrize("role", ["developer", "viewer"])
def test_members_without_manage_get_the_seeds_403(app, client, factory, admin, role):
    _owner, workspace = admin
    member = factory.member(workspace, role)
    response = client.post(url(workspace), json=seed_body(), headers=bearer(app, member))
    assert (response.status_code, response.get_json()) == (403, FORBIDDEN)


@pytest.mark.parametrize("method", ["get", "post"])
def test_foreign_and_unknown_workspaces_get_the_seeds_403_like_a_missing_permission(
    app, client, factory, admin, method
):
    user, _workspace = admin
    foreign = factory.workspace(name="Foreign")
    answers = [
        getattr(client, method)(path, json=seed_body(), headers=bearer(app, user))
        for path in (url(foreign), "/web/v1/workspaces/ws_unknown/stripe/connections")
    ]
    assert [(a.status_code, a.get_json()) for a in answers] == [(403, FORBIDDEN)] * 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"connectionName": ""}, "connectionName"),
        ({"connectionName": "x" * 101}, "connectionName"),
        ({"connectionName": 7}, "connectionName"),
        ({"connectionDescription": "x" * 501}, "connectionDescription"),
        ({"stripeAccountId": "1234"}, "stripeAccountId"),
        ({"stripeAccountId": ...}, "stripeAccountId"),
        ({"apiKey": "pk_test_publishableKey0000000"}, "apiKey"),
        ({"apiKey": ...}, "apiKey"),
        ({"webhookSecret": "secret_0000000000000"}, "webhookSecret"),
        ({"partnerEndpoint": "http://partner.example.com/hook"}, "partnerEndpoint"),
        ({"partnerEndpoint": "/relative/path"}, "partnerEndpoint"),
        ({"configJson": "[1, 2]"}, "configJson"),
        ({"configJson": "{not json"}, "configJson"),
        ({"configJson": {"an": "object"}}, "configJson"),
        ({"configJson": '{"k": "' + "x" * 16384 + '"}'}, "configJson"),
    ],
)
def test_validation_errors_have_their_own_code_and_field_messages(
    app, client, admin, overrides, field
):
    user, workspace = admin
    response = client.post(url(workspace), json=seed_body(**overrides), headers=bearer(app, user))
    assert response.status_code == 422
    body = response.get_json()
    assert (body["success"], body["code"]) == (False, "4220")
    assert list(body["errors"]) == [field]
    assert TEST_KEY not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(StripeConnection)).all() == []


def test_a_key_for_another_account_is_a_422_on_the_account_field(app, client, admin, sandbox):
    user, workspace = admin
    body = seed_body(stripeAccountId="acct_1NotTheKeysAccount0")
    response = client.post(url(workspace), json=body, headers=bearer(app, user))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["stripeAccountId"]


def test_stripe_unreachable_is_a_503_and_nothing_is_saved(app, client, admin, sandbox):
    user, workspace = admin
    sandbox.inject_fault("/v1/account", "500", count=3)
    response = client.post(url(workspace), json=seed_body(), headers=bearer(app, user))
    assert (response.status_code, response.get_json()["code"]) == (503, "5030")
    with app.app_context():
        assert db.session.scalars(select(StripeConnection)).all() == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ('["a", "list"]', "application/json"),
        ("connectionName=x", "application/x-www-form-urlencoded"),
        ("", None),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(app, client, admin, data, content_type):
    user, workspace = admin
    headers = bearer(app, user)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(url(workspace), data=data, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == "4000"


def test_routing_errors_under_web_v1_answer_in_the_envelope(app, client, admin):
    user, workspace = admin
    headers = bearer(app, user)
    not_found = client.get("/web/v1/nothing-here", headers=headers)
    assert (not_found.status_code, not_found.get_json()["code"]) == (404, "4040")
    assert not_found.headers["X-Request-Id"]
    not_allowed = client.delete(url(workspace), headers=headers)
    assert (not_allowed.status_code, not_allowed.get_json()["code"]) == (405, "4050")


def test_the_api_is_rate_limited_per_token(app, client, factory, admin):
    user, workspace = admin
    other_admin = factory.member(workspace, "admin")
    headers = bearer(app, user)
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.get(url(workspace), headers=headers).status_code for _ in range(4)]
        limited = client.get(url(workspace), headers=headers)
        others = client.get(url(workspace), headers=bearer(app, other_admin))
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert statuses == [200, 200, 200, 429]
    assert limited.get_json()["code"] == "4290"
    assert int(limited.headers["Retry-After"]) > 0
    assert others.status_code == 200


def test_a_restricted_key_missing_a_permission_names_it_at_the_key(app, client, admin, sandbox):
    user, workspace = admin
    key = "rk_test_restrictedWithoutRead000000000001"
    sandbox.add_restricted_key(key, ["rak_accounts_write"], service_values()["api_key"])
    body = seed_body(apiKey=key)

    response = client.post(url(workspace), json=body, headers=bearer(app, user))

    assert response.status_code == 422
    message = response.get_json()["errors"]["apiKey"]
    assert "lacks the “rak_accounts_read” permission" in message
    assert key not in response.get_data(as_text=True)
