"""`flask users …` and `flask workspaces …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.security.permissions import ROLES
from app.services import account, members
from app.services.access import NotFound
from app.services.users import (
    UserError,
    add_member,
    create_user,
    create_workspace,
    find_user_by_email,
    find_workspace,
    set_active,
)

users_cli = AppGroup("users", help="Manage users.")
workspaces_cli = AppGroup("workspaces", help="Manage workspaces and their members.")


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
