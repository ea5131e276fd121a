"""Fixtures for the sandbox's own tests.

`sandbox`, `sandbox_server` and `webhook_receiver` come from `stripe_sandbox.pytest_plugin`
(loaded by tests/conftest.py); `browser`, `page` and `screenshot` from tests/browser.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe

from stripe_sandbox.testing import DEFAULT_TEST_KEY, SandboxServer
from tests.sandbox.helpers import REFRESH_URL, RETURN_URL


@pytest.fixture
def make_client(sandbox: SandboxServer) -> Iterator[Callable[..., stripe.StripeClient]]:
    """Build real StripeClients against the sandbox; their HTTP sessions close afterwards."""
    clients: list[stripe.StripeClient] = []

    def make(api_key: str = DEFAULT_TEST_KEY, **options: Any) -> stripe.StripeClient:
        stripe_client = sandbox.stripe_client(api_key, **options)
        clients.append(stripe_client)
        return stripe_client

    yield make
    for stripe_client in clients:
        stripe_client._requestor._client.close()


@pytest.fixture
def stripe_client(make_client: Callable[..., stripe.StripeClient]) -> stripe.StripeClient:
    """A StripeClient for the default test platform (2 network retries, 5 s timeout)."""
    return make_client()


@pytest.fixture
def express_account(stripe_client: stripe.StripeClient) -> stripe.Account:
    """A fresh Express account asking for card payments and transfers."""
    return stripe_client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "email": "owner@resource.example",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )


@pytest.fixture
def custom_account(stripe_client: stripe.StripeClient) -> stripe.Account:
    """A fresh account whose requirements the platform collects (no Stripe dashboard)."""
    return stripe_client.v1.accounts.create(
        params={
            "country": "GB",
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "application",
                "stripe_dashboard": {"type": "none"},
            },
        }
    )


@pytest.fixture
def onboarding_link(stripe_client: stripe.StripeClient, express_account: stripe.Account) -> str:
    """The URL of a fresh v1 onboarding link for `express_account`."""
    link = stripe_client.v1.account_links.create(
        params={
            "account": express_account.id,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        }
    )
    return link.url
