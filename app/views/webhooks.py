"""Stripe's webhook endpoints: the only CSRF-exempt routes — Stripe's signature replaces CSRF.

Answers carry no detail: a caller whose signature fails learns only "400".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import Blueprint, Response, current_app, jsonify, request

from app.errors import json_error, register_api_family
from app.extensions import csrf
from app.services import thin_events, webhooks

bp = Blueprint("webhooks", __name__)


@bp.record_once
def _register_error_family(state) -> None:
    # 404/405/413 under /webhooks/ answer JSON, never our HTML error page.
    register_api_family(state.app, "/webhooks/", json_error, checks_own_input=False)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_app_level() -> tuple[Response, int]:
    """Connect events for accounts created with the app-level key (`STRIPE_WEBHOOK_SECRET`)."""
    return _receive(partial(webhooks.receive_stripe_event, None))


@bp.post("/webhooks/stripe/<connection_id>")
@csrf.exempt
def stripe_connection(connection_id: str) -> tuple[Response, int]:
    """Connect events for accounts of one workspace connection, signed with its secret."""
    return _receive(partial(webhooks.receive_stripe_event, connection_id))


@bp.post("/webhooks/stripe/<connection_id>/thin")
@csrf.exempt
def stripe_connection_thin(connection_id: str) -> tuple[Response, int]:
    """Thin v2 events from one connection's event destination, signed with its own secret."""
    return _receive(partial(thin_events.receive_thin_event, connection_id))


def _receive(
    receive: Callable[[bytes, str | None], webhooks.WebhookOutcome],
) -> tuple[Response, int]:
    # Werkzeug answers 413 before reading more than this; the raw bytes are what Stripe signed.
    request.max_content_length = current_app.config["MAX_WEBHOOK_BYTES"]
    payload = request.get_data(cache=False)
    try:
        outcome = receive(payload, request.headers.get("Stripe-Signature"))
    except webhooks.WebhookRejected:
        return json_error(400, "bad_request", "The request could not be understood."), 400
    except webhooks.WebhookNotRecorded:
        return json_error(500, "server_error", "Not recorded; retry later."), 500
    return jsonify(received=True, result=outcome.result), 200
