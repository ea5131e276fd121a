"""What happens when Stripe fails in the middle of an onboarding step.

The step's own changes are rolled back, the failure is recorded (kind and Stripe's request id —
never a key or link URL), a connection whose key Stripe rejected is flagged for its admins, and
the gateway's exception is re-raised for the caller to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.extensions import db
from app.models import PaymentsAccount, Server, StripeConnection
from app.services import audit
from app.stripe_gateway import (
    StripeAccountNotFound,
    StripeCredentials,
    StripeGatewayError,
    StripeKeyRejected,
    StripeRequestRejected,
    StripeUnavailable,
)

KEY_REJECTED_REASON = "Stripe rejected this connection's API key. Enter a valid key."

T = TypeVar("T")

_ERROR_KINDS: dict[type[StripeGatewayError], str] = {
    StripeUnavailable: "unavailable",
    StripeKeyRejected: "key_rejected",
    StripeAccountNotFound: "account_not_found",
    StripeRequestRejected: "request_rejected",
}


def run_guarded(
    server_id: str,
    operation: str,
    user_id: str | None,
    credentials: StripeCredentials | None,
    work: Callable[[], T],
    cleanup: Callable[[PaymentsAccount], None] | None = None,
) -> T:
    """Run `work`; on a Stripe error roll back, audit it, flag a rejected key, and re-raise."""
    try:
        return work()
    except StripeGatewayError as error:
        db.session.rollback()
        server = db.session.get(Server, server_id)
        if server is None:  # pragma: no cover — deleted while we waited on Stripe
            raise
        kind = _ERROR_KINDS.get(type(error), "error")
        if cleanup is not None:
            cleanup(server.payments)
        server.payments.last_error = f"Stripe request failed ({kind})."
        if isinstance(error, StripeKeyRejected) and credentials and credentials.connection_id:
            connection = db.session.get(StripeConnection, credentials.connection_id)
            if connection is not None:
                connection.attention_reason = KEY_REJECTED_REASON
        audit.record_on_server(
            "onboarding.stripe_failed",
            server,
            actor_user_id=user_id,
            details={
                "operation": operation,
                "error": kind,
                "request_id": error.request_id,
                "connection_id": credentials.connection_id if credentials else None,
            },
        )
        db.session.commit()
        raise


def clear_key_flag(credentials: StripeCredentials) -> None:
    """A call that just worked proves a previously rejected key is good again."""
    if credentials.connection_id is None:
        return
    connection = db.session.get(StripeConnection, credentials.connection_id)
    if connection is not None and connection.attention_reason == KEY_REJECTED_REASON:
        connection.attention_reason = None
