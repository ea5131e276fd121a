"""Stripe's error shape, built in one place for v1 and v2 endpoints.

Shape and status codes: https://docs.stripe.com/api/errors and
https://docs.stripe.com/error-codes.
"""

from __future__ import annotations

from typing import Any

from stripe_sandbox.ids import mask_key


class StripeError(Exception):
    """An error the sandbox answers with Stripe's `{"error": {...}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}

    def v2_body(self) -> dict[str, Any]:
        """The body v2 endpoints send: `type`, `code`, `message` (no `doc_url`).

        stripe-python reads v2 errors by `type`, then `code` and `message`
        (`_api_requestor.specific_v2_api_error`); a v2 `param` is a dotted path.
        """
        error: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing_param(param: str) -> StripeError:
    """400 for a required parameter that was not sent."""
    return StripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def unknown_param(param: str) -> StripeError:
    """400 for a parameter the endpoint does not know."""
    return StripeError(
        400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def invalid_choice(param: str, choices: tuple[str, ...]) -> StripeError:
    """400 for an enum parameter with a value outside its choices (Stripe sends no code)."""
    return StripeError(400, f"Invalid {param}: must be one of {', '.join(choices)}", param=param)


def invalid_url(param: str) -> StripeError:
    """400 for a URL parameter that is not an absolute http(s) URL."""
    return StripeError(400, "Not a valid URL", code="url_invalid", param=param)


def account_invalid(api_key: str, account_id: str) -> StripeError:
    """403 for an account the key cannot see.

    Stripe deliberately gives the same answer for "does not exist" and "belongs to another
    platform", so the sandbox does too.
    """
    return StripeError(
        403,
        f"The provided key '{mask_key(api_key)}' does not have access to account "
        f"'{account_id}' (or that account does not exist). "
        "Application access may have been revoked.",
        code="account_invalid",
    )


def no_such_account(account_id: str, param: str = "account") -> StripeError:
    """400 for an `account` body parameter naming no account this platform owns."""
    return StripeError(
        400, f"No such account: '{account_id}'", code="resource_missing", param=param
    )


def no_such_charge(charge_id: str, param: str = "id") -> StripeError:
    """400 for a charge id (e.g. a list cursor) the account does not have."""
    return StripeError(400, f"No such charge: '{charge_id}'", code="resource_missing", param=param)


def missing_api_key() -> StripeError:
    """401 when no key was sent at all."""
    return StripeError(
        401,
        "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
        "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
        "or we can help at https://support.stripe.com/.",
    )


def invalid_api_key(api_key: str) -> StripeError:
    """401 for a key Stripe does not accept (unknown, revoked, or live on the sandbox)."""
    return StripeError(401, f"Invalid API Key provided: {mask_key(api_key)}")


def unrecognized_url(method: str, path: str) -> StripeError:
    """404 for a path no endpoint serves, as Stripe words it."""
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )
