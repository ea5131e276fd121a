"""Security headers on every response: a CSP with no inline scripts, and HSTS in production."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def form_action_sources(config: Mapping[str, Any]) -> list[str]:
    """Where our forms may lead the browser.

    The Connect form answers 303 to Stripe's onboarding host; Chromium applies `form-action` to
    that redirect, so Stripe's origins (and the sandbox's, in development) must be allowed.
    """
    sources = ["'self'", *config["STRIPE_REDIRECT_ORIGINS"]]
    if config.get("STRIPE_API_BASE"):
        sources.append(_origin(config["STRIPE_API_BASE"]))
    return sources


def security_headers(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The headers every response carries (pages also get `Cache-Control`, see `init_app`).

    They depend only on configuration, so they are built once with the app, not per response.
    """
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action " + " ".join(form_action_sources(config)),
        ]
    )
    headers = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # Never leak our paths (resource ids) to Stripe or anyone we link to.
        ("Referrer-Policy", "same-origin"),
    ]
    if config["APP_ENV"] == "production":
        # Browsers then refuse plain http to us for a year, even for a first typed URL.
        headers.append(
            (
                "Strict-Transport-Security",
                f"max-age={config['HSTS_MAX_AGE_SECONDS']}; includeSubDomains",
            )
        )
    return headers


def init_app(app: Flask) -> None:
    """Attach the headers hook, with the headers built from this app's configuration."""
    always = [(name.lower(), name, value) for name, value in security_headers(app.config)]

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        # A header the view set wins (as `setdefault` would): one pass over the few headers
        # present instead of a lookup per header, each a KeyError raised inside Werkzeug.
        present = {name.lower() for name, _value in response.headers}
        response.headers.extend(
            [(name, value) for lowered, name, value in always if lowered not in present]
        )
        if response.mimetype == "text/html" and "cache-control" not in present:
            response.headers.add("Cache-Control", "no-store")
        return response
