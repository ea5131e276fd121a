"""`flask users …`, `flask workspaces …` and `flask demo seed`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Server
from app.security.permissions import ROLES
from app.services import account, members, resources
from app.services.access import NotFound
from app.services.onboarding import OnboardingBlocked, connect_or_continue
from app.services.users import (
    UserError,
    add_member,
    create_user,
    create_workspace,
    find_user_by_email,
    find_workspace,
    owned_workspace,
    set_active,
)
from app.stripe_gateway import StripeGatewayError

users_cli = AppGroup("users", help="Manage users.")
workspaces_cli = AppGroup("workspaces", help="Manage workspaces and their members.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — printed for the demo; development only


def _fail(error: Exception) -> None:
    raise click.ClickException(str(error))


@users_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.password_option(help="Prompted for (twice) when not given.")
def users_create(email: str, name: str, password: str) -> None:
    """Create a user who can sign in with EMAIL."""
    try:
        user = create_user(email, password, name)
    except UserError as error:
        _fail(error)
    click.echo(f"Created user {user.email} ({user.id}).")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Deactivate a user and end all their sessions."""
    try:
        set_active(email, False)
    except UserError as error:
        _fail(error)
    click.echo(f"Deactivated {email}; their sessions have ended.")


@users_cli.command("activate")
@click.argument("email")
def users_activate(email: str) -> None:
    """Allow a deactivated user to sign in again."""
    try:
        set_active(email, True)
    except UserError as error:
        _fail(error)
    click.echo(f"Activated {email}.")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option(help="Prompted for (twice) when not given.")
def users_set_password(email: str, password: str) -> None:
    """Set EMAIL's password; every session, API token and JWT they hold ends."""
    try:
        account.set_password(email, password)
    except account.AccountError as error:
        _fail(error)
    click.echo(f"Password set for {email}; their sessions, API tokens and JWTs have ended.")


@workspaces_cli.command("create")
@click.argument("name")
@click.option("--owner", "owner_email", required=True, help="Email of the owner (must exist).")
def workspaces_create(name: str, owner_email: str) -> None:
    """Create a workspace NAME owned by an existing user (one NAME per owner)."""
    try:
        workspace = create_workspace(name, owner_email)
    except UserError as error:
        _fail(error)
    click.echo(f"Created workspace {workspace.name} ({workspace.id}).")


@workspaces_cli.command("add-member")
@click.argument("workspace")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The member's role.")
def workspaces_add_member(workspace: str, email: str, role: str) -> None:
    """Add EMAIL to WORKSPACE with a role, or change their role.

    WORKSPACE is an id (ws_…), or a name no other workspace has. The last owner cannot be
    demoted.
    """
    try:
        add_member(workspace, email, role)
    except UserError as error:
        _fail(error)
    click.echo(f"{email} is now {role} of {workspace}.")


@workspaces_cli.command("remove-member")
@click.argument("workspace")
@click.argument("email")
def workspaces_remove_member(workspace: str, email: str) -> None:
    """Remove EMAIL from WORKSPACE (id or name); the last owner cannot be removed."""
    try:
        found = find_workspace(workspace)
    except UserError as error:
        _fail(error)
    user = find_user_by_email(email)
    if found is None or user is None:
        _fail(UserError(f"No workspace '{workspace}'." if found is None else f"No user {email}."))
    try:
        members.remove_member(found.id, user.id, actor_user_id=None, actor_label="cli")
    except NotFound:
        _fail(UserError(f"{email} is not a member of {found.name}."))
    except members.MemberError as error:
        _fail(error)
    click.echo(f"Removed {email} from {found.name}.")


# (name, description, mode, currency, country, state the demo starts the account in). With
# `--with-accounts` the seed connects the resources that name a state; the offline sandbox
# starts their accounts there (its stand-in for Stripe's test-mode magic values), so the
# dashboard shows every status at once. `None`: left for you to connect.
DEMO_RESOURCES = (
    ("EU storefront", "Sells prints to customers in the EU.", "test", "eur", "DE", "past_due"),
    ("US marketplace", "Marketplace payouts for US sellers.", "test", "usd", "US", "complete"),
    ("UK subscriptions", "Monthly plans for UK customers.", "test", "gbp", "GB", "under_review"),
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
    existing = {
        server.name: server
        for server in db.session.scalars(
            select(Server).where(Server.workspace_id.in_([workspace.id, other.id]))
        )
    }
    for index, (name, description, mode, currency, country, state) in enumerate(DEMO_RESOURCES):
        server = existing.get(name)
        if server is None:
            server = resources.create_payments_resource(
                workspace_id=(other if index == len(DEMO_RESOURCES) - 1 else workspace).id,
                user_id=user.id,
                name=name,
                description=description,
                mode=mode,
                currency=currency,
                country=country,
                actor_label="demo seed",
            )
        if with_accounts and state and server.payments.stripe_account_id is None:
            _connect_demo_resource(server, user.id, state)
    click.echo(
        "Demo ready. Sign in at http://127.0.0.1:5000 with\n"
        f"  email:    {DEMO_EMAIL}\n  password: {DEMO_PASSWORD}"
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
