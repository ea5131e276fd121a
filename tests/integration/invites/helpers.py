"""Helpers for the invite tests: invite through the detail page, open the emailed link."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OnboardingInvite
from tests.helpers import csrf_token_from
from tests.integration.people.helpers import link_path, mail_to, send_outbox

FORM_ACTION_RE = re.compile(r'<form method="post" action="([^"]+)" class="outcomes">')


def invite(auth, server_id: str, email: str, locale: str = ""):
    """Post the detail page's invite form as the signed-in member."""
    return auth.post(
        f"/payments/{server_id}/invites",
        {"email": email, "locale": locale},
        page=f"/payments/{server_id}",
    )


def emailed_link(app, mailbox, address: str) -> str:
    """Send the outbox and return the path of the newest link mailed to `address`."""
    send_outbox(app)
    return link_path(mail_to(mailbox, address)[-1])


def invite_row(app, server_id: str) -> OnboardingInvite:
    """The resource's newest invite, detached."""
    with app.app_context():
        row = db.session.scalars(
            select(OnboardingInvite)
            .where(OnboardingInvite.server_id == server_id)
            .order_by(OnboardingInvite.created_at.desc(), OnboardingInvite.id)
        ).first()
        db.session.expunge(row)
        return row


def invite_actions(app, server_id: str) -> list[str]:
    """The `invite.*` audit actions on a resource, oldest first."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_id == server_id, AuditEvent.action.like("invite.%"))
                .order_by(AuditEvent.id)
            )
        )


def continue_from(client, landing_path: str):
    """Press Continue to Stripe on the landing page (a CSRF-protected POST)."""
    html = client.get(landing_path).get_data(as_text=True)
    return client.post(f"{landing_path}/continue", data={"csrf_token": csrf_token_from(html)})


def path_of(url: str) -> str:
    """The path and query of a URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def submit_on_stripe(link_url: str, outcome: str) -> str:
    """Play the person on the sandbox's hosted page: open the link, press the `outcome`
    button, and return where Stripe sends the browser (our return_url)."""
    session = requests.Session()
    page = session.get(link_url, timeout=10)
    action = FORM_ACTION_RE.search(page.text)
    assert action, "the hosted page has no form"
    done = session.post(
        urljoin(link_url, action.group(1)),
        data={"outcome": outcome},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 303
    return done.headers["Location"]
