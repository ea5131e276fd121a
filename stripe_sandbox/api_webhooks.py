"""Where a platform asks Stripe to send events: v1 webhook endpoints and v2 event
destinations, and v2 events themselves.

References: https://docs.stripe.com/api/webhook_endpoints,
https://docs.stripe.com/api/v2/core/event_destinations, https://docs.stripe.com/api/v2/core/events.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from stripe_sandbox.accounts_v2 import check_v2_params, include_set, rfc3339
from stripe_sandbox.errors import StripeError
from stripe_sandbox.ids import new_id
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


CREATE_EVENT_DESTINATION = {
    "name": SCALAR,
    "description": SCALAR,
    "type": SCALAR,
    "enabled_events": ANY,
    "event_payload": SCALAR,
    "events_from": ANY,
    "include": ANY,
    "metadata": MapOf(SCALAR),
    "snapshot_api_version": SCALAR,
    "webhook_endpoint": {"url": SCALAR},
    "amazon_eventbridge": ANY,
    "azure_event_grid": ANY,
}
# stripe/params/v2/core/_event_destination_update_params.py: scopes (`events_from`) and the
# payload are fixed at creation; enabling is its own call.
UPDATE_EVENT_DESTINATION = {
    "name": SCALAR,
    "description": SCALAR,
    "enabled_events": ANY,
    "include": ANY,
    "metadata": MapOf(SCALAR),
    "webhook_endpoint": {"url": SCALAR},
}
# stripe/v2/core/_event_destination.py `WebhookEndpoint`: the signing secret is "returned only
# in the create response when explicitly included"; the url "only when explicitly included".
SIGNING_SECRET, URL = "webhook_endpoint.signing_secret", "webhook_endpoint.url"
# `events_from` (stripe/params/v2/core/_event_destination_create_params.py). The old enum values
# are still accepted as input and answered in the new spelling
# (https://docs.stripe.com/changelog/dahlia/2026-03-25/updates-eventsfrom-parameter-on-event-destinations).
EVENTS_FROM = {
    "@self": "@self",
    "@accounts": "@accounts",
    "@organization_members": "@organization_members",
    "@organization_members/@accounts": "@organization_members/@accounts",
    "self": "@self",
    "other_accounts": "@accounts",
}


def _events_list(value: Any, param: str) -> list[str]:
    if isinstance(value, str) and value:
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise StripeError(400, f"Invalid array: {param} must list event types.", param=param)
    return value


def _is_mine(endpoint: WebhookEndpoint | None, api_object: str) -> bool:
    """Whether `endpoint` is the calling platform's, registered as an `api_object`
    (`webhook_endpoint` or `v2.core.event_destination`)."""
    return (
        endpoint is not None
        and endpoint.api_object is not None
        and endpoint.api_object["object"] == api_object
        and endpoint.platform_account == g.platform
    )


def _owned_endpoint(endpoint_id: str) -> WebhookEndpoint:
    endpoint = sandbox_state().webhooks.endpoint(endpoint_id)
    if not _is_mine(endpoint, "webhook_endpoint"):
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
        if _is_mine(endpoint, "webhook_endpoint")
    ]
    return jsonify(
        {"object": "list", "url": "/v1/webhook_endpoints", "has_more": False, "data": mine[::-1]}
    )


@bp.get("/v1/webhook_endpoints/<endpoint_id>")
def retrieve_webhook_endpoint(endpoint_id: str) -> ResponseReturnValue:
    """One of the platform's webhook endpoints."""
    return jsonify(_owned_endpoint(endpoint_id).api_object)


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
    endpoint = _owned_endpoint(endpoint_id)
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
    endpoint = _owned_endpoint(endpoint_id)
    sandbox_state().webhooks.remove_endpoint(endpoint.id)
    return jsonify({"id": endpoint.id, "object": "webhook_endpoint", "deleted": True})


# v2 event destinations -----------------------------------------------------------------


def _v2_missing(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _destination_view(
    endpoint: WebhookEndpoint, include: set[str], *, created: bool = False
) -> dict[str, Any]:
    """The destination object, its url and (on creation only) secret shown when included."""
    obj = {**endpoint.api_object, "status": "enabled" if endpoint.enabled else "disabled"}
    obj["webhook_endpoint"] = {
        "signing_secret": endpoint.secret if created and SIGNING_SECRET in include else None,
        "url": endpoint.url if URL in include else None,
    }
    return obj


def _events_from(value: Any) -> list[str]:
    """The scopes a destination hears; omitted, only the owner's own events (`@self`)."""
    if value is None:
        return ["@self"]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or any(v not in EVENTS_FROM for v in values):
        allowed = ", ".join(sorted(set(EVENTS_FROM.values())))
        raise StripeError(
            400, f"Invalid events_from: each must be one of {allowed}.", param="events_from"
        )
    return sorted({EVENTS_FROM[v] for v in values})


def _owned_destination(destination_id: str) -> WebhookEndpoint:
    endpoint = sandbox_state().webhooks.endpoint(destination_id)
    if not _is_mine(endpoint, "v2.core.event_destination"):
        raise StripeError(
            404, f"No such event destination: '{destination_id}'", code="not_found", param="id"
        )
    return endpoint


def _query_include() -> set[str]:
    return set(request.args.getlist("include")) | {
        value for key, value in request.args.items(multi=True) if key.startswith("include[")
    }


@bp.post("/v2/core/event_destinations")
def create_event_destination() -> ResponseReturnValue:
    """Register a webhook event destination for thin (or snapshot) events."""
    params = request_params()
    check_v2_params(params, CREATE_EVENT_DESTINATION)
    for name in ("name", "type", "enabled_events", "event_payload"):
        if not params.get(name):
            raise _v2_missing(name)
    if params["type"] != "webhook_endpoint":
        raise StripeError(400, "The sandbox delivers only to type webhook_endpoint.", param="type")
    if params["event_payload"] not in ("thin", "snapshot"):
        raise StripeError(400, "Invalid event_payload: thin or snapshot.", param="event_payload")
    target = url((params.get("webhook_endpoint") or {}).get("url"), "webhook_endpoint.url")
    events = _events_list(params["enabled_events"], "enabled_events")
    events_from = _events_from(params.get("events_from"))
    endpoint_started()
    state = sandbox_state()
    now = rfc3339(state.now())
    obj = {
        "id": None,
        "object": "v2.core.event_destination",
        "amazon_eventbridge": None,
        "azure_event_grid": None,
        "created": now,
        "description": params.get("description") or "",
        "enabled_events": events,
        "event_payload": params["event_payload"],
        "events_from": events_from,
        "livemode": state.platform_settings(g.platform).livemode,
        "metadata": dict(params.get("metadata") or {}),
        "name": params["name"],
        "snapshot_api_version": params.get("snapshot_api_version"),
        "status_details": None,
        "type": "webhook_endpoint",
        "updated": now,
    }
    endpoint = state.webhooks.add_endpoint(
        target,
        platform_account=g.platform,
        payload=params["event_payload"],
        enabled_events=events,
        events_from=events_from,
        api_object=obj,
        id=new_id("ed", 24),
    )
    obj["id"] = endpoint.id
    return jsonify(_destination_view(endpoint, include_set(params.get("include")), created=True))


@bp.get("/v2/core/event_destinations")
def list_event_destinations() -> ResponseReturnValue:
    """The platform's event destinations, oldest first (`include=webhook_endpoint.url`)."""
    include = _query_include()
    mine = [
        _destination_view(endpoint, include)
        for endpoint in sandbox_state().webhooks.endpoints()
        if _is_mine(endpoint, "v2.core.event_destination")
    ]
    return jsonify({"data": mine, "next_page_url": None, "previous_page_url": None})


@bp.get("/v2/core/event_destinations/<destination_id>")
def retrieve_event_destination(destination_id: str) -> ResponseReturnValue:
    """One event destination (`include=webhook_endpoint.url` shows its url)."""
    return jsonify(_destination_view(_owned_destination(destination_id), _query_include()))


@bp.post("/v2/core/event_destinations/<destination_id>")
def update_event_destination(destination_id: str) -> ResponseReturnValue:
    """Change a destination's events, url, name, description or metadata."""
    params = request_params()
    check_v2_params(params, UPDATE_EVENT_DESTINATION)
    target = (
        url((params["webhook_endpoint"] or {}).get("url"), "webhook_endpoint.url")
        if "webhook_endpoint" in params
        else None
    )
    events = (
        _events_list(params["enabled_events"], "enabled_events")
        if "enabled_events" in params
        else None
    )
    endpoint_started()
    endpoint = _owned_destination(destination_id)
    state = sandbox_state()
    with state.webhooks.lock:
        obj = endpoint.api_object
        if target:
            endpoint.url = target
        if events:
            endpoint.enabled_events = obj["enabled_events"] = events
        for name in ("name", "description"):
            if name in params:
                obj[name] = params[name] or ""
        for key, value in (params.get("metadata") or {}).items():
            if value is None:
                obj["metadata"].pop(key, None)
            else:
                obj["metadata"][key] = value
        obj["updated"] = rfc3339(state.now())
        return jsonify(_destination_view(endpoint, include_set(params.get("include"))))


@bp.delete("/v2/core/event_destinations/<destination_id>")
def delete_event_destination(destination_id: str) -> ResponseReturnValue:
    """Stop sending to a destination and forget it (v2 deletes answer `{}`:
    stripe/v2/core/_event_destination_service.py `delete` returns `DeletedObject`)."""
    endpoint_started()
    endpoint = _owned_destination(destination_id)
    sandbox_state().webhooks.remove_endpoint(endpoint.id)
    return jsonify({"id": endpoint.id, "object": "v2.core.event_destination", "deleted": True})


@bp.post("/v2/core/event_destinations/<destination_id>/<action>")
def switch_event_destination(destination_id: str, action: str) -> ResponseReturnValue:
    """`enable` or `disable` an event destination."""
    if action not in ("enable", "disable"):
        raise StripeError(404, f"Unrecognized request URL (POST: {request.path}).")
    endpoint_started()
    endpoint = _owned_destination(destination_id)
    state = sandbox_state()
    with state.webhooks.lock:
        endpoint.enabled = action == "enable"
        endpoint.api_object["status_details"] = (
            None if endpoint.enabled else {"disabled": {"reason": "user"}}
        )
        endpoint.api_object["updated"] = rfc3339(state.now())
    return jsonify(_destination_view(endpoint, set()))


@bp.get("/v2/core/events/<event_id>")
def retrieve_event(event_id: str) -> ResponseReturnValue:
    """A v2 event in full (what a thin notification's `fetch_event()` reads)."""
    found = sandbox_state().v2_events.get(event_id)
    if found is None or found[0] != g.platform:
        raise StripeError(404, f"No such event: '{event_id}'", code="not_found", param="id")
    return jsonify(found[1])
