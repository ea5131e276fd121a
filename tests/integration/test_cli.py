"""The operator commands."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from app.cli.demo import DEMO_CONNECTION
from app.extensions import db
from app.models import (
    ApiToken,
    AuditEvent,
    Membership,
    PaymentsAccount,
    Server,
    StripeConnection,
    User,
    Workspace,
)
from app.services.users import find_user_by_email
from app.services.webhook_processing import DEAUTHORIZED
from tests.factories import Factory


def test_users_create_prompts_for_a_missing_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "ops@example.com"], input="s3cret-pass-1\ns3cret-pass-1\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert find_user_by_email("ops@example.com") is not None


def test_users_create_refuses_a_duplicate_email(app, runner, factory):
    factory.user("ops@example.com")
    result = runner.invoke(
        args=["users", "create", "OPS@example.com", "--password", "another-pass-1"]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_create_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["users", "create", "ops@example.com", "--password", "short"])
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output


def test_workspaces_create_needs_an_existing_owner(app, runner):
    result = runner.invoke(args=["workspaces", "create", "Acme", "--owner", "ghost@example.com"])
    assert result.exit_code == 1
    assert "No user with the email ghost@example.com" in result.output


def test_workspaces_create_and_add_member(app, runner, factory):
    factory.user("owner@example.com")
    factory.user("dev@example.com")
    assert (
        runner.invoke(
            args=["workspaces", "create", "Acme", "--owner", "owner@example.com"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        args=["workspaces", "add-member", "Acme", "dev@example.com", "--role", "developer"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        roles = dict(
            db.session.execute(select(User.email, Membership.role).join(Membership.user)).all()
        )
    assert roles == {"owner@example.com": "owner", "dev@example.com": "developer"}


def test_add_member_rejects_a_bad_role_and_unknown_names(app, runner, factory):
    factory.workspace(factory.user("owner@example.com"), "Acme")
    bad_role = runner.invoke(
        args=["workspaces", "add-member", "Acme", "owner@example.com", "--role", "god"]
    )
    assert bad_role.exit_code == 2 and "Invalid value for '--role'" in bad_role.output
    unknown_ws = runner.invoke(
        args=["workspaces", "add-member", "Nope", "owner@example.com", "--role", "viewer"]
    )
    assert unknown_ws.exit_code == 1 and "No workspace 'Nope'" in unknown_ws.output
    unknown_user = runner.invoke(
        args=["workspaces", "add-member", "Acme", "x@example.com", "--role", "viewer"]
    )
    assert (
        unknown_user.exit_code == 1
        and "No user with the email x@example.com" in unknown_user.output
    )


def test_demo_seed_is_idempotent_and_prints_how_to_sign_in(app, runner, client):
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "demo@example.com" in first.output and "password:" in first.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(Workspace)) == 2
        assert db.session.scalar(select(func.count()).select_from(Server)) >= 4
        assert db.session.scalar(select(func.count()).select_from(PaymentsAccount)) >= 4
    password = first.output.split("password:")[1].split()[0]
    from tests.helpers import AuthActions

    assert AuthActions(client).login("demo@example.com", password).status_code == 303
    assert Factory.PASSWORD != password


def test_users_deactivate_reports_unknown_users(app, runner):
    result = runner.invoke(args=["users", "deactivate", "ghost@example.com"])
    assert result.exit_code == 1
    assert "No user with the email ghost@example.com" in result.output


def test_demo_seed_with_accounts_shows_every_status_through_the_real_connect_path(
    app, runner, client, sandbox, live_server, webhook_workers, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://127.0.0.1:5999")
    # What `make run` starts the sandbox with: every event to the app-level endpoint.
    sandbox.add_webhook_endpoint(
        f"{live_server.url}/webhooks/stripe", secret=app.config["STRIPE_WEBHOOK_SECRET"]
    )
    result = runner.invoke(args=["demo", "seed", "--with-accounts"])
    assert result.exit_code == 0, result.output
    # The kiosk's account disconnected at the sandbox; its webhook reached the app.
    (deauthorized,) = [e for e in sandbox.events() if e["type"] == DEAUTHORIZED]
    deadline = time.monotonic() + 10
    while not any(
        d["event_id"] == deauthorized["id"] and d["status"] == "succeeded"
        for d in sandbox.deliveries()
    ):
        assert time.monotonic() < deadline, sandbox.deliveries()
        time.sleep(0.05)
    webhook_workers.wait_idle()
    with app.app_context():
        rows = db.session.execute(
            select(
                Server.name,
                PaymentsAccount.onboarding_status,
                PaymentsAccount.status_reason,
                PaymentsAccount.connection_id,
            ).join(Server.payments)
        ).all()
        connection = db.session.scalars(select(StripeConnection)).one()
    states = {name: (status, reason) for name, status, reason, _ in rows}
    under = {name: connection_id for name, _, _, connection_id in rows}
    assert states["US marketplace"] == ("complete", "none")
    assert states["UK subscriptions"] == ("pending", "under_review")
    assert states["EU storefront"] == ("pending", "needs_info")
    assert states["Ticket resale"] == ("pending", "paused")
    assert states["Tip jar"] == states["Live payouts"] == ("not_started", "none")
    assert states["Pop-up kiosk"] == ("not_started", "disconnected")
    # Globex onboards under its own connection; saving it registered its Connect endpoint at
    # the sandbox (POST /v1/webhook_endpoints), as a real platform's would be at Stripe.
    assert states["Globex shop"] == ("pending", "needs_info")
    assert under["Globex shop"] == connection.id and under["EU storefront"] is None
    registered = sandbox.stripe_client(DEMO_CONNECTION["api_key"]).v1.webhook_endpoints.list()
    assert [(e.url, e.status) for e in registered.data] == [
        (f"http://127.0.0.1:5999/webhooks/stripe/{connection.id}", "enabled")
    ]
    assert len(sandbox.accounts()) == 6
    assert [a["account"]["id"] for a in sandbox.accounts() if a["disconnected"]] == [
        deauthorized["account"]
    ]
    assert "demo@example.com" in result.output and "Demo ready" not in result.output
    sandbox.clear_requests()
    assert runner.invoke(args=["demo", "seed", "--with-accounts"]).exit_code == 0
    # Idempotent: nothing is created twice. (Webhooks still arriving may make the live app
    # re-read an account meanwhile: only writes count.)
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []
    password = result.output.split("password:")[1].split()[0]
    from tests.helpers import AuthActions

    AuthActions(client).login("demo@example.com", password)
    dashboard = client.get("/").get_data(as_text=True)
    kiosk = dashboard.split("Pop-up kiosk", 1)[1].split("</tr>", 1)[0]
    assert "Disconnected" in kiosk


def test_workspaces_create_refuses_a_second_workspace_of_the_same_name_for_one_owner(
    app, runner, factory
):
    factory.user("owner@example.com")
    factory.user("other@example.com")
    create = ["workspaces", "create", "Acme", "--owner"]
    assert runner.invoke(args=[*create, "owner@example.com"]).exit_code == 0
    again = runner.invoke(args=[*create, "owner@example.com"])
    assert again.exit_code == 1
    assert "owner@example.com already owns a workspace named 'Acme'" in again.output
    assert runner.invoke(args=[*create, "other@example.com"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Workspace)) == 2


def test_add_member_never_picks_one_of_two_workspaces_of_the_same_name(app, runner, factory):
    first = factory.workspace(factory.user(), "Acme")
    second = factory.workspace(factory.user(), "Acme")
    factory.user("dev@example.com")
    add = ["workspaces", "add-member"]
    ambiguous = runner.invoke(args=[*add, "Acme", "dev@example.com", "--role", "developer"])
    assert ambiguous.exit_code == 1
    assert "2 workspaces are named 'Acme'" in ambiguous.output
    assert first.id in ambiguous.output and second.id in ambiguous.output
    by_id = runner.invoke(args=[*add, second.id, "dev@example.com", "--role", "developer"])
    assert by_id.exit_code == 0, by_id.output
    with app.app_context():
        joined = db.session.scalars(
            select(Membership.workspace_id)
            .join(Membership.user)
            .where(User.email == "dev@example.com")
        ).all()
    assert joined == [second.id]


def test_the_last_owner_cannot_be_demoted_but_one_of_two_can(app, runner, factory):
    workspace = factory.workspace(factory.user("owner@example.com"), "Acme")
    factory.user("second@example.com")
    demote = ["workspaces", "add-member", workspace.id, "owner@example.com", "--role", "admin"]
    refused = runner.invoke(args=demote)
    assert refused.exit_code == 1
    assert "last owner" in refused.output
    promote = ["workspaces", "add-member", workspace.id, "second@example.com", "--role", "owner"]
    assert runner.invoke(args=promote).exit_code == 0
    assert runner.invoke(args=demote).exit_code == 0
    with app.app_context():
        roles = dict(
            db.session.execute(select(User.email, Membership.role).join(Membership.user)).all()
        )
    assert roles == {"owner@example.com": "admin", "second@example.com": "owner"}


def test_revoking_a_revoked_token_says_nothing_changed(app, runner, factory):
    factory.user("dev@example.com")
    created = runner.invoke(args=["tokens", "create", "dev@example.com", "--name", "ci"])
    assert created.exit_code == 0, created.output
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    first = runner.invoke(args=["tokens", "revoke", token_id])
    assert first.exit_code == 0 and "Revoked “ci”" in first.output
    again = runner.invoke(args=["tokens", "revoke", token_id])
    assert again.exit_code == 0
    assert "was already revoked" in again.output and "nothing changed" in again.output
    with app.app_context():
        revocations = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_token.revoked")
        ).all()
    assert len(revocations) == 1
