"""Run the sandbox inside a test process and drive its `/_sandbox` controls from Python."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from stripe_sandbox.ids import platform_account_id
from stripe_sandbox.records import SandboxConfig
from stripe_sandbox.server import SandboxHTTPServer
from stripe_sandbox.state import SandboxState

DEFAULT_TEST_KEY = "sk_test_sandbox_platform_0001"


class SandboxServer:
    """A sandbox on a free loopback port, served from a background thread."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.state = SandboxState(config)
        self._http = SandboxHTTPServer(self.state, "127.0.0.1", 0).start()
        self.url = self._http.url
        self.port = self._http.port
        self._http_clients: list[Any] = []

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.close_clients()
        self._http.stop()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Plumbing ------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call a `/_sandbox` endpoint and return its JSON (raises on non-2xx)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            f"{self.url}/_sandbox{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def stripe_client(
        self,
        api_key: str = DEFAULT_TEST_KEY,
        *,
        max_network_retries: int = 2,
        timeout: float = 5.0,
    ) -> Any:
        """A real `stripe.StripeClient` pointed at this sandbox.

        Its HTTP session is closed by `close_clients` (the `sandbox` fixture does after each
        test): a session left to the garbage collector leaves an unclosed socket, which warns
        in whichever test happens to run then.
        """
        import stripe

        http_client = stripe.RequestsClient(timeout=timeout)
        self._http_clients.append(http_client)
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": self.url, "connect": self.url},
            max_network_retries=max_network_retries,
            http_client=http_client,
        )

    def close_clients(self) -> None:
        """Close the HTTP sessions of every client `stripe_client` made."""
        while self._http_clients:
            self._http_clients.pop().close()

    # Controls ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all accounts, links, logs, faults, revoked keys and runtime webhooks."""
        self.control("POST", "/reset")

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """API requests received (method, path, idempotency_key, status, account, fault)."""
        query = f"?{urlencode({'path_prefix': path_prefix})}" if path_prefix else ""
        return self.control("GET", f"/requests{query}")["data"]

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.control("DELETE", "/requests")

    def inject_fault(
        self,
        path: str,
        kind: str,
        count: int = 1,
        seconds: float | None = None,
        method: str | None = None,
    ) -> dict[str, Any]:
        """Fail the next `count` requests under `path` (only `method` ones, when given):
        500 | 429 | slow | drop | 500_stored | 500_after."""
        body = {"path": path, "kind": kind, "count": count, "seconds": seconds, "method": method}
        return self.control("POST", "/faults", body)

    def clear_faults(self) -> None:
        """Cancel every pending fault."""
        self.control("DELETE", "/faults")

    def set_latency(self, seconds: float) -> None:
        """Delay every API answer by `seconds`."""
        self.control("POST", "/latency", {"seconds": seconds})

    def accounts(self) -> list[dict[str, Any]]:
        """Every connected account as `{platform, state, api, account}`."""
        return self.control("GET", "/accounts")["data"]

    def force_account_state(self, account_id: str, state: str) -> dict[str, Any]:
        """Put an account in new | needs_info | complete | under_review | past_due |
        rejected | paused; emits webhooks."""
        return self.control("POST", f"/accounts/{account_id}/state", {"state": state})

    def set_requirements(
        self,
        account_id: str,
        requirements: dict[str, Any] | None = None,
        future_requirements: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Set deadlines and what is due now or in the future, e.g.
        `set_requirements(id, {"current_deadline": sandbox.now() + 7 * 86400,
        "currently_due": ["external_account"]})`; emits account.updated."""
        body = {"requirements": requirements, "future_requirements": future_requirements}
        return self.control("POST", f"/accounts/{account_id}/requirements", body)

    def now(self) -> int:
        """The sandbox's clock (Unix seconds): real time plus the offset set by `move_clock`."""
        return self.control("GET", "/clock")["now"]

    def move_clock(self, *, offset: float | None = None, advance: float | None = None) -> int:
        """Set the clock's offset from real time, or advance it; returns the new time."""
        return self.control("POST", "/clock", {"offset": offset, "advance": advance})["now"]

    def create_charge(
        self, account_id: str, amount: int, currency: str | None = None
    ) -> dict[str, Any]:
        """A succeeded charge on a connected account (emits `charge.succeeded`)."""
        body = {"amount": amount, "currency": currency}
        return self.control("POST", f"/accounts/{account_id}/charges", body)

    def refund_charge(self, charge_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund part (`amount`) or all of a charge (emits `charge.refunded`)."""
        return self.control("POST", f"/charges/{charge_id}/refund", {"amount": amount})

    def deauthorize(self, account_id: str) -> dict[str, Any]:
        """Disconnect the account from its platform (emits
        `account.application.deauthorized`); returns the event's application object."""
        return self.control("POST", f"/accounts/{account_id}/deauthorize")

    def forget_idempotency_keys(self) -> int:
        """Forget every idempotency key, as Stripe does after 24 hours; returns how many."""
        return self.control("POST", "/idempotency/forget")["forgotten"]

    def expire_link(self, url: str) -> None:
        """Make the account or login link at `url` expired."""
        self.control("POST", "/links/expire", {"url": url})

    def revoke_key(self, key: str) -> None:
        """Answer 401 to `key` from now on (until reset)."""
        self.control("POST", "/keys/revoke", {"key": key})

    def configure_platform(
        self,
        key: str = DEFAULT_TEST_KEY,
        *,
        profile_complete: bool | None = None,
        livemode: bool | None = None,
        unavailable_paths: list[str] | None = None,
        v1_account_v2_delay: int | None = None,
        unsupported_capabilities: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        """Make Stripe strict with the platform of `key`, as with a new real platform:
        `profile_complete=False` refuses accounts where the platform bears losses,
        `livemode=True` makes it behave as live (objects and events `livemode: true`, HTTPS
        redirect URLs required), `unavailable_paths` answers those API path prefixes 404,
        `v1_account_v2_delay=600` refuses v2 calls on v1 accounts younger than that,
        `unsupported_capabilities={"BR": ["card_payments"]}` refuses (v1) or marks
        `unsupported` (v2) those capabilities for accounts in that country."""
        body = {
            "key": key,
            "profile_complete": profile_complete,
            "livemode": livemode,
            "unavailable_paths": unavailable_paths,
            "v1_account_v2_delay": v1_account_v2_delay,
            "unsupported_capabilities": unsupported_capabilities,
        }
        return self.control("POST", "/platforms", body)

    def add_restricted_key(
        self, key: str, permissions: list[str], platform_key: str = DEFAULT_TEST_KEY
    ) -> dict[str, Any]:
        """Let restricted key `key` (rk_test_…) act for `platform_key`'s platform with only
        `permissions` (e.g. `rak_accounts_write`; see stripe_sandbox/platforms.py)."""
        body = {"key": key, "platform_key": platform_key, "permissions": permissions}
        return self.control("POST", "/keys/restricted", body)

    def platform_account_id(self, key: str) -> str:
        """The platform account id `GET /v1/account` answers for `key`."""
        return platform_account_id(key)

    def add_webhook_endpoint(
        self,
        url: str,
        secret: str | None = None,
        platform_key: str | None = None,
    ) -> str:
        """Register a receiver (optionally only for one platform's accounts); returns its
        `whsec_…` secret."""
        body = {"url": url, "secret": secret, "platform_key": platform_key}
        return self.control("POST", "/webhooks/endpoints", body)["secret"]

    def webhook_endpoints(self) -> list[dict[str, Any]]:
        """Registered receivers."""
        return self.control("GET", "/webhooks/endpoints")["data"]

    def events(self) -> list[dict[str, Any]]:
        """Events emitted since the last reset, oldest first."""
        return self.control("GET", "/webhooks/events")["data"]

    def deliveries(self) -> list[dict[str, Any]]:
        """Webhook deliveries with their attempts and status."""
        return self.control("GET", "/webhooks/deliveries")["data"]

    def wait_for_deliveries(
        self, n: int, timeout: float = 15.0, status: str = "succeeded"
    ) -> list[dict[str, Any]]:
        """Wait until at least `n` deliveries have `status`; returns those deliveries.

        The timeout only bounds a failure: a busy machine (two test workers on two cores) can
        take seconds to deliver what an idle one delivers in milliseconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            done = [d for d in self.deliveries() if d["status"] == status]
            if len(done) >= n:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(done)} of {n} deliveries {status} after {timeout}s")
            time.sleep(0.02)

    def configure_webhooks(
        self,
        *,
        paused: bool | None = None,
        duplicate: bool | None = None,
        delay: float | None = None,
        backoff: list[float] | None = None,
    ) -> dict[str, Any]:
        """Change delivery behaviour (pause, duplicate every event, delay, retry backoff)."""
        body = {"paused": paused, "duplicate": duplicate, "delay": delay, "backoff": backoff}
        return self.control("POST", "/webhooks/settings", body)

    def pause_webhooks(self) -> None:
        """Hold deliveries until `resume_webhooks()`."""
        self.control("POST", "/webhooks/pause")

    def resume_webhooks(self) -> None:
        """Send held deliveries."""
        self.control("POST", "/webhooks/resume")

    def reverse_webhooks(self) -> int:
        """Send pending deliveries newest first; returns how many were reordered."""
        return self.control("POST", "/webhooks/reverse")["reordered"]

    def redeliver(self, delivery_id: str) -> dict[str, Any]:
        """Send a delivery's event once more."""
        return self.control("POST", f"/webhooks/deliveries/{delivery_id}/redeliver")


class WebhookReceiver:
    """A tiny HTTP server that records webhook POSTs; `fail_next(n)` answers 500 n times."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._failures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    failing = receiver._failures > 0
                    receiver._failures -= failing
                    receiver.received.append(
                        {"body": body, "headers": dict(self.headers), "failed": failing}
                    )
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Stay quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks/stripe"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def fail_next(self, count: int) -> None:
        """Answer the next `count` deliveries with a 500."""
        with self._lock:
            self._failures = count

    def accepted(self) -> list[dict[str, Any]]:
        """Deliveries answered with 200."""
        with self._lock:
            return [item for item in self.received if not item["failed"]]

    def stop(self) -> None:
        """Shut the receiver down."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
