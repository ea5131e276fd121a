"""Configuration: defaults → instance/config.py → environment → test config.

Nothing here is read at import time by the rest of the app; `load_config` runs inside
`create_app`, and code reads `current_app.config` when it needs a value.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from flask import Flask

from app.services.connection_options import CONNECTION_OPTIONS, app_defaults, option_errors


class UnsafeConfigError(RuntimeError):
    """Raised when production would start with development secrets."""


# gunicorn's default worker count; one process per worker, each with its own memory.
DEFAULT_WEB_CONCURRENCY = 2
# gunicorn's default threads per worker; each worker's database pool holds as many connections.
# The workers share one listening socket and the kernel hands each new connection to whichever
# worker accepts first, often most of them to one (bench/RESULTS.md, the Connect rows): so
# each worker has threads for all the clients both should serve together, 16 (measured under
# `make bench`: Connects at 300 ms went from 0.34–0.50 of the ideal with 8 to 0.51–0.73).
DEFAULT_GUNICORN_THREADS = 16


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
    # A fixed window lets twice the limit through around a window's edge (the end of one
    # minute and the start of the next); a moving window counts the last minute wherever it
    # falls. Both memory:// and redis:// storage support it (limits' MovingWindowSupport).
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_RATE_LIMIT = "10 per minute"
    # Per account, whatever the address: many addresses cannot share one account's guesses.
    LOGIN_ACCOUNT_RATE_LIMIT = "20 per hour"
    # gunicorn's worker processes (gunicorn.conf.py reads the same variable and default).
    WEB_CONCURRENCY = DEFAULT_WEB_CONCURRENCY
    # gunicorn's threads per worker (gunicorn.conf.py reads the same variable and default).
    GUNICORN_THREADS = DEFAULT_GUNICORN_THREADS
    HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600
    CHECK_STATUS_RATE_LIMIT = "6 per minute"
    # Per admin and connection, Check webhooks at Stripe and Repair together: each is a few
    # Stripe calls on the connection's key, which shares Stripe's rate limit with onboarding.
    CHECK_WEBHOOKS_RATE_LIMIT = "6 per minute"
    API_RATE_LIMIT = "120 per minute"
    # Per client address, one budget for all of the invitee's public pages together.
    INVITE_RATE_LIMIT = "30 per minute"

    # Stripe. STRIPE_API_BASE points the SDK at the offline sandbox; unset means api.stripe.com.
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_TIMEOUT_SECONDS = 8.0
    STRIPE_MAX_NETWORK_RETRIES = 2
    # One deadline for a whole Stripe step (every attempt and retry): a person is waiting.
    STRIPE_STEP_DEADLINE_SECONDS = 10.0
    # STRIPE_ACCOUNT_LINKS_API, STRIPE_COLLECTION_FIELDS, STRIPE_FUTURE_REQUIREMENTS and
    # STRIPE_ACCOUNT_DASHBOARD: defaults and allowed values in services/connection_options.py.
    # Origins the browser may be redirected to from our Connect form (CSP form-action).
    STRIPE_REDIRECT_ORIGINS = ["https://connect.stripe.com", "https://accounts.stripe.com"]
    # How long a concurrent Connect waits for the request that is creating the account.
    ACCOUNT_CLAIM_WAIT_SECONDS = 10.0
    REFRESH_LOOP_LIMIT = 5  # refreshes of one resource ...
    REFRESH_LOOP_WINDOW_SECONDS = 120  # ... within this window trip the loop guard

    # Where Stripe and partners reach us; links we mint use it when set (behind a proxy).
    # Required in production, where it also fills TRUSTED_HOSTS when that is not set.
    PUBLIC_BASE_URL: str | None = None
    TRUSTED_HOSTS: list[str] | None = None
    PROXY_FIX_HOPS = 0

    JWT_SECRET: str | None = None
    JWT_TTL_SECONDS = 3600
    API_VERSION = "1.3.0"
    # When set, /web/v1 answers 401 unless `X-PORTAL-ACCESS-CODE` matches (seed 004's Nginx).
    PORTAL_ACCESS_CODE: str | None = None

    NOTIFICATION_MAX_ATTEMPTS = 8
    # A recorded webhook event the worker could not apply is retried with backoff (10 s,
    # doubling, at most an hour): 10 attempts span about two hours; then it is `failed`.
    WEBHOOK_MAX_ATTEMPTS = 10
    NOTIFICATION_TIMEOUT_SECONDS = 5.0
    # A claimed notification is this worker's for this long: longer than any delivery can take
    # (name resolution plus the timeout), so a live worker never loses the row it is sending.
    NOTIFICATION_LEASE_SECONDS = 30.0
    # Networks partner endpoints may be on although they are not public (CIDRs, e.g. 10.0.0.0/8).
    OUTBOUND_ALLOWED_NETWORKS: list[str] = []
    # Mail over SMTP (Flask-Mailman). Development sends to the local mail catcher of `make run`.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER: str | None = None
    MAIL_PORT = 1025
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10.0
    MAIL_DEFAULT_SENDER = "Connect Onboarding <no-reply@connect-onboarding.invalid>"
    MAIL_MAX_ATTEMPTS = 8
    # Invitations and password resets send mail; turning them off lets production run without
    # an SMTP server (then people join by `flask workspaces add-member`).
    EMAIL_FEATURES_ENABLED = True
    # The dev mail catcher's page, linked from the footer when set (development only).
    MAIL_CATCHER_URL: str | None = None
    INVITATION_TTL_DAYS = 7
    ONBOARDING_INVITE_DAYS = 14
    # Days before a Stripe requirements deadline at which a reminder is mailed.
    REMINDER_OFFSETS_DAYS = (14, 7, 3, 1)
    REMINDER_INTERVAL_SECONDS = 300.0  # how often each mail worker looks for reminders owed
    PASSWORD_RESET_TTL_MINUTES = 60
    RESET_LINK_RATE_LIMIT = "10 per hour"  # per client address
    RESET_LINK_ACCOUNT_RATE_LIMIT = "3 per hour"  # per email address asked for
    ACTIVITY_PAGE_SIZE = 50
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
    "PORTAL_ACCESS_CODE",
    "RATELIMIT_STORAGE_URI",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "MAIL_CATCHER_URL",
)
ENV_NUMBERS = {
    "STRIPE_TIMEOUT_SECONDS": float,
    "STRIPE_STEP_DEADLINE_SECONDS": float,
    "PROXY_FIX_HOPS": int,
    "WEB_CONCURRENCY": int,
    "GUNICORN_THREADS": int,
    "MAIL_PORT": int,
    "MAIL_TIMEOUT": float,
    "ONBOARDING_INVITE_DAYS": int,
    "REMINDER_INTERVAL_SECONDS": float,
}
ENV_LISTS = (
    "STRIPE_REDIRECT_ORIGINS",
    "OUTBOUND_ALLOWED_NETWORKS",
    "TRUSTED_HOSTS",
    "REMINDER_OFFSETS_DAYS",
)
ENV_FLAGS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "EMAIL_FEATURES_ENABLED")


def _from_environment() -> dict[str, Any]:
    """Settings given as environment variables (12-factor deployments)."""
    found: dict[str, Any] = {k: os.environ[k] for k in ENV_STRINGS if os.environ.get(k)}
    for key, cast in ENV_NUMBERS.items():
        if os.environ.get(key):
            found[key] = cast(os.environ[key])
    for key in ENV_FLAGS:
        if os.environ.get(key):
            found[key] = os.environ[key].strip().lower() in ("1", "true", "yes", "on")
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("ENCRYPTION_KEYS"):
        found["ENCRYPTION_KEYS"] = [
            k.strip() for k in os.environ["ENCRYPTION_KEYS"].split(",") if k.strip()
        ]
    for key in ENV_LISTS:
        if os.environ.get(key):
            found[key] = [item.strip() for item in os.environ[key].split(",") if item.strip()]
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
    if not config.get("PUBLIC_BASE_URL"):
        raise UnsafeConfigError(
            "Refusing to start in production: set PUBLIC_BASE_URL (where people and Stripe "
            "reach this app), so no request's Host header can steer the links we mint."
        )
    # Live mode redirects only to HTTPS ("Livemode requests must always be redirected via
    # HTTPS": STRIPE_NOTES.md, "What real Stripe answers"). Workspace connections are
    # held to the same rule when they are saved (app/services/connection_verification.py).
    live_key = str(config.get("STRIPE_SECRET_KEY") or "").startswith(("sk_live_", "rk_live_"))
    if live_key and not str(config["PUBLIC_BASE_URL"]).startswith("https://"):
        raise UnsafeConfigError(
            "Refusing to start in production: STRIPE_SECRET_KEY is a live key and Stripe sends "
            "people back only to https:// in live mode; set PUBLIC_BASE_URL to an https:// URL."
        )
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://") and (
        int(config["WEB_CONCURRENCY"]) > 1
    ):
        raise UnsafeConfigError(
            "Refusing to start in production: RATELIMIT_STORAGE_URI=memory:// gives each of the "
            f"{config['WEB_CONCURRENCY']} worker processes its own limits; use redis:// "
            "(or WEB_CONCURRENCY=1)."
        )
    if config.get("EMAIL_FEATURES_ENABLED") and not config.get("MAIL_SERVER"):
        raise UnsafeConfigError(
            "Refusing to start in production: invitations and password resets send mail; set "
            "MAIL_SERVER (and MAIL_DEFAULT_SENDER), or EMAIL_FEATURES_ENABLED=false."
        )


def check_outbound_networks(config: dict[str, Any]) -> None:
    """Refuse an allow-list entry that is not a network, naming it."""
    for cidr in config["OUTBOUND_ALLOWED_NETWORKS"]:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise UnsafeConfigError(
                f"OUTBOUND_ALLOWED_NETWORKS holds {cidr!r}, which is not a network such as "
                "10.0.0.0/8."
            ) from None


def check_notification_lease(config: dict[str, Any]) -> None:
    """A lease no longer than two delivery timeouts could expire while its worker still sends."""
    lease = float(config["NOTIFICATION_LEASE_SECONDS"])
    timeout = float(config["NOTIFICATION_TIMEOUT_SECONDS"])
    if lease <= 2 * timeout:
        raise UnsafeConfigError(
            f"NOTIFICATION_LEASE_SECONDS={lease:g} must exceed twice "
            f"NOTIFICATION_TIMEOUT_SECONDS={timeout:g}, or a slow partner gets rows twice."
        )


def trusted_hosts(config: dict[str, Any]) -> list[str] | None:
    """The Host names requests may carry: as set, else PUBLIC_BASE_URL's host in production.

    Werkzeug answers any other Host with 400 (Flask's TRUSTED_HOSTS), so a forged Host can
    never reach a link we build from the request.
    """
    if config.get("TRUSTED_HOSTS"):
        return list(config["TRUSTED_HOSTS"])
    if config["APP_ENV"] == "production":
        return [urlsplit(config["PUBLIC_BASE_URL"]).hostname or ""]
    return None


# Settings with a fixed set of values: a typo must stop the app, not silently change behaviour.
CHOICES: dict[str, tuple[str, ...]] = {
    "APP_ENV": ("development", "testing", "production"),
    **{option.config_key: option.allowed for option in CONNECTION_OPTIONS},
}


def check_choices(config: dict[str, Any]) -> None:
    """Refuse unknown values of enumerated settings, naming the allowed ones, and onboarding
    settings that do not go together (v2 account links with v1 accounts)."""
    for name, allowed in CHOICES.items():
        if config.get(name) not in allowed:
            raise UnsafeConfigError(
                f"{name}={config.get(name)!r} is not valid; use one of: {', '.join(allowed)}."
            )
    for problem in option_errors({}, app_defaults(config)):
        raise UnsafeConfigError(
            f"STRIPE_ACCOUNT_LINKS_API and STRIPE_ACCOUNTS_API do not go together: {problem}"
        )


def size_pool(config: dict[str, Any]) -> None:
    """One PostgreSQL connection per request thread, unless the engine options name a size.

    A request holds at most one connection and none across a Stripe call, so with as many
    connections as threads no request waits for the pool (SQLAlchemy's default is 5, fewer
    than gunicorn's 16 threads); `max_overflow` keeps its default for the rare burst.
    """
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = config["SQLALCHEMY_ENGINE_OPTIONS"]
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": int(config["GUNICORN_THREADS"]), **options}


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill `app.config` in order: defaults, instance file, environment, test config."""
    app.config.from_object(DefaultConfig)
    app.config.from_mapping({option.config_key: option.default for option in CONNECTION_OPTIONS})
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(_from_environment())
    if test_config:
        app.config.update(test_config)

    check_choices(app.config)
    check_outbound_networks(app.config)
    check_notification_lease(app.config)
    env = app.config["APP_ENV"]
    if env == "production":
        check_production_config(app.config)
        # `__Host-` cookies are only accepted when Secure, for path /, with no Domain: a
        # sibling subdomain can then neither set nor overwrite them (RFC 6265bis §4.1.3.2).
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            SESSION_COOKIE_NAME="__Host-session",
            REMEMBER_COOKIE_NAME="__Host-remember_token",
            SESSION_COOKIE_DOMAIN=None,
            SESSION_COOKIE_PATH="/",
            REMEMBER_COOKIE_DOMAIN=None,
            REMEMBER_COOKIE_PATH="/",
        )
        app.config["MAIL_CATCHER_URL"] = None  # the dev mail catcher is never linked in production
    else:
        # Outside production, mail goes to the local catcher of `make run` unless told otherwise.
        app.config["MAIL_SERVER"] = app.config.get("MAIL_SERVER") or "127.0.0.1"
        dev = _development_secrets(Path(app.instance_path))
        for key, value in dev.items():
            if not app.config.get(key):
                app.config[key] = value
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = Path(app.instance_path) / "connect-onboarding.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    size_pool(app.config)
    if env != "development":
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    if env == "testing":
        app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
