"""What every API request goes through before and after its endpoint: faults and latency,
a request id, API-key checks (with a platform's restricted keys and disabled endpoints),
idempotency replay and storage, and the request log."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, jsonify, request

from stripe_sandbox.errors import (
    StripeError,
    invalid_api_key,
    missing_api_key,
    unrecognized_url,
)
from stripe_sandbox.ids import LIVE_KEY_PREFIXES, is_test_key, new_id
from stripe_sandbox.params import decode_form
from stripe_sandbox.platforms import missing_permission, required_permission
from stripe_sandbox.records import IdempotentResult
from stripe_sandbox.state import SandboxState

FAULT_KEY = "stripe_sandbox.fault"
API_PREFIXES = ("/v1/", "/v2/")


def is_api_path(path: str) -> bool:
    """True for Stripe API paths (the ones that need a key and get logged)."""
    return path.startswith(API_PREFIXES)


def sandbox_state() -> SandboxState:
    """The state of the sandbox app handling this request."""
    return current_app.extensions["stripe_sandbox"]


class NetworkFaults:
    """WSGI middleware applying latency, `slow` and `drop` faults before Flask sees a request.

    Dropping has to happen below Flask: Flask would turn any exception into a 500 response.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], state: SandboxState) -> None:
        self.wsgi_app = wsgi_app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Apply network faults, then hand over to the app."""
        path = environ.get("PATH_INFO", "")
        if not is_api_path(path):
            return self.wsgi_app(environ, start_response)
        # Counted while running, so a reset waits for a slowed request instead of letting it
        # land in the next test's state.
        with self.state.api_request():
            if self.state.latency:
                time.sleep(self.state.latency)
            fault = self.state.take_fault(path, environ.get("REQUEST_METHOD", "GET"))
            if fault is not None:
                environ[FAULT_KEY] = fault
                if fault.kind == "slow":
                    time.sleep(fault.seconds)
                elif fault.kind == "drop":
                    self.state.log_request(
                        _log_entry(environ["REQUEST_METHOD"], path, environ, None, "drop")
                    )
                    connection = environ.get("werkzeug.socket")
                    if connection is not None:
                        connection.shutdown(socket.SHUT_RDWR)
                    # werkzeug treats ConnectionError as "client went away" and stays quiet.
                    raise ConnectionAbortedError("stripe_sandbox dropped the connection")
            return self.wsgi_app(environ, start_response)


def _log_entry(
    method: str,
    path: str,
    environ: dict[str, Any],
    status: int | None,
    fault: str | None,
    account: str | None = None,
    replayed: bool = False,
) -> dict[str, Any]:
    return {
        "at": time.time(),
        "method": method,
        "path": path,
        "idempotency_key": environ.get("HTTP_IDEMPOTENCY_KEY"),
        "status": status,
        "account": account,
        "fault": fault,
        "replayed": replayed,
    }


def request_params() -> dict[str, Any]:
    """The request's params: JSON for v2, bracketed form (or query) fields for v1."""
    if "params" not in g:
        if request.path.startswith("/v2/"):
            body = request.get_json(silent=True) if request.data else {}
            if not isinstance(body, dict):
                raise StripeError(400, "Invalid JSON body.", code="invalid_json")
            g.params = body
        elif request.method == "GET":
            g.params = decode_form(request.args.items(multi=True))
        else:
            g.params = decode_form(
                parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
            )
    return g.params


def endpoint_started() -> None:
    """Mark that the request passed parameter validation and the endpoint began executing.

    From here on Stripe keeps the answer under the idempotency key, errors (4xx) included;
    a request refused before this point (auth, missing or unknown parameter, a bad enum
    value, rate limit, a concurrent request) keeps nothing, so a fixed retry with the same
    key runs. https://docs.stripe.com/api/idempotent_requests
    """
    g.started = True


def api_request_info() -> dict[str, Any]:
    """The `request` hash events carry for changes an API call caused."""
    return {"id": g.request_id, "idempotency_key": request.headers.get("Idempotency-Key")}


def init_app(app: Flask) -> None:
    """Install the request pipeline on the sandbox app."""
    app.before_request(_assign_request_id)
    app.before_request(_apply_status_faults)
    app.before_request(_authenticate)
    app.before_request(_replay_idempotent)
    app.before_request(_apply_stored_faults)
    app.after_request(_finish)
    app.register_error_handler(StripeError, _stripe_error)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)


def _assign_request_id() -> None:
    g.request_id = new_id("req", 14)


def _apply_status_faults() -> None:
    fault = request.environ.get(FAULT_KEY)
    if fault is None:
        return
    g.fault = fault.kind
    if fault.kind == "500":
        raise StripeError(
            500,
            "An unknown error occurred (injected by stripe_sandbox).",
            type="api_error",
        )
    if fault.kind == "429":
        # https://docs.stripe.com/rate-limits
        raise StripeError(
            429,
            "Request rate limit exceeded. You can learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )


def _apply_stored_faults() -> None:
    """`500_stored` fails after the idempotency slot is taken, so `_finish` keeps the 500."""
    if g.get("fault") == "500_stored":
        raise StripeError(
            500,
            "An unknown error occurred (injected by stripe_sandbox; kept for the key).",
            type="api_error",
        )


def _api_key_from_headers() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        # curl -u sk_test_…: is how Stripe's docs call the API.
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def _authenticate() -> None:
    if not is_api_path(request.path):
        return
    api_key = _api_key_from_headers()
    if api_key is None:
        raise missing_api_key()
    if api_key.startswith(LIVE_KEY_PREFIXES) or not is_test_key(api_key):
        raise invalid_api_key(api_key)
    state = sandbox_state()
    if api_key in state.revoked_keys:
        raise invalid_api_key(api_key)
    g.api_key = api_key
    g.platform = state.platform_of(api_key)
    settings = state.platform_settings(g.platform)
    if any(request.path.startswith(path) for path in settings.unavailable_paths):
        # An endpoint not enabled for this platform looks like no endpoint at all.
        raise unrecognized_url(request.method, request.path)
    restricted = state.restricted_keys.get(api_key)
    permission = required_permission(request.method, request.path)
    if restricted is not None and permission and permission not in restricted.permissions:
        raise missing_permission(api_key, g.platform, permission)


def _fingerprint() -> str:
    canonical = json.dumps(
        [request.method, request.path, request_params()], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay_idempotent() -> Response | None:
    key = request.headers.get("Idempotency-Key")
    if not is_api_path(request.path) or request.method not in ("POST", "DELETE") or not key:
        return None
    state = sandbox_state()
    fingerprint = _fingerprint()
    slot = (g.api_key, key)  # keys are scoped to the account (API key) that sent them
    with state.lock:
        previous = state.idempotency.get(slot)
        if previous is None:
            state.idempotency[slot] = IdempotentResult(fingerprint=fingerprint)
            g.idempotency_slot = slot
            return None
    if previous.fingerprint != fingerprint:
        raise StripeError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{key}' if you meant to "
            "execute a different request.",
            type="idempotency_error",
        )
    if previous.status is None:
        raise StripeError(
            409,
            "There is currently another in-progress request using this Idempotent Key "
            "(that probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            type="idempotency_error",
        )
    g.replayed = True
    response = Response(previous.body, previous.status, content_type=previous.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _finish(response: Response) -> Response:
    response.headers["Request-Id"] = g.get("request_id") or new_id("req", 14)
    if not is_api_path(request.path):
        return response
    if request.headers.get("Stripe-Version"):
        response.headers["Stripe-Version"] = request.headers["Stripe-Version"]
    if g.get("fault") == "500_after" and response.status_code < 400:
        # The request was carried out; only its answer is lost to a 500. Stripe stores that
        # 500 under the idempotency key, so retries with the key get the 500 again.
        response = jsonify(
            StripeError(
                500,
                "An unknown error occurred (injected by stripe_sandbox after the request ran).",
                type="api_error",
            ).body()
        )
        response.status_code = 500
        response.headers["Request-Id"] = g.get("request_id") or new_id("req", 14)
    state = sandbox_state()
    slot = g.pop("idempotency_slot", None)
    if slot is not None:
        with state.lock:
            # A `slow` request was really carried out, just late: like Stripe, keep its result so
            # the client's retry under the same key replays it instead of acting twice.
            # `500_stored` and `500_after` stand for a 5xx after the endpoint started: kept too.
            if not _kept_under_key(response.status_code):
                state.idempotency.pop(slot, None)
            else:
                result = state.idempotency[slot]
                result.status = response.status_code
                result.body = response.get_data()
                result.content_type = response.content_type
    account = (request.view_args or {}).get("account_id") or g.get("account_id")
    state.log_request(
        _log_entry(
            request.method,
            request.path,
            request.environ,
            response.status_code,
            g.get("fault"),
            account,
            g.get("replayed", False),
        )
    )
    return response


def _kept_under_key(status: int) -> bool:
    """Whether Stripe stores this answer under the idempotency key: successes and 5xx
    always (injected pre-execution faults aside), 4xx only once the endpoint started."""
    if g.get("fault") in ("500", "429"):
        return False
    if 400 <= status < 500:
        return bool(g.get("started"))
    return True


def _stripe_error(error: StripeError) -> tuple[Response, int, dict[str, str]]:
    body = error.v2_body() if request.path.startswith("/v2/") else error.body()
    return jsonify(body), error.status, error.headers


def _not_found(error: Exception) -> Any:
    if is_api_path(request.path):
        return _stripe_error(unrecognized_url(request.method, request.path))
    return error
