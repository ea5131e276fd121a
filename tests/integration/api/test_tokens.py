"""Personal API tokens: the settings page, the CLI, and what a token can do over its life."""

from __future__ import annotations

import hashlib
import re

import pytest

from app.extensions import db
from app.models import User
from tests.helpers import ApiClient

TOKEN_RE = re.compile(r"cot_[A-Za-z0-9_-]{40}")


def created_token_on(page_html: str) -> str | None:
    """The one token a tokens page reveals, if any."""
    found = TOKEN_RE.findall(page_html)
    assert len(set(found)) <= 1
    return found[0] if found else None


def test_token_lifecycle_create_use_last_used_revoke(client, auth, owned, sandbox, stored_tokens):
    auth.login(owned.owner.email)
    created = auth.post("/settings/tokens", {"name": "CI deploys"}, page="/settings/tokens")
    assert created.status_code == 303
    assert created.headers["Location"] == "/settings/tokens"

    shown = client.get("/settings/tokens").get_data(as_text=True)
    token = created_token_on(shown)
    assert token is not None and "Copy your new token now" in shown
    assert created_token_on(client.get("/settings/tokens").get_data(as_text=True)) is None

    [row] = stored_tokens(owned.owner.id)
    assert row.name == "CI deploys"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12]
    assert row.last_used_at is None

    other_client = client.application.test_client()  # no cookies: the token alone
    api = ApiClient(other_client, token)
    assert api.get("/v1/servers").status_code == 200
    [row] = stored_tokens(owned.owner.id)
    assert row.last_used_at is not None
    assert "Never used" not in client.get("/settings/tokens").get_data(as_text=True)

    revoked = auth.post(f"/settings/tokens/{row.id}/revoke", page="/settings/tokens")
    assert revoked.status_code == 303
    [row] = stored_tokens(owned.owner.id)
    assert row.revoked_at is not None

    refused = api.get("/v1/servers")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_the_database_never_holds_the_token(app, client, auth, owned, sandbox, db_execute):
    auth.login(owned.owner.email)
    auth.post("/settings/tokens", {"name": "laptop"}, page="/settings/tokens")
    token = created_token_on(client.get("/settings/tokens").get_data(as_text=True))

    for table in ("api_tokens", "audit_events"):
        with app.app_context():  # db_execute needs one (and no request runs meanwhile)
            dump = repr(db_execute(f"SELECT * FROM {table}"))  # noqa: S608 — fixed names
        assert token not in dump
        assert token[12:] not in dump


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the token a name"), ("   ", "Give the token a name"), ("x" * 81, "under 80")],
)
def test_a_token_needs_a_sensible_name(client, auth, owned, sandbox, stored_tokens, name, message):
    auth.login(owned.owner.email)
    response = auth.post("/settings/tokens", {"name": name}, page="/settings/tokens")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored_tokens(owned.owner.id) == []


def test_creating_a_token_needs_a_csrf_token(client, auth, owned, sandbox, stored_tokens):
    auth.login(owned.owner.email)
    response = client.post("/settings/tokens", data={"name": "no csrf"})
    assert response.status_code == 400
    assert stored_tokens(owned.owner.id) == []


def test_the_tokens_page_needs_sign_in(client, sandbox):
    response = client.get("/settings/tokens")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_revoking_asks_first_on_a_page_that_works_without_javascript(
    client, auth, owned, token_for, sandbox, stored_tokens
):
    token_for(owned.owner)
    [row] = stored_tokens(owned.owner.id)
    confirm = f"/settings/tokens/{row.id}/revoke"
    auth.login(owned.owner.email)
    listing = client.get("/settings/tokens").get_data(as_text=True)
    assert f'href="{confirm}"' in listing and f'action="{confirm}"' not in listing

    page = client.get(confirm).get_data(as_text=True)
    form = page.split(f'<form method="post" action="{confirm}"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form
    assert "Revoke token" in form and 'href="/settings/tokens"' in form
    [row] = stored_tokens(owned.owner.id)
    assert row.revoked_at is None

    assert auth.post(confirm, page=confirm).status_code == 303
    [row] = stored_tokens(owned.owner.id)
    assert row.revoked_at is not None
    assert client.get(confirm).headers["Location"] == "/settings/tokens"


def test_nobody_can_revoke_someone_elses_token(
    client, auth, owned, factory, token_for, sandbox, stored_tokens
):
    token_for(owned.owner)
    [row] = stored_tokens(owned.owner.id)
    stranger = factory.user()
    auth.login(stranger.email)

    assert client.get(f"/settings/tokens/{row.id}/revoke").status_code == 404
    response = auth.post(f"/settings/tokens/{row.id}/revoke", page="/settings/tokens")

    assert response.status_code == 404
    [row] = stored_tokens(owned.owner.id)
    assert row.revoked_at is None


def test_a_deactivated_users_tokens_stop_working(app, client, owned, owner_token, sandbox):
    api = ApiClient(client, owner_token)
    assert api.get("/v1/servers").status_code == 200
    with app.app_context():
        db.session.get(User, owned.owner.id).active = False
        db.session.commit()

    assert api.get("/v1/servers").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer cot_" + "A" * 40,
        "Bearer not-a-token",
        "Token cot_" + "A" * 40,
    ],
)
def test_missing_or_invalid_tokens_get_401_with_a_bearer_challenge(client, sandbox, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/v1/servers", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="v1"')
    assert response.get_json()["error"]["code"] in ("unauthorized", "invalid_token")


def test_a_signed_in_browser_session_does_not_authenticate_the_api(client, auth, owned, sandbox):
    auth.login(owned.owner.email)
    response = client.get("/v1/servers")
    assert response.status_code == 401


def test_cli_creates_a_token_that_works_and_lists_and_revokes_it(
    runner, client, owned, sandbox, stored_tokens
):
    created = runner.invoke(args=["tokens", "create", owned.owner.email, "--name", "agent"])
    assert created.exit_code == 0, created.output
    token = created_token_on(created.output)
    assert token is not None
    assert ApiClient(client, token).get("/v1/servers").status_code == 200

    [row] = stored_tokens(owned.owner.id)
    listed = runner.invoke(args=["tokens", "list", owned.owner.email])
    assert row.id in listed.output and row.prefix in listed.output
    assert token not in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", row.id])
    assert revoked.exit_code == 0
    assert ApiClient(client, token).get("/v1/servers").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tokens", "create", "nobody@example.com", "--name", "x"], "No user"),
        (["tokens", "create", "owner@example.com", "--name", " "], "name"),
        (["tokens", "revoke", "tok_unknown"], "No API token"),
    ],
)
def test_cli_errors_are_explained(runner, owned, sandbox, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
