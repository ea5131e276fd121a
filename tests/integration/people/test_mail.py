"""The mail outbox: queued with the change, sent over real SMTP, retried, sent once by workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Base, OutboundMail, utcnow
from app.models.mail import FAILED, QUEUED, SENT
from app.security.crypto import encrypt_secret
from app.services import mail as mail_service
from tests.helpers import TEST_ENCRYPTION_KEY
from tests.integration.people.helpers import send_outbox

ROOT = Path(__file__).resolve().parents[3]


def queue(app, count: int = 1, to: str = "ada@example.com") -> list[str]:
    """Queue `count` password-reset-style mails and commit; their ids."""
    ids = []
    with app.test_request_context():
        for _ in range(count):
            row = mail_service.queue_mail(
                "password_reset_unknown", to, "Reset your password", address=to
            )
            db.session.flush()
            ids.append(row.id)
        db.session.commit()
        db.session.remove()
    return ids


def rows(app) -> list[OutboundMail]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboundMail).order_by(OutboundMail.id)))
        db.session.expunge_all()
        return found


def test_a_message_is_sent_over_smtp_with_text_and_html_and_a_stable_message_id(app, mailbox):
    [mail_id] = queue(app)

    report = send_outbox(app)

    assert report.sent == 1
    [caught] = mailbox.messages
    assert caught.recipients == ("ada@example.com",)
    assert caught.subject == "Reset your password"
    assert "no active account uses this address" in caught.text
    assert "<strong>ada@example.com</strong>" in caught.html
    assert caught.message_id == f"<{mail_id}@connect-onboarding.mail>"
    [row] = rows(app)
    assert row.status == SENT and row.attempts == 1 and row.sent_at is not None
    # The bodies may hold single-use links: they are not kept once sent.
    assert row.text_ciphertext is None and row.html_ciphertext is None


def test_bodies_wait_encrypted_in_the_outbox(app, mailbox):
    queue(app, to="secret-reader@example.com")
    [row] = rows(app)
    assert "secret-reader" not in row.text_ciphertext
    assert "secret-reader" not in row.html_ciphertext


def test_a_rolled_back_change_queues_no_mail(app, mailbox):
    with app.test_request_context():
        mail_service.queue_mail("password_reset_unknown", "x@example.com", "S", address="x")
        db.session.rollback()
    assert rows(app) == []
    assert send_outbox(app).claimed == 0


def test_a_temporary_smtp_refusal_is_retried_with_backoff(app, mailbox):
    [mail_id] = queue(app)
    mailbox.handler.refuse_next = 1
    before = utcnow()

    assert send_outbox(app).retrying == 1

    [row] = rows(app)
    assert row.status == QUEUED and row.attempts == 1
    assert "451" in row.last_error
    # 30 s ± 20 %: not due again at once.
    assert before + timedelta(seconds=23) < row.next_attempt_at < before + timedelta(seconds=40)
    assert send_outbox(app).claimed == 0
    with app.app_context():
        later = mail_service.deliver_due_mail(now=utcnow() + timedelta(minutes=2))
    assert later.sent == 1
    assert [m.message_id for m in mailbox.messages] == [f"<{mail_id}@connect-onboarding.mail>"]


def test_an_unreachable_smtp_server_is_retried_then_given_up(app, mailbox):
    queue(app)
    port = app.extensions["mailman"].port
    app.extensions["mailman"].port = 9  # discard: nothing listens there on loopback
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    try:
        assert send_outbox(app).retrying == 1
        with app.app_context():
            report = mail_service.deliver_due_mail(now=utcnow() + timedelta(hours=2))
    finally:
        app.extensions["mailman"].port = port
        app.config["MAIL_MAX_ATTEMPTS"] = 8
    assert report.failed == 1
    [row] = rows(app)
    assert row.status == FAILED and row.attempts == 2
    assert "ConnectionRefused" in row.last_error
    assert mailbox.messages == []


def test_a_claim_leases_exactly_one_message(app, mailbox):
    queue(app, count=3)
    with app.app_context():
        claim = mail_service.claim_next()
    leased = [row.id for row in rows(app) if row.lease_id is not None]
    assert leased == [claim.mail_id]


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_holder(app, mailbox):
    queue(app)
    with app.app_context():
        claim = mail_service.claim_next()
        # The lease ran out and another worker took the row over.
        db.session.execute(
            OutboundMail.__table__.update().values(lease_id="someone-else", attempts=5)
        )
        db.session.commit()
        mail_service.deliver(claim)
    [row] = rows(app)
    assert row.status == QUEUED and row.lease_id == "someone-else" and row.attempts == 5


def test_three_workers_send_every_message_exactly_once(app, mailbox):
    ids = queue(app, count=30)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                while mail_service.deliver_due_mail(limit=5).claimed:
                    pass
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 — reported by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert errors == []
    sent = Counter(m.message_id for m in mailbox.messages)
    assert sent == Counter(f"<{mail_id}@connect-onboarding.mail>" for mail_id in ids)
    assert {row.status for row in rows(app)} == {SENT}


def _worker_process(app, database_url: str | None = None, stderr=subprocess.DEVNULL):
    """`flask mail work` in its own process group, on the test database by default."""
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "APP_ENV": "testing",
        "DATABASE_URL": database_url or app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "JWT_SECRET": app.config["JWT_SECRET"],
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(app.extensions["mailman"].port),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(  # noqa: S603 — our own interpreter, fixed arguments
        [sys.executable, "-m", "flask", "mail", "work", "--idle", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )


def test_a_worker_killed_while_sending_loses_nothing_and_resends_with_the_same_id(app, mailbox):
    first, second = queue(app, count=2)
    # The server keeps the first message, then stalls before its "250": the worker is killed
    # in the one window SMTP cannot close (the server has it, our commit has not happened).
    mailbox.handler.hold_seconds = 30
    worker = _worker_process(app)
    try:
        assert mailbox.handler.received.wait(30), "the worker never sent"
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(10)
    mailbox.handler.hold_seconds = 0
    states = {row.id: row for row in rows(app)}
    assert states[first].status == QUEUED and states[first].lease_id is not None
    assert states[second].status == QUEUED and states[second].attempts == 0

    # Before the lease runs out nobody takes the row; after it, the next worker sends it again.
    assert send_outbox(app).sent == 1  # only the second message
    with app.app_context():
        after_lease = utcnow() + timedelta(seconds=mail_service.lease_seconds() + 1)
        assert mail_service.deliver_due_mail(now=after_lease).sent == 1

    sent = Counter(m.message_id for m in mailbox.messages)
    assert sent == {
        f"<{first}@connect-onboarding.mail>": 2,  # the inherent duplicate, recognisable
        f"<{second}@connect-onboarding.mail>": 1,
    }
    assert {row.status for row in rows(app)} == {SENT}


def test_the_worker_command_sends_and_exits_with_once(app, mailbox, runner):
    queue(app, count=2)
    result = runner.invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 2, retrying 0, failed 0" in result.output
    assert len(mailbox.messages) == 2


def test_the_worker_waits_out_a_database_it_cannot_use_yet(app, mailbox, tmp_path):
    # A real failure, not a stub: the worker starts on a database that has no schema yet,
    # logs that it waits, and sends once the schema and a message appear.
    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = _worker_process(app, database_url=url, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while b"database unavailable; retrying" not in log_path.read_bytes():
            assert time.monotonic() < deadline, "the worker never reported the outage"
            time.sleep(0.1)
        assert worker.poll() is None, "the worker exited on a database error"
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        with app.app_context(), Session(engine) as session:
            session.add(
                OutboundMail(
                    id="mail_late",
                    kind="password_reset_unknown",
                    to_address="late@example.com",
                    subject="Late",
                    text_ciphertext=encrypt_secret("text"),
                    html_ciphertext=encrypt_secret("<p>html</p>"),
                )
            )
            session.commit()
        deadline = time.monotonic() + 20
        while not mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    engine.dispose()
    assert [m.message_id for m in mailbox.messages] == ["<mail_late@connect-onboarding.mail>"]
