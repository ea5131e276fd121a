"""The earnings tests reuse the webhook tests' connected resource and signed events."""

from tests.integration.webhooks.conftest import connect, post_event  # noqa: F401
