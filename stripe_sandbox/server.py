"""Serve the sandbox app on a threaded werkzeug server, in the foreground or a thread.

Connections persist over HTTP/1.1, as Stripe's API keeps them: a client's next call reuses the
connection of its last one instead of opening a new TCP connection (see `KeepAliveHandler`).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import ClientDisconnected, InternalServerError
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

from stripe_sandbox.app import create_sandbox_app
from stripe_sandbox.state import SandboxState

log = logging.getLogger("werkzeug")
# The answers that never carry a body, so never a Content-Length (RFC 9110, 8.6).
_NO_BODY = ("1", "204", "304")


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 with persistent connections, as Stripe's API serves them.

    stripe-python's `RequestsClient` keeps one `requests.Session` (one urllib3 pool) per thread
    so that its calls reuse their connections (stripe/stripe-python#276, and #531 for the
    per-thread sessions). werkzeug's own handler answers every request `Connection: close`,
    because after the app it discards whatever the client sends next (werkzeug/serving.py,
    `run_wsgi`): each call would open a new TCP connection, which Stripe never makes a client do.

    This handler reads exactly one request's body — what the app leaves unread is drained up to
    its Content-Length or last chunk, never into the next request — and frames every answer
    with a Content-Length, so the connection can carry the client's next request. It closes
    when the client asks (`Connection: close`, HTTP/1.0), when the app failed, and when the
    connection dropped (the `drop` fault). Answers are buffered: the sandbox's are all short.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body would wait for the
    # client's delayed ACK of the headers (up to 40 ms on Linux) on a connection kept open.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        """Answer one request and leave the connection ready for the next one."""
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        if not environ.get("wsgi.input_terminated"):  # chunked bodies: werkzeug dechunks them
            length = environ.get("CONTENT_LENGTH", "")
            environ["wsgi.input"] = LimitedStream(
                self.rfile, int(length) if length.isdigit() else 0
            )
            environ["wsgi.input_terminated"] = True
        try:
            status, headers, body = _answer(self.server.app, environ)
            _drain(environ["wsgi.input"])
        except (ConnectionError, TimeoutError, ClientDisconnected):
            self.close_connection = True
            return
        except Exception:  # what werkzeug's handler does: log it, answer 500, close
            log.exception("Error on request")
            status, headers, body = _answer(InternalServerError(), environ)
            self.close_connection = True
        self._write(status, headers, body)

    def _write(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code, _, message = status.partition(" ")
        self.send_response(int(code), message)
        names = set()
        for name, value in headers:
            self.send_header(name, value)  # `Connection: close` also closes it after
            names.add(name.lower())
        if "content-length" not in names and not code.startswith(_NO_BODY):
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection and "connection" not in names:  # asked, HTTP/1.0, or failed
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()


def _answer(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list, bytes]:
    """Run the WSGI app to the end: its status, headers and whole body."""
    started: list[Any] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        started[:] = [status, list(headers)]
        return lambda data: None  # the legacy write(): nothing of ours uses it

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return started[0], started[1], body


def _drain(stream: Any) -> None:
    """Read what is left of this request's body, so the next request starts where it ends."""
    while stream.read(65536):
        pass


class QuietRequestHandler(KeepAliveHandler):
    """Skip per-request access logs (tests make thousands); errors are still logged."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Say nothing about successful requests."""


class SandboxWSGIServer(ThreadedWSGIServer):
    """werkzeug's threaded server, which also ends the connections it keeps open when it closes:
    a stopped sandbox answers no one, not even a client holding a connection from before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve one connection (all its requests), known to `server_close` meanwhile."""
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def server_close(self) -> None:
        """Close the listening socket, then every connection still open."""
        super().server_close()
        with self._open_lock:
            for connection in self._open:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:  # it closed meanwhile
                    pass


class SandboxHTTPServer:
    """A running sandbox: the state, the werkzeug server, and (optionally) its thread."""

    def __init__(
        self, state: SandboxState, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
    ) -> None:
        self.state = state
        self.app = create_sandbox_app(state)
        handler = QuietRequestHandler if quiet else KeepAliveHandler
        self.server = SandboxWSGIServer(host, port, self.app, handler=handler)
        self.host = host
        self.port = self.server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the API and pages, e.g. http://127.0.0.1:12111."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.state.webhooks.start()
        try:
            self.server.serve_forever()
        finally:
            self.close()

    def start(self) -> SandboxHTTPServer:
        """Serve from a daemon thread and return at once."""
        self.state.webhooks.start()
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="stripe-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, stop webhook delivery, and close the listening socket."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.close()

    def close(self) -> None:
        """Release the socket and the webhook thread."""
        self.state.webhooks.stop()
        self.server.server_close()


log.setLevel(logging.WARNING)
