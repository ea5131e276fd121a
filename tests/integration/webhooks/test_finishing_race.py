"""Finishing onboarding: the return page and Stripe's webhooks arrive together, over real HTTP.

The webhooks are recorded at once and applied by two `flask webhooks work` loops running
meanwhile, concurrently with the return page. Every path applies the account through one
function under one lock order, so there is no deadlock, no 5xx, and the change is recorded —
audit row and partner notification — once.
"""

from __future__ import annotations

import json
import re
import threading

import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Notification
from tests.factories import Factory
from tests.helpers import (
    CONNECTION_SECRET,
    payments_row,
    stripe_event,
    stripe_signature,
)

REPETITIONS = 20
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in_session(base_url: str, email: str) -> requests.Session:
    """A browser-like session signed in through the real form (CSRF on)."""
    session = requests.Session()
    page = session.get(f"{base_url}/auth/login", timeout=10).text
    token = CSRF_RE.search(page).group(1)
    answer = session.post(
        f"{base_url}/auth/login",
        data={"email": email, "password": Factory.PASSWORD, "csrf_token": token},
        timeout=10,
    )
    assert answer.status_code in (200, 302, 303)
    return session


def finish_together(base_url: str, session: requests.Session, res) -> list[int]:
    """The return page and three webhooks for the same completion, fired at one moment."""
    events = [
        stripe_event("account.updated", res.account_id),
        stripe_event("capability.updated", res.account_id),
        stripe_event("account.updated", res.account_id),
    ]
    start = threading.Barrier(len(events) + 1)
    statuses: list[int] = []

    def return_page() -> None:
        start.wait()
        url = f"{base_url}/payments/{res.server_id}/onboarding/return"
        statuses.append(session.get(url, timeout=30).status_code)

    def webhook(event: dict) -> None:
        payload = json.dumps(event).encode()
        headers = {
            "Stripe-Signature": stripe_signature(payload, CONNECTION_SECRET),
            "Content-Type": "application/json",
        }
        start.wait()
        answer = requests.post(
            f"{base_url}{res.webhook_path}", data=payload, headers=headers, timeout=30
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=return_page)]
    threads += [threading.Thread(target=webhook, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def recorded_changes(app, res) -> tuple[int, int]:
    """(status_changed audit rows, partner notifications) of one resource."""
    with app.app_context():
        audits = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.subject_id == res.server_id,
                AuditEvent.action == "onboarding.status_changed",
            )
        )
        notifications = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.payments_account_id == res.payments_id)
        )
    return audits, notifications


def test_return_page_and_three_webhooks_record_one_change_every_time(
    app, factory, connect, sandbox, live_server, webhook_workers
):
    owner = factory.user()
    workspace = factory.workspace(owner)
    session = signed_in_session(live_server.url, owner.email)
    outcomes = []
    for round_ in range(REPETITIONS):
        res = connect(
            workspace=workspace,
            api_key=f"sk_test_finishingRace000000000000000{round_:04d}",
            webhook_secret=CONNECTION_SECRET,
        )
        sandbox.force_account_state(res.account_id, "complete")

        statuses = finish_together(live_server.url, session, res)
        webhook_workers.wait_idle()

        outcomes.append(
            (
                sorted(statuses),
                recorded_changes(app, res),
                payments_row(app, res.payments_id).onboarding_status,
            )
        )
    assert outcomes == [([200, 200, 200, 200], (1, 1), "complete")] * REPETITIONS
