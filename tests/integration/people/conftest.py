"""Fixtures for the people tests: a workspace with an owner, signed-in clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.models import User, Workspace
from tests.helpers import AuthActions


@dataclass
class Team:
    """An owner and their workspace."""

    owner: User
    workspace: Workspace


@pytest.fixture
def team(factory) -> Team:
    """Olive owns Acme."""
    owner = factory.user("olive@example.com", name="Olive Owner")
    return Team(owner, factory.workspace(owner, "Acme"))


@pytest.fixture
def owner_auth(client, auth, team) -> AuthActions:
    """`client`, signed in as the owner."""
    assert auth.login(team.owner.email).status_code == 303
    return auth


@pytest.fixture
def second_client(app):
    """Another browser, with its own cookies: `(client, auth)`."""
    other = app.test_client()
    return other, AuthActions(other)
