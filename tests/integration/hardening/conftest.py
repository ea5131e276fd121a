"""Helpers for the hardening tests: a partner that takes its time, a database you can cut off."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import PaymentsAccount
from app.services import connections, notifications
from app.services.status import COMPLETE, NOT_STARTED
from stripe_sandbox import platform_account_id
from tests.helpers import SIBLING_SETTINGS

CONNECTION_KEY = "sk_test_hardeningConnectionKey000000000001"


class Partner:
    """A partner endpoint on loopback answering `status` after a delay drawn from `delay`."""

    def __init__(self, delay: tuple[float, float] = (0.0, 0.0), status: int = 200) -> None:
        self.delay, self.status = delay, status
        self.location: str | None = None
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(random.uniform(*partner.delay))  # noqa: S311 - test timing only
                with partner._lock:
                    partner.received.append(dict(self.headers))
                self.send_response(partner.status)
                if partner.location:
                    self.send_header("Location", partner.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Stay quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}/events"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def event_ids(self) -> Counter[str]:
        """How many times each event id arrived."""
        with self._lock:
            return Counter(headers["X-Connect-Event-Id"] for headers in self.received)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def partner() -> Iterator[Partner]:
    """A partner endpoint that answers 200 at once (tests set `delay` / `status`)."""
    found = Partner()
    yield found
    found.stop()


class TcpProxy:
    """A TCP forwarder to the database; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if not self._open:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection(self.target)
                except OSError:
                    client.close()
                    continue
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """The database is gone: established connections reset, new ones closed at once."""
        with self._lock:
            self._open = False
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets = []

    def restore(self) -> None:
        """The database is back."""
        with self._lock:
            self._open = True

    def close(self) -> None:
        self.cut()
        self._listener.close()


def sibling_app(app, database_url: str):
    """Another process's view of the same deployment: the test app's settings, another URL."""
    settings = {key: app.config[key] for key in SIBLING_SETTINGS}
    settings["SQLALCHEMY_DATABASE_URI"] = database_url
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    return create_app(settings)


@pytest.fixture
def outage_app(app) -> Iterator[tuple[Any, Any]]:
    """(an app on the test database, `cut_off()`): inside `with cut_off():` its database is gone.

    PostgreSQL: a second app talks to the same database through a TCP proxy that is cut.
    SQLite: the test app itself; its database's folder is moved away, so neither the file nor
    its journal can be opened.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        via_proxy = url.set(host="127.0.0.1", port=proxy.port)
        sibling = sibling_app(app, via_proxy.render_as_string(hide_password=False))

        @contextmanager
        def cut_off() -> Iterator[None]:
            proxy.cut()
            try:
                yield
            finally:
                proxy.restore()

        yield sibling, cut_off
        with sibling.app_context():
            db.engine.dispose()
        proxy.close()
        return

    folder = Path(url.database).parent
    moved = folder.with_name(folder.name + "-away")

    @contextmanager
    def cut_off() -> Iterator[None]:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # pooled connections would keep reading the open file
        folder.rename(moved)
        try:
            yield
        finally:
            moved.rename(folder)

    yield app, cut_off


@pytest.fixture
def queue_notifications(app, factory, partner):
    """`queue(count, endpoint=partner.url)`: a connection to `endpoint` with `count` due rows."""

    def queue(count: int, endpoint: str | None = None) -> list[str]:
        owner = factory.user()
        workspace = factory.workspace(owner)
        server = factory.resource(workspace)
        with app.app_context():
            connection, _secret = connections.create_connection(
                workspace.id,
                actor_user_id=None,
                verify=False,
                name="Partner",
                stripe_account_id=platform_account_id(CONNECTION_KEY),
                api_key=CONNECTION_KEY,
                webhook_secret="whsec_hardeningSigningSecret0000000001",  # noqa: S106
                partner_endpoint=endpoint or partner.url,
            )
            payments = db.session.get(PaymentsAccount, server.payments.id)
            payments.connection_id = connection.id
            ids = [
                notifications.enqueue_status_change(
                    payments, NOT_STARTED, COMPLETE, source="test"
                ).id
                for _ in range(count)
            ]
            db.session.commit()
            db.session.remove()
        return ids

    return queue
