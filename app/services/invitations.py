"""Invitations to a workspace: sent by email, single-use, expiring, revocable, re-sendable.

The link carries a random 32-byte token; only its SHA-256 is stored, so a database leak yields
no usable link (a random secret that long needs no slow hash). Re-sending mints a new token
and so kills the old link. Accepting is a conditional UPDATE on the row (not yet accepted,
not revoked, not expired), so two clicks racing on one link add the person once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Invitation, Membership, User, Workspace, utcnow
from app.security.passwords import MIN_PASSWORD_LENGTH, hash_password
from app.security.permissions import MANAGE, ROLES
from app.services import audit
from app.services.access import NotFound, require_workspace
from app.services.mail import queue_mail
from app.services.users import find_user_by_email
from app.urls import external_url


class InvitationError(ValueError):
    """An invitation could not be made; `field` names the form field the message is for."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


class InvitationUnusable(Exception):
    """The link cannot be used; `reason` is one of the REASONS keys."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Why a link cannot be used, in words for the person holding it.
REASONS = {
    "unknown": "This invitation link is not valid. Check that you copied all of it.",
    "accepted": "This invitation has already been used.",
    "revoked": "This invitation was withdrawn by the workspace's admins.",
    "expired": "This invitation has expired. Ask the workspace's admins to send a new one.",
    "wrong_account": (
        "This invitation was sent to another email address than the one you are signed in "
        "with. Sign out, then open the link again."
    ),
    "already_member": "You are already a member of this workspace.",
    "has_account": "An account with this email address exists: sign in to accept.",
}


@dataclass(frozen=True)
class InvitationView:
    """What the acceptance page shows about a usable invitation."""

    invitation_id: str
    workspace_name: str
    email: str
    role: str
    invited_by: str
    has_account: bool


def hash_invitation_token(token: str) -> str:
    """The hex SHA-256 of a link's token: what the database holds."""
    return hashlib.sha256(token.encode()).hexdigest()


def _ttl() -> timedelta:
    return timedelta(days=int(current_app.config["INVITATION_TTL_DAYS"]))


def _normalise_email(email: str | None) -> str:
    try:
        checked = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvitationError("Enter a valid email address, like name@example.com.") from None
    return checked.normalized


def _send(invitation: Invitation, token: str) -> None:
    workspace = db.session.get(Workspace, invitation.workspace_id)
    inviter = db.session.get(User, invitation.invited_by_user_id or "")
    queue_mail(
        "invitation",
        invitation.email,
        f"You're invited to {workspace.name} on Connect Onboarding",
        workspace_name=workspace.name,
        inviter=inviter.display_name if inviter else "An admin",
        role=invitation.role,
        link=external_url("invitations.accept", token=token),
        expires_at=invitation.expires_at,
    )


def invite(workspace_id: str, *, actor_user_id: str, email: str | None, role: str) -> Invitation:
    """Invite `email` with `role` and queue the mail with the link; commits."""
    require_workspace(actor_user_id, workspace_id, MANAGE)
    if role not in ROLES:
        raise InvitationError(f"Choose one of: {', '.join(ROLES)}.", field="role")
    address = _normalise_email(email)
    existing_user = find_user_by_email(address)
    if existing_user and db.session.get(Membership, (existing_user.id, workspace_id)):
        raise InvitationError(f"{address} is already a member of this workspace.")
    if _pending_for(workspace_id, address) is not None:
        raise InvitationError(
            f"{address} already has a pending invitation: re-send or revoke it below."
        )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        workspace_id=workspace_id,
        email=address,
        role=role,
        token_hash=hash_invitation_token(token),
        invited_by_user_id=actor_user_id,
        created_at=now,
        sent_at=now,
        expires_at=now + _ttl(),
    )
    db.session.add(invitation)
    db.session.flush()
    _send(invitation, token)
    audit.record(
        "member.invited",
        subject_type="invitation",
        subject_id=invitation.id,
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        details={"email": address, "role": role},
    )
    db.session.commit()
    return invitation


def _pending_for(workspace_id: str, email: str) -> Invitation | None:
    return db.session.scalars(
        select(Invitation).where(
            Invitation.workspace_id == workspace_id,
            func.lower(Invitation.email) == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    ).first()


def list_pending(workspace_id: str) -> list[Invitation]:
    """Invitations not yet accepted, revoked or expired, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc(), Invitation.id)
        )
    )


def _pending_in(workspace_id: str, invitation_id: str) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.workspace_id != workspace_id
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
    ):
        raise NotFound(invitation_id)
    return invitation


def resend(workspace_id: str, invitation_id: str, *, actor_user_id: str) -> Invitation:
    """Send a pending (or expired) invitation again with a new link and 7 more days; commits.

    The old link stops working: only the new token's hash is kept.
    """
    require_workspace(actor_user_id, workspace_id, MANAGE)
    invitation = _pending_in(workspace_id, invitation_id)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation.token_hash = hash_invitation_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + _ttl()
    _send(invitation, token)
    audit.record(
        "member.invitation_resent",
        subject_type="invitation",
        subject_id=invitation.id,
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        details={"email": invitation.email},
    )
    db.session.commit()
    return invitation


def revoke(workspace_id: str, invitation_id: str, *, actor_user_id: str) -> Invitation:
    """Withdraw a pending invitation; its link stops working at once; commits."""
    require_workspace(actor_user_id, workspace_id, MANAGE)
    invitation = _pending_in(workspace_id, invitation_id)
    invitation.revoked_at = utcnow()
    audit.record(
        "member.invitation_revoked",
        subject_type="invitation",
        subject_id=invitation.id,
        workspace_id=workspace_id,
        actor_user_id=actor_user_id,
        details={"email": invitation.email},
    )
    db.session.commit()
    return invitation


def _usable(token: str) -> Invitation:
    """The invitation a token opens, or InvitationUnusable with the reason."""
    invitation = db.session.scalars(
        select(Invitation).where(Invitation.token_hash == hash_invitation_token(token or ""))
    ).first()
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("accepted")
    if invitation.revoked_at is not None:
        raise InvitationUnusable("revoked")
    if invitation.expires_at <= utcnow():
        raise InvitationUnusable("expired")
    return invitation


def inspect(token: str) -> InvitationView:
    """What a usable link offers, for its landing page (reads only)."""
    invitation = _usable(token)
    inviter = invitation.invited_by
    return InvitationView(
        invitation_id=invitation.id,
        workspace_name=invitation.workspace.name,
        email=invitation.email,
        role=invitation.role,
        invited_by=inviter.display_name if inviter else "An admin",
        has_account=find_user_by_email(invitation.email) is not None,
    )


def _claim(invitation: Invitation, user_id: str) -> None:
    """Mark the invitation used, once: the loser of a race gets `accepted`."""
    now = utcnow()
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now, accepted_by_user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise InvitationUnusable("accepted")


def _join(invitation: Invitation, user: User, *, new_account: bool) -> Membership:
    _claim(invitation, user.id)
    membership = Membership(
        user_id=user.id, workspace_id=invitation.workspace_id, role=invitation.role
    )
    db.session.add(membership)
    audit.record(
        "member.joined",
        subject_type="membership",
        subject_id=user.id,
        workspace_id=invitation.workspace_id,
        actor_user_id=user.id,
        details={"role": invitation.role, "invitation": invitation.id, "newAccount": new_account},
    )
    db.session.commit()
    return membership


def accept_as(token: str, user: User) -> Membership:
    """A signed-in person accepts: the invitation must be addressed to their email; commits."""
    invitation = _usable(token)
    if invitation.email.lower() != user.email.lower():
        raise InvitationUnusable("wrong_account")
    if db.session.get(Membership, (user.id, invitation.workspace_id)) is not None:
        raise InvitationUnusable("already_member")
    return _join(invitation, user, new_account=False)


def accept_with_new_account(token: str, *, name: str, password: str) -> User:
    """A new person accepts by choosing a name and password; commits and returns the user."""
    invitation = _usable(token)
    if find_user_by_email(invitation.email) is not None:
        raise InvitationUnusable("has_account")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvitationError(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    user = User(email=invitation.email, name=name.strip(), password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # The same link submitted twice at once: the other request created the account.
        db.session.rollback()
        raise InvitationUnusable("accepted") from None
    _join(invitation, user, new_account=True)
    return user
