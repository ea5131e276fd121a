"""Reminders before Stripe's deadlines: at the configured offsets, once each, to the invitee
or the admins, never after completion or while muted, and once with two worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import OnboardingInvite, OnboardingReminder, OutboundMail, PaymentsAccount, utcnow
from app.services.reminders import run_reminders
from tests.helpers import TEST_ENCRYPTION_KEY
from tests.integration.invites.helpers import (
    continue_from,
    emailed_link,
    invite,
    invite_actions,
)
from tests.integration.people.helpers import link_path, mail_to, send_outbox

ROOT = Path(__file__).resolve().parents[3]
DAY = 86400


def check_status(auth, server_id: str):
    """Press Check status as the signed-in member (re-reads the account from Stripe)."""
    return auth.post(f"/payments/{server_id}/check-status", page=f"/payments/{server_id}")


def run_at(app, when):
    """One reminders pass as if it were `when`."""
    with app.app_context():
        report = run_reminders(now=when)
        db.session.remove()
        return report


def reminder_keys(app, server_id: str) -> list[tuple[str, int]]:
    with app.app_context():
        return [
            (kind, days)
            for kind, days in db.session.execute(
                select(OnboardingReminder.kind, OnboardingReminder.offset_days)
                .where(OnboardingReminder.server_id == server_id)
                .order_by(OnboardingReminder.sent_at, OnboardingReminder.kind)
            )
        ]


@pytest.fixture
def invited_and_started(app, mailbox, auth, signed_in, invitee, sandbox, stored, public_base):
    """The invitee opened the invite and went on to Stripe (the account exists)."""
    invite(auth, signed_in.server.id, "owner@business.example")
    path = emailed_link(app, mailbox, "owner@business.example")
    continue_from(invitee, path)
    mailbox.clear()
    return signed_in, stored(signed_in.server.id).stripe_account_id


def test_reminders_go_to_the_invitee_at_each_offset_exactly_once_with_a_fresh_link(
    app, mailbox, auth, invitee, sandbox, invited_and_started
):
    setup, account_id = invited_and_started
    deadline = sandbox.now() + 10 * DAY
    sandbox.set_requirements(
        account_id, {"current_deadline": deadline, "currently_due": ["external_account"]}
    )
    check_status(auth, setup.server.id)
    now = utcnow()

    first = run_at(app, now)
    again = run_at(app, now)
    send_outbox(app)

    assert (first.mailed, again.mailed) == (1, 0)
    [message] = mail_to(mailbox, "owner@business.example")
    assert message.subject == "Stripe needs information for Shop"
    assert "Bank account" in message.text
    assert "Continue here (a fresh link)" in message.text
    assert invitee.get(link_path(message)).status_code == 200
    # Ten days out: inside the 14-day offset, and something is due now — one mail for both.
    assert reminder_keys(app, setup.server.id) == [("deadline", 14), ("due", 0)]

    for days_left, expected in (
        (6.5, ("deadline", 7)),
        (2.5, ("deadline", 3)),
        (0.5, ("deadline", 1)),
    ):
        when = now + timedelta(days=10 - days_left)
        assert run_at(app, when).mailed == 1
        assert run_at(app, when).mailed == 0
        assert reminder_keys(app, setup.server.id)[-1] == expected
    send_outbox(app)
    assert len(mail_to(mailbox, "owner@business.example")) == 4
    detail = auth._client.get(f"/payments/{setup.server.id}").get_data(as_text=True)
    assert 'data-reminder="deadline:1"' in detail and 'data-reminder="due:0"' in detail


def test_the_future_requirements_deadline_has_its_own_reminders(
    app, mailbox, auth, sandbox, invited_and_started, stored
):
    setup, account_id = invited_and_started
    sandbox.force_account_state(account_id, "complete")
    check_status(auth, setup.server.id)
    sandbox.set_requirements(
        account_id,
        future_requirements={
            "current_deadline": sandbox.now() + 5 * DAY,
            "currently_due": ["individual.id_number"],
        },
    )
    check_status(auth, setup.server.id)
    payments = stored(setup.server.id)
    assert payments.future_deadline is not None
    assert payments.future_currently_due == ["individual.id_number"]

    # A finished resource gets no reminder, even with a future deadline.
    assert run_at(app, utcnow()).mailed == 0


def test_without_an_invite_the_owners_and_admins_are_mailed(
    app, mailbox, auth, signed_in, factory, sandbox, stored, public_base
):
    admin = factory.user("admin@example.com")
    developer = factory.user("dev@example.com")
    factory.member(signed_in.workspace, "admin", admin)
    factory.member(signed_in.workspace, "developer", developer)
    auth.post(f"/payments/{signed_in.server.id}/connect", page=f"/payments/{signed_in.server.id}")
    account_id = stored(signed_in.server.id).stripe_account_id
    sandbox.set_requirements(account_id, {"current_deadline": sandbox.now() + 2 * DAY})
    check_status(auth, signed_in.server.id)

    report = run_at(app, utcnow())
    send_outbox(app)

    assert report.mailed == 2
    assert sorted(r for m in mailbox.messages for r in m.recipients) == [
        "admin@example.com",
        "owner@example.com",
    ]
    assert f"/payments/{signed_in.server.id}" in mailbox.messages[0].text


def test_a_muted_resource_gets_no_reminder_until_unmuted(
    app, mailbox, auth, sandbox, invited_and_started
):
    setup, account_id = invited_and_started
    sandbox.set_requirements(account_id, {"current_deadline": sandbox.now() + 2 * DAY})
    check_status(auth, setup.server.id)

    muted = auth.post(
        f"/payments/{setup.server.id}/reminders",
        {"muted": "1"},
        page=f"/payments/{setup.server.id}",
    )

    assert muted.status_code == 303
    assert run_at(app, utcnow()).mailed == 0
    assert "Reminders are muted" in auth._client.get(f"/payments/{setup.server.id}").get_data(
        as_text=True
    )
    auth.post(
        f"/payments/{setup.server.id}/reminders",
        {"muted": "0"},
        page=f"/payments/{setup.server.id}",
    )
    assert run_at(app, utcnow()).mailed == 1


def test_a_developer_cannot_mute(app, client, auth, signed_in, factory):
    factory.member(signed_in.workspace, "developer", factory.user("dev@example.com"))
    auth.logout()
    auth.login("dev@example.com")

    response = auth.post(f"/payments/{signed_in.server.id}/reminders", {"muted": "1"}, page="/")

    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(PaymentsAccount.reminders_muted_at)) is None


def test_the_detail_page_shows_the_next_reminder(app, auth, sandbox, invited_and_started):
    setup, account_id = invited_and_started
    sandbox.set_requirements(account_id, {"current_deadline": sandbox.now() + 10 * DAY})
    check_status(auth, setup.server.id)

    html = auth._client.get(f"/payments/{setup.server.id}").get_data(as_text=True)

    assert "Next reminder:" in html


def _reminders_process(app) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "APP_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "JWT_SECRET": app.config["JWT_SECRET"],
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "MAIL_SERVER": "127.0.0.1",
        "PUBLIC_BASE_URL": "http://localhost",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(  # noqa: S603 — our own interpreter, fixed arguments
        [sys.executable, "-m", "flask", "reminders", "run", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_worker_processes_send_each_reminder_once(app, factory, owned):
    servers = [owned.server] + [factory.resource(owned.workspace, f"Shop {n}") for n in range(5)]
    # Accounts Stripe gave a deadline two and a half days away: the 3-day reminder is owed.
    with app.app_context():
        for n, payments in enumerate(db.session.scalars(select(PaymentsAccount))):
            payments.stripe_account_id = f"acct_reminder{n:04d}"
            payments.onboarding_status = "pending"
            payments.current_deadline = utcnow() + timedelta(days=2, hours=12)
        db.session.commit()

    workers = [_reminders_process(app) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], outputs
    with app.app_context():
        keys = db.session.execute(
            select(OnboardingReminder.server_id, OnboardingReminder.offset_days)
        ).all()
        mails = db.session.scalar(select(func.count()).select_from(OutboundMail))
    assert sorted(keys) == sorted((s.id, 3) for s in servers)
    assert mails == len(servers)  # one owner each, once


def test_expiry_is_recorded_by_the_reminders_pass(app, mailbox, auth, signed_in, public_base):
    invite(auth, signed_in.server.id, "owner@business.example")
    with app.app_context():
        db.session.execute(update(OnboardingInvite).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()

    assert run_at(app, utcnow()).expired == 1
    assert run_at(app, utcnow()).expired == 0
    assert invite_actions(app, signed_in.server.id) == ["invite.sent", "invite.expired"]


def test_an_invite_whose_resource_finished_another_way_is_marked_completed(
    app, auth, sandbox, invited_and_started
):
    setup, account_id = invited_and_started
    sandbox.force_account_state(account_id, "complete")
    check_status(auth, setup.server.id)

    assert run_at(app, utcnow()).completed == 1
    assert run_at(app, utcnow()).completed == 0
    assert invite_actions(app, setup.server.id)[-1] == "invite.completed"
    dashboard = auth._client.get("/").get_data(as_text=True)
    assert 'data-invite-state="completed"' in dashboard


def test_a_reminder_names_what_is_due_in_the_invite_language(
    app, mailbox, auth, signed_in, invitee, sandbox, stored, public_base
):
    invite(auth, signed_in.server.id, "owner@business.example", locale="de")
    continue_from(invitee, emailed_link(app, mailbox, "owner@business.example"))
    mailbox.clear()
    account_id = stored(signed_in.server.id).stripe_account_id
    sandbox.set_requirements(
        account_id,
        {"current_deadline": sandbox.now() + 10 * DAY, "currently_due": ["external_account"]},
    )
    check_status(auth, signed_in.server.id)

    assert run_at(app, utcnow()).mailed == 1
    send_outbox(app)

    [message] = mail_to(mailbox, "owner@business.example")
    assert "- Bankkonto für Auszahlungen" in message.text
    assert "Bank account for payouts" not in message.text
