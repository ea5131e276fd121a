"""The page Connect lands on when Stripe cannot be reached fits a phone and a laptop."""

from __future__ import annotations

import pytest

from stripe_sandbox import platform_account_id
from tests.e2e.test_browse import sign_in
from tests.e2e.test_layout import VIEWPORTS

pytestmark = pytest.mark.e2e


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_stripe_unavailable_page_keeps_its_form_and_buttons_in_its_card(
    page, live_server, factory, sandbox, screenshot, size
):
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    factory.resource(factory.workspace(ada, "Acme Marketplace"), "EU storefront", country="DE")
    page.set_viewport_size(VIEWPORTS[size])
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.get_by_role("heading", name="Payments resources").wait_for()

    sandbox.inject_fault("/v1/accounts", "500", count=10)  # every try, retries included
    page.get_by_role("button", name="Connect with Stripe").click()
    page.get_by_role("heading", name="Stripe is unavailable, try again").wait_for()
    sandbox.clear_faults()
    screenshot(f"{size}-stripe-unavailable")

    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"
    card = page.locator("section.onboarding-problem")
    card_box = card.bounding_box()
    assert card_box is not None and card_box["x"] >= 0
    assert card_box["x"] + card_box["width"] <= viewport
    controls = card.locator(".problem-actions").locator("form, button, a")
    names = [control.inner_text() for control in controls.all()]
    assert "Try again" in names and "Back to the resource" in names, names
    for control in controls.all():
        box = control.bounding_box()
        assert box is not None and _inside(box, card_box), (control.inner_text(), box, card_box)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_the_stripe_could_not_be_reached_notice_keeps_the_connection_form_in_its_card(
    page, live_server, factory, sandbox, screenshot, size
):
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    workspace = factory.workspace(ada, "Acme Marketplace")
    page.set_viewport_size(VIEWPORTS[size])
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.goto(f"{live_server.url}/workspaces/{workspace.id}/connections/new")
    key = "sk_test_outageLayoutConnectionKey00000042"
    page.get_by_label("Name").fill("Acme test platform")
    page.get_by_label("Platform account id").fill(platform_account_id(key))
    page.get_by_label("Secret key").fill(key)
    page.get_by_label("Webhook signing secret").fill("whsec_outageLayoutSecret000000000042")
    page.get_by_label("Partner callback endpoint").fill("https://partner.example.com/events")

    sandbox.inject_fault("/v1/account", "500", count=10)  # the key check, retries included
    page.get_by_role("button", name="Add connection").click()
    page.get_by_text("Stripe could not be reached", exact=True).wait_for()
    sandbox.clear_faults()
    screenshot(f"{size}-connection-stripe-unreachable")

    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"
    card_box = page.locator("section.connection-form").bounding_box()
    assert card_box is not None
    controls = page.locator("section.connection-form form").locator("button, a, input, textarea")
    assert controls.count() > 0
    for control in controls.all():
        if not control.is_visible():
            continue
        box = control.bounding_box()
        assert box is not None and _inside(box, card_box), (control.get_attribute("name"), box)
