"""A Stripe step of onboarding: what happens around each call, whether it fails or works.

`stripe_step` hands out a gateway bounded by one deadline. Inside the block only Stripe is
called — the caller has committed first, so no transaction or pool connection is held while
Stripe answers. When the block raises a Stripe error, the step's changes in flight are rolled
back, the failure is recorded (its cause and Stripe's request id — never a key or link URL), a
connection whose key Stripe rejected is flagged for its admins (the table in `app.stripe_errors`
says which refusals flag it: not a restricted key missing one permission), and the gateway's
exception is re-raised for the caller to show. When it works, a flag left by an earlier
rejection is cleared: the call just proved the key good again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select, update

from app.extensions import db
from app.models import PaymentsAccount, Server, StripeConnection
from app.services import audit
from app.services.onboarding.sync import locked_payments
from app.stripe_gateway import StripeCredentials, StripeGateway, StripeGatewayError

KEY_REJECTED_REASON = "Stripe rejected this connection's API key. Enter a valid key."


@contextmanager
def stripe_step(
    server_id: str,
    operation: str,
    credentials: StripeCredentials,
    *,
    user_id: str | None,
    deadline: float | None = None,
    on_failure: Callable[[PaymentsAccount], None] | None = None,
) -> Iterator[StripeGateway]:
    """`with stripe_step(server_id, "account_link", credentials, user_id=…) as gateway:`

    The resource is named by id, not passed as an object: the caller has committed before the
    call, and touching an expired ORM object would open a transaction again. `deadline` (from
    `step_deadline()`) lets several steps of one request share one; `on_failure` undoes a
    step's own marks on the locked payments row (e.g. a creation claim) when it fails.
    """
    try:
        yield StripeGateway(credentials, deadline=deadline)
    except StripeGatewayError as error:
        _record_failure(server_id, operation, credentials, user_id, error, on_failure)
        raise
    _clear_key_flag(credentials)


def _record_failure(
    server_id: str,
    operation: str,
    credentials: StripeCredentials,
    user_id: str | None,
    error: StripeGatewayError,
    on_failure: Callable[[PaymentsAccount], None] | None,
) -> None:
    """Roll back, then in one short transaction (payments row first, as everywhere) note the
    failure on the resource, flag a rejected connection key, and audit it."""
    db.session.rollback()
    server = db.session.get(Server, server_id)
    if server is None:  # pragma: no cover — deleted while we waited on Stripe
        return
    refusal = error.refusal
    with locked_payments(server.payments.id) as payments:
        if on_failure is not None:
            on_failure(payments)
        payments.last_error = f"Stripe request failed ({refusal.cause})."
        if refusal.flags_key and credentials.connection_id:
            connection = db.session.get(StripeConnection, credentials.connection_id)
            if connection is not None:
                connection.attention_reason = KEY_REJECTED_REASON
        audit.record_on_server(
            "onboarding.stripe_failed",
            payments.server,
            actor_user_id=user_id,
            details={
                "operation": operation,
                "error": refusal.cause,
                "request_id": error.request_id,
                "connection_id": credentials.connection_id,
            },
        )


def _clear_key_flag(credentials: StripeCredentials) -> None:
    """A call that just worked proves a previously rejected key is good again.

    Read first, so the common case writes nothing; the rare clearing commits at once, in its
    own transaction, so it never precedes the payments lock of the caller's next one.
    """
    if credentials.connection_id is None:
        return
    reason = db.session.scalar(
        select(StripeConnection.attention_reason).where(
            StripeConnection.id == credentials.connection_id
        )
    )
    if reason != KEY_REJECTED_REASON:
        return
    db.session.execute(
        update(StripeConnection)
        .where(
            StripeConnection.id == credentials.connection_id,
            StripeConnection.attention_reason == KEY_REJECTED_REASON,
        )
        .values(attention_reason=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
