"""One request id travels: response header, log lines, audit row, partner notification."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Notification
from app.services import api_tokens, notifications
from tests.helpers import CONNECTION_SECRET, drain_webhooks, stripe_event


@pytest.fixture
def bearer(app):
    """Headers with a fresh API token of `user`."""

    def make(user, **extra: str) -> dict[str, str]:
        with app.app_context():
            secret = api_tokens.create_token(user.id, "request-id").secret
        return {"Authorization": f"Bearer {secret}", **extra}

    return make


def test_a_given_request_id_reaches_logs_audit_row_and_partner_headers(
    app, client, connect, sandbox, webhook_receiver, bearer, caplog
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    headers = bearer(res.owner, **{"X-Request-Id": "abc-123"})
    with app.app_context():
        before = set(db.session.scalars(select(AuditEvent.id)))
    caplog.set_level(logging.INFO)
    caplog.clear()

    response = client.get(
        f"/v1/servers/{res.server_id}/payments?sync=true",
        headers=headers,
    )

    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "abc-123"
    during = caplog.records  # the Stripe SDK's lines too: every line of the request
    assert during
    assert {r.request_id for r in during} == {"abc-123"}
    assert "[abc-123]" in logging.Formatter(app_log_format()).format(during[0])
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id.not_in(before))).all()
        assert rows and {row.request_id for row in rows} == {"abc-123"}
        [queued] = db.session.scalars(select(Notification)).all()
        assert queued.request_id == "abc-123"
        assert notifications.deliver_due().delivered == 1
        db.session.remove()
    [received] = webhook_receiver.accepted()
    assert received["headers"]["X-Request-Id"] == "abc-123"


def app_log_format() -> str:
    from flask.logging import default_handler

    return default_handler.formatter._fmt


@pytest.mark.parametrize(
    "given",
    ["", "x" * 129, "abc 123", "abc\x00", "<script>", "ä"],
)
def test_a_hostile_request_id_is_replaced_by_a_fresh_one(client, given):
    response = client.get("/openapi.json", headers={"X-Request-Id": given})
    returned = response.headers["X-Request-Id"]
    assert returned != given
    assert returned.startswith("req_") and len(returned) == 36


def test_pages_get_a_request_id_too_and_each_request_its_own(client):
    first = client.get("/auth/login").headers["X-Request-Id"]
    second = client.get("/auth/login").headers["X-Request-Id"]
    assert first != second
    assert (
        client.get("/auth/login", headers={"X-Request-Id": "gw:1.2_3-4"}).headers["X-Request-Id"]
        == "gw:1.2_3-4"
    )


def test_a_webhook_s_request_id_follows_the_event_into_the_worker(
    app, connect, sandbox, post_event
):
    res = connect()
    sandbox.force_account_state(res.account_id, "complete")
    event = stripe_event("account.updated", res.account_id)
    request_id = post_event(res.webhook_path, event, CONNECTION_SECRET).headers["X-Request-Id"]

    assert drain_webhooks(app) == ["applied"]

    with app.app_context():
        [queued] = db.session.scalars(select(Notification)).all()
        applied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "webhook.applied")
        ).one()
        db.session.remove()
    assert queued.request_id == request_id
    assert applied.request_id == request_id
