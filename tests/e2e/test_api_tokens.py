"""A person creates an API token, copies it once, uses it, revokes it; and reads the API docs."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_create_copy_use_and_revoke_a_token_then_read_the_docs(
    page, live_server, factory, sandbox, screenshot
):
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    factory.resource(factory.workspace(ada, "Acme Marketplace"), "EU storefront")
    page.goto(f"{live_server.url}/auth/login?next=/settings/tokens")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(factory.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="API tokens").wait_for()
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_text("Give the token a name").first.is_visible()
    page.get_by_label("Token name").fill("CI deploys")
    page.get_by_role("button", name="Create token").click()

    token = page.get_by_label("New token", exact=True).input_value()
    assert token.startswith("cot_")
    screenshot("api-token-created")
    listed = requests.get(
        f"{live_server.url}/v1/servers",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert listed.status_code == 200
    assert listed.json()["items"][0]["server"]["name"] == "EU storefront"

    page.reload()
    assert page.get_by_label("New token", exact=True).count() == 0  # shown once only
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("heading", name="Revoke “CI deploys”?").wait_for()
    page.get_by_role("button", name="Revoke token").click()
    page.get_by_text("Revoked “CI deploys”").wait_for()
    screenshot("api-token-revoked")
    again = requests.get(
        f"{live_server.url}/v1/servers", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert again.status_code == 401

    page.get_by_role("link", name="API reference").click()
    page.get_by_role("heading", name="Connect Onboarding API").wait_for()
    screenshot("api-docs")
    page.get_by_role("link", name="POST /v1/servers/{serverId}/payments/connect-account").click()
    screenshot("api-docs-connect-account")
