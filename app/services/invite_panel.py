"""What the detail page shows about a resource's invites and reminders, gathered in one call."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import OnboardingInvite, Server, utcnow
from app.services.onboarding_invites import invite_state, invites_for
from app.services.reminders import ReminderSchedule, schedule_for


@dataclass(frozen=True)
class InviteRow:
    """One invite and its state in a word."""

    invite: OnboardingInvite
    state: str

    @property
    def ended(self) -> bool:
        return self.state in ("completed", "revoked")


@dataclass(frozen=True)
class InvitePanel:
    """The invites (newest first), the reminder schedule, and whether an invite is needed."""

    invites: list[InviteRow]
    reminders: ReminderSchedule
    needs_invite: bool


def invite_panel(server: Server) -> InvitePanel:
    """The invite panel of a resource the caller may view (reads only)."""
    now = utcnow()
    return InvitePanel(
        invites=[InviteRow(i, invite_state(i, now=now) or "sent") for i in invites_for(server)],
        reminders=schedule_for(server, now=now),
        needs_invite=server.payments.onboarding_status != "complete",
    )
