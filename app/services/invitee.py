"""The invitee's side of an onboarding invite: the landing page, Continue to Stripe, and
Stripe's return and refresh for someone who has no account.

The landing page needs no account; its Continue button runs the same create-or-continue
service as the button in the app, with the invite instead of a member as the authority.

Stripe's return and refresh URLs must not carry the token (they end up in browser history and
Stripe's logs), so they name the invite by id and the browser proves it opened the landing
page with a cookie: an HMAC of the invite's id and creation time under the app's secret.
Nothing extra is stored and a cookie copied to another invite's path does not verify. The
cookie outlives a re-send (a reminder mints a fresh link while the invitee may be on Stripe's
page), but not a revocation or expiry: every use checks the invite's row.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy import select, update

from app.extensions import db
from app.models import OnboardingInvite, PaymentsAccount, Workspace, utcnow
from app.services import audit
from app.services.onboarding import LinkUrls, continue_onboarding, sync_resource_status
from app.services.onboarding.sync import StatusChange
from app.services.onboarding_invites import hash_invite_token
from app.urls import external_url

INVITEE = "invitee"
PROOF_COOKIE = "onboarding_invite_proof"


class InviteUnusable(Exception):
    """The link or cookie cannot be used; `reason` is one of the UNUSABLE keys."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Why a link cannot be used, in words for the person holding it (in their language).
UNUSABLE = {
    "unknown": lazy_gettext(
        "This invite link is not valid. Check that you copied all of it, or ask the "
        "person who invited you for a new one."
    ),
    "revoked": lazy_gettext(
        "This invite was withdrawn. Ask the person who invited you for a new one."
    ),
    "expired": lazy_gettext(
        "This invite has expired. Ask the person who invited you to send it again."
    ),
    "no_proof": lazy_gettext(
        "Open the invite link from your email in this browser first, then try again."
    ),
}


@dataclass(frozen=True)
class InviteLanding:
    """What the invitee sees before going to Stripe, and the proof cookie to set."""

    invite: OnboardingInvite
    workspace_name: str
    resource_name: str
    onboarding_status: str
    proof: str


def invite_proof(invite: OnboardingInvite) -> str:
    """The possession proof for an invite's current token (the cookie's value)."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"onboarding-invite:{invite.id}:{int(invite.created_at.timestamp())}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def invitee_urls(invite_id: str) -> LinkUrls:
    """Stripe's return and refresh URLs for an invitee: the invite id, never the token."""
    return LinkUrls(
        refresh_url=external_url("invites.refresh", invite_id=invite_id),
        return_url=external_url("invites.return_", invite_id=invite_id),
    )


def record_expiries() -> int:
    """Write every newly expired invite's expiry into the audit trail; the number. Commits."""
    expired = list(
        db.session.scalars(
            select(OnboardingInvite)
            .where(
                OnboardingInvite.expires_at <= utcnow(),
                OnboardingInvite.expiry_recorded_at.is_(None),
                OnboardingInvite.revoked_at.is_(None),
                OnboardingInvite.completed_at.is_(None),
            )
            .order_by(OnboardingInvite.expires_at, OnboardingInvite.id)
        )
    )
    for invite in expired:
        _record_expiry(invite)
    return len(expired)


# The invitee's side ---------------------------------------------------------------------------


def _record_expiry(invite: OnboardingInvite) -> None:
    """Write the expiry into the audit trail once (whoever notices it first)."""
    claimed = db.session.execute(
        update(OnboardingInvite)
        .where(OnboardingInvite.id == invite.id, OnboardingInvite.expiry_recorded_at.is_(None))
        .values(expiry_recorded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        audit.record_on_server(
            "invite.expired",
            invite.server,
            actor_label=INVITEE,
            details={"invite": invite.id, "email": invite.email},
        )
    db.session.commit()


def _check_live(invite: OnboardingInvite | None) -> OnboardingInvite:
    if invite is None:
        raise InviteUnusable("unknown")
    if invite.revoked_at is not None:
        raise InviteUnusable("revoked")
    if invite.completed_at is None and invite.expires_at <= utcnow():
        _record_expiry(invite)
        raise InviteUnusable("expired")
    return invite


def _by_token(token: str) -> OnboardingInvite:
    return _check_live(
        db.session.scalars(
            select(OnboardingInvite).where(
                OnboardingInvite.token_hash == hash_invite_token(token or "")
            )
        ).first()
    )


def _by_proof(invite_id: str, proof: str | None) -> OnboardingInvite:
    invite = _check_live(db.session.get(OnboardingInvite, invite_id))
    if not proof or not hmac.compare_digest(proof, invite_proof(invite)):
        raise InviteUnusable("no_proof")
    return invite


def _landing(invite: OnboardingInvite) -> InviteLanding:
    server = invite.server
    return InviteLanding(
        invite=invite,
        workspace_name=db.session.get(Workspace, server.workspace_id).name,
        resource_name=server.name,
        onboarding_status=server.payments.onboarding_status,
        proof=invite_proof(invite),
    )


def open_invite(token: str) -> InviteLanding:
    """The landing page of a live link; the first opening is recorded. Commits."""
    invite = _by_token(token)
    if invite.opened_at is None:
        invite.opened_at = utcnow()
        audit.record_on_server(
            "invite.opened",
            invite.server,
            actor_label=INVITEE,
            details={"invite": invite.id},
        )
        db.session.commit()
    return _landing(invite)


def continue_from_invite(token: str) -> str | None:
    """Continue to Stripe as the invitee: the same create-or-continue as Connect in the app.

    Returns the freshly minted link's URL (never stored), or None when onboarding needs
    nothing more. Commits.
    """
    invite = _by_token(token)
    return _continue(invite)


def continue_with_proof(invite_id: str, proof: str | None) -> str | None:
    """Continue again from the return or refresh page, proven by the cookie. Commits."""
    return _continue(_by_proof(invite_id, proof))


def _continue(invite: OnboardingInvite) -> str | None:
    server = invite.server
    invite_id = invite.id
    result = continue_onboarding(
        server, user_id=None, urls=invitee_urls(invite_id), actor_label=INVITEE
    )
    invite = db.session.get(OnboardingInvite, invite_id)
    if result.link is not None and invite.started_at is None:
        invite.started_at = utcnow()
        audit.record_on_server(
            "invite.started", server, actor_label=INVITEE, details={"invite": invite_id}
        )
        db.session.commit()
    return result.link.url if result.link is not None else None


@dataclass(frozen=True)
class InviteeStatus:
    """What the invitee may see after Stripe: this resource's status and nothing else."""

    landing: InviteLanding
    change: StatusChange | None


def proven_landing(invite_id: str, proof: str | None) -> InviteLanding:
    """The invite behind a proof cookie, for the refresh page (reads only)."""
    return _landing(_by_proof(invite_id, proof))


def invitee_return(invite_id: str, proof: str | None) -> InviteeStatus:
    """Stripe sent the invitee back: re-read the account, store it, and say where it stands.

    Returning never by itself means complete; only the account does. Commits.
    """
    invite = _by_proof(invite_id, proof)
    server = invite.server
    change = sync_resource_status(server, user_id=None, source="return", actor_label=INVITEE)
    invite = db.session.get(OnboardingInvite, invite_id)
    mark_completed_if_done(invite)
    return InviteeStatus(_landing(invite), change)


def mark_completed_if_done(invite: OnboardingInvite) -> None:
    """Record the invite as completed once its resource's onboarding is. Commits."""
    if invite.completed_at is None and invite.server.payments.onboarding_status == "complete":
        invite.completed_at = utcnow()
        audit.record_on_server(
            "invite.completed",
            invite.server,
            actor_label=INVITEE,
            details={"invite": invite.id},
        )
    db.session.commit()


def record_completions() -> int:
    """Mark completed every live invite whose resource finished onboarding some other way (a
    webhook, a member's Check status): the trail and the dashboard then say so. Commits."""
    done = list(
        db.session.scalars(
            select(OnboardingInvite)
            .join(PaymentsAccount, PaymentsAccount.server_id == OnboardingInvite.server_id)
            .where(
                OnboardingInvite.completed_at.is_(None),
                OnboardingInvite.revoked_at.is_(None),
                OnboardingInvite.started_at.is_not(None),
                PaymentsAccount.onboarding_status == "complete",
            )
            .order_by(OnboardingInvite.created_at, OnboardingInvite.id)
        )
    )
    marked = 0
    for invite in done:
        claimed = db.session.execute(
            update(OnboardingInvite)
            .where(OnboardingInvite.id == invite.id, OnboardingInvite.completed_at.is_(None))
            .values(completed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            marked += 1
            audit.record_on_server(
                "invite.completed",
                invite.server,
                actor_label="worker",
                details={"invite": invite.id},
            )
        db.session.commit()
    return marked
