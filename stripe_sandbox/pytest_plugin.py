"""pytest fixtures for the sandbox: `pytest_plugins = ["stripe_sandbox.pytest_plugin"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripe_sandbox.testing import SandboxServer, WebhookReceiver


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """One sandbox on a free loopback port for the whole test session."""
    server = SandboxServer()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The session's sandbox, reset to empty for this test; its clients closed after it."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.close_clients()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A local HTTP server recording the webhooks the sandbox delivers to it."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()
