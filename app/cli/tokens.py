"""`flask tokens …`: credentials for the JSON APIs."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.security.jwt_tokens import mint_jwt
from app.services import api_tokens
from app.services.users import find_user_by_email

tokens_cli = AppGroup("tokens", help="Mint API tokens (/v1) and JWTs (/web/v1).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'CI deploys'.")
def tokens_create(email: str, name: str) -> None:
    """Create a personal /v1 API token for EMAIL and print it (the only time it is shown)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    try:
        created = api_tokens.create_token(user.id, name, actor_label="cli")
    except api_tokens.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created token “{created.token.name}” ({created.token.id}) for {user.email}.")
    click.echo("Copy it now; it is not stored and will not be shown again:")
    click.echo(created.secret)


@tokens_cli.command("list")
@click.argument("email")
def tokens_list(email: str) -> None:
    """List EMAIL's API tokens (prefixes only) with when each was last used."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    tokens = api_tokens.list_tokens(user.id)
    if not tokens:
        click.echo(f"{user.email} has no API tokens.")
    for token in tokens:
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.id}  {token.prefix}…  {token.name}  last used: {used}  {state}")


@tokens_cli.command("revoke")
@click.argument("token_id")
def tokens_revoke(token_id: str) -> None:
    """Revoke the API token TOKEN_ID (see `flask tokens list`); calls with it get 401."""
    try:
        token = api_tokens.revoke_token(token_id, actor_label="cli")
    except api_tokens.TokenNotFound:
        raise click.ClickException(f"No API token {token_id}.") from None
    except api_tokens.TokenAlreadyRevoked as already:
        # The token is revoked either way, so this is not a failure; but say nothing changed.
        revoked_at = already.token.revoked_at.isoformat(timespec="seconds")
        click.echo(
            f"“{already.token.name}” ({token_id}) was already revoked at {revoked_at}; "
            "nothing changed."
        )
        return
    click.echo(f"Revoked “{token.name}” ({token.id}).")


@tokens_cli.command("jwt")
@click.argument("email")
@click.option("--ttl", type=click.IntRange(60, 30 * 24 * 3600), help="Lifetime in seconds.")
def tokens_jwt(email: str, ttl: int | None) -> None:
    """Print a /web/v1 JWT (HS256, JWT_SECRET) for EMAIL, valid --ttl seconds."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user with the email {email}.")
    click.echo(mint_jwt(user.id, ttl))
