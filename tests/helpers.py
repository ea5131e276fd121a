"""Test helpers: sign-in with real CSRF tokens, known keys and secrets, Stripe-shaped events.

Fixtures live in the conftest files; what a test or a fixture calls lives here, so tests
import it from one module instead of from a conftest.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy import event, func, insert, select
from werkzeug.serving import make_server

from app.cli.worker import run_worker
from app.extensions import db
from app.models import (
    Notification,
    PaymentsAccount,
    Server,
    StripeConnection,
    User,
    WebhookEvent,
    Workspace,
    utcnow,
)
from app.models.base import new_id
from app.models.webhooks import PENDING
from app.services import webhook_worker
from stripe_sandbox import platform_account_id
from tests.factories import Factory

# Keys and secrets --------------------------------------------------------------------------

PLATFORM_KEY = "sk_test_appLevelPlatformKey0000000000000000"
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()

CONNECTION_KEY = "sk_test_webhookConnectionKey00000000000001"
OTHER_KEY = "sk_test_webhookConnectionKey00000000000002"
CONNECTION_SECRET = "whsec_connectionSigningSecret000000000001"
OTHER_SECRET = "whsec_connectionSigningSecret000000000002"
APP_SECRET = "whsec_appLevelTestSecret000000000000"  # tests.conftest's STRIPE_WEBHOOK_SECRET

_event_numbers = itertools.count(1)


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header computed the way Stripe documents it (HMAC-SHA256)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    event_type: str,
    account: str,
    *,
    created: int | None = None,
    livemode: bool = False,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A Connect event as Stripe sends it (the account at the top level)."""
    return {
        "id": event_id or f"evt_test{next(_event_numbers):06d}{int(time.time() * 1000)}",
        "object": "event",
        "account": account,
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "livemode": livemode,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": {"id": account, "object": "account"}},
    }


def thin_event(
    event_type: str,
    account: str,
    *,
    created: datetime | None = None,
    livemode: bool = False,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A thin v2 event notification as an event destination sends it (no object data;
    https://docs.stripe.com/event-destinations#thin-payload)."""
    created = created or datetime.now(UTC)
    return {
        "id": event_id or f"evt_thin{next(_event_numbers):06d}{int(time.time() * 1000)}",
        "object": "v2.core.event",
        "type": event_type,
        "created": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "livemode": livemode,
        "related_object": {
            "id": account,
            "type": "v2.core.account",
            "url": f"/v2/core/accounts/{account}",
        },
    }


# A key the sandbox accepts; its platform account id is computed the way the sandbox does.
TEST_KEY = "sk_test_connectionKeyAcme000000000000001"
LIVE_KEY = "sk_live_connectionKeyAcme000000000000001"
WEBHOOK_SECRET = "whsec_connectionWebhookSecret0000000001"
ENDPOINT = "https://partner.example.com/stripe-events"


def service_values(api_key: str = TEST_KEY, **overrides) -> dict:
    """Keyword arguments for `create_connection` that pass validation and verification."""
    values = {
        "name": "Acme test platform",
        "description": "The platform we test with",
        "stripe_account_id": platform_account_id(api_key),
        "api_key": api_key,
        "webhook_secret": WEBHOOK_SECRET,
        "partner_endpoint": ENDPOINT,
        "config_json": '{"collection_fields": "eventually_due"}',
    }
    values.update(overrides)
    return values


# A Fernet-shaped token no key ever produced: what a tampered or foreign ciphertext looks like.
TAMPERED = "gAAAAAtampered" + "A" * 80


# The database and the browser --------------------------------------------------------------


def is_postgres(app) -> bool:
    """Whether the test database is PostgreSQL."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


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


# The webhook inbox -------------------------------------------------------------------------


def drain_webhooks(app) -> list[str]:
    """Process every due event of the webhook inbox with the worker's own functions, one at a
    time as `flask webhooks work` does; the outcome of each, in order."""
    outcomes = []
    with app.app_context():
        while (claim := webhook_worker.claim_next()) is not None:
            outcomes.append(webhook_worker.process(claim))
        db.session.remove()
    return outcomes


class WebhookWorkers:
    """`flask webhooks work`'s real loop in threads, for tests where Stripe posts over HTTP."""

    def __init__(self, app, count: int = 2) -> None:
        self._app = app
        self._stopping = threading.Event()
        self._errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._work, name=f"webhooks-{n}", daemon=True)
            for n in range(count)
        ]

    def _work(self) -> None:
        with self._app.app_context():
            try:
                run_worker(
                    self._stopping,
                    lambda: webhook_worker.process_due(limit=10),
                    name="webhooks",
                    idle=0.02,
                )
            except BaseException as error:  # surfaced by wait_idle, not lost in the thread
                self._errors.append(error)
            finally:
                db.session.remove()

    def start(self) -> WebhookWorkers:
        for thread in self._threads:
            thread.start()
        return self

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no recorded event is due (processed, or waiting for a later retry)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._errors:
                raise AssertionError("a webhook worker died") from self._errors[0]
            if due_webhooks(self._app) == 0:
                return
            time.sleep(0.02)
        raise AssertionError(f"webhook events still due after {timeout} s")

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)


def due_webhooks(app) -> int:
    """Recorded events a worker would process now (claimed ones included)."""
    with app.app_context():
        due = db.session.scalar(
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.status == PENDING, WebhookEvent.next_attempt_at <= utcnow())
        )
        db.session.remove()
    return due


# Stripe ------------------------------------------------------------------------------------


def link_path(location: str) -> str:
    """The path of a sandbox link in a Location header."""
    return urlsplit(location).path


def stripe_calls(sandbox) -> list[tuple[str, str]]:
    """(method, path) of every Stripe API call the sandbox received."""
    return [(r["method"], r["path"]) for r in sandbox.requests()]


# Where accounts are created and their links minted, by the Accounts API that makes them.
ACCOUNT_CREATE_PATH = {"v1": "/v1/accounts", "v2": "/v2/core/accounts"}
ACCOUNT_LINK_PATH = {"v1": "/v1/account_links", "v2": "/v2/core/account_links"}


def account_creations(sandbox, api: str = "v1") -> list[dict]:
    """The account-creating POSTs the sandbox received through `api`, oldest first."""
    path = ACCOUNT_CREATE_PATH[api]
    return [r for r in sandbox.requests(path) if r["method"] == "POST" and r["path"] == path]


@dataclass(frozen=True)
class Connected:
    """A workspace resource with a real sandbox account, onboarding under `connection_id`."""

    workspace: Any
    owner: Any
    server_id: str
    payments_id: str
    account_id: str
    connection_id: str | None
    notification_secret: str | None
    api_key: str

    @property
    def webhook_path(self) -> str:
        if self.connection_id is None:
            return "/webhooks/stripe"
        return f"/webhooks/stripe/{self.connection_id}"


def payments_row(app, payments_id: str) -> PaymentsAccount:
    """The stored payments account, detached."""
    with app.app_context():
        payments = db.session.get(PaymentsAccount, payments_id)
        db.session.expunge(payments)
        return payments


def connection_row(app, connection_id: str) -> StripeConnection:
    """The stored connection, detached."""
    with app.app_context():
        connection = db.session.scalars(
            select(StripeConnection).where(StripeConnection.id == connection_id)
        ).one()
        db.session.expunge(connection)
        return connection


# The /v1 API -------------------------------------------------------------------------------


class ApiClient:
    """`client` with a bearer token on every call: `api.get(path)`, `api.post(path, json=…)`."""

    def __init__(self, client, token: str | None) -> None:
        self._client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        """GET with the token."""
        return self._client.get(path, headers=self._headers(headers), **kwargs)

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        """POST with the token."""
        return self._client.post(path, headers=self._headers(headers), **kwargs)


def connect_path(server_id: str) -> str:
    """The connect-account route of a resource."""
    return f"/v1/servers/{server_id}/payments/connect-account"


# Sibling apps and the outbox -----------------------------------------------------------------

# What a second app (a worker or another web process) needs from the test app's config.
SIBLING_SETTINGS = (
    "APP_ENV",
    "TESTING",
    "SECRET_KEY",
    "ENCRYPTION_KEYS",
    "JWT_SECRET",
    "RATELIMIT_STORAGE_URI",
    "STRIPE_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_TIMEOUT_SECONDS",
    "OUTBOUND_ALLOWED_NETWORKS",
    "SERVER_NAME",
)


def stored_notifications(app) -> list[Notification]:
    """Every notification, detached, in id order."""
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def bulk_resources(app, workspace_ids: list[str], count: int) -> list[str]:
    """`count` payments resources spread over the workspaces, newest last; their server ids."""
    start = utcnow() - timedelta(days=1)
    servers, accounts = [], []
    for index in range(count):
        server_id = new_id("srv")
        created = start + timedelta(seconds=index)
        servers.append(
            {
                "id": server_id,
                "workspace_id": workspace_ids[index % len(workspace_ids)],
                "name": f"Bulk {index:05d}",
                "description": "",
                "kind": "payments",
                "auth_mode": "private",
                "status": "draft",
                "metadata_": {},
                "created_at": created,
                "updated_at": created,
            }
        )
        accounts.append(
            {
                "id": new_id("pay"),
                "server_id": server_id,
                "workspace_id": workspace_ids[index % len(workspace_ids)],
                "name": f"Bulk {index:05d}",
                "onboarding_status": ("not_started", "pending", "complete")[index % 3],
                "created_at": created,
                "updated_at": created,
            }
        )
    with app.app_context():
        db.session.execute(insert(Server), servers)
        db.session.execute(insert(PaymentsAccount), accounts)
        db.session.commit()
    return [row["id"] for row in servers]


@contextmanager
def statements(app, *, with_parameters: bool = False):
    """The SQL statements the engine runs inside the block, for this thread's requests: the
    session-wide app may also serve a live server or a webhook worker left in another thread.
    `with_parameters`: each as (statement, parameters), to run it again (EXPLAIN)."""
    seen: list = []
    thread = threading.get_ident()

    def record(conn, cursor, statement, parameters, *args):
        if threading.get_ident() == thread:
            seen.append((statement, parameters) if with_parameters else statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
