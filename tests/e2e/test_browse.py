"""A person signs in, sees the dashboard and opens a resource, in a real Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def sign_in(page, live_server, email, password, next_path=""):
    page.goto(f"{live_server.url}/auth/login{next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_browse_and_open_a_resource(page, live_server, factory, screenshot):
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    workspace = factory.workspace(ada, "Acme Marketplace")
    factory.resource(workspace, "US marketplace")
    server = factory.resource(workspace, "EU storefront", currency="eur", country="DE")

    page.goto(f"{live_server.url}/")
    assert "/auth/login" in page.url
    screenshot("sign-in")
    sign_in(page, live_server, "ada@example.com", "wrong password!!")
    assert page.get_by_text("don't match an active account").is_visible()
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)

    page.get_by_role("heading", name="Payments resources").wait_for()
    assert page.get_by_role("link", name="EU storefront").is_visible()
    assert page.get_by_role("link", name="US marketplace").is_visible()
    screenshot("dashboard")

    page.get_by_role("link", name="EU storefront").click()
    page.get_by_role("heading", name="EU storefront").wait_for()
    assert server.id in page.content()
    assert page.get_by_text("Not started").first.is_visible()
    screenshot("detail")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_an_empty_workspace_shows_what_to_do_and_the_form_validates(
    page, live_server, factory, screenshot
):
    ada = factory.user("ada@example.com")
    factory.workspace(ada, "Acme")
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_text("No payments resources yet").wait_for()
    screenshot("empty")
    page.get_by_role("link", name="New payments resource").first.click()
    page.get_by_role("button", name="Create resource").click()
    assert page.get_by_text("Give the resource a name.").is_visible()
    screenshot("form-errors")
    page.get_by_label("Name").fill("Tip jar")
    page.get_by_role("button", name="Create resource").click()
    page.get_by_role("heading", name="Tip jar").wait_for()
    assert page.get_by_text("Created “Tip jar”").is_visible()
