"""Both API families at their edges: hostile input, strictness, headers, the portal code, outages.

Each case runs against /v1 and /web/v1 alike; an answer is always the family's envelope, and
never a 500.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import StripeConnection
from app.security.jwt_tokens import mint_jwt
from tests.helpers import TEST_KEY, connect_path, service_values

JWT_SECRET = "test-jwt-secret-that-is-long-enough-0123456789"


def seed_body(**overrides) -> dict:
    """A seed 004 body that passes validation; `...` drops a field."""
    values = service_values()
    body = {
        "connectionName": values["name"],
        "stripeAccountId": values["stripe_account_id"],
        "apiKey": values["api_key"],
        "webhookSecret": values["webhook_secret"],
        "partnerEndpoint": values["partner_endpoint"],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def families(app, owned, token_for):
    """(path of a POST route, headers, how to read the error code) for each family."""
    with app.app_context():
        jwt = mint_jwt(owned.owner.id)
    return {
        "v1": (
            connect_path(owned.server.id),
            {"Authorization": f"Bearer {token_for(owned.owner)}"},
            lambda body: body["error"]["code"],
        ),
        "web": (
            f"/web/v1/workspaces/{owned.workspace.id}/stripe/connections",
            {"Authorization": f"Bearer {jwt}"},
            lambda body: body["code"],
        ),
    }


HOSTILE_BODIES = {
    "nul in a string": '{"country": "US\\u0000"}',
    "raw control character": '{"country": "U\x01S"}',
    "control character in a key": '{"c\\u0007": "US"}',
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "deep nesting in a value": '{"country": ' + "[" * 5_000 + "]" * 5_000 + "}",
    "5,000-digit integer": '{"country": ' + "9" * 5_000 + "}",
    "integer past 2^53": '{"country": 9007199254740993}',
    "NaN": '{"country": NaN}',
}


@pytest.mark.parametrize("family", ["v1", "web"])
@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_json_is_a_400_in_the_familys_envelope(client, families, family, raw, sandbox):
    path, headers, code_of = families[family]
    response = client.post(path, data=raw, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert code_of(response.get_json()) == {"v1": "malformed_json", "web": "4000"}[family]
    assert sandbox.requests() == []


HOSTILE_CONFIG = {
    "deep nesting": '{"a": ' + "[" * 2_000 + "]" * 2_000 + "}",
    "5,000-digit integer": '{"a": ' + "9" * 5_000 + "}",
    "nul in a string": '{"a": "x\\u0000"}',
}


@pytest.mark.parametrize("config", HOSTILE_CONFIG.values(), ids=HOSTILE_CONFIG.keys())
def test_hostile_config_json_is_a_field_error(app, client, families, config):
    path, headers, _ = families["web"]
    response = client.post(path, json=seed_body(configJson=config), headers=headers)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["configJson"]
    with app.app_context():
        assert db.session.scalars(select(StripeConnection)).all() == []


@pytest.mark.parametrize(
    ("family", "path", "status"),
    [
        ("v1", "/v1/servers/srv%00x", 404),
        ("v1", "/v1/servers/%01/payments", 404),
        ("web", "/web/v1/workspaces/ws%00/stripe/connections", 403),
        ("web", "/web/v1/workspaces/{workspace}/stripe/connections/sc%00", 403),
    ],
)
def test_control_characters_in_path_parameters_are_refused_without_a_query(
    client, families, owned, family, path, status
):
    _, headers, code_of = families[family]
    response = client.get(path.format(workspace=owned.workspace.id), headers=headers)
    assert response.status_code == status
    assert code_of(response.get_json()) in ("not_found", "4030")


@pytest.mark.parametrize(
    ("family", "body", "field"),
    [
        ("v1", {"country": "US", "colour": "blue"}, "colour"),
        ("web", seed_body(colour="blue"), "colour"),
        ("web", seed_body(apiKey=""), "apiKey"),
        ("web", seed_body(webhookSecret=""), "webhookSecret"),
        ("web", seed_body(partnerEndpoint=""), "partnerEndpoint"),
        ("web", seed_body(partnerEndpoint=...), "partnerEndpoint"),
    ],
)
def test_unknown_and_empty_fields_are_refused_the_same_way_by_both_families(
    app, client, families, sandbox, family, body, field
):
    path, headers, code_of = families[family]
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 422
    answer = response.get_json()
    assert code_of(answer) == {"v1": "validation_failed", "web": "4220"}[family]
    errors = answer["error"]["fields"] if family == "v1" else answer["errors"]
    assert list(errors) == [field]
    assert sandbox.requests() == []
    with app.app_context():
        assert db.session.scalars(select(StripeConnection)).all() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("perpage=5", "perpage"),
        ("per_page=5", "per_page"),
        ("page=1&page=2", "page"),
        ("sync=true", "sync"),
        ("page=%205", "page"),
        ("page=5.0", "page"),
        ("page=%2B5", "page"),
        ("perPage=1_0", "perPage"),
    ],
)
def test_list_servers_refuses_what_the_document_does_not_allow(api, owned, query, field):
    response = api.get(f"/v1/servers?{query}")
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]


def test_retry_after_only_on_429_and_503(app, client, families, api, owned, sandbox):
    _, web_headers, _ = families["web"]
    web_list = families["web"][0]
    ok_v1 = api.get("/v1/servers")
    ok_web = client.get(web_list, headers=web_headers)
    refused = api.post(connect_path(owned.server.id), json={"country": "ZZ"})
    assert (ok_v1.status_code, ok_web.status_code, refused.status_code) == (200, 200, 422)
    for answer in (ok_v1, ok_web, refused):
        assert "Retry-After" not in answer.headers
        assert "X-RateLimit-Limit" in answer.headers  # the limiter still speaks
    sandbox.inject_fault("/v1/accounts", "500", count=3)
    unavailable = api.post(connect_path(owned.server.id))
    assert unavailable.status_code == 503
    assert int(unavailable.headers["Retry-After"]) > 0
    app.config["API_RATE_LIMIT"] = "1 per minute"
    try:
        api.get("/v1/servers")
        limited = api.get("/v1/servers")
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


UNAUTHORIZED = {"success": False, "code": "4010", "message": "Invalid or expired token"}


@pytest.fixture
def portal_code(app):
    """`PORTAL_ACCESS_CODE` configured for one test."""
    app.config["PORTAL_ACCESS_CODE"] = "portal-code-0123456789"
    yield "portal-code-0123456789"
    app.config["PORTAL_ACCESS_CODE"] = None


@pytest.mark.parametrize("given", [None, "", "portal-code-012345678", "wrong"])
def test_a_configured_portal_code_must_match_on_web_v1(
    client, families, portal_code, given, caplog
):
    path, headers, _ = families["web"]
    caplog.set_level(logging.DEBUG)
    if given is not None:
        headers = {**headers, "X-PORTAL-ACCESS-CODE": given}
    response = client.get(path, headers=headers)
    assert (response.status_code, response.get_json()) == (401, UNAUTHORIZED)
    assert portal_code not in caplog.text


def test_the_right_portal_code_passes_and_v1_does_not_need_it(
    client, families, portal_code, caplog
):
    path, headers, _ = families["web"]
    caplog.set_level(logging.DEBUG)
    passed = client.get(path, headers={**headers, "X-PORTAL-ACCESS-CODE": portal_code})
    assert passed.status_code == 200
    v1_path, v1_headers, _ = families["v1"]
    assert client.get("/v1/servers", headers=v1_headers).status_code == 200
    assert portal_code not in caplog.text


def test_without_a_portal_code_configured_none_is_needed(client, families):
    path, headers, _ = families["web"]
    assert client.get(path, headers=headers).status_code == 200


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_app(request, tmp_path):
    """An app whose database cannot be reached: a missing directory, or a closed port."""
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'gone' / 'db.sqlite3'}",
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2",
    }[request.param]
    return create_app(
        {
            "APP_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "JWT_SECRET": JWT_SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def test_an_unreachable_database_is_a_503_in_each_familys_envelope(unreachable_app):
    client = unreachable_app.test_client()
    with unreachable_app.app_context():
        jwt = mint_jwt("usr_whoever")
    v1 = client.get("/v1/servers", headers={"Authorization": "Bearer cot_" + "x" * 40})
    web = client.get(
        "/web/v1/workspaces/ws_x/stripe/connections", headers={"Authorization": f"Bearer {jwt}"}
    )
    assert v1.status_code == web.status_code == 503
    assert v1.get_json()["error"]["code"] == "database_unavailable"
    assert web.get_json() == {
        "success": False,
        "code": "5030",
        "message": "Our database is unavailable right now. Try again shortly.",
    }
    assert int(v1.headers["Retry-After"]) > 0 and int(web.headers["Retry-After"]) > 0
    assert TEST_KEY not in v1.get_data(as_text=True)
