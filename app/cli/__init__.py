"""Operator commands, one module per command group, registered on the app's `flask` CLI."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command group."""
    from app.cli.demo import demo_cli
    from app.cli.mail import mail_cli
    from app.cli.notifications import notifications_cli
    from app.cli.reminders import reminders_cli
    from app.cli.secrets import secrets_cli
    from app.cli.stripe import stripe_cli
    from app.cli.tokens import tokens_cli
    from app.cli.users import users_cli, workspaces_cli
    from app.cli.webhooks import webhooks_cli

    for group in (users_cli, workspaces_cli, demo_cli, tokens_cli, notifications_cli, stripe_cli):
        app.cli.add_command(group)
    app.cli.add_command(secrets_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(webhooks_cli)
