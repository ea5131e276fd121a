"""Error answers: HTML pages for browsers, one JSON shape per API family.

API families register a renderer for their URL prefix on each app (`register_api_family`), so
routing errors (404, 405) raised before any blueprint runs still answer in that family's shape.

A 5xx page never touches the database: the failure being reported may be the database itself
(down, restarting, a deadlock that poisoned the session). Every unexpected error first rolls the
session back, and an unreachable database answers 503 with `Retry-After` (`database_unavailable`
is the one test of that, shared with the API families and the notification worker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.security.permissions import DENIED_MESSAGES
from app.services import access

log = logging.getLogger(__name__)


def logged_path() -> str:
    """The request's route pattern (`/onboard/<token>`), not its path: paths can carry
    single-use tokens (invitations, resets, onboarding invites), which never reach a log."""
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


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

DATABASE_UNAVAILABLE = "The database is unavailable for a moment. Please try again shortly."
RETRY_AFTER_SECONDS = 5

ApiRenderer = Callable[[int, str, str, dict | None], Response]
_FAMILIES = "api_families"
# Statuses after which waiting helps (RFC 9110 §10.2.3, RFC 6585 §4): only these say how long.
WAIT_STATUSES = frozenset({429, 503})


def register_api_family(
    app: Flask, prefix: str, renderer: ApiRenderer, *, checks_own_input: bool = True
) -> None:
    """On `app`, errors under `prefix` are rendered by `renderer(status, code, message, fields)`.

    `checks_own_input`: the family validates its path and query parameters itself (answering
    its documented errors), so the app-wide URL check leaves them to it.
    """
    families: list[tuple[str, ApiRenderer, bool]] = app.extensions.setdefault(_FAMILIES, [])
    families.append((prefix, renderer, checks_own_input))
    families.sort(key=lambda item: len(item[0]), reverse=True)


def retry_after_only_when_waiting(response: Response) -> Response:
    """Drop `Retry-After` (Flask-Limiter adds it to every limited answer) unless 429 or 503."""
    if response.status_code not in WAIT_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def json_error(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    """The /v1 family's error shape: `{"error": {"status", "code", "message", "fields"?}}`."""
    body: dict = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def checked_by_api_family() -> bool:
    """Whether the request belongs to an API family that validates its own URL input."""
    families = current_app.extensions.get(_FAMILIES, [])
    return any(request.path.startswith(prefix) and checks for prefix, _r, checks in families)


def _api_renderer() -> ApiRenderer | None:
    for prefix, renderer, _checks in current_app.extensions.get(_FAMILIES, []):
        if request.path.startswith(prefix):
            return renderer
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    ):
        return json_error
    return None


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot answer right now, so a retry may work.

    Covers a server that is down or restarting (OperationalError: connection refused, server
    closed the connection, SQLite unable to open its file), a connection the driver invalidated,
    and a pool with no connection free in time.
    """
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


def rollback_session() -> None:
    """Roll the request's session back so nothing after a failure reuses a broken transaction."""
    try:
        db.session.rollback()
    except Exception as error:  # the connection itself is gone; the teardown discards it
        log.warning("rollback after an error failed: %s", type(error).__name__)


def render_error(status: int, message: str | None = None, code: str | None = None) -> Response:
    """Answer an error the way this client wants it."""
    default_code, default_message = MESSAGES.get(status, ("error", "Something went wrong."))
    renderer = _api_renderer()
    if renderer is not None:
        return renderer(status, code or default_code, message or default_message, None)
    message = message or default_message
    return Response(_error_page(status, message), status=status, mimetype="text/html")


def _error_page(status: int, message: str) -> str:
    """The error page; with the signed-in header (it queries) only for a 4xx.

    A 4xx is an answer we chose while the database works, and the header keeps the person's
    navigation and Sign out. A 5xx may be the database failing: that page is rendered straight
    from the environment, skipping context processors (Flask-Login's would load the user).
    """
    if status < 500:
        try:
            return render_template(
                "errors/error.html", status=status, message=message, account_menu=True
            )
        except Exception as error:  # the database broke after all: fall back to the plain page
            log.warning("error page without the account menu: %s", type(error).__name__)
            rollback_session()
    try:
        template = current_app.jinja_env.get_template("errors/error.html")
        return template.render(status=status, message=message, account_menu=False)
    except Exception:
        # Last resort, so the client still gets our headers rather than the server's bare page.
        log.exception("the error page itself failed to render")
        return f"<!doctype html><title>{status}</title><h1>{escape(message)}</h1>"


def database_unavailable_response() -> Response:
    """503 with a retry hint, in the client's format."""
    response = render_error(503, DATABASE_UNAVAILABLE, "database_unavailable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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
        rollback_session()
        if database_unavailable(error):
            log.warning(
                "database unavailable on %s %s: %s",
                request.method,
                logged_path(),
                type(error).__name__,
            )
            return database_unavailable_response()
        log.exception("unhandled error on %s %s", request.method, logged_path())
        return render_error(500)

    @app.errorhandler(access.NotFound)
    def not_found(error: access.NotFound) -> Response:
        return render_error(404)

    @app.errorhandler(access.PermissionDenied)
    def permission_denied(error: access.PermissionDenied) -> Response:
        return render_error(403, DENIED_MESSAGES.get(error.permission))
