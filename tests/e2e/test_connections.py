"""An admin adds a Stripe connection in Chromium and sees it masked; a developer can't."""

from __future__ import annotations

import pytest

from app.services import connections
from stripe_sandbox import platform_account_id
from tests.e2e.test_browse import sign_in
from tests.helpers import service_values

pytestmark = pytest.mark.e2e

KEY = "sk_test_browserConnectionKey000000004242"
WEBHOOK_SECRET = "whsec_browserConnectionSecret00000007777"
DESTINATION_SECRET = "whsec_browserDestinationSecret0000008888"


def test_an_admin_adds_a_connection_and_only_ever_sees_it_masked(
    page, live_server, factory, sandbox, screenshot
):
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    factory.workspace(ada, "Acme Marketplace")
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("link", name="Stripe connections").click()
    page.get_by_text("No Stripe connections yet").wait_for()
    screenshot("empty")
    page.get_by_role("link", name="Add connection").first.click()

    page.get_by_label("Name").fill("Acme test platform")
    page.get_by_label("Platform account id").fill("acct_1WrongAccount000000")
    page.get_by_label("Secret key").fill(KEY)
    page.get_by_label("Webhook signing secret").fill(WEBHOOK_SECRET)
    page.get_by_label("Partner callback endpoint").fill("https://partner.example.com/events")
    page.get_by_role("button", name="Add connection").click()
    page.get_by_text("belongs to a different Stripe account").wait_for()
    assert page.get_by_label("Secret key").input_value() == ""
    assert KEY not in page.content()
    screenshot("mismatch")

    page.get_by_label("Platform account id").fill(platform_account_id(KEY))
    page.get_by_label("Secret key").fill(KEY)
    page.get_by_label("Webhook signing secret").fill(WEBHOOK_SECRET)
    page.get_by_label("Extra configuration").fill('{"collection_fields": "eventually_due"}')
    page.get_by_role("button", name="Add connection").click()
    page.get_by_role("heading", name="Acme test platform").wait_for()
    assert page.locator("#notification-secret").inner_text().startswith("nsec_")
    assert page.get_by_text("sk_test_…4242").first.is_visible()
    assert KEY not in page.content() and WEBHOOK_SECRET not in page.content()
    screenshot("created")

    page.get_by_role("link", name="Stripe connections · Acme Marketplace").click()
    row = page.locator("tr", has_text="Acme test platform")
    assert row.get_by_text("sk_test_…4242").is_visible()
    assert row.get_by_text("Default").is_visible()
    assert KEY not in page.content()
    screenshot("list")


def test_a_developer_cannot_reach_the_connection_form(page, live_server, factory, screenshot):
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme Marketplace")
    factory.member(workspace, "developer", factory.user("dev@example.com"))
    sign_in(page, live_server, "dev@example.com", factory.PASSWORD)
    page.get_by_role("heading", name="Payments resources", exact=True).wait_for()
    # The menu offers only what the person may open...
    assert page.get_by_role("link", name="Stripe connections").count() == 0
    # ...and typing the address gets a clear refusal.
    assert page.goto(f"{live_server.url}/connections").status == 403
    assert page.get_by_text("You don't have permission").first.is_visible()
    response = page.goto(f"{live_server.url}/workspaces/{workspace.id}/connections/new")
    assert response.status == 403
    assert page.get_by_label("Secret key").count() == 0
    screenshot("forbidden")


def test_an_admin_checks_the_webhooks_at_stripe_and_repairs_them(
    app, page, live_server, factory, sandbox, screenshot
):
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    workspace = factory.workspace(ada, "Acme Marketplace")
    with app.app_context():
        # Saved outside a request without PUBLIC_BASE_URL: nothing registered, pasted secrets.
        connection, _secret = connections.create_connection(
            workspace.id,
            actor_user_id=None,
            verify=False,
            **service_values(
                api_key=KEY,
                stripe_account_id=platform_account_id(KEY),
                webhook_secret=WEBHOOK_SECRET,
                event_destination_secret=DESTINATION_SECRET,
                config_json='{"accounts_api": "v2"}',
            ),
        )
        path = f"/workspaces/{workspace.id}/connections/{connection.id}"
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.goto(live_server.url + path)

    page.get_by_role("button", name="Check webhooks at Stripe").click()
    page.get_by_role("heading", name="What Stripe says").wait_for()
    assert page.locator(".webhook-problem").count() == 2
    assert page.get_by_text("No event destination at Stripe points at").is_visible()
    for secret in (KEY, WEBHOOK_SECRET, DESTINATION_SECRET):
        assert secret not in page.content()
    screenshot("problems-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("problems-390")

    page.get_by_role("button", name="Repair").click()
    page.get_by_text("Created the event destination").wait_for()
    page.get_by_role("button", name="Check webhooks at Stripe").click()
    page.get_by_role("heading", name="What Stripe says").wait_for()
    assert page.locator(".webhook-problem").count() == 0
    assert page.locator(".webhook-check .webhook-ok").count() == 2
    screenshot("in-order-390")
