"""Test controls under `/_sandbox/…`: JSON, no auth, loopback callers only.

They let tests reset state, count Stripe calls, inject faults, force account states, expire
links, revoke keys and steer webhook delivery. See README.md for the table.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from stripe_sandbox.accounts import STATES, check_requirements
from stripe_sandbox.ids import platform_account_id
from stripe_sandbox.pipeline import sandbox_state
from stripe_sandbox.records import FAULT_KINDS

bp = Blueprint("controls", __name__, url_prefix="/_sandbox")


@bp.before_request
def _loopback_only() -> None:
    """Refuse control calls from anywhere but this machine."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        abort(403)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str) -> ResponseReturnValue:
    return jsonify({"error": message}), 400


@bp.post("/reset")
def reset() -> ResponseReturnValue:
    """Forget accounts, links, logs, faults, revoked keys and runtime webhooks."""
    sandbox_state().reset()
    return jsonify({"reset": True})


@bp.get("/requests")
def list_requests() -> ResponseReturnValue:
    """API requests received so far (optionally `?path_prefix=/v1/accounts`)."""
    return jsonify({"data": sandbox_state().requests(request.args.get("path_prefix"))})


@bp.delete("/requests")
def clear_requests() -> ResponseReturnValue:
    """Empty the request log."""
    state = sandbox_state()
    with state.lock:
        state.request_log.clear()
    return jsonify({"cleared": True})


@bp.post("/faults")
def add_fault() -> ResponseReturnValue:
    """Fail the next `count` requests under `path`: kind 500 | 429 | slow | drop |
    500_stored | 500_after."""
    body = _body()
    kind = str(body.get("kind"))
    if not body.get("path") or kind not in FAULT_KINDS:
        return _bad(f"need path and kind in {FAULT_KINDS}")
    method = body.get("method")
    if method is not None and str(method).upper() not in ("GET", "POST", "DELETE"):
        return _bad("method must be GET, POST or DELETE")
    fault = sandbox_state().add_fault(
        body["path"],
        kind,
        int(body.get("count", 1)),
        float(body.get("seconds") or 0),
        str(method) if method else None,
    )
    return jsonify(vars(fault)), 201


@bp.get("/faults")
def list_faults() -> ResponseReturnValue:
    """Faults still waiting for requests."""
    return jsonify({"data": [vars(fault) for fault in sandbox_state().faults]})


@bp.delete("/faults")
def clear_faults() -> ResponseReturnValue:
    """Cancel every pending fault."""
    state = sandbox_state()
    with state.lock:
        state.faults.clear()
    return jsonify({"cleared": True})


@bp.post("/latency")
def set_latency() -> ResponseReturnValue:
    """Delay every API answer by `seconds` (0 turns it off)."""
    seconds = float(_body().get("seconds") or 0)
    sandbox_state().latency = seconds
    return jsonify({"seconds": seconds})


@bp.get("/accounts")
def list_accounts() -> ResponseReturnValue:
    """Every connected account with its owning platform and sandbox state."""
    state = sandbox_state()
    with state.lock:
        data = [
            {
                "platform": stored.platform,
                "state": stored.state,
                "api": stored.api,
                "disconnected": stored.disconnected,
                "account": stored.data,
            }
            for stored in state.accounts.values()
        ]
    return jsonify({"data": data})


@bp.post("/idempotency/forget")
def forget_idempotency_keys() -> ResponseReturnValue:
    """Forget idempotency keys, as Stripe does after 24 hours: the same key acts anew."""
    return jsonify({"forgotten": sandbox_state().forget_idempotency_keys()})


@bp.post("/accounts/<account_id>/state")
def force_account_state(account_id: str) -> ResponseReturnValue:
    """Put an account into a state (emits account.updated / capability.updated)."""
    target = _body().get("state")
    state = sandbox_state()
    if account_id not in state.accounts:
        abort(404)
    if target not in STATES:
        return _bad(f"state must be one of {STATES}")
    return jsonify(state.set_account_state(account_id, target))


@bp.post("/accounts/<account_id>/deauthorize")
def deauthorize(account_id: str) -> ResponseReturnValue:
    """The account disconnects from its platform: emits `account.application.deauthorized`;
    the platform's key then gets 403 `account_invalid` for it."""
    state = sandbox_state()
    if account_id not in state.accounts or state.accounts[account_id].disconnected:
        abort(404)
    return jsonify(state.deauthorize(account_id))


@bp.post("/accounts/<account_id>/requirements")
def set_requirements(account_id: str) -> ResponseReturnValue:
    """Set fields of `requirements` and/or `future_requirements` (`current_deadline`,
    `currently_due`, `past_due`, `eventually_due`, `pending_verification`,
    `disabled_reason`); emits account.updated (and thin events for v2 accounts)."""
    body = _body()
    state = sandbox_state()
    if account_id not in state.accounts:
        abort(404)
    current, future = body.get("requirements"), body.get("future_requirements")
    if current is None and future is None:
        return _bad("need requirements and/or future_requirements")
    for changes in (current, future):
        problem = changes is not None and check_requirements(changes)
        if problem:
            return _bad(problem)
    return jsonify(state.set_requirements(account_id, current, future))


@bp.get("/clock")
def clock() -> ResponseReturnValue:
    """The sandbox's time (Unix seconds) and its offset from real time."""
    state = sandbox_state()
    return jsonify({"now": state.now(), "offset": state.clock_offset})


@bp.post("/clock")
def move_clock() -> ResponseReturnValue:
    """Set the clock's `offset` (seconds from real time) or `advance` it by seconds."""
    body = _body()
    state = sandbox_state()
    for name in ("offset", "advance"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return _bad(f"{name} must be a number of seconds")
    with state.lock:
        if body.get("offset") is not None:
            state.clock_offset = float(body["offset"])
        state.clock_offset += float(body.get("advance") or 0)
    return jsonify({"now": state.now(), "offset": state.clock_offset})


def _amount(value: Any) -> int | None:
    """A positive integer amount in minor units, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


@bp.post("/accounts/<account_id>/charges")
def create_charge(account_id: str) -> ResponseReturnValue:
    """A succeeded charge of `amount` (minor units) in `currency` (default: the account's)
    on a connected account; emits `charge.succeeded`."""
    body = _body()
    state = sandbox_state()
    if account_id not in state.accounts:
        abort(404)
    amount = _amount(body.get("amount"))
    if amount is None:
        return _bad("amount must be a positive integer (minor units)")
    currency = body.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3):
        return _bad("currency must be a three-letter ISO code")
    charge = state.create_charge(account_id, amount, currency.lower() if currency else None)
    return jsonify(charge), 201


@bp.post("/charges/<charge_id>/refund")
def refund_charge(charge_id: str) -> ResponseReturnValue:
    """Refund `amount` of a charge (default: all that is left); emits `charge.refunded`."""
    body = _body()
    state = sandbox_state()
    if charge_id not in state.charges:
        abort(404)
    amount = None
    if body.get("amount") is not None:
        amount = _amount(body["amount"])
        if amount is None:
            return _bad("amount must be a positive integer (minor units)")
    try:
        return jsonify(state.refund_charge(charge_id, amount))
    except ValueError as error:
        return _bad(str(error))


@bp.post("/links/expire")
def expire_link() -> ResponseReturnValue:
    """Make the link with this `url` (or `token`) expired."""
    body = _body()
    token = (
        body.get("token") or urlsplit(str(body.get("url", ""))).path.rstrip("/").rpartition("/")[2]
    )
    if not sandbox_state().expire_link(token):
        abort(404)
    return jsonify({"expired": True})


@bp.post("/keys/revoke")
def revoke_key() -> ResponseReturnValue:
    """Answer 401 "Invalid API Key provided" to this key from now on."""
    key = _body().get("key")
    if not key:
        return _bad("need key")
    state = sandbox_state()
    with state.lock:
        state.revoked_keys.add(key)
    return jsonify({"revoked": True})


def _platform(body: dict[str, Any]) -> str | None:
    if body.get("key"):
        return platform_account_id(str(body["key"]))
    return body.get("platform_account")


@bp.post("/platforms")
def configure_platform() -> ResponseReturnValue:
    """Set a platform's strict modes: `profile_complete`, `livemode`, `unavailable_paths`
    (for the platform of `key`, or `platform_account`)."""
    body = _body()
    platform = _platform(body)
    if not platform:
        return _bad("need key or platform_account")
    paths = body.get("unavailable_paths")
    if paths is not None and not (
        isinstance(paths, list) and all(str(path).startswith("/v") for path in paths)
    ):
        return _bad("unavailable_paths must be a list of API path prefixes")
    unsupported = body.get("unsupported_capabilities")
    if unsupported is not None and not (
        isinstance(unsupported, dict)
        and all(
            isinstance(country, str) and len(country) == 2 and isinstance(names, list)
            for country, names in unsupported.items()
        )
    ):
        return _bad("unsupported_capabilities must map two-letter countries to capability lists")
    delay = body.get("v1_account_v2_delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int) or delay < 0):
        return _bad("v1_account_v2_delay must be a whole number of seconds")
    settings = sandbox_state().configure_platform(
        platform,
        profile_complete=body.get("profile_complete"),
        livemode=body.get("livemode"),
        unavailable_paths=paths,
        v1_account_v2_delay=delay,
        unsupported_capabilities=unsupported
        and {country.upper(): names for country, names in unsupported.items()},
    )
    return jsonify({"platform": platform, **settings.to_dict()})


@bp.post("/keys/restricted")
def add_restricted_key() -> ResponseReturnValue:
    """Make `key` (rk_test_…) act for the platform of `platform_key` with `permissions`."""
    body = _body()
    key, permissions = str(body.get("key", "")), body.get("permissions")
    if not key.startswith("rk_test_") or not isinstance(permissions, list):
        return _bad("need an rk_test_ key and a list of permissions")
    platform = platform_account_id(str(body.get("platform_key") or key))
    sandbox_state().add_restricted_key(key, platform, set(permissions))
    return jsonify({"key": key, "platform": platform, "permissions": sorted(permissions)}), 201


@bp.get("/platform_account")
def platform_account() -> ResponseReturnValue:
    """The platform account id the sandbox derives for `?key=`."""
    key = request.args.get("key")
    if not key:
        return _bad("need key")
    return jsonify({"id": platform_account_id(key)})


@bp.post("/webhooks/endpoints")
def add_webhook_endpoint() -> ResponseReturnValue:
    """Register a receiver; optional `secret`, and `platform_key` or `platform_account`."""
    body = _body()
    if not str(body.get("url", "")).startswith(("http://", "https://")):
        return _bad("need an http(s) url")
    platform = body.get("platform_account")
    if body.get("platform_key"):
        platform = platform_account_id(body["platform_key"])
    endpoint = sandbox_state().webhooks.add_endpoint(body["url"], body.get("secret"), platform)
    return jsonify(endpoint.to_dict()), 201


@bp.get("/webhooks/endpoints")
def list_webhook_endpoints() -> ResponseReturnValue:
    """Registered receivers (secrets included: this is a test tool)."""
    return jsonify({"data": [e.to_dict() for e in sandbox_state().webhooks.endpoints()]})


@bp.delete("/webhooks/endpoints/<endpoint_id>")
def remove_webhook_endpoint(endpoint_id: str) -> ResponseReturnValue:
    """Stop sending to an endpoint."""
    if not sandbox_state().webhooks.remove_endpoint(endpoint_id):
        abort(404)
    return jsonify({"deleted": True})


@bp.get("/webhooks/events")
def list_events() -> ResponseReturnValue:
    """Events emitted since the last reset, oldest first."""
    return jsonify({"data": sandbox_state().webhooks.events()})


@bp.get("/webhooks/deliveries")
def list_deliveries() -> ResponseReturnValue:
    """Deliveries with their attempts (status pending | succeeded | failed)."""
    return jsonify({"data": sandbox_state().webhooks.deliveries()})


@bp.post("/webhooks/settings")
def configure_webhooks() -> ResponseReturnValue:
    """Set `paused`, `duplicate`, `delay` (seconds) and `backoff` (list of seconds)."""
    body = _body()
    settings = sandbox_state().webhooks.configure(
        paused=body.get("paused"),
        duplicate=body.get("duplicate"),
        delay=body.get("delay"),
        backoff=body.get("backoff"),
    )
    return jsonify(settings)


@bp.post("/webhooks/pause")
def pause_webhooks() -> ResponseReturnValue:
    """Hold deliveries until resumed."""
    return jsonify(sandbox_state().webhooks.configure(paused=True))


@bp.post("/webhooks/resume")
def resume_webhooks() -> ResponseReturnValue:
    """Send held deliveries."""
    return jsonify(sandbox_state().webhooks.configure(paused=False))


@bp.post("/webhooks/reverse")
def reverse_webhooks() -> ResponseReturnValue:
    """Send pending deliveries newest first."""
    return jsonify({"reordered": sandbox_state().webhooks.reverse_pending()})


@bp.post("/webhooks/deliveries/<delivery_id>/redeliver")
def redeliver(delivery_id: str) -> ResponseReturnValue:
    """Send a delivery's event again (a duplicate, as Stripe may send)."""
    delivery = sandbox_state().webhooks.redeliver(delivery_id)
    if delivery is None:
        abort(404)
    return jsonify(delivery), 201
