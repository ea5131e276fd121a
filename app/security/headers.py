"""Security headers on every response: a CSP with no inline scripts, and HSTS in production."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def form_action_sources() -> list[str]:
    """Where our forms may lead the browser.

    The Connect form answers 303 to Stripe's onboarding host; Chromium applies `form-action` to
    that redirect, so Stripe's origins (and the sandbox's, in development) must be allowed.
    """
    sources = ["'self'", *current_app.config["STRIPE_REDIRECT_ORIGINS"]]
    if current_app.config.get("STRIPE_API_BASE"):
        sources.append(_origin(current_app.config["STRIPE_API_BASE"]))
    return sources


def init_app(app: Flask) -> None:
    """Attach the headers hook."""

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        csp = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                "object-src 'none'",
                "base-uri 'none'",
                "frame-ancestors 'none'",
                "form-action " + " ".join(form_action_sources()),
            ]
        )
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Never leak our paths (resource ids) to Stripe or anyone we link to.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        if current_app.config["APP_ENV"] == "production":
            # Browsers then refuse plain http to us for a year, even for a first typed URL.
            response.headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={current_app.config['HSTS_MAX_AGE_SECONDS']}; includeSubDomains",
            )
        return response
