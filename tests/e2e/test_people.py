"""In Chromium: invitations by email end to end, and a forgotten password reset by email."""

from __future__ import annotations

import re

import pytest

from tests.integration.people.helpers import mail_to, send_outbox

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LINK_RE = re.compile(r"https?://\S+")


def sign_in(page, base_url: str, email: str, password: str, remember: bool = False) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    if remember:
        page.get_by_label("Keep me signed in for 30 days").check()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Payments resources", exact=True).wait_for()


def assert_fits_a_phone_and_is_labelled(page) -> None:
    """No sideways scrolling at 390 px, one main landmark, an h1, a label for every input."""
    report = page.evaluate(
        """() => ({
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            mains: document.querySelectorAll('main').length,
            h1: document.querySelectorAll('h1').length,
            unlabelled: [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map(el => el.name || el.id),
        })"""
    )
    assert report["overflow"] <= 0, report
    assert report["mains"] == 1 and report["h1"] == 1, report
    assert report["unlabelled"] == [], report


def link_in_mail(mailbox, address: str) -> str:
    [message] = mail_to(mailbox, address)
    [link] = LINK_RE.findall(message.text)
    return link


def test_an_invited_person_joins_by_email_and_loses_access_when_removed(
    app, browser, live_server, factory, mailbox, screenshot
):
    owner = factory.user("olive@example.com", name="Olive Owner")
    workspace = factory.workspace(owner, "Acme")
    server = factory.resource(workspace, "EU storefront")
    owner_context = browser.new_context(viewport=PHONE)
    newbie_context = browser.new_context(viewport=PHONE)
    try:
        admin = owner_context.new_page()
        sign_in(admin, live_server.url, owner.email, factory.PASSWORD)
        admin.get_by_role("link", name="Workspaces").click()
        admin.get_by_role("heading", name="Workspaces", exact=True).wait_for()
        assert_fits_a_phone_and_is_labelled(admin)
        admin.get_by_role("link", name="Members").click()
        admin.get_by_role("heading", name="Acme: members").wait_for()
        admin.get_by_label("Email address").fill("nina@example.com")
        admin.get_by_label("Role", exact=True).select_option("viewer")
        admin.get_by_role("button", name="Send invitation").click()
        admin.get_by_text("Invitation sent to nina@example.com").wait_for()
        assert admin.locator('tr[data-invitation="nina@example.com"]').count() == 1
        assert_fits_a_phone_and_is_labelled(admin)
        screenshot("members-with-pending-invitation", admin)

        assert send_outbox(app).sent == 1
        link = link_in_mail(mailbox, "nina@example.com")
        assert link.startswith(live_server.url + "/invitations/")

        newbie = newbie_context.new_page()
        newbie.goto(link)
        newbie.get_by_role("heading", name="Join Acme").wait_for()
        assert_fits_a_phone_and_is_labelled(newbie)
        newbie.get_by_label("Your name").fill("Nina Newbie")
        newbie.get_by_label("Choose a password").fill("nina's long passphrase")
        newbie.get_by_role("button", name="Create account and join").click()
        newbie.get_by_text("You joined Acme as viewer").wait_for()
        newbie.get_by_role("link", name="EU storefront").wait_for()
        screenshot("invitee-on-dashboard", newbie)

        admin.reload()
        row = admin.locator('tr[data-member="nina@example.com"]')
        row.get_by_label("Role of Nina Newbie").select_option("developer")
        row.get_by_role("button", name="Save role").click()
        admin.get_by_text("Role changed.").wait_for()
        newbie.goto(f"{live_server.url}/workspaces")
        assert (
            newbie.locator(f'tr[data-workspace-id="{workspace.id}"]')
            .inner_text()
            .count("Developer")
        )

        admin.locator('tr[data-member="nina@example.com"]').get_by_role(
            "button", name="Remove"
        ).click()
        admin.get_by_text("Member removed.").wait_for()
        response = newbie.goto(f"{live_server.url}/payments/{server.id}")
        assert response.status == 404  # the open session lost the workspace at once
        screenshot("removed-member", newbie)

        admin.get_by_role("link", name="Activity").click()
        admin.get_by_role("heading", name="Acme: activity").wait_for()
        assert_fits_a_phone_and_is_labelled(admin)
        actions = admin.locator("tr[data-action]").evaluate_all(
            "rows => rows.map(r => r.dataset.action)"
        )
        assert actions == [
            "member.removed",
            "member.role_changed",
            "member.joined",
            "member.invited",
            "resource.created",
        ]
        screenshot("workspace-activity", admin)
    finally:
        owner_context.close()
        newbie_context.close()


def test_a_forgotten_password_is_reset_by_email_and_old_sessions_die(
    app, browser, live_server, factory, mailbox, screenshot
):
    ada = factory.user("ada@example.com", name="Ada")
    factory.workspace(ada, "Acme")
    old_context = browser.new_context()
    phone = browser.new_context(viewport=PHONE)
    try:
        old = old_context.new_page()
        sign_in(old, live_server.url, ada.email, factory.PASSWORD, remember=True)
        remember = [c for c in old_context.cookies() if c["name"] == "remember_token"]
        assert remember

        page = phone.new_page()
        page.goto(f"{live_server.url}/auth/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_role("heading", name="Forgot your password?").wait_for()
        assert_fits_a_phone_and_is_labelled(page)
        page.get_by_label("Email").fill("ada@example.com")
        page.get_by_role("button", name="Send reset link").click()
        page.get_by_text("If ada@example.com has an account").wait_for()

        assert send_outbox(app).sent == 1
        page.goto(link_in_mail(mailbox, "ada@example.com"))
        page.get_by_role("heading", name="Choose a new password").wait_for()
        assert_fits_a_phone_and_is_labelled(page)
        page.get_by_label("New password", exact=True).fill("a fresh passphrase 2026")
        page.get_by_role("button", name="Set new password").click()
        page.get_by_text("Password changed. Sign in with your new password.").wait_for()
        screenshot("password-reset-done", page)

        old.goto(f"{live_server.url}/")
        assert "/auth/login" in old.url  # the old session is dead
        restarted = browser.new_context()
        try:
            restarted.add_cookies(remember)  # only the remember-me cookie survives a restart
            again = restarted.new_page()
            again.goto(f"{live_server.url}/")
            assert "/auth/login" in again.url
        finally:
            restarted.close()

        sign_in(page, live_server.url, ada.email, "a fresh passphrase 2026")
        page.get_by_role("link", name="Account").click()
        page.get_by_role("heading", name="Your account").wait_for()
        assert_fits_a_phone_and_is_labelled(page)
        screenshot("account-page", page)
    finally:
        old_context.close()
        phone.close()
