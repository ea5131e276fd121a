"""The outbox sends each notification once to a healthy partner, and its worker stays up."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from app import create_app
from app.cli.worker import run_worker
from app.config import UnsafeConfigError
from app.extensions import db
from app.models import Notification, utcnow
from app.services import notifications
from app.services.notifications import deliver_due
from tests.helpers import SIBLING_SETTINGS, stored_notifications


def start_workers(app, count: int) -> tuple[threading.Event, list[threading.Thread], list]:
    """`count` workers (`flask notifications work`'s loop) in threads; set the event to stop."""
    stopping = threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        with app.app_context():
            try:
                run_worker(
                    stopping,
                    lambda: deliver_due(limit=10),
                    name="notifications",
                    idle=0.05,
                )
            except BaseException as error:  # surfaced by the test
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return stopping, threads, errors


def wait_until_delivered(app, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = stored_notifications(app)
        if sum(row.status == "delivered" for row in rows) == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"not all {count} notifications were delivered in {seconds} s")


def test_three_workers_and_a_slow_partner_get_each_notification_delivered_exactly_once(
    app, monkeypatch, partner, queue_notifications
):
    # Issue scale ÷ 5: a partner answering in 3-4 s, a 5 s timeout, a 30 s lease. A worker
    # sending a batch of 10 under one lease would still be busy 2 s after its 5 s lease ended,
    # and the others would take its last rows again. One row per claim leaves each delivery
    # (0.8 s at most) a wide margin inside its lease, even on a busy machine.
    partner.delay = (0.6, 0.8)
    monkeypatch.setitem(app.config, "NOTIFICATION_TIMEOUT_SECONDS", 2.0)
    monkeypatch.setitem(app.config, "NOTIFICATION_LEASE_SECONDS", 5.0)
    ids = queue_notifications(100)

    stopping, threads, errors = start_workers(app, 3)
    try:
        wait_until_delivered(app, 100, seconds=120)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=10)

    assert errors == []
    received = partner.event_ids()
    assert sorted(received) == sorted(ids)
    assert set(received.values()) == {1}
    assert {(row.status, row.attempts) for row in stored_notifications(app)} == {("delivered", 1)}


def test_a_lost_lease_is_counted_and_keeps_the_event_id(app, partner, queue_notifications, caplog):
    [notification_id] = queue_notifications(1)
    start = utcnow()
    with app.app_context():
        slow = notifications.claim_next(now=start)  # a worker that stalls past its lease…
        db.session.remove()
    later = slow.lease_until + timedelta(seconds=1)
    with app.app_context():
        assert notifications.deliver_due(now=later).delivered == 1  # …is overtaken
        db.session.remove()
    with app.app_context():
        assert notifications.deliver(slow, now=later) == notifications.LOST
        db.session.remove()

    assert list(partner.event_ids().elements()) == [notification_id, notification_id]
    [row] = stored_notifications(app)
    assert (row.status, row.attempts) == ("delivered", 1)  # the overtaking worker's record
    assert "lease lost before the outcome" in caplog.text


def test_the_worker_waits_out_a_database_outage_and_delivers_afterwards(
    app, outage_app, partner, queue_notifications, caplog
):
    caplog.set_level(logging.INFO, logger="app.cli.worker")
    worker_app, cut_off = outage_app
    ids = queue_notifications(3)
    with app.app_context():  # due once the database has gone
        db.session.execute(
            update(Notification).values(next_attempt_at=utcnow() + timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()

    stopping, threads, errors = start_workers(worker_app, 1)
    try:
        time.sleep(0.3)  # the worker is polling
        with cut_off():
            time.sleep(3)
            assert threads[0].is_alive() and errors == []
            assert partner.received == []
        wait_until_delivered(app, 3, seconds=60)
    finally:
        stopping.set()
        threads[0].join(timeout=35)

    assert errors == []
    assert sorted(partner.event_ids()) == sorted(ids)
    waits = [r for r in caplog.records if "waiting for the database" in r.getMessage()]
    backs = [r for r in caplog.records if "the database is back" in r.getMessage()]
    assert len(waits) == 1 and len(backs) == 1  # once per outage, not once per retry
    assert waits[0].levelno == logging.INFO


@pytest.mark.parametrize(("lease", "timeout"), [(10.0, 5.0), (5.0, 5.0)])
def test_a_lease_shorter_than_two_timeouts_is_refused_at_start_up(app, lease, timeout):
    settings = {key: app.config[key] for key in SIBLING_SETTINGS}
    settings.update(NOTIFICATION_LEASE_SECONDS=lease, NOTIFICATION_TIMEOUT_SECONDS=timeout)
    with pytest.raises(UnsafeConfigError, match="NOTIFICATION_LEASE_SECONDS"):
        create_app(settings)


def test_the_worker_reports_deliveries_but_not_passes_that_only_scheduled_a_retry(
    app, partner, queue_notifications
):
    partner.status = 500
    [notification_id] = queue_notifications(1)
    reports: list = []
    stopping = threading.Event()

    def work() -> None:
        with app.app_context():
            try:
                run_worker(
                    stopping,
                    lambda: deliver_due(limit=10),
                    name="notifications",
                    idle=0.05,
                    report=reports.append,
                )
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while stored_notifications(app)[0].attempts < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_notifications(app)[0].attempts >= 1
        time.sleep(0.3)  # the pass that made the attempt has returned, idle passes followed
        assert reports == []  # a retry scheduled is not worth a line

        partner.status = 200
        with app.app_context():
            db.session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(next_attempt_at=utcnow())
            )
            db.session.commit()
        wait_until_delivered(app, 1, seconds=10)
    finally:
        stopping.set()
        thread.join(10)
    assert [report.delivered for report in reports] == [1]
