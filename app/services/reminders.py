"""Reminders driven by Stripe's deadlines, run by the mail worker and `flask reminders run`.

Stripe gives an account a `requirements.current_deadline` (and, after a rule change, a
`future_requirements.current_deadline`) by which what is due must be provided, or charges or
payouts are paused (https://docs.stripe.com/connect/handling-api-verification#verification-
deadlines, https://docs.stripe.com/connect/handle-verification-updates). We mail the invitee —
or, with no live invite, the workspace's owners and admins — when something is due now and at
REMINDER_OFFSETS_DAYS before each deadline.

Exactly once: each reminder is a row with a unique key (resource, kind, deadline, offset),
inserted in the same transaction as its mail. Two workers that find the same reminder both
insert; the database lets one commit and the other gets an IntegrityError and rolls back its
mail with it. Nothing is sent after completion or while an admin has muted the resource.

When a deadline is first seen inside several offsets (found 2 days before it), only the
tightest offset is sent: one mail, not three at once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n import DEFAULT_LOCALE
from app.models import (
    Membership,
    OnboardingInvite,
    OnboardingReminder,
    PaymentsAccount,
    Server,
    User,
    Workspace,
    utcnow,
)
from app.security.permissions import MANAGE, permissions_for_role
from app.services import access, audit
from app.services.invitee import record_completions, record_expiries
from app.services.mail import queue_mail
from app.services.onboarding_invites import renew_link
from app.urls import external_url

log = logging.getLogger(__name__)

DUE_NOW, DEADLINE, FUTURE_DEADLINE = "due", "deadline", "future_deadline"


@dataclass(frozen=True)
class OwedReminder:
    """One reminder a resource is owed now: the unique key of its row."""

    kind: str
    deadline_key: str
    deadline: datetime | None
    offset_days: int


@dataclass
class ReminderReport:
    """What one pass did: invites found expired or completed, mails queued, reminders another
    worker took."""

    expired: int = 0
    completed: int = 0
    mailed: int = 0
    lost_race: int = 0
    servers: list[str] = field(default_factory=list)


def offsets() -> list[int]:
    """REMINDER_OFFSETS_DAYS as whole days, largest first."""
    return sorted({int(day) for day in current_app.config["REMINDER_OFFSETS_DAYS"]}, reverse=True)


def _due_codes(payments: PaymentsAccount) -> list[str]:
    requirements = payments.requirements or {}
    return sorted(
        set(requirements.get("currently_due") or []) | set(requirements.get("past_due") or [])
    )


def owed_reminders(payments: PaymentsAccount, now: datetime) -> list[OwedReminder]:
    """The reminders a resource is owed at `now` (sent or not); reads only."""
    owed = []
    due = _due_codes(payments)
    if due:
        digest = hashlib.sha256(",".join(due).encode()).hexdigest()[:40]
        owed.append(OwedReminder(DUE_NOW, digest, payments.current_deadline, 0))
    for kind, deadline in (
        (DEADLINE, payments.current_deadline),
        (FUTURE_DEADLINE, payments.future_deadline),
    ):
        if deadline is None or deadline <= now:
            continue
        reached = [day for day in offsets() if deadline - now <= timedelta(days=day)]
        if reached:
            owed.append(OwedReminder(kind, deadline.isoformat(), deadline, min(reached)))
    return owed


def _already_sent(server_id: str) -> set[tuple[str, str, int]]:
    rows = db.session.execute(
        select(
            OnboardingReminder.kind, OnboardingReminder.deadline_key, OnboardingReminder.offset_days
        ).where(OnboardingReminder.server_id == server_id)
    ).all()
    return {tuple(row) for row in rows}


def _candidates() -> list[str]:
    """Resources that may be owed a reminder: unfinished, not muted, with an account."""
    return list(
        db.session.scalars(
            select(PaymentsAccount.server_id)
            .join(Server, Server.id == PaymentsAccount.server_id)
            .where(
                PaymentsAccount.onboarding_status != "complete",
                PaymentsAccount.reminders_muted_at.is_(None),
                PaymentsAccount.stripe_account_id.is_not(None),
                PaymentsAccount.status == "active",
            )
            .order_by(PaymentsAccount.server_id)
        )
    )


def _live_invite(server_id: str, now: datetime) -> OnboardingInvite | None:
    return db.session.scalars(
        select(OnboardingInvite)
        .where(
            OnboardingInvite.server_id == server_id,
            OnboardingInvite.revoked_at.is_(None),
            OnboardingInvite.completed_at.is_(None),
            OnboardingInvite.expires_at > now,
        )
        .order_by(OnboardingInvite.created_at.desc(), OnboardingInvite.id)
    ).first()


def _admins(workspace_id: str) -> list[User]:
    members = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, User.active.is_(True))
        .order_by(User.email)
    ).all()
    return [user for user, role in members if MANAGE in permissions_for_role(role)]


def _mail(
    server: Server, payments: PaymentsAccount, owed: list[OwedReminder], now: datetime
) -> int:
    """Queue the reminder mail(s); the number of recipients."""
    workspace = db.session.get(Workspace, server.workspace_id)
    deadlines = [r.deadline for r in owed if r.deadline is not None]
    context = {
        "workspace_name": workspace.name,
        "resource_name": server.name,
        "due": _due_codes(payments) or list(payments.future_currently_due or []),
        "deadline": min(deadlines) if deadlines else None,
    }
    invite = _live_invite(server.id, now)
    if invite is not None:
        with force_locale(invite.locale or DEFAULT_LOCALE):
            queue_mail(
                "onboarding_reminder",
                invite.email,
                gettext("Stripe needs information for %(resource)s", resource=server.name),
                link=renew_link(invite, now),
                for_invitee=True,
                **context,
            )
        return 1
    admins = _admins(server.workspace_id)
    link = external_url("payments.detail", server_id=server.id)
    # Members read the app in English.
    with force_locale(DEFAULT_LOCALE):
        for admin in admins:
            queue_mail(
                "onboarding_reminder",
                admin.email,
                gettext("Stripe needs information for %(resource)s", resource=server.name),
                link=link,
                for_invitee=False,
                **context,
            )
    return len(admins)


def remind(server_id: str, *, now: datetime | None = None) -> int | None:
    """Send the reminders one resource is owed, claiming them atomically. Commits.

    Returns the number of recipients mailed, 0 when nothing was owed, None when another
    worker claimed the same reminders first.
    """
    now = now or utcnow()
    server = db.session.get(Server, server_id)
    payments = server.payments if server is not None else None
    if payments is None or payments.onboarding_status == "complete" or payments.reminders_muted_at:
        db.session.rollback()
        return 0
    sent = _already_sent(server_id)
    owed = [
        r
        for r in owed_reminders(payments, now)
        if (r.kind, r.deadline_key, r.offset_days) not in sent
    ]
    if not owed:
        db.session.rollback()
        return 0
    recipients = _mail(server, payments, owed, now)
    for reminder in owed:
        db.session.add(
            OnboardingReminder(
                server_id=server_id,
                kind=reminder.kind,
                deadline_key=reminder.deadline_key,
                deadline=reminder.deadline,
                offset_days=reminder.offset_days,
                recipients=recipients,
                sent_at=now,
            )
        )
    audit.record_on_server(
        "reminder.sent",
        server,
        actor_label="worker",
        details={
            "reminders": [f"{r.kind}:{r.offset_days}" for r in owed],
            "recipients": recipients,
        },
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another worker inserted the same reminder first: its mail is the one that goes.
        db.session.rollback()
        return None
    return recipients


def run_reminders(*, now: datetime | None = None) -> ReminderReport:
    """One pass over every resource that may be owed a reminder (`flask reminders run`)."""
    report = ReminderReport(expired=record_expiries(), completed=record_completions())
    for server_id in _candidates():
        db.session.rollback()
        outcome = remind(server_id, now=now)
        if outcome is None:
            report.lost_race += 1
        elif outcome:
            report.mailed += outcome
            report.servers.append(server_id)
    return report


@dataclass(frozen=True)
class ReminderSchedule:
    """What the detail page shows: the next reminder (if any) and those already sent."""

    muted: bool
    next_at: datetime | None
    next_kind: str | None
    sent: list[OnboardingReminder]


def schedule_for(server: Server, *, now: datetime | None = None) -> ReminderSchedule:
    """The next reminder and the sent ones, for the detail page (reads only)."""
    now = now or utcnow()
    payments = server.payments
    sent = list(
        db.session.scalars(
            select(OnboardingReminder)
            .where(OnboardingReminder.server_id == server.id)
            .order_by(OnboardingReminder.sent_at.desc(), OnboardingReminder.id)
        )
    )
    taken = {(r.kind, r.deadline_key, r.offset_days) for r in sent}
    upcoming: list[tuple[datetime, str]] = []
    if payments.onboarding_status != "complete" and payments.reminders_muted_at is None:
        for kind, deadline in (
            (DEADLINE, payments.current_deadline),
            (FUTURE_DEADLINE, payments.future_deadline),
        ):
            if deadline is None or deadline <= now:
                continue
            for day in offsets():
                at = deadline - timedelta(days=day)
                if at > now and (kind, deadline.isoformat(), day) not in taken:
                    upcoming.append((at, kind))
    upcoming.sort()
    return ReminderSchedule(
        muted=payments.reminders_muted_at is not None,
        next_at=upcoming[0][0] if upcoming else None,
        next_kind=upcoming[0][1] if upcoming else None,
        sent=sent,
    )


def set_muted(server_id: str, *, actor_user_id: str, muted: bool) -> None:
    """An admin mutes or unmutes a resource's reminders. Commits."""
    server = access.require_resource(actor_user_id, server_id, MANAGE)
    payments = server.payments
    if muted == (payments.reminders_muted_at is not None):
        db.session.commit()
        return
    payments.reminders_muted_at = utcnow() if muted else None
    audit.record_on_server(
        "reminder.muted" if muted else "reminder.unmuted", server, actor_user_id=actor_user_id
    )
    db.session.commit()


_last_pass: dict[str, float] = {}


def run_reminders_if_due(clock: float) -> ReminderReport | None:
    """The mail worker's hook: a pass at most every REMINDER_INTERVAL_SECONDS per process.

    Running it from every worker process is safe (the claims are atomic); the interval only
    keeps an idle worker from scanning the resources every second.
    """
    interval = float(current_app.config["REMINDER_INTERVAL_SECONDS"])
    last = _last_pass.get("at")
    if last is not None and clock - last < interval:
        return None
    _last_pass["at"] = clock
    return run_reminders()
