"""Fixtures in the Flask style: `app`, `client`, `runner`, `auth`, a clean database per test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. Stripe is
the offline sandbox (`stripe_sandbox`), started once on a free port; the real SDK talks real
HTTP to it. CSRF protection stays on: tests post forms with real tokens.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event, select, text

from app import create_app
from app.extensions import db, limiter
from app.models import PaymentsAccount
from app.models.payments import CLAIM_CREATED
from app.services import connections
from stripe_sandbox import platform_account_id
from tests.factories import Factory
from tests.helpers import (
    CONNECTION_KEY,
    CONNECTION_SECRET,
    PLATFORM_KEY,
    TEST_ENCRYPTION_KEY,
    AuthActions,
    Connected,
    LiveServer,
    Setup,
    WebhookWorkers,
    stripe_signature,
)

# The attributes Flask-Limiter's init_app sets from an app's config (flask_limiter/_extension.py).
LIMITER_STATE = (
    "_storage",
    "_limiter",
    "_storage_uri",
    "_storage_options",
    "_strategy",
    "_key_prefix",
)
LIMITER_SNAPSHOT = "tests.limiter_snapshot"

pytest_plugins = ["stripe_sandbox.pytest_plugin", "mail_catcher.pytest_plugin", "tests.browser"]


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # each pytest-xdist worker drops and creates tables: give it its own database
            url = _worker_database(url, worker)
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _worker_database(url: str, worker: str) -> str:
    """`url`'s server, database `<name>_<worker>` (created when missing)."""
    server, name = url.rsplit("/", 1)
    worker_name = f"{name}_{worker}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (worker_name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{worker_name}"')
    return f"{server}/{worker_name}"


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite locally, with the reason; CI never lets them skip."""
    if os.environ.get("TEST_DATABASE_URL"):
        return
    if os.environ.get("CI") and any("postgres" in item.keywords for item in items):
        if not config.getoption("markexpr"):
            raise pytest.UsageError(
                "CI must run PostgreSQL tests: set TEST_DATABASE_URL (make test does)."
            )
    reason = "needs PostgreSQL: set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def app(tmp_path_factory, sandbox_server, mail_catcher_server):
    """The app, built once, on a fresh schema, talking to the sandbox."""
    url = _database_url(tmp_path_factory)
    engine_options = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        # The live server and concurrency tests write from other threads: wait, don't fail.
        engine_options["connect_args"] = {"timeout": 30}
    app = create_app(
        {
            "APP_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "ENCRYPTION_KEYS": [TEST_ENCRYPTION_KEY],
            "JWT_SECRET": "test-jwt-secret-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "RATELIMIT_STORAGE_URI": "memory://",
            "STRIPE_API_BASE": sandbox_server.url,
            "STRIPE_SECRET_KEY": PLATFORM_KEY,
            "STRIPE_WEBHOOK_SECRET": "whsec_appLevelTestSecret000000000000",
            "STRIPE_TIMEOUT_SECONDS": 3.0,
            # Partner receivers in tests listen on loopback, which SSRF rules refuse by default.
            "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8"],
            "SERVER_NAME": None,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_catcher_server.port,
            "MAIL_TIMEOUT": 5.0,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        if url.startswith("sqlite"):
            _enable_sqlite_foreign_keys()
    app.extensions[LIMITER_SNAPSHOT] = {name: getattr(limiter, name) for name in LIMITER_STATE}
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _enable_sqlite_foreign_keys() -> None:
    @event.listens_for(db.engine, "connect")
    def _fk_on(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request) -> Iterator[None]:
    """Every test starts with empty tables and fresh rate limits."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        # Flask-Limiter keeps its storage on the one global `limiter`, so a test that builds a
        # second app in this process (production settings, Redis) rebinds it for every later
        # test. Put the test app's storage back before resetting it.
        for name, value in app.extensions[LIMITER_SNAPSHOT].items():
            setattr(limiter, name, value)
        limiter.reset()


@pytest.fixture
def app_ctx(app):
    """An application context for tests that call services directly.

    Don't combine it with `client` requests: those would share its session (see factories).
    """
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    """A test client with cookies, CSRF on."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask …` commands."""
    return app.test_cli_runner()


@pytest.fixture
def factory(app):
    """Creates users, workspaces and resources in the database (detached objects)."""
    return Factory(app)


@pytest.fixture
def owned(factory, sandbox) -> Setup:
    """An owner, their workspace and one not-yet-onboarded resource (the sandbox is reset)."""
    owner = factory.user("owner@example.com", name="Olive Owner")
    workspace = factory.workspace(owner, "Acme")
    server = factory.resource(workspace, "Shop", country="DE", currency="eur")
    return Setup(owner, workspace, server)


@pytest.fixture
def stored(app):
    """Read a resource's payments row afresh: `stored(server_id)`."""

    def read(server_id: str) -> PaymentsAccount:
        with app.app_context():
            payments = db.session.scalars(
                select(PaymentsAccount).where(PaymentsAccount.server_id == server_id)
            ).one()
            db.session.expunge(payments)
            return payments

    return read


@pytest.fixture
def auth(client):
    """Sign-in helper bound to `client`."""
    return AuthActions(client)


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a real port, for Chromium and for the sandbox's webhooks."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def webhook_workers(app) -> Iterator[WebhookWorkers]:
    """Two `flask webhooks work` loops in threads, applying what webhooks record meanwhile."""
    workers = WebhookWorkers(app).start()
    yield workers
    workers.stop()


@pytest.fixture
def db_execute(app):
    """Run raw SQL, for assertions on what is really stored."""

    def run(sql: str, **params):
        with app.app_context(), db.engine.connect() as connection:
            return connection.execute(text(sql), params).all()

    return run


@pytest.fixture
def connect(app, factory, sandbox, webhook_receiver):
    """Make a resource whose sandbox account onboards under a new connection (or app-level)."""

    def make(
        *,
        app_level: bool = False,
        api_key: str = CONNECTION_KEY,
        webhook_secret: str = CONNECTION_SECRET,
        workspace=None,
        partner_endpoint: str | None = None,
    ) -> Connected:
        owner = factory.user()
        workspace = workspace or factory.workspace(owner)
        server = factory.resource(workspace)
        key = PLATFORM_KEY if app_level else api_key
        client = sandbox.stripe_client(key)
        try:
            account = client.v1.accounts.create(params={"type": "express", "country": "US"})
        finally:
            client._requestor._client.close()
        with app.app_context():
            connection_id = secret = None
            if not app_level:
                connection, secret = connections.create_connection(
                    workspace.id,
                    actor_user_id=None,
                    verify=False,
                    name=f"Platform {api_key[-4:]}",
                    stripe_account_id=platform_account_id(api_key),
                    api_key=api_key,
                    webhook_secret=webhook_secret,
                    partner_endpoint=partner_endpoint or webhook_receiver.url,
                )
                connection_id = connection.id
            payments = db.session.get(PaymentsAccount, server.payments.id)
            payments.stripe_account_id = account.id
            payments.account_claim = CLAIM_CREATED
            payments.connection_id = connection_id
            db.session.commit()
            db.session.remove()
        return Connected(
            workspace, owner, server.id, server.payments.id, account.id, connection_id, secret, key
        )

    return make


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
