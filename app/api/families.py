"""What both API families share: one error table each, registered in a loop; safe JSON bodies.

A family lists `ErrorRule`s — domain exception → (status, code, message) — and
`register_error_table` installs one handler per rule on its blueprint. Views raise; they never
build error answers. The same table feeds the OpenAPI document's error descriptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sqlalchemy_exc

from app.errors import ApiRenderer, database_unavailable, logged_path
from app.extensions import db
from app.json_limits import HostileJson, has_control_character, loads_bounded

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# Seconds to wait after a failure that is over in moments (Stripe, a concurrent creation, the DB).
RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True)
class ErrorRule:
    """`exception` answers `status` with `code` and `message` (or `message(error)`)."""

    exception: type[BaseException]
    status: int
    code: str
    message: str | Callable[[Any], str]
    fields: Callable[[Any], dict[str, str] | None] | None = None
    headers: tuple[tuple[str, str], ...] = ()


class BadBody(Exception):
    """A body the route cannot read; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedJson(BadBody):
    """Not JSON, not UTF-8, or JSON beyond the limits of `app.json_limits`."""


class NotAnObject(BadBody):
    """JSON, but not an object."""


class NotJson(BadBody):
    """A body sent with another content type."""


class InvalidFields(Exception):
    """Per-field validation messages, keyed by the API's field or query parameter names."""

    def __init__(self, fields: dict[str, str], message: str = "Some fields are invalid.") -> None:
        super().__init__(message)
        self.fields, self.message = fields, message


class DatabaseUnavailable(Exception):
    """A database outage, as the error tables name it; SQLAlchemy's errors are mapped to it."""


def register_error_table(bp: Blueprint, table: Sequence[ErrorRule], render: ApiRenderer) -> None:
    """One handler per rule on `bp`, plus the database outage guard every family needs."""
    for rule in table:
        bp.register_error_handler(rule.exception, _handler(rule, render))
    bp.register_error_handler(sqlalchemy_exc.SQLAlchemyError, _database_handler(table, render))


def _handler(rule: ErrorRule, render: ApiRenderer) -> Callable[[BaseException], Response]:
    def answer(error: BaseException) -> Response:
        message = rule.message if isinstance(rule.message, str) else rule.message(error)
        fields = rule.fields(error) if rule.fields else None
        response = render(rule.status, rule.code, message, fields)
        response.headers.update(rule.headers)
        if rule.status == 503:
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    return answer


def _database_handler(
    table: Sequence[ErrorRule], render: ApiRenderer
) -> Callable[[sqlalchemy_exc.SQLAlchemyError], Response]:
    [outage] = [rule for rule in table if rule.exception is DatabaseUnavailable]
    answer_outage = _handler(outage, render)

    def answer(error: sqlalchemy_exc.SQLAlchemyError) -> Response:
        # Roll back first: the session is unusable after a failed statement. With the database
        # gone the rollback itself may fail; nothing else touches the database on this path.
        try:
            db.session.rollback()
        except sqlalchemy_exc.SQLAlchemyError:
            log.warning("rollback failed after a database error", exc_info=True)
        if database_unavailable(error):
            log.warning("database unavailable on %s %s: %s", request.method, logged_path(), error)
            return answer_outage(DatabaseUnavailable())
        log.exception("database error on %s %s", request.method, logged_path())
        return render(
            500, "server_error", "Something went wrong on our side. It has been logged.", None
        )

    return answer


class ControlCharacterInPath(LookupError):
    """A path parameter held NUL or another control character: no object has such an id."""


def refuse_control_characters_in_path() -> None:
    """Path parameters with control characters name nothing: refused before any query runs."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and has_control_character(value):
            raise ControlCharacterInPath


def json_body(*, empty_means: dict[str, Any] | None) -> dict[str, Any]:
    """The request's JSON object, read within the hostile-input limits.

    `empty_means`: what an empty body stands for (`{}` on /v1), or None when a body is required.
    """
    raw = request.get_data(cache=True)
    if not raw.strip() and empty_means is not None:
        return dict(empty_means)
    if not request.is_json:
        raise NotJson("Send the body as JSON with `Content-Type: application/json`.")
    try:
        payload = loads_bounded(raw.decode())
    except HostileJson as hostile:
        raise MalformedJson(hostile.message) from None
    except ValueError as error:
        # json.JSONDecodeError says where the problem is; a decoding error says it is not UTF-8.
        where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        raise MalformedJson(f"The body is not valid JSON{where}.") from None
    if not isinstance(payload, dict):
        raise NotAnObject("The body must be a JSON object.")
    return payload


# Pydantic error type → the sentence a client reads; anything else keeps Pydantic's words.
_MESSAGES = {
    "string_type": "Must be a string.",
    "missing": "Required.",
    "string_too_short": "Must not be empty.",
}


def validated(model: type[M], payload: dict[str, Any]) -> M:
    """`payload` as `model`, or InvalidFields naming each bad field by its API name."""
    try:
        return model.model_validate(payload)
    except ValidationError as invalid:
        allowed = ", ".join(field.alias or name for name, field in model.model_fields.items())
        fields: dict[str, str] = {}
        for problem in invalid.errors():
            name = str(problem["loc"][0])[:64] if problem["loc"] else "body"
            if problem["type"] == "extra_forbidden":
                message = f"Unknown field. Allowed fields: {allowed}."
            elif problem["type"] == "value_error":
                message = str(problem["ctx"]["error"])
            else:
                message = _MESSAGES.get(problem["type"], problem["msg"].rstrip(".") + ".")
            fields.setdefault(name, message)
        raise InvalidFields(fields) from None
