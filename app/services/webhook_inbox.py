"""The webhook inbox: a verified event is recorded in one short transaction; a worker applies it.

Stripe wants a fast 2xx and delivers at least once, out of order, retrying failures for three
days (https://docs.stripe.com/webhooks#best-practices). So receiving an event only records it:
`record_event` decides whether it is ours (a handled type, the endpoint's mode, an account that
a resource of this endpoint holds) and inserts it into `webhook_events`, whose primary key is the
event id — a duplicate, even a concurrent one, inserts nothing (`ON CONFLICT DO NOTHING`).
Nothing else happens in the request: no Stripe call, no lock on the payments row.

`flask webhooks work` then applies each recorded event (`webhook_worker`).

Every source of events records through `record_event` with an `InboxEvent`: Stripe's v1
snapshot events (`app.services.webhooks`) and thin events of an Accounts v2 event destination.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import PaymentsAccount, StripeConnection, WebhookEvent, utcnow
from app.models.webhooks import PENDING
from app.request_id import current_request_id
from app.services.webhook_processing import HANDLED_TYPES, held_under

log = logging.getLogger(__name__)

RECORDED, DUPLICATE, IGNORED = "recorded", "duplicate", "ignored"
# `last_webhook_at` is written at most this often, so a burst of events does not queue on
# the connection's row: the connection page only says whether events arrive.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class InboxEvent:
    """A Stripe event as the inbox keeps it, whatever delivered it.

    `data_object` is the object the event carries, kept only when processing uses it (a
    charge); account changes are re-fetched, so their snapshot is not kept.
    """

    id: str
    type: str
    account_id: str | None
    created: int
    livemode: bool
    data_object: dict[str, Any] | None = None


@dataclass(frozen=True)
class Receiver:
    """The endpoint an event arrived at: a workspace connection's (its id) or the app-level
    one (None), the mode of its key, and when it last heard from Stripe."""

    connection_id: str | None
    mode: str | None
    last_webhook_at: datetime | None = None


def record_event(event: InboxEvent, receiver: Receiver) -> str:
    """Record a verified event for the worker and commit: recorded | duplicate | ignored.

    Only events that target an account of this endpoint are recorded: the same event id
    reaches every endpoint of the platform (a live Connect endpoint also receives test
    events), and recording it where it is ignored would make the endpoint that owns the
    account skip it.
    """
    why = _not_for_this_endpoint(event, receiver)
    if why is not None:
        outcome = IGNORED
    elif _insert_if_held(event, receiver.connection_id):
        outcome = RECORDED
    elif db.session.scalar(
        select(PaymentsAccount.id).where(held_under(receiver.connection_id, event.account_id))
    ):
        outcome = DUPLICATE  # held, so the id was there already
    else:
        outcome, why = IGNORED, "no resource of this endpoint holds the account"
    _touch(receiver)
    db.session.commit()
    log.info(
        "webhook %s (%s) on %s: %s%s",
        event.id,
        event.type,
        receiver.connection_id or "app-level",
        outcome,
        f" ({why})" if why else "",
    )
    return outcome


def _not_for_this_endpoint(event: InboxEvent, receiver: Receiver) -> str | None:
    """Why this endpoint acknowledges the event without recording it, as far as the event
    itself tells; None when it may be ours."""
    if event.type not in HANDLED_TYPES:
        return "event type not handled"
    if event.livemode != (receiver.mode == "live"):
        log.warning(
            "webhook %s on %s: livemode=%s does not match the endpoint's %s mode",
            event.id,
            receiver.connection_id or "app-level",
            event.livemode,
            receiver.mode,
        )
        return "livemode mismatch"
    if not event.account_id:
        return "no connected account"
    return None


def _insert_if_held(event: InboxEvent, connection_id: str | None) -> bool:
    """Insert the event if a resource of this endpoint holds its account and its id is not
    there yet; whether it was inserted (one statement, so recording costs one round trip)."""
    now = utcnow()
    inserted = db.session.execute(
        _insert_if_held_statement(db.session.get_bind().dialect.name),
        {
            "id": event.id,
            "connection_id": connection_id,
            "type": event.type,
            "account_id": event.account_id,
            "created": event.created,
            "livemode": event.livemode,
            "received_at": now,
            "request_id": current_request_id(),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "data_object": event.data_object,
        },
    ).scalar()
    return inserted is not None


_INSERTED_COLUMNS = (
    "id",
    "connection_id",
    "type",
    "account_id",
    "created",
    "livemode",
    "received_at",
    "request_id",
    "status",
    "attempts",
    "next_attempt_at",
    "data_object",
)


@functools.cache
def _insert_if_held_statement(dialect: str) -> Insert:
    """`INSERT … SELECT :values WHERE EXISTS (the resource) ON CONFLICT (id) DO NOTHING
    RETURNING id`, built once: every webhook runs it, and building it costs more than running it.

    On PostgreSQL a concurrent insert of the same id waits for the first to commit, then
    inserts nothing; SQLite serialises writers.
    """
    table = WebhookEvent.__table__
    row = select(*(bindparam(name, type_=table.c[name].type) for name in _INSERTED_COLUMNS))
    held = (
        select(PaymentsAccount.id)
        .where(held_under(bindparam("connection_id"), bindparam("account_id")))
        .exists()
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .from_select(list(_INSERTED_COLUMNS), row.where(held))
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(table.c.id)
    )


def _touch(receiver: Receiver) -> None:
    """Remember that this connection's webhooks arrive (the setup check shows it)."""
    if receiver.connection_id is None:
        return
    now = utcnow()
    if receiver.last_webhook_at is not None and now - receiver.last_webhook_at < TOUCH_INTERVAL:
        return
    db.session.execute(
        update(StripeConnection)
        .where(StripeConnection.id == receiver.connection_id)
        .values(last_webhook_at=now)
        .execution_options(synchronize_session=False)
    )
