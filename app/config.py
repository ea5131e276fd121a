"""Configuration: defaults → instance/config.py → environment → test config.

Nothing here is read at import time by the rest of the app; `load_config` runs inside
`create_app`, and code reads `current_app.config` when it needs a value.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask

from app.services.connection_options import CONNECTION_OPTIONS


class UnsafeConfigError(RuntimeError):
    """Raised when production would start with development secrets."""


class DefaultConfig:
    """Defaults that make development work out of the box."""

    APP_ENV = "development"
    SECRET_KEY: str | None = None
    # Fernet keys, newest first: the first encrypts, all decrypt (rotation).
    ENCRYPTION_KEYS: list[str] = []
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    # Lax, not Strict: Strict drops the cookie on the redirect back from Stripe's onboarding.
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION_DAYS = 30
    LOGIN_SESSION_HOURS = 12
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"
    CHECK_STATUS_RATE_LIMIT = "6 per minute"
    API_RATE_LIMIT = "120 per minute"

    # Stripe. STRIPE_API_BASE points the SDK at the offline sandbox; unset means api.stripe.com.
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_TIMEOUT_SECONDS = 8.0
    STRIPE_MAX_NETWORK_RETRIES = 2
    # STRIPE_ACCOUNT_LINKS_API, STRIPE_COLLECTION_FIELDS, STRIPE_FUTURE_REQUIREMENTS and
    # STRIPE_ACCOUNT_DASHBOARD: defaults and allowed values in services/connection_options.py.
    # Origins the browser may be redirected to from our Connect form (CSP form-action).
    STRIPE_REDIRECT_ORIGINS = ["https://connect.stripe.com", "https://accounts.stripe.com"]
    # A creation claim older than this belongs to a request that died between Stripe's answer
    # and our commit; the next click takes it over (same idempotency key → same account).
    ACCOUNT_CLAIM_STALE_SECONDS = 60.0
    # How long a concurrent Connect waits for the request that is creating the account.
    ACCOUNT_CLAIM_WAIT_SECONDS = 10.0
    REFRESH_LOOP_LIMIT = 5  # refreshes of one resource ...
    REFRESH_LOOP_WINDOW_SECONDS = 120  # ... within this window trip the loop guard

    # Where Stripe and partners reach us; links we mint use it when set (behind a proxy).
    PUBLIC_BASE_URL: str | None = None
    PROXY_FIX_HOPS = 0

    JWT_SECRET: str | None = None
    JWT_TTL_SECONDS = 3600
    API_VERSION = "1.3.0"

    NOTIFICATION_MAX_ATTEMPTS = 8
    NOTIFICATION_TIMEOUT_SECONDS = 5.0
    MAX_WEBHOOK_BYTES = 256 * 1024
    MAX_CONTENT_LENGTH = 1024 * 1024
    DASHBOARD_PAGE_SIZE = 20


ENV_STRINGS = (
    "APP_ENV",
    "SECRET_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    *(option.config_key for option in CONNECTION_OPTIONS),
    "PUBLIC_BASE_URL",
    "JWT_SECRET",
    "RATELIMIT_STORAGE_URI",
)
ENV_NUMBERS = {"STRIPE_TIMEOUT_SECONDS": float, "PROXY_FIX_HOPS": int}


def _from_environment() -> dict[str, Any]:
    """Settings given as environment variables (12-factor deployments)."""
    found: dict[str, Any] = {k: os.environ[k] for k in ENV_STRINGS if os.environ.get(k)}
    for key, cast in ENV_NUMBERS.items():
        if os.environ.get(key):
            found[key] = cast(os.environ[key])
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("ENCRYPTION_KEYS"):
        found["ENCRYPTION_KEYS"] = [
            k.strip() for k in os.environ["ENCRYPTION_KEYS"].split(",") if k.strip()
        ]
    if os.environ.get("STRIPE_REDIRECT_ORIGINS"):
        found["STRIPE_REDIRECT_ORIGINS"] = os.environ["STRIPE_REDIRECT_ORIGINS"].split(",")
    return found


def _normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` spelling and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secrets(instance_path: Path) -> dict[str, Any]:
    """Random secrets kept in the instance folder, so development needs no setup.

    Never used in production: `check_production_config` refuses to start without real ones.
    """
    path = instance_path / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "JWT_SECRET": secrets.token_urlsafe(32),
    }
    instance_path.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(generated, indent=2))
    path.chmod(0o600)
    return generated


def check_production_config(config: dict[str, Any]) -> None:
    """Refuse to run production with missing or weak secrets: one line says what to set."""
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", config.get("SECRET_KEY")),
            ("ENCRYPTION_KEYS", config.get("ENCRYPTION_KEYS")),
            ("JWT_SECRET", config.get("JWT_SECRET")),
            ("DATABASE_URL", config.get("SQLALCHEMY_DATABASE_URI")),
        )
        if not value
    ]
    if missing:
        raise UnsafeConfigError(
            "Refusing to start in production: set "
            + ", ".join(missing)
            + " (see README, 'Configuration')."
        )
    if len(config["SECRET_KEY"]) < 32:
        raise UnsafeConfigError("Refusing to start in production: SECRET_KEY must be 32+ chars.")
    for key in config["ENCRYPTION_KEYS"]:
        try:
            Fernet(key)
        except ValueError:
            raise UnsafeConfigError(
                "Refusing to start in production: ENCRYPTION_KEYS holds an invalid Fernet key "
                "(make one with `flask secrets new-key`)."
            ) from None


# Settings with a fixed set of values: a typo must stop the app, not silently change behaviour.
CHOICES: dict[str, tuple[str, ...]] = {
    "APP_ENV": ("development", "testing", "production"),
    **{option.config_key: option.allowed for option in CONNECTION_OPTIONS},
}


def check_choices(config: dict[str, Any]) -> None:
    """Refuse unknown values of enumerated settings, naming the allowed ones."""
    for name, allowed in CHOICES.items():
        if config.get(name) not in allowed:
            raise UnsafeConfigError(
                f"{name}={config.get(name)!r} is not valid; use one of: {', '.join(allowed)}."
            )


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill `app.config` in order: defaults, instance file, environment, test config."""
    app.config.from_object(DefaultConfig)
    app.config.from_mapping({option.config_key: option.default for option in CONNECTION_OPTIONS})
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(_from_environment())
    if test_config:
        app.config.update(test_config)

    check_choices(app.config)
    env = app.config["APP_ENV"]
    if env == "production":
        check_production_config(app.config)
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    else:
        dev = _development_secrets(Path(app.instance_path))
        for key, value in dev.items():
            if not app.config.get(key):
                app.config[key] = value
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = Path(app.instance_path) / "connect-onboarding.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    if env != "development":
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    if env == "testing":
        app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
