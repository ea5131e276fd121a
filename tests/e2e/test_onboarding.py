"""Onboarding in a real Chromium: Connect → the sandbox's hosted page → back to the truth."""

from __future__ import annotations

import pytest

from tests.e2e.test_browse import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop(factory, sandbox):
    """Ada, her workspace and one payments resource; the sandbox is reset."""
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    workspace = factory.workspace(ada, "Acme Marketplace")
    return factory.resource(workspace, "EU storefront", currency="eur", country="DE")


def start_connect(page, live_server, factory, shop, sandbox):
    """Sign in and press Connect with Stripe on the dashboard row: lands on Stripe's page."""
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("heading", name="Payments resources").wait_for()
    page.get_by_role("button", name="Connect with Stripe").click()
    page.wait_for_url(f"{sandbox.url}/**")
    page.locator("#outcome-complete").wait_for()


def test_connect_complete_and_come_back_to_a_complete_status(
    page, live_server, factory, shop, sandbox, screenshot
):
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("heading", name="Payments resources").wait_for()
    screenshot("dashboard-before")
    page.get_by_role("button", name="Connect with Stripe").click()
    page.wait_for_url(f"{sandbox.url}/**")
    screenshot("stripe-hosted-page")

    page.get_by_role("button", name="Submit everything").click()

    page.wait_for_url(f"{live_server.url}/payments/{shop.id}/onboarding/return")
    assert page.get_by_role("heading", name="EU storefront is ready to take payments").is_visible()
    assert page.locator('[data-status="complete"]').first.is_visible()
    assert page.get_by_role("button", name="Open Stripe dashboard").is_visible()
    assert page.get_by_role("button", name="Connect with Stripe").count() == 0
    screenshot("return-complete")

    page.goto(f"{live_server.url}/")
    row = page.locator(f'tr[data-server-id="{shop.id}"]')
    assert row.get_by_text("Complete").is_visible()
    assert row.get_by_role("button", name="Open Stripe dashboard").is_visible()
    screenshot("dashboard-after")
    row.get_by_role("button", name="Open Stripe dashboard").click()
    page.wait_for_url(f"{sandbox.url}/express/**")


def test_leaving_early_shows_pending_with_what_is_due(
    page, live_server, factory, shop, sandbox, screenshot
):
    start_connect(page, live_server, factory, shop, sandbox)
    page.get_by_role("button", name="Leave for now").click()

    page.wait_for_url(f"{live_server.url}/payments/{shop.id}/onboarding/return")
    assert page.get_by_role("heading", name="EU storefront still needs information").is_visible()
    assert page.get_by_text("Needs information").first.is_visible()
    assert page.get_by_text("Bank account for payouts").is_visible()
    assert page.get_by_role("button", name="Continue onboarding").is_visible()
    screenshot("return-pending")


def test_a_used_link_bounces_to_refresh_and_the_new_link_works(
    page, live_server, factory, shop, sandbox, screenshot
):
    start_connect(page, live_server, factory, shop, sandbox)
    used_link = page.url
    page.get_by_role("button", name="Leave for now").click()
    page.wait_for_url(f"{live_server.url}/**/onboarding/return")

    page.goto(used_link)  # single-use: the sandbox sends us to refresh_url, which re-mints

    page.locator("#outcome-complete").wait_for()
    assert page.url.startswith(sandbox.url) and page.url != used_link
    assert [r["path"] for r in sandbox.requests("/v1/account_links")] == ["/v1/account_links"] * 2
    page.get_by_role("button", name="Submit everything").click()
    page.wait_for_url(f"{live_server.url}/**/onboarding/return")
    assert page.get_by_role("heading", name="EU storefront is ready to take payments").is_visible()


def test_a_double_click_creates_one_account(page, live_server, factory, shop, sandbox):
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("heading", name="Payments resources").wait_for()
    # Two requests at once, as a fast double click without our script's guard would send.
    statuses = page.evaluate(
        """async (path) => {
            const form = document.querySelector(`form[action="${path}"]`);
            const body = new URLSearchParams(new FormData(form));
            const send = () => fetch(path, {method: "POST", body, redirect: "manual"});
            const answers = await Promise.all([send(), send()]);
            return answers.map((a) => a.type);
        }""",
        f"/payments/{shop.id}/connect",
    )
    assert statuses == ["opaqueredirect", "opaqueredirect"]
    page.reload()
    page.get_by_role("button", name="Continue onboarding").dblclick()
    page.wait_for_url(f"{sandbox.url}/**")
    assert len(sandbox.accounts()) == 1


def test_a_stripe_outage_gets_a_clear_page_and_the_retry_button_works(
    page, live_server, factory, shop, sandbox, screenshot
):
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("link", name="EU storefront").click()
    page.get_by_role("heading", name="EU storefront").wait_for()
    screenshot("detail-not-started")

    sandbox.inject_fault("/v1/accounts", "500", count=3)
    page.get_by_role("button", name="Connect with Stripe").click()
    page.get_by_role("heading", name="Stripe is unavailable, try again").wait_for()
    assert "Nothing was changed" in page.content()
    screenshot("stripe-unavailable")

    sandbox.clear_faults()
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url(f"{sandbox.url}/**")
    assert len(sandbox.accounts()) == 1


def test_a_resource_without_a_usable_key_shows_why_connect_is_disabled(
    app, page, live_server, factory, shop, sandbox, screenshot
):
    ada_workspace = factory.workspace(factory.user("bob@example.com"), "Bob's")
    factory.resource(ada_workspace, "Live shop", mode="live")
    sign_in(page, live_server, "bob@example.com", factory.PASSWORD)
    row = page.locator("tr", has_text="Live shop")
    assert row.get_by_role("button", name="Connect with Stripe").is_disabled()
    assert row.get_by_text("No Stripe connection for live mode yet").is_visible()
    screenshot("dashboard-blocked")
    row.get_by_role("link", name="Live shop").click()
    page.get_by_role("heading", name="Live shop").wait_for()
    screenshot("detail-blocked")


def test_a_v2_account_connects_completes_and_reads_complete_through_v2(
    app, monkeypatch, page, live_server, factory, shop, sandbox, screenshot
):
    monkeypatch.setitem(app.config, "STRIPE_ACCOUNTS_API", "v2")
    sandbox.clear_requests()
    start_connect(page, live_server, factory, shop, sandbox)
    screenshot("v2-stripe-hosted-page")

    page.get_by_role("button", name="Submit everything").click()

    page.wait_for_url(f"{live_server.url}/payments/{shop.id}/onboarding/return")
    assert page.get_by_role("heading", name="EU storefront is ready to take payments").is_visible()
    assert page.locator('[data-status="complete"]').first.is_visible()
    [account] = sandbox.accounts()
    assert [(r["method"], r["path"]) for r in sandbox.requests("/v2/")] == [
        ("POST", "/v2/core/accounts"),
        ("POST", "/v2/core/account_links"),
        ("GET", f"/v2/core/accounts/{account['account']['id']}"),
    ]
    assert sandbox.requests("/v1/accounts") == []
    page.goto(f"{live_server.url}/")
    row = page.locator(f'tr[data-server-id="{shop.id}"]')
    assert row.get_by_text("Complete").is_visible()
    screenshot("v2-dashboard-after")
    row.get_by_role("button", name="Open Stripe dashboard").click()
    page.wait_for_url(f"{sandbox.url}/express/**")
