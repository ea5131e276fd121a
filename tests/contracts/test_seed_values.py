"""Every field of seeds 000 and 004, compared with what the running app answers, values too.

The field lists are read from the seed copies beside this file, so a field the seeds document
and the app leaves out fails here. The app runs on a real port (`live_server`) and talks to the
sandbox; the values are checked against what the sandbox holds.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import requests

from app.extensions import db
from app.models import Server
from app.security.jwt_tokens import mint_jwt
from app.services import api_tokens
from tests.helpers import service_values

HERE = Path(__file__).resolve().parent
SEED_000 = (HERE / "seed_000_connect_account.txt").read_text()
SEED_004 = (HERE / "seed_004_stripe_connections.txt").read_text()
JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "object": dict}


def seed_000_fields() -> dict[str, str]:
    """`{field: type}` of the 200 answer's table; enums as "a | b | c"."""
    answer = SEED_000.split("200Payments onboarding link", 1)[1]
    fields = {}
    for line in answer.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) >= 4 and re.fullmatch(r"[a-z]+(\.[A-Za-z]+)?", cells[0]):
            fields[cells[0]] = " | ".join(cells[1:-2])
    return fields


def seed_004_example() -> dict:
    """The documented 201 answer of seed 004."""
    text = SEED_004.split("Created201", 1)[1]
    return json.loads(text[: text.index("\n}\n") + 2])


def seed_004_error(title: str) -> dict:
    text = SEED_004.split(title, 1)[1]
    return json.loads(text[: text.index("}") + 1])


def value_at(body: dict, dotted: str):
    value = body
    for part in dotted.split("."):
        assert part in value, f"{dotted} is missing"
        value = value[part]
    return value


def assert_seed_shape(body: dict, fields: dict[str, str], nullable: set[str]) -> None:
    """Every seed field is present, with the seed's type or one of its enum values."""
    for name, kind in fields.items():
        value = value_at(body, name)
        if value is None:
            assert name in nullable, f"{name} is null"
        elif kind in JSON_TYPES:
            assert isinstance(value, JSON_TYPES[kind]), (name, value)
            assert not (kind == "integer" and isinstance(value, bool)), name
        else:
            assert value in kind.split(" | "), (name, value, kind)


def iso(value: str) -> datetime:
    assert value.endswith("Z") or value.endswith("+00:00"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Seed 000 ----------------------------------------------------------------------------------

# Server fields this app has no source for (it does not deploy code): documented as null.
SERVER_NULLABLE = {
    "server.userId",
    "server.projectId",
    "server.sourceType",
    "server.sourceEnvironmentId",
    "server.sourcePath",
    "server.region",
    "server.runtime",
    "server.serviceUrl",
    "server.customDomain",
    "server.cloudRunServiceName",
    "server.imageUrl",
    "server.lastDeployedAt",
}


@pytest.fixture
def seed_000_api(app, factory, live_server):
    """An owner's resource chosen with usd in Germany, with the server `failed`, and a
    bearer session against the running app."""
    owner = factory.user()
    workspace = factory.workspace(owner, "Contract")
    server = factory.resource(workspace, "Contract shop", country="DE", currency="usd")
    with app.app_context():
        db.session.get(Server, server.id).status = "failed"
        db.session.commit()
        token = api_tokens.create_token(owner.id, "contract").secret
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    yield server, session, live_server.url
    session.close()


def test_seed_000_every_field_and_its_value(app, sandbox, seed_000_api):
    server, session, base = seed_000_api
    connect_url = f"{base}/v1/servers/{server.id}/payments/connect-account"
    fields = seed_000_fields()
    assert {"server.status", "payments.totalEarnedCents", "url"} <= set(fields)

    first = session.post(connect_url, json={"country": "de"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert_seed_shape(body, fields, SERVER_NULLABLE)
    account_id = body["payments"]["stripeAccountId"]
    (stripe_account,) = [
        a["account"] for a in sandbox.accounts() if a["account"]["id"] == account_id
    ]
    assert body["server"]["id"] == server.id
    assert body["server"]["kind"] == "payments"
    assert body["server"]["status"] == "failed"  # the server's, not onboarding's
    assert body["server"]["lastDeployedAt"] is None
    assert body["payments"]["currency"] == stripe_account["default_currency"] == "eur"
    assert body["payments"]["onboardingStatus"] == "pending"  # an account, details due
    assert (body["payments"]["chargesEnabled"], body["payments"]["payoutsEnabled"]) == (
        False,
        False,
    )
    assert (body["payments"]["totalEarnedCents"], body["payments"]["totalPaymentCount"]) == (0, 0)
    assert body["url"].startswith(sandbox.url)
    assert iso(body["payments"]["updatedAt"]) and iso(body["server"]["createdAt"])

    sandbox.force_account_state(account_id, "complete")
    kept = sandbox.create_charge(account_id, 5000)
    refunded = sandbox.create_charge(account_id, 2500)
    sandbox.create_charge(account_id, 1200)
    sandbox.refund_charge(kept["id"], 1000)
    sandbox.refund_charge(refunded["id"])
    synced = session.get(f"{base}/v1/servers/{server.id}/payments?sync=true")
    assert synced.status_code == 200, synced.text
    assert (
        synced.json()["payments"]["totalEarnedCents"],
        synced.json()["payments"]["totalPaymentCount"],
    ) == (5200, 2)

    again = session.post(connect_url, json={"country": "DE"})
    assert again.status_code == 200, again.text
    body = again.json()
    assert_seed_shape(body, {k: v for k, v in fields.items() if k != "url"}, SERVER_NULLABLE)
    assert "url" not in body  # complete: nothing to onboard
    assert body["server"]["status"] == "failed"
    assert body["payments"]["onboardingStatus"] == "complete"
    assert (body["payments"]["chargesEnabled"], body["payments"]["payoutsEnabled"]) == (True, True)
    assert body["payments"]["currency"] == "eur"
    assert (body["payments"]["totalEarnedCents"], body["payments"]["totalPaymentCount"]) == (
        5200,
        2,
    )

    moved = session.post(connect_url, json={"country": "FR"})
    assert moved.status_code == 409
    message = moved.json()["error"]["message"]
    assert "DE" in message and "FR" in message


# Seed 004 ----------------------------------------------------------------------------------


@pytest.fixture
def seed_004_api(app, factory, live_server):
    """A workspace owner with a JWT, a stranger's workspace, and the running app's base URL."""
    owner = factory.user()
    workspace = factory.workspace(owner, "Connections")
    foreign = factory.workspace(factory.user(), "Someone else's")
    with app.app_context():
        jwt = mint_jwt(owner.id)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {jwt}"
    yield workspace, foreign, session, live_server.url
    session.close()


def seed_004_body() -> dict:
    values = service_values()
    return {
        "connectionName": "Production Stripe",
        "connectionDescription": "Main production connection",
        "stripeAccountId": values["stripe_account_id"],
        "apiKey": values["api_key"],
        "webhookSecret": values["webhook_secret"],
        "partnerEndpoint": values["partner_endpoint"],
    }


def test_seed_004_every_field_and_its_value(sandbox, seed_004_api):
    workspace, _, session, base = seed_004_api
    example = seed_004_example()
    sent = seed_004_body()

    response = session.post(
        f"{base}/web/v1/workspaces/{workspace.id}/stripe/connections", json=sent
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == list(example)  # the envelope's fields, in the seed's order
    assert list(body["data"]) == list(example["data"])
    assert (body["success"], body["code"], body["message"]) == (True, "2000", "SUCCESS")
    assert body["version"] == example["version"]
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_700_000_000_000
    data = body["data"]
    assert data["bizId"].startswith("sc_")
    assert data["tenantBizId"] == workspace.tenant_id
    for field in ("connectionName", "connectionDescription", "stripeAccountId", "partnerEndpoint"):
        assert data[field] == sent[field], field
    assert data["configJson"] is None
    assert (data["status"], data["statusName"]) == (1, "ACTIVE")
    assert iso(data["createdAt"]) <= iso(data["updatedAt"])
    assert sent["apiKey"] not in response.text and sent["webhookSecret"] not in response.text


def test_seed_004_401_and_403_envelopes(sandbox, seed_004_api):
    workspace, foreign, session, base = seed_004_api
    unauthorized = requests.post(
        f"{base}/web/v1/workspaces/{workspace.id}/stripe/connections",
        json=seed_004_body(),
        timeout=10,
    )
    assert unauthorized.status_code == 401
    expected_401 = seed_004_error("Unauthorized401")
    assert {k: unauthorized.json()[k] for k in expected_401} == expected_401

    expected_403 = seed_004_error("Forbidden403")
    answers = []
    for workspace_id in (foreign.id, "ws_doesNotExist0000000"):
        refused = session.post(
            f"{base}/web/v1/workspaces/{workspace_id}/stripe/connections", json=seed_004_body()
        )
        assert refused.status_code == 403, workspace_id
        assert {k: refused.json()[k] for k in expected_403} == expected_403
        answers.append({k: v for k, v in refused.json().items() if k != "timestamp"})
    assert answers[0] == answers[1]  # nothing tells an unknown workspace from a foreign one
