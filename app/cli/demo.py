"""`flask demo seed`: a demo user and workspaces that show every part of the app at once."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Server, StripeConnection, Workspace
from app.services import connections, resources
from app.services.onboarding import OnboardingBlocked, connect_or_continue
from app.services.users import create_user, create_workspace, find_user_by_email, owned_workspace
from app.stripe_gateway import StripeGatewayError

demo_cli = AppGroup("demo", help="Demo data for trying the app.")

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — printed for the demo; development only

# (name, description, mode, currency, country, state the demo starts the account in). With
# `--with-accounts` the seed connects the resources that name a state; the offline sandbox
# starts their accounts there (its stand-in for Stripe's test-mode magic values), so the
# dashboard shows every status at once. `None`: left for you to connect. DISCONNECTED: connected
# complete, then the account disconnects from the platform at the sandbox, whose
# `account.application.deauthorized` webhook shows the resource as disconnected.
DISCONNECTED = "disconnected"
DEMO_RESOURCES = (
    ("EU storefront", "Sells prints to customers in the EU.", "test", "eur", "DE", "past_due"),
    ("Pop-up kiosk", "Event sales; its owner left us.", "test", "usd", "US", DISCONNECTED),
    ("US marketplace", "Marketplace payouts for US sellers.", "test", "usd", "US", "complete"),
    ("UK subscriptions", "Monthly plans for UK customers.", "test", "gbp", "GB", "under_review"),
    ("Ticket resale", "Resold concert tickets.", "test", "usd", "US", "paused"),
    ("Course sales", "Online courses, sold worldwide.", "test", "usd", "US", None),
    # Live mode with only a test key configured: shows why Connect is disabled, and for whom.
    (
        "Live payouts",
        "Real-money payouts (needs a live Stripe connection).",
        "live",
        "usd",
        "US",
        None,
    ),
    ("Tip jar", "Donations from readers.", "test", "usd", "US", None),
)

# Globex onboards under its own Stripe connection, whose webhooks the sandbox is told to send
# to the connection's endpoint: its page shows events arriving and partner deliveries.
DEMO_CONNECTION = {
    "name": "Globex test platform",
    "description": "Globex's own Stripe platform (sandbox).",
    "api_key": "sk_test_demoGlobexConnection00000000000000",
    "webhook_secret": "whsec_demoGlobexConnection000000000000000",
    "partner_endpoint": "https://partner.example.com/onboarding-events",
}
DEMO_CONNECTION_RESOURCE = ("Globex shop", "Globex's web shop.", "test", "usd", "US", "past_due")


@demo_cli.command("seed")
@click.option(
    "--with-accounts",
    is_flag=True,
    help="Also create Stripe accounts in varied states (meant for the offline sandbox).",
)
def demo_seed(with_accounts: bool) -> None:
    """Create the demo user, workspaces and payments resources (safe to run again)."""
    user = find_user_by_email(DEMO_EMAIL)
    if user is None:
        user = create_user(DEMO_EMAIL, DEMO_PASSWORD, "Demo Admin")
    workspace = owned_workspace("Acme Marketplace", user.id) or create_workspace(
        "Acme Marketplace", DEMO_EMAIL
    )
    other = owned_workspace("Globex Labs", user.id) or create_workspace("Globex Labs", DEMO_EMAIL)
    plan = [(workspace, row) for row in DEMO_RESOURCES[:-1]] + [(other, DEMO_RESOURCES[-1])]
    if with_accounts and current_app.config.get("STRIPE_API_BASE"):
        _demo_connection(other, user.id)
        plan.append((other, DEMO_CONNECTION_RESOURCE))
    existing = {
        server.name: server
        for server in db.session.scalars(
            select(Server).where(Server.workspace_id.in_([workspace.id, other.id]))
        )
    }
    for target, (name, description, mode, currency, country, state) in plan:
        server = existing.get(name)
        if server is None:
            server = resources.create_payments_resource(
                workspace_id=target.id,
                user_id=user.id,
                name=name,
                description=description,
                mode=mode,
                currency=currency,
                country=country,
                actor_label="demo seed",
            )
        payments = server.payments
        if with_accounts and state and payments.stripe_account_id is None:
            if state != DISCONNECTED:
                _connect_demo_resource(server, user.id, state)
            elif payments.status != DISCONNECTED:
                _connect_demo_resource(server, user.id, "complete")
                _disconnect_demo_resource(server)
    click.echo(
        f"Demo data seeded. Sign in with\n  email:    {DEMO_EMAIL}\n  password: {DEMO_PASSWORD}"
    )


def _connect_demo_resource(server: Server, user_id: str, state: str) -> None:
    """Create the resource's account through the real Connect path, starting in `state`."""
    server.metadata_ = {**(server.metadata_ or {}), "sandbox_state": state}
    db.session.commit()
    try:
        connect_or_continue(
            server.id, user_id=user_id, urls=None, link_kind="none", actor_label="demo seed"
        )
    except (OnboardingBlocked, StripeGatewayError) as error:
        click.echo(f"  {server.name}: left unconnected ({error}).")


def _disconnect_demo_resource(server: Server) -> None:
    """The resource's account disconnects from the platform at the sandbox, which sends the
    app `account.application.deauthorized` (`make run` holds webhooks until the app listens)."""
    db.session.refresh(server.payments)
    account_id = server.payments.stripe_account_id
    if account_id is None:
        return  # connecting failed and said so
    base = current_app.config["STRIPE_API_BASE"].rstrip("/")
    _sandbox_call(f"{base}/_sandbox/accounts/{account_id}/deauthorize", {})


def _demo_connection(workspace: Workspace, user_id: str) -> None:
    """Globex's connection, verified by the sandbox, which registers its webhook endpoint there.

    Saving a connection registers its Connect endpoint through `POST /v1/webhook_endpoints`, as
    with real Stripe, so the demo needs no manual step. Needs PUBLIC_BASE_URL (`make run` sets
    it); without it the pasted secret is kept and nothing is registered.
    """
    found = db.session.scalars(
        select(StripeConnection).where(
            StripeConnection.workspace_id == workspace.id,
            StripeConnection.name == DEMO_CONNECTION["name"],
        )
    ).first()
    if found is not None:
        return
    base = current_app.config["STRIPE_API_BASE"].rstrip("/")
    key = DEMO_CONNECTION["api_key"]
    platform = _sandbox_call(f"{base}/_sandbox/platform_account?key={urllib.parse.quote(key)}")
    connections.create_connection(
        workspace.id, actor_user_id=user_id, stripe_account_id=platform["id"], **DEMO_CONNECTION
    )
    if not current_app.config.get("PUBLIC_BASE_URL"):
        click.echo("  Set PUBLIC_BASE_URL to have Globex's webhook endpoint registered.")


def _sandbox_call(url: str, body: dict | None = None) -> dict:
    """One call to the offline sandbox's control API (loopback only, never real Stripe)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 — the sandbox URL we were configured with
        url, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())
