"""Fixtures for the invite tests: a signed-in owner with one resource, an invitee's browser."""

from __future__ import annotations

import pytest

from tests.helpers import Setup


@pytest.fixture
def signed_in(auth, owned) -> Setup:
    """`owned`, with the owner signed in on `client`."""
    auth.login(owned.owner.email)
    return owned


@pytest.fixture
def invitee(app):
    """The invitee's browser: its own cookies, never signed in."""
    return app.test_client()


@pytest.fixture
def public_base(app, monkeypatch):
    """Links in mail built outside a request, as the worker builds them."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://localhost")
