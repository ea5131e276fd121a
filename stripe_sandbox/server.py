"""Serve the sandbox app on a threaded werkzeug server, in the foreground or a thread."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from stripe_sandbox.app import create_sandbox_app
from stripe_sandbox.state import SandboxState


class QuietRequestHandler(WSGIRequestHandler):
    """Skip per-request access logs (tests make thousands); errors are still logged."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Say nothing about successful requests."""


class SandboxHTTPServer:
    """A running sandbox: the state, the werkzeug server, and (optionally) its thread."""

    def __init__(
        self, state: SandboxState, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
    ) -> None:
        self.state = state
        self.app = create_sandbox_app(state)
        handler = QuietRequestHandler if quiet else WSGIRequestHandler
        self.server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=handler
        )
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


logging.getLogger("werkzeug").setLevel(logging.WARNING)
