"""The OpenAPI document matches the code: every route documented, and schemathesis agrees."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.api.openapi import openapi_document
from app.extensions import db
from app.models import StripeConnection
from app.security.crypto import encrypt_secret, mask_secret
from app.security.jwt_tokens import mint_jwt
from tests.helpers import PLATFORM_KEY, service_values

API_PREFIXES = ("/v1/", "/web/v1/")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _openapi_path(rule: str) -> str:
    """`/v1/servers/<server_id>` → `/v1/servers/{serverId}`."""

    def camel(match: re.Match) -> str:
        head, *rest = match.group(1).split(":")[-1].split("_")
        return "{" + head + "".join(word.capitalize() for word in rest) + "}"

    return re.sub(r"<([^>]+)>", camel, rule)


def test_every_api_route_is_documented_and_every_documented_route_exists(app):
    routes = {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIXES)
        for method in rule.methods - IGNORED_METHODS
    }
    document = openapi_document(app.config["API_VERSION"])
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes == documented
    assert routes  # the APIs are registered at all


def test_the_document_is_served_as_json_and_rendered_as_a_page(client, app):
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.get_json() == openapi_document(app.config["API_VERSION"])
    assert served.get_json()["openapi"] == "3.1.0"

    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for operation in ("connectAccount", "listServers", "createStripeConnection"):
        assert f'id="{operation}"' in html
    assert "<script>" not in html and "cdn" not in html.lower()


def test_the_reference_says_how_to_authenticate_in_words_and_where_tokens_are_made(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "Authentication: Personal API token" in html
    assert "Authentication: Portal sign-in token (JWT)" in html
    assert 'href="/settings/tokens">Create one on the API tokens page' in html
    for internal in ("<code>apiToken</code>", "<code>webJwt</code>"):
        assert internal not in html


def test_every_seed_000_field_is_required_in_the_document(app):
    from tests.integration.api.test_connect_account import seed_response_fields

    schemas = openapi_document(app.config["API_VERSION"])["components"]["schemas"]
    seed = seed_response_fields()
    assert schemas["Server"]["required"] == seed["server"]
    assert schemas["Payments"]["required"] == seed["payments"]
    response_fields = list(schemas["ConnectAccountResponse"]["properties"])
    assert response_fields[:3] == seed[""]


@pytest.fixture
def api_schema(app, client, owned, other_server, token_for):
    """The served document bound to the app, with real ids to use and real credentials.

    Path ids are narrowed to real ones (plus an unknown one) so generated requests reach the
    resources instead of stopping at 404; negative generation still sends others.
    """
    document = json.loads(client.get("/openapi.json").get_data(as_text=True))
    with app.app_context():
        connection = StripeConnection(
            workspace_id=owned.workspace.id,
            name="Main platform",
            stripe_account_id="acct_1platform",
            mode="test",
            api_key_ciphertext=encrypt_secret(PLATFORM_KEY),
            api_key_masked=mask_secret(PLATFORM_KEY),
            webhook_secret_ciphertext=encrypt_secret("whsec_schemathesis0000000000"),
            webhook_secret_masked="whsec_…0000",
            partner_endpoint="https://partner.example.com/hooks",
        )
        db.session.add(connection)
        db.session.commit()
        connection_id = connection.id
        jwt = mint_jwt(owned.owner.id)
    ids = {
        "serverId": [owned.server.id, other_server, "srv_unknown"],
        "workspaceId": [owned.workspace.id, "ws_unknown"],
        "connectionId": [connection_id, "sc_unknown"],
    }
    for item in document["paths"].values():
        for parameter in item.get("parameters", []):
            parameter["schema"] = {"type": "string", "enum": ids[parameter["name"]]}
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    credentials = {"/v1/": f"Bearer {token_for(owned.owner)}", "/web/v1/": f"Bearer {jwt}"}
    return schema, credentials


FAMILIES = {"v1": "/v1/", "web": "/web/v1/"}
# Per family and generation mode; positive plus negative must reach 1,000 cases per family.
CASES_PER_MODE = 520


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_error_undocumented_status_or_schema_violation(
    app, api_schema, family, mode
):
    schema, credentials = api_schema
    prefix = FAMILIES[family]
    operations = [
        result.ok() for result in schema.get_all_operations() if result.ok().path.startswith(prefix)
    ]
    sent: list[int] = []
    app.config["API_RATE_LIMIT"] = "1000000 per minute"  # fuzz the routes, not the limiter
    try:
        for index, operation in enumerate(operations):
            excluded = []
            if (operation.method.upper(), family) == ("POST", "web"):
                # Whether a generated key is accepted depends on Stripe (the key must exist
                # and own `stripeAccountId`), which no schema can express: schema-valid bodies
                # may get 422.
                excluded.append(positive_data_acceptance)
            wanted = (CASES_PER_MODE - len(sent)) // (len(operations) - index)
            _fuzz(operation, mode, credentials[prefix], excluded, wanted, sent)
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert len(sent) >= CASES_PER_MODE
    assert 500 not in sent


def _fuzz(operation, mode, authorization, excluded, wanted, sent) -> None:
    """Up to `wanted` generated cases of one operation (more tries when the space is small)."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=wanted,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        # A real credential replaces the generated one; a negative case that dropped the header
        # (a schema violation schemathesis expects refused) is sent without one.
        dropped = "Authorization" not in (case.headers or {})
        response = case.call_and_validate(
            headers=None if dropped else {"Authorization": authorization},
            excluded_checks=excluded,
        )
        sent.append(response.status_code)

    run()


DOCUMENTED = [
    (op["operationId"], method.upper(), path, int(status))
    for path, item in openapi_document("-")["paths"].items()
    for method, op in item.items()
    if method != "parameters"
    for status in op["responses"]
]


def _unreachable_database_app():
    """The app, pointed at a database that cannot be reached (a closed port)."""
    from app import create_app

    return create_app(
        {
            "APP_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "JWT_SECRET": "test-jwt-secret-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/x",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


@pytest.mark.parametrize(
    ("operation", "method", "path", "status"),
    DOCUMENTED,
    ids=[f"{op}-{status}" for op, _, _, status in DOCUMENTED],
)
def test_every_documented_status_is_one_the_route_answers(
    app, client, owned, other_server, token_for, factory, sandbox, operation, method, path, status
):
    """Each (route, status) in the document is produced here by a real request."""
    web = path.startswith("/web/v1/")
    with app.app_context():
        connection = StripeConnection(
            workspace_id=owned.workspace.id,
            name="Main platform",
            stripe_account_id="acct_1platform",
            mode="test",
            api_key_ciphertext=encrypt_secret(PLATFORM_KEY),
            api_key_masked=mask_secret(PLATFORM_KEY),
            webhook_secret_ciphertext=encrypt_secret("whsec_documented00000000000"),
            webhook_secret_masked="whsec_…0000",
            partner_endpoint="https://partner.example.com/hooks",
        )
        db.session.add(connection)
        db.session.commit()
        ids = {
            "serverId": owned.server.id,
            "workspaceId": owned.workspace.id,
            "connectionId": connection.id,
        }
        viewer = factory.member(owned.workspace, "viewer")
        credential = mint_jwt(owned.owner.id) if web else token_for(owned.owner)
    headers = {"Authorization": f"Bearer {credential}"}
    body: dict | None = {} if method == "POST" else None
    data: str | None = None
    content_type: str | None = None
    query = ""
    target = client
    if status == 201 and operation == "createOnboardingInvite":
        body = {"email": "owner@business.example", "sendEmail": False}
    elif status == 201:
        values = service_values()
        body = {
            "connectionName": values["name"],
            "stripeAccountId": values["stripe_account_id"],
            "apiKey": values["api_key"],
            "webhookSecret": values["webhook_secret"],
            "partnerEndpoint": values["partner_endpoint"],
        }
    elif status == 401:
        headers = {}
    elif status == 403:
        if web:
            ids["workspaceId"] = "ws_unknown"
        else:
            headers = {"Authorization": f"Bearer {token_for(viewer)}"}
    elif status == 404:
        ids["connectionId" if web else "serverId"] = "sc_unknown" if web else "srv_unknown"
    elif status == 409:
        ids["serverId"] = other_server
    elif status == 400:
        data, content_type, body = '{"broken": ', "application/json", None
    elif status == 415:
        data, content_type, body = "country=US", "text/plain", None
    elif status == 422:
        if method == "POST":
            body = {"unknownField": "x"}
        else:
            query = "?unknownParameter=1"
    elif status == 429:
        app.config["API_RATE_LIMIT"] = "1 per minute"
    elif status == 502:
        if operation == "getPaymentsStatus":
            connected = client.post(
                f"/v1/servers/{owned.server.id}/payments/connect-account", headers=headers
            )
            assert connected.status_code == 200
            query = "?sync=true"
        sandbox.revoke_key(PLATFORM_KEY)
    elif status == 503:
        target = _unreachable_database_app().test_client()
    url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path) + query

    def send():
        if body is not None:
            return target.open(url, method=method, headers=headers, json=body)
        return target.open(
            url, method=method, headers=headers, data=data, content_type=content_type
        )

    try:
        response = send()
        if status == 429:
            response = send()
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert response.status_code == status, response.get_data(as_text=True)


HOSTILE_CASES = 300  # per family, on top of schemathesis's cases
_CONTROL = st.characters(codec="utf-8", max_codepoint=0x1F) | st.just("\x7f")
_HOSTILE_TEXT = st.builds(
    lambda head, control, tail: head + control + tail,
    st.text(max_size=8),
    _CONTROL,
    st.text(max_size=8),
)
_HOSTILE_BODIES = st.one_of(
    # A control character (NUL included) in a value or a key of an otherwise fine body.
    st.builds(
        lambda key, text: json.dumps({key: text}),
        st.sampled_from(["country", "email", "connectionName", "apiKey", "productDescription"]),
        _HOSTILE_TEXT,
    ),
    st.builds(lambda text: json.dumps({text: "x"}), _HOSTILE_TEXT),
    # Nesting past the limit, as the body or inside a field.
    st.integers(33, 20_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(33, 5_000).map(lambda depth: '{"country": ' + "[" * depth + "]" * depth + "}"),
    # Integers past 2^53, up to thousands of digits.
    st.integers(17, 6_000).map(lambda digits: '{"country": ' + "9" * digits + "}"),
    st.integers(min_value=2**53, max_value=2**200).map(
        lambda n: json.dumps({"configJson": "x", "n": n})
    ),
    # configJson holding the same hazards.
    st.integers(33, 2_000).map(
        lambda depth: json.dumps({"configJson": '{"a": ' + "[" * depth + "]" * depth + "}"})
    ),
    st.integers(17, 5_000).map(
        lambda digits: json.dumps({"configJson": '{"a": ' + "9" * digits + "}"})
    ),
)


@pytest.mark.parametrize("family", FAMILIES)
def test_hostile_input_never_gets_a_500(app, api_schema, client, owned, family):
    """NUL and control characters in bodies and path ids, deep nesting and huge numbers."""
    schema, credentials = api_schema
    with app.app_context():
        workspace = owned.workspace.id
    routes = {
        "v1": [
            ("POST", "/v1/servers/{id}/payments/connect-account"),
            ("GET", "/v1/servers/{id}"),
            ("GET", "/v1/servers/{id}/payments"),
        ],
        "web": [
            ("POST", f"/web/v1/workspaces/{workspace}/stripe/connections"),
            ("GET", "/web/v1/workspaces/{id}/stripe/connections"),
            ("GET", f"/web/v1/workspaces/{workspace}/stripe/connections/{{id}}"),
        ],
    }[family]
    headers = {"Authorization": credentials[FAMILIES[family]]}
    answered: list[int] = []
    app.config["API_RATE_LIMIT"] = "1000000 per minute"

    @given(
        route=st.sampled_from(routes),
        path_id=st.one_of(_HOSTILE_TEXT, st.just(owned.server.id if family == "v1" else workspace)),
        body=_HOSTILE_BODIES,
    )
    @settings(
        max_examples=HOSTILE_CASES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(route, path_id, body) -> None:
        method, template = route
        url = template.replace("{id}", quote(path_id, safe=""))
        response = client.open(
            url,
            method=method,
            data=body if method == "POST" else None,
            headers={**headers, "Content-Type": "application/json"},
        )
        answered.append(response.status_code)
        assert response.status_code < 500, (url, body[:200], response.get_data(as_text=True))
        if response.status_code >= 400:
            answer = response.get_json()
            assert ("error" in answer) if family == "v1" else (answer["success"] is False), url

    try:
        run()
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert len(answered) == HOSTILE_CASES
