"""Fixtures in the Flask style: `app`, `client`, `runner`, `auth`, a clean database per test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. Stripe is
the offline sandbox (`stripe_sandbox`), started once on a free port; the real SDK talks real
HTTP to it. CSRF protection stays on: tests post forms with real tokens.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, select, text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, limiter
from app.models import PaymentsAccount, Server, User, Workspace
from tests.factories import Factory

pytest_plugins = ["stripe_sandbox.pytest_plugin", "mail_catcher.pytest_plugin", "tests.browser"]

PLATFORM_KEY = "sk_test_appLevelPlatformKey0000000000000000"
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def is_postgres(app) -> bool:
    """Whether the test database is PostgreSQL."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


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


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


class AuthActions:
    """Sign in and out through the real form, with a real CSRF token."""

    def __init__(self, client):
        self._client = client

    def csrf(self, path: str = "/auth/login") -> str:
        """A valid CSRF token for this client's session."""
        return csrf_token_from(self._client.get(path).get_data(as_text=True))

    def login(
        self, email: str, password: str = Factory.PASSWORD, remember: bool = False, next_=None
    ):
        """Post the sign-in form."""
        url = "/auth/login" + (f"?next={next_}" if next_ else "")
        data = {"email": email, "password": password, "csrf_token": self.csrf(url)}
        if remember:
            data["remember"] = "y"
        return self._client.post(url, data=data)

    def logout(self):
        """Post the sign-out form."""
        return self._client.post("/auth/logout", data={"csrf_token": self.csrf("/")})

    def post(self, path: str, data: dict | None = None, page: str = "/", **kwargs):
        """Post a form with a CSRF token, as a browser on our site would."""
        payload = {"csrf_token": self.csrf(page), **(data or {})}
        return self._client.post(path, data=payload, **kwargs)


@dataclass
class Setup:
    """The people and the resource a test works with."""

    owner: User
    workspace: Workspace
    server: Server


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


class LiveServer:
    """The app served over real HTTP on a free loopback port, in a thread."""

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a real port, for Chromium and for the sandbox's webhooks."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def db_execute(app):
    """Run raw SQL, for assertions on what is really stored."""

    def run(sql: str, **params):
        with app.app_context(), db.engine.connect() as connection:
            return connection.execute(text(sql), params).all()

    return run
