"""Helpers shared by the Stripe connection tests: valid field sets and a ready connection."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db
from app.services import connections
from tests.helpers import TAMPERED, service_values


@pytest.fixture
def https_links(app):
    """The app sends Stripe https:// return URLs, as a live connection needs."""
    before, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], "https://app.example.com"
    yield
    app.config["PUBLIC_BASE_URL"] = before


@pytest.fixture
def add_connection(app):
    """Create a connection through the service: (detached connection, notification secret)."""

    def add(workspace, actor=None, verify=False, **overrides):
        with app.app_context():
            connection, secret = connections.create_connection(
                workspace.id,
                actor_user_id=actor.id if actor else None,
                verify=verify,
                **service_values(**overrides),
            )
            db.session.refresh(connection)
            db.session.expunge_all()
            return connection, secret

    return add


@pytest.fixture
def tamper(app):
    """Overwrite one stored ciphertext column of a connection behind the app's back."""

    def overwrite(connection_id: str, column: str, value: str = TAMPERED) -> None:
        assert column.endswith("_ciphertext")
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE stripe_connections SET {column} = :value WHERE id = :id"),  # noqa: S608
                {"value": value, "id": connection_id},
            )

    return overwrite
