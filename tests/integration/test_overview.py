"""The workspace overview: funnel, time to complete and who to chase, in constant queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import AuditEvent, PaymentsAccount
from tests.helpers import statements

SOON = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def set_status(app, server, status, reason="none", deadline=None):
    """Put a resource's stored onboarding status where a test needs it."""
    with app.app_context():
        db.session.execute(
            update(PaymentsAccount)
            .where(PaymentsAccount.server_id == server.id)
            .values(onboarding_status=status, status_reason=reason, current_deadline=deadline)
        )
        db.session.commit()


def completed_after(app, server, hours: int):
    """The audit trail of a resource created at START and complete `hours` later."""
    with app.app_context():
        for action, at, details in [
            ("onboarding.account_created", START, {}),
            ("onboarding.status_changed", START + timedelta(minutes=5), {"to": "pending"}),
            ("onboarding.status_changed", START + timedelta(hours=hours), {"to": "complete"}),
        ]:
            db.session.add(
                AuditEvent(
                    workspace_id=server.workspace_id,
                    action=action,
                    subject_type="server",
                    subject_id=server.id,
                    details=details,
                    created_at=at,
                )
            )
        db.session.commit()


def test_the_overview_shows_the_funnel_the_times_and_who_to_chase_first(
    app, client, auth, factory, ada
):
    workspace = factory.workspace(ada, "Acme")
    factory.resource(workspace, "Fresh")
    later = factory.resource(workspace, "Later deadline")
    soon = factory.resource(workspace, "Soonest deadline")
    paused = factory.resource(workspace, "Paused one")
    fast, slow, middle = (factory.resource(workspace, name) for name in ("Fast", "Slow", "Mid"))
    set_status(app, later, "pending", "needs_info", LATER)
    set_status(app, soon, "pending", "needs_info", SOON)
    set_status(app, paused, "pending", "paused")
    for server, hours in [(fast, 2), (slow, 50), (middle, 5)]:
        set_status(app, server, "complete")
        completed_after(app, server, hours)
    factory.resource(factory.workspace(name="Other"), "Not ours")

    auth.login("ada@example.com")
    html = client.get(f"/workspaces/{workspace.id}/overview").get_data(as_text=True)

    assert "<strong>3</strong> resources are stuck" in html
    headline = html.split('class="overview-headline')[1].split("</p>")[0]
    assert "Start with" in headline and "Soonest deadline" in headline
    attention = html.split('<ol class="attention">')[1].split("</ol>")[0]
    order = [attention.index(name) for name in ("Soonest", "Later deadline", "Paused one")]
    assert order == sorted(order) and "Fresh" not in attention and "Fast" not in attention
    funnel = html.split('id="funnel-svg-desc">')[1].split("</desc>")[0]
    assert funnel == (
        "Not started: 1. Disconnected: 0. Needs information: 2. Under review: 0. "
        "Paused by Stripe: 1. Complete: 3. "
    )
    assert "<dt>Median</dt><dd>5 h</dd>" in html
    assert "<dt>Slowest</dt><dd>2 days 2 h</dd>" in html
    assert "Not ours" not in html


def test_the_overview_runs_the_same_number_of_queries_for_3_or_12_resources(
    app, client, auth, factory, ada
):
    def queries_for(count: int) -> int:
        workspace = factory.workspace(ada)
        for index in range(count):
            server = factory.resource(workspace)
            set_status(app, server, *[("pending", "needs_info"), ("complete", "none")][index % 2])
            completed_after(app, server, hours=index + 1)
        with statements(app) as seen:
            assert client.get(f"/workspaces/{workspace.id}/overview").status_code == 200
        return len(seen)

    auth.login("ada@example.com")
    assert queries_for(3) == queries_for(12)


def test_outsiders_get_404_and_every_member_may_look(app, client, auth, factory, ada):
    workspace = factory.workspace(ada, "Acme")
    viewer = factory.member(workspace, "viewer")
    auth.login(factory.user("stranger@example.com").email)
    assert client.get(f"/workspaces/{workspace.id}/overview").status_code == 404
    auth.logout()
    auth.login(viewer.email)
    page = client.get(f"/workspaces/{workspace.id}/overview")
    assert page.status_code == 200
    assert "Nothing is stuck" in page.get_data(as_text=True)
    assert "No resource has completed onboarding yet" in page.get_data(as_text=True)


def test_an_account_complete_at_creation_took_no_time(app, client, auth, factory, ada):
    workspace = factory.workspace(ada, "Acme")
    server = factory.resource(workspace, "Instant")
    set_status(app, server, "complete")
    with app.app_context():
        # Creation records the status change first, in the same transaction.
        for action, details in [
            ("onboarding.status_changed", {"to": "complete"}),
            ("onboarding.account_created", {}),
        ]:
            db.session.add(
                AuditEvent(
                    workspace_id=workspace.id,
                    action=action,
                    subject_type="server",
                    subject_id=server.id,
                    details=details,
                    created_at=START - timedelta(microseconds=len(details)),
                )
            )
        db.session.commit()
    auth.login("ada@example.com")
    html = client.get(f"/workspaces/{workspace.id}/overview").get_data(as_text=True)
    assert "<dt>Median</dt><dd>under a minute</dd>" in html
