"""Helpers for the webhook and notification tests: a connected resource, events, signatures."""

from __future__ import annotations

import json

import pytest

from tests.helpers import (
    stripe_signature,
)


@pytest.fixture
def post_event(client):
    """POST an event to a webhook path, signed with `secret` (or a given header)."""

    def post(path: str, event: dict, secret: str, *, header: str | None = None, body=None):
        payload = body if body is not None else json.dumps(event).encode()
        signature = header if header is not None else stripe_signature(payload, secret)
        return client.post(
            path,
            data=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )

    return post
