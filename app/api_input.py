"""Reading and validating /v1 API input: JSON bodies and query parameters.

Everything a client sends is checked here before any service runs, so a bad request is answered
with one clear 4xx naming each bad field and nothing is half-done. The OpenAPI document
(`app/openapi.py`) describes the same rules; keep the two in step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import request

from app.reference import STRIPE_COUNTRIES
from app.services.onboarding import PRODUCT_DESCRIPTION_MAX

EMAIL_MAX_LENGTH = 254
PRODUCT_DESCRIPTION_MAX_LENGTH = PRODUCT_DESCRIPTION_MAX  # one limit for button and API
CONNECT_FIELDS = ("country", "email", "productDescription")
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
DEFAULT_PER_PAGE = 20


class ApiInputError(Exception):
    """A request the API refuses: status, machine code, message and per-field messages."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


@dataclass(frozen=True)
class ConnectInput:
    """The optional account-creation fields of connect-account, validated."""

    country: str | None = None
    email: str | None = None
    product_description: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """`?page=&perPage=` of a list call."""

    page: int
    per_page: int


def json_object_body() -> dict[str, Any]:
    """The request's JSON object; `{}` for an empty body. 415/400 for anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise ApiInputError(
            415,
            "unsupported_media_type",
            "Send the body as JSON with `Content-Type: application/json` (or send no body).",
        )
    try:
        payload = json.loads(raw)
    except ValueError as error:
        # json.JSONDecodeError says where the problem is; a decoding error says it is not UTF-8.
        where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        raise ApiInputError(400, "malformed_json", f"The body is not valid JSON{where}.") from None
    if not isinstance(payload, dict):
        raise ApiInputError(400, "invalid_body", "The body must be a JSON object.")
    return payload


def connect_input(payload: dict[str, Any]) -> ConnectInput:
    """Validate connect-account's body: known fields only, each of the right type and form."""
    problems: dict[str, str] = {}
    for name in payload:
        if name not in CONNECT_FIELDS:
            problems[str(name)[:64]] = (
                "Unknown field. Allowed fields: " + ", ".join(CONNECT_FIELDS) + "."
            )
    country = _optional_string(payload, "country", problems)
    if country is not None and country not in STRIPE_COUNTRIES:
        problems["country"] = (
            "Use an upper-case ISO 3166-1 alpha-2 code of a country where Stripe Connect "
            "accounts can be created, such as US, GB or DE."
        )
    email = _optional_string(payload, "email", problems)
    if email is not None:
        email = _valid_email(email, problems)
    description = _optional_string(payload, "productDescription", problems)
    if description is not None:
        if len(description) > PRODUCT_DESCRIPTION_MAX_LENGTH:
            problems["productDescription"] = (
                f"Keep it to {PRODUCT_DESCRIPTION_MAX_LENGTH} characters or fewer."
            )
        description = description.strip() or None
    if problems:
        raise ApiInputError(422, "validation_failed", "Some fields are invalid.", problems)
    return ConnectInput(country=country, email=email, product_description=description)


def _optional_string(payload: dict[str, Any], name: str, problems: dict[str, str]) -> str | None:
    if name not in payload:
        return None
    value = payload[name]
    if not isinstance(value, str):
        problems[name] = "Must be a string."
        return None
    return value


def _valid_email(value: str, problems: dict[str, str]) -> str | None:
    if len(value) > EMAIL_MAX_LENGTH:
        problems["email"] = f"Keep the email to {EMAIL_MAX_LENGTH} characters or fewer."
        return None
    try:
        # No DNS lookups: the API must answer fast and work offline; Stripe checks it again.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        problems["email"] = f"Enter a valid email address: {error}"
        return None


def page_request() -> PageRequest:
    """`page` (1–10000) and `perPage` (1–100, default 20); 422 for anything else."""
    problems: dict[str, str] = {}
    page = _positive_int("page", 1, MAX_PAGE, problems)
    per_page = _positive_int("perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE, problems)
    if problems:
        raise ApiInputError(
            422, "validation_failed", "Some query parameters are invalid.", problems
        )
    return PageRequest(page=page, per_page=per_page)


def _positive_int(name: str, default: int, maximum: int, problems: dict[str, str]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # Length first: int() of thousands of digits is slow, and refused past Python's limit.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= maximum:
        problems[name] = f"Must be a whole number between 1 and {maximum}."
        return default
    return int(raw)


def sync_flag() -> bool:
    """`?sync=true|false` (default false); 422 for another value."""
    raw = request.args.get("sync")
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise ApiInputError(
        422,
        "validation_failed",
        "Some query parameters are invalid.",
        {"sync": "Use true or false."},
    )
