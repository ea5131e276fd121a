"""An invited business owner onboards in Chromium without an account, gets a deadline reminder
with a fresh link, finishes, and the inviter sees the invite completed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.services.reminders import run_reminders
from tests.e2e.test_browse import sign_in
from tests.integration.people.helpers import link_path as mailed_path
from tests.integration.people.helpers import mail_to, send_outbox

pytestmark = pytest.mark.e2e
DAY = 86400
INVITEE = "owner@business.example"


@pytest.fixture
def shop(factory, sandbox):
    """Ada, her workspace, the resource to onboard and a neighbour; the sandbox is reset."""
    ada = factory.user("ada@example.com", name="Ada Lovelace")
    workspace = factory.workspace(ada, "Acme Marketplace")
    neighbour = factory.resource(workspace, "US storefront")
    return factory.resource(workspace, "EU storefront", currency="eur", country="DE"), neighbour


@pytest.fixture
def invitee_page(browser):
    """A second browser with its own cookies: the invitee, never signed in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_invitee_onboards_without_an_account_and_a_reminder_brings_them_back(
    app,
    page,
    invitee_page,
    live_server,
    factory,
    shop,
    sandbox,
    mailbox,
    stored,
    screenshot,
    monkeypatch,
):
    server, neighbour = shop
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", live_server.url)
    sign_in(page, live_server, "ada@example.com", factory.PASSWORD)
    page.goto(f"{live_server.url}/payments/{server.id}")
    page.get_by_label("Email address of the person who completes onboarding").fill(INVITEE)
    page.get_by_role("button", name="Send invite").click()
    page.get_by_text(f"Invite sent to {INVITEE}.").wait_for()
    send_outbox(app)
    [invitation] = mail_to(mailbox, INVITEE)

    invitee = invitee_page
    invitee.goto(live_server.url + mailed_path(invitation))
    invitee.get_by_role("heading", name="Set up payments for EU storefront").wait_for()
    assert invitee.get_by_text("Acme Marketplace").first.is_visible()
    assert invitee.get_by_role("link", name="Workspaces").count() == 0
    screenshot("landing", invitee)
    invitee.get_by_role("button", name="Continue to Stripe").click()
    invitee.wait_for_url(f"{sandbox.url}/**")
    invitee.get_by_role("button", name="Submit with missing info").click()
    invitee.wait_for_url(f"{live_server.url}/onboard/i/**/return")
    invitee.get_by_role("heading", name="EU storefront still needs information").wait_for()
    assert invitee.get_by_text("Stripe still needs").is_visible()
    screenshot("return-missing-info", invitee)

    # Stripe sets a deadline two days out; the app learns it, and the reminder goes out.
    account_id = stored(server.id).stripe_account_id
    sandbox.set_requirements(account_id, {"current_deadline": sandbox.now() + 2 * DAY})
    page.goto(f"{live_server.url}/payments/{server.id}")
    page.get_by_role("button", name="Check status").first.click()
    with app.app_context():
        assert run_reminders().mailed == 1
        assert run_reminders().mailed == 0
        db.session.remove()
    send_outbox(app)
    reminder = mail_to(mailbox, INVITEE)[-1]
    assert reminder.subject == "Stripe needs information for EU storefront"

    invitee.goto(live_server.url + mailed_path(reminder))
    invitee.get_by_role("button", name="Continue to Stripe").click()
    invitee.wait_for_url(f"{sandbox.url}/**")
    invitee.get_by_role("button", name="Submit everything").click()
    invitee.wait_for_url(f"{live_server.url}/onboard/i/**/return")
    invitee.get_by_role("heading", name="EU storefront is ready to take payments").wait_for()
    screenshot("return-complete", invitee)

    # The invitee sees no workspace page and no neighbour.
    for path in (f"/payments/{neighbour.id}", f"/payments/{server.id}", "/"):
        invitee.goto(live_server.url + path)
        assert urlsplit(invitee.url).path == "/auth/login"
    other_return = invitee.goto(f"{live_server.url}/onboard/i/obi_{'x' * 20}/return")
    assert other_return.status == 404

    page.goto(f"{live_server.url}/")
    row = page.locator(f'tr[data-server-id="{server.id}"]')
    assert row.locator('[data-invite-state="completed"]').is_visible()
    screenshot("dashboard-invite-completed")
