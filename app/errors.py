"""Error answers: HTML pages for browsers, one JSON shape per API family.

API families register a renderer for their URL prefix (`register_api_family`), so routing errors
(404, 405) raised before any blueprint runs still answer in that family's shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.security.permissions import DENIED_MESSAGES
from app.services import access

log = logging.getLogger(__name__)

# Status → (machine code, sentence a person understands).
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Authentication is required."),
    403: ("forbidden", "You don't have permission to do that."),
    404: ("not_found", "We couldn't find that."),
    405: ("method_not_allowed", "That method is not allowed here."),
    409: ("conflict", "That conflicts with the current state."),
    413: ("payload_too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send a JSON body with Content-Type: application/json."),
    422: ("validation_failed", "Some fields are invalid."),
    429: ("rate_limited", "Too many requests. Please wait a moment and try again."),
    500: ("server_error", "Something went wrong on our side. It has been logged."),
    502: ("stripe_error", "Stripe could not complete the request."),
    503: ("unavailable", "A service we depend on is unavailable. Please try again shortly."),
}

ApiRenderer = Callable[[int, str, str, dict | None], Response]
_API_FAMILIES: list[tuple[str, ApiRenderer]] = []


class AppError(Exception):
    """An error whose message we wrote for the user: shown as is, with its status."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def register_api_family(prefix: str, renderer: ApiRenderer) -> None:
    """Errors under `prefix` are rendered by `renderer(status, code, message, fields)`."""
    _API_FAMILIES.append((prefix, renderer))
    _API_FAMILIES.sort(key=lambda item: len(item[0]), reverse=True)


def json_error(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    """The /v1 family's error shape: `{"error": {"status", "code", "message", "fields"?}}`."""
    body: dict = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _api_renderer() -> ApiRenderer | None:
    for prefix, renderer in _API_FAMILIES:
        if request.path.startswith(prefix):
            return renderer
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    ):
        return json_error
    return None


def render_error(status: int, message: str | None = None, code: str | None = None) -> Response:
    """Answer an error the way this client wants it."""
    default_code, default_message = MESSAGES.get(status, ("error", "Something went wrong."))
    renderer = _api_renderer()
    if renderer is not None:
        return renderer(status, code or default_code, message or default_message, None)
    html = render_template("errors/error.html", status=status, message=message or default_message)
    return Response(html, status=status, mimetype="text/html")


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Response:
        return render_error(
            400,
            "This form has expired or was not sent from our site. Reload and try again.",
            "csrf_failed",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        response = render_error(status)
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        retry_after = getattr(error, "retry_after", None)
        if status == 429:
            response.headers["Retry-After"] = str(retry_after or 60)
        return response

    @app.errorhandler(Exception)
    def unhandled(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)

    @app.errorhandler(access.NotFound)
    def not_found(error: access.NotFound) -> Response:
        return render_error(404)

    @app.errorhandler(access.PermissionDenied)
    def permission_denied(error: access.PermissionDenied) -> Response:
        return render_error(403, DENIED_MESSAGES.get(error.permission))

    @app.errorhandler(AppError)
    def app_error(error: AppError) -> Response:
        return render_error(error.status, error.message, error.code)
