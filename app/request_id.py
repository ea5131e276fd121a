"""The request id: taken from a sane `X-Request-Id` header or minted, returned, logged, audited.

One id follows a request everywhere: the response's `X-Request-Id`, every log line written
while the request runs (each log record gets a `request_id` attribute), its audit rows and the
partner notifications it enqueues. Services read it with `current_request_id()`, without
reaching for `flask.request`. A header that is not 1-128 characters of `[A-Za-z0-9._:-]` is
replaced by a fresh id, never echoed.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, Response, request
from flask.logging import default_handler

HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request (CLI, worker)."""
    return _current.get()


@contextmanager
def continuing(request_id: str | None) -> Iterator[None]:
    """Run work a request left for later (a worker applying the webhook it recorded) under
    that request's id, so its log lines, audit rows and notifications carry it too."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


def accepted_or_minted(given: str | None) -> str:
    """`given` when it is a sane id, else a fresh one: `req_` and a uuid4 in hex."""
    if given is not None and _SANE.fullmatch(given):
        return given
    return "req_" + uuid.uuid4().hex


def _install_record_factory() -> None:
    """Every log record, from any logger, carries `request_id` (`-` outside a request)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _begin() -> None:
    _current.set(accepted_or_minted(request.headers.get(HEADER)))


def _return_it(response: Response) -> Response:
    request_id = current_request_id()
    if request_id is not None:
        response.headers[HEADER] = request_id
    return response


def _end(_error: BaseException | None) -> None:
    _current.set(None)


def init_app(app: Flask) -> None:
    """Set the id before anything else runs; put it in every log line; return it."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_return_it)
    app.teardown_request(_end)
    _install_record_factory()
    default_handler.setFormatter(logging.Formatter(LOG_FORMAT))
