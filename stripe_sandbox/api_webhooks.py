"""Where a platform asks Stripe to send events: v1 webhook endpoints and v2 event
destinations, and v2 events themselves.

References: https://docs.stripe.com/api/webhook_endpoints,
https://docs.stripe.com/api/v2/core/event_destinations, https://docs.stripe.com/api/v2/core/events.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from stripe_sandbox.errors import StripeError
from stripe_sandbox.params import ANY, SCALAR, MapOf, boolean, check_params, require, url
from stripe_sandbox.pipeline import endpoint_started, request_params, sandbox_state
from stripe_sandbox.webhooks import WebhookEndpoint

bp = Blueprint("api_webhooks", __name__)

CREATE_WEBHOOK_ENDPOINT = {
    "url": SCALAR,
    "enabled_events": ANY,
    "connect": SCALAR,
    "api_version": SCALAR,
    "description": SCALAR,
    "metadata": MapOf(SCALAR),
    "expand": ANY,
}
UPDATE_WEBHOOK_ENDPOINT = {
    "url": SCALAR,
    "enabled_events": ANY,
    "disabled": SCALAR,
    "description": SCALAR,
    "metadata": MapOf(SCALAR),
    "expand": ANY,
}


def _events_list(value: Any, param: str) -> list[str]:
    if isinstance(value, str) and value:
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise StripeError(400, f"Invalid array: {param} must list event types.", param=param)
    return value


def _owned_endpoint(endpoint_id: str, payload: str) -> WebhookEndpoint:
    endpoint = sandbox_state().webhooks.endpoint(endpoint_id)
    if (
        endpoint is None
        or endpoint.api_object is None
        or endpoint.payload != payload
        or endpoint.platform_account != g.platform
    ):
        raise StripeError(
            404,
            f"No such webhook endpoint: '{endpoint_id}'",
            code="resource_missing",
            param="id",
        )
    return endpoint


@bp.post("/v1/webhook_endpoints")
def create_webhook_endpoint() -> ResponseReturnValue:
    """Register a webhook endpoint; the answer is the only one that shows its `secret`."""
    params = request_params()
    check_params(params, CREATE_WEBHOOK_ENDPOINT)
    require(params, "url", "enabled_events")
    target = url(params["url"], "url")
    events = _events_list(params["enabled_events"], "enabled_events")
    endpoint_started()
    state = sandbox_state()
    obj = {
        "id": None,
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "created": state.now(),
        "description": params.get("description") or None,
        "enabled_events": events,
        "livemode": state.platform_settings(g.platform).livemode,
        "metadata": dict(params.get("metadata") or {}),
        "status": "enabled",
        "url": target,
    }
    # Without `connect=true` an endpoint hears only the platform's own events, never those of
    # its connected accounts (https://docs.stripe.com/connect/webhooks).
    endpoint = state.webhooks.add_endpoint(
        target,
        platform_account=g.platform,
        connect=boolean(params.get("connect")),
        enabled_events=events,
        api_object=obj,
    )
    obj["id"] = endpoint.id
    return jsonify({**obj, "secret": endpoint.secret})


@bp.get("/v1/webhook_endpoints")
def list_webhook_endpoints() -> ResponseReturnValue:
    """The platform's webhook endpoints, newest first (secrets are not shown again)."""
    check_params(request_params(), {"limit": SCALAR, "starting_after": SCALAR, "expand": ANY})
    mine = [
        endpoint.api_object
        for endpoint in sandbox_state().webhooks.endpoints()
        if endpoint.api_object is not None
        and endpoint.payload == "snapshot"
        and endpoint.platform_account == g.platform
    ]
    return jsonify(
        {"object": "list", "url": "/v1/webhook_endpoints", "has_more": False, "data": mine[::-1]}
    )


@bp.get("/v1/webhook_endpoints/<endpoint_id>")
def retrieve_webhook_endpoint(endpoint_id: str) -> ResponseReturnValue:
    """One of the platform's webhook endpoints."""
    return jsonify(_owned_endpoint(endpoint_id, "snapshot").api_object)


@bp.post("/v1/webhook_endpoints/<endpoint_id>")
def update_webhook_endpoint(endpoint_id: str) -> ResponseReturnValue:
    """Change an endpoint's url, events, description, metadata, or disable it."""
    params = request_params()
    check_params(params, UPDATE_WEBHOOK_ENDPOINT)
    target = url(params["url"], "url") if "url" in params else None
    events = (
        _events_list(params["enabled_events"], "enabled_events")
        if "enabled_events" in params
        else None
    )
    endpoint_started()
    state = sandbox_state()
    endpoint = _owned_endpoint(endpoint_id, "snapshot")
    with state.webhooks.lock:
        obj = endpoint.api_object
        if target:
            endpoint.url = obj["url"] = target
        if events:
            endpoint.enabled_events = obj["enabled_events"] = events
        if "disabled" in params:
            endpoint.enabled = not boolean(params["disabled"])
            obj["status"] = "enabled" if endpoint.enabled else "disabled"
        if "description" in params:
            obj["description"] = params["description"] or None
        for key, value in (params.get("metadata") or {}).items():
            if value == "":
                obj["metadata"].pop(key, None)
            else:
                obj["metadata"][key] = value
        return jsonify(dict(obj))


@bp.delete("/v1/webhook_endpoints/<endpoint_id>")
def delete_webhook_endpoint(endpoint_id: str) -> ResponseReturnValue:
    """Stop sending to an endpoint and forget it."""
    endpoint_started()
    endpoint = _owned_endpoint(endpoint_id, "snapshot")
    sandbox_state().webhooks.remove_endpoint(endpoint.id)
    return jsonify({"id": endpoint.id, "object": "webhook_endpoint", "deleted": True})
