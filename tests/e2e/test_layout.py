"""Every page fits a phone and a laptop, and axe-core finds nothing serious on it, in Chromium.

One workspace as the demo shows it (every status, a connection, a token, an invitation) plus a
resource with the longest name allowed, unbroken. Each page is visited at 390×844 and 1280×800;
its full-page screenshot is kept under `artifacts/screenshots/`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import render_template
from sqlalchemy import select

from app.extensions import db
from app.models import Server, Workspace
from app.services import api_tokens, connections, invitations
from tests.e2e.test_browse import sign_in
from tests.helpers import service_values

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
LONG_NAME = "Ünterwegs" + "x" * 111
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def demo_pages(app, runner, factory):
    """The demo seed plus a long-named resource: the paths of every page a person can open."""
    assert runner.invoke(args=["demo", "seed", "--with-accounts"]).exit_code == 0
    with app.app_context():
        workspace = db.session.scalars(
            select(Workspace).where(Workspace.name == "Acme Marketplace")
        ).one()
        owner_id = workspace.memberships[0].user_id
        connection, _secret = connections.create_connection(
            workspace.id,
            actor_user_id=owner_id,
            verify=False,
            **service_values(
                name=LONG_NAME[:99], partner_endpoint="https://partner.example.com/" + "p" * 90
            ),
        )
        token = api_tokens.create_token(owner_id, "Build server " + "t" * 60).token
        with app.test_request_context():  # the invitation mail links back to the app
            invitations.invite(
                workspace.id,
                actor_user_id=owner_id,
                email="new.person@example.com",
                role="developer",
            )
        servers = {s.name: s.id for s in db.session.scalars(select(Server).order_by(Server.name))}
        ids = (workspace.id, connection.id, token.id)
    long_resource = factory.resource(workspace, LONG_NAME)
    workspace_id, connection_id, token_id = ids
    return {
        "dashboard": "/",
        "dashboard-filtered": "/?status=pending",
        "detail-long-name": f"/payments/{long_resource.id}",
        "detail-complete": f"/payments/{servers['US marketplace']}",
        "detail-needs-info": f"/payments/{servers['EU storefront']}",
        "detail-under-review": f"/payments/{servers['UK subscriptions']}",
        "new-resource": "/payments/new",
        "workspaces": "/workspaces",
        "overview": f"/workspaces/{workspace_id}/overview",
        "members": f"/workspaces/{workspace_id}/members",
        "activity": f"/workspaces/{workspace_id}/activity",
        "connections": "/connections",
        "workspace-connections": f"/workspaces/{workspace_id}/connections",
        "connection-new": f"/workspaces/{workspace_id}/connections/new",
        "connection": f"/workspaces/{workspace_id}/connections/{connection_id}",
        "connection-edit": f"/workspaces/{workspace_id}/connections/{connection_id}/edit",
        "connection-delete": f"/workspaces/{workspace_id}/connections/{connection_id}/delete",
        "connection-deactivate": (
            f"/workspaces/{workspace_id}/connections/{connection_id}/deactivate"
        ),
        "connection-new-secret": (
            f"/workspaces/{workspace_id}/connections/{connection_id}/notification-secret"
        ),
        "tokens": "/settings/tokens",
        "token-revoke": f"/settings/tokens/{token_id}/revoke",
        "api-docs": "/api/docs",
        "account": "/account",
        "not-found": "/no-such-page",
    }


def _check(page, live_server, screenshot, name: str, path: str, size: str) -> list[str]:
    """Open `path`; what is wrong with it at this size (too wide, axe violations)."""
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status in (200, 404), (path, response)
    screenshot(f"{size}-{name}")
    problems = []
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        problems.append(f"{path} at {size}: page is {widths[0]}px wide in a {widths[1]}px viewport")
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{path} at {size}: axe {violation['id']} on {targets}")
    return problems


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_page_fits_the_screen_and_passes_axe(page, live_server, demo_pages, screenshot, size):
    page.set_viewport_size(VIEWPORTS[size])
    problems = []
    for name, path in [("sign-in", "/auth/login"), ("forgot", "/account/forgot-password")]:
        problems += _check(page, live_server, screenshot, name, path, size)
    sign_in(page, live_server, "demo@example.com", "demo-password-2026")
    page.get_by_role("heading", name="Payments resources").wait_for()
    for name, path in demo_pages.items():
        problems += _check(page, live_server, screenshot, name, path, size)
    assert not problems, "\n".join(problems)


def test_on_a_phone_every_resource_card_shows_its_status_and_action(
    page, live_server, demo_pages, screenshot
):
    page.set_viewport_size(VIEWPORTS["phone"])
    sign_in(page, live_server, "demo@example.com", "demo-password-2026")
    page.get_by_role("heading", name="Payments resources").wait_for()
    rows = page.locator("tr[data-server-id]")
    assert rows.count() >= 5
    for index in range(rows.count()):
        row = rows.nth(index)
        for control in [row.locator(".badge"), *row.locator("button").all()]:
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
                row.inner_text()[:60]
            )


def test_an_invitation_mail_with_the_longest_name_fits_a_phone(app, page, screenshot):
    with app.test_request_context():
        html = render_template(
            "mail/invitation.html",
            subject="You're invited",
            workspace_name=LONG_NAME,
            inviter="Ada " + "L" * 80,
            role="developer",
            link="http://127.0.0.1:5000/invitations/" + "t" * 43,
            expires_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    page.set_viewport_size(VIEWPORTS["phone"])
    page.set_content(html)
    screenshot("phone-invitation-mail")
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport
