"""Fixtures for the /v1 API: an owner with a resource, tokens, and a small bearer client."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Server, User
from app.services import api_tokens
from tests.helpers import ApiClient


@pytest.fixture
def token_for(app):
    """Mint a real API token for a user through the service: `token_for(user) -> secret`."""

    def mint(user: User, name: str = "tests") -> str:
        with app.app_context():
            return api_tokens.create_token(user.id, name).secret

    return mint


@pytest.fixture
def owner_token(owned, token_for) -> str:
    """A token of the resource's owner."""
    return token_for(owned.owner)


@pytest.fixture
def api(client, owner_token) -> ApiClient:
    """A bearer client acting as the owner."""
    return ApiClient(client, owner_token)


@pytest.fixture
def stored_tokens(app):
    """A user's token rows, read afresh: `stored_tokens(user_id)`."""

    def read(user_id: str) -> list[ApiToken]:
        with app.app_context():
            rows = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)))
            db.session.expunge_all()
            return rows

    return read


@pytest.fixture
def other_server(app, owned) -> str:
    """A server of kind `api` in the owner's workspace (not a payments resource)."""
    with app.app_context():
        server = Server(workspace_id=owned.workspace.id, name="Public API", kind="api")
        db.session.add(server)
        db.session.commit()
        return server.id
