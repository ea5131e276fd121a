"""Absolute URLs Stripe sends people back to, with and without PUBLIC_BASE_URL."""

from __future__ import annotations

import pytest

from app.urls import external_url, onboarding_urls


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://pay.example.com", "https://pay.example.com/payments/srv_1/onboarding/return"),
        ("https://example.com/app/", "https://example.com/app/payments/srv_1/onboarding/return"),
    ],
)
def test_public_base_url_wins_even_outside_a_request(app, base, expected):
    app.config["PUBLIC_BASE_URL"] = base
    try:
        with app.app_context():
            refresh, back = onboarding_urls("srv_1")
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert back == expected
    assert refresh == expected.replace("/return", "/refresh")


def test_without_public_base_url_the_request_host_is_used(app):
    with app.test_request_context("/", base_url="http://internal:8000"):
        assert external_url("onboarding.refresh", server_id="srv_1") == (
            "http://internal:8000/payments/srv_1/onboarding/refresh"
        )


def test_outside_a_request_without_public_base_url_it_says_what_to_set(app):
    with app.app_context(), pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        external_url("onboarding.refresh", server_id="srv_1")
