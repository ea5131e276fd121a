"""Onboarding invites: someone without an account completes one resource's Stripe onboarding.

A member with `payments:onboard` invites one email address. The link carries a random
32-byte token and only its SHA-256 is stored (as for workspace invitations). This module is
the members' side: invite, re-send, revoke, and the states pages show.
The invitee's side (landing page, Continue, return and refresh) is `app.services.invitee`.

The invite's life is in the resource's audit trail: sent, opened, started, completed, expired,
revoked. Neither the token nor a link URL is ever logged or audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import DEFAULT_LOCALE, LOCALES
from app.models import OnboardingInvite, Server, User, Workspace, utcnow
from app.security.permissions import ONBOARD
from app.services import access, audit
from app.services.mail import queue_mail
from app.urls import external_url

# States shown on the dashboard and the detail page.
LIVE, OPENED, STARTED, COMPLETED, EXPIRED, REVOKED = (
    "sent",
    "opened",
    "started",
    "completed",
    "expired",
    "revoked",
)


class InviteError(ValueError):
    """An invite could not be made; `field` names the form field the message is for."""

    def __init__(self, message: str, field: str = "email", code: str = "invalid_invite") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class InviteExists(InviteError):
    """A live invite for this address already exists: re-send or revoke it instead."""

    def __init__(self, invite: OnboardingInvite) -> None:
        super().__init__(
            f"{invite.email} already has a live invite for this resource: re-send or revoke it.",
            code="invite_exists",
        )
        self.invite = invite


class InviteNotNeeded(InviteError):
    """Onboarding is complete: a finished resource needs no invite."""

    def __init__(self) -> None:
        super().__init__(
            "Onboarding for this resource is complete: it needs no invite.", code="complete"
        )


@dataclass(frozen=True)
class IssuedInvite:
    """A new or re-sent invite, with its link: show it once (API) or it went by mail."""

    invite: OnboardingInvite
    link: str


def hash_invite_token(token: str) -> str:
    """The hex SHA-256 of a link's token: what the database holds."""
    return hashlib.sha256(token.encode()).hexdigest()


def invite_ttl() -> timedelta:
    """How long an invite link works (ONBOARDING_INVITE_DAYS)."""
    return timedelta(days=int(current_app.config["ONBOARDING_INVITE_DAYS"]))


def invite_state(invite: OnboardingInvite | None, *, now: datetime | None = None) -> str | None:
    """The one word the dashboard and detail page show for an invite."""
    if invite is None:
        return None
    now = now or utcnow()
    if invite.completed_at is not None:
        return COMPLETED
    if invite.revoked_at is not None:
        return REVOKED
    if invite.expires_at <= now:
        return EXPIRED
    if invite.started_at is not None:
        return STARTED
    if invite.opened_at is not None:
        return OPENED
    return LIVE


def normalise_email(email: str | None) -> str:
    """A valid, normalised address or InviteError."""
    try:
        checked = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InviteError("Enter a valid email address, like name@example.com.") from None
    return checked.normalized


def normalise_locale(locale: str | None) -> str | None:
    """One of LOCALES, None for "the invitee's browser decides", or InviteError."""
    value = (locale or "").strip().lower() or None
    if value is not None and value not in LOCALES:
        raise InviteError(f"Choose a language: one of {', '.join(LOCALES)}.", field="locale")
    return value


def _live_invite(server_id: str, email: str) -> OnboardingInvite | None:
    return db.session.scalars(
        select(OnboardingInvite)
        .where(
            OnboardingInvite.server_id == server_id,
            func.lower(OnboardingInvite.email) == email.lower(),
            OnboardingInvite.revoked_at.is_(None),
            OnboardingInvite.completed_at.is_(None),
            OnboardingInvite.expires_at > utcnow(),
        )
        .order_by(OnboardingInvite.created_at.desc(), OnboardingInvite.id)
    ).first()


def _mail_invite(invite: OnboardingInvite, server: Server, link: str) -> None:
    workspace = db.session.get(Workspace, server.workspace_id)
    inviter = db.session.get(User, invite.invited_by_user_id or "")
    # The mail goes in the invite's language (English when the inviter left it to the browser).
    with force_locale(invite.locale or DEFAULT_LOCALE):
        queue_mail(
            "onboarding_invite",
            invite.email,
            gettext(
                "%(workspace)s asks you to finish setting up payments for %(resource)s",
                workspace=workspace.name,
                resource=server.name,
            ),
            workspace_name=workspace.name,
            resource_name=server.name,
            inviter=inviter.display_name if inviter else workspace.name,
            link=link,
            expires_at=invite.expires_at,
        )


def _new_token(invite: OnboardingInvite, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    invite.token_hash = hash_invite_token(token)
    invite.sent_at = now
    invite.expires_at = now + invite_ttl()
    invite.expiry_recorded_at = None
    return token


def create_invite(
    server_id: str,
    *,
    actor_user_id: str,
    email: str | None,
    locale: str | None = None,
    send_mail: bool = True,
) -> IssuedInvite:
    """Invite `email` to onboard the resource; mail the link unless `send_mail` is False.

    One live invite per (resource, address): asking again raises InviteExists, so a bulk
    upload sent twice mails nobody twice. A finished resource needs no invite. Commits.
    """
    server = access.require_resource(actor_user_id, server_id, ONBOARD)
    return _create_for(
        server, actor_user_id=actor_user_id, email=email, locale=locale, send_mail=send_mail
    )


def _create_for(
    server: Server, *, actor_user_id: str, email: str | None, locale: str | None, send_mail: bool
) -> IssuedInvite:
    address = normalise_email(email)
    chosen_locale = normalise_locale(locale)
    if server.payments.onboarding_status == "complete":
        raise InviteNotNeeded
    existing = _live_invite(server.id, address)
    if existing is not None:
        raise InviteExists(existing)
    now = utcnow()
    invite = OnboardingInvite(
        server_id=server.id,
        workspace_id=server.workspace_id,
        email=address,
        locale=chosen_locale,
        invited_by_user_id=actor_user_id,
        created_at=now,
    )
    token = _new_token(invite, now)
    db.session.add(invite)
    db.session.flush()
    link = external_url("invites.landing", token=token)
    if send_mail:
        _mail_invite(invite, server, link)
    audit.record_on_server(
        "invite.sent" if send_mail else "invite.created",
        server,
        actor_user_id=actor_user_id,
        details={"invite": invite.id, "email": address, "mailed": send_mail},
    )
    db.session.commit()
    return IssuedInvite(invite, link)


def _invite_of(actor_user_id: str, server_id: str, invite_id: str) -> OnboardingInvite:
    access.require_resource(actor_user_id, server_id, ONBOARD)
    invite = db.session.get(OnboardingInvite, invite_id)
    if invite is None or invite.server_id != server_id:
        raise access.NotFound(invite_id)
    return invite


def resend_invite(server_id: str, invite_id: str, *, actor_user_id: str) -> IssuedInvite:
    """Mail the invite again with a new link and a new expiry; the old link dies. Commits."""
    invite = _invite_of(actor_user_id, server_id, invite_id)
    if invite.revoked_at is not None or invite.completed_at is not None:
        raise InviteError("This invite has ended: send a new one instead.", code="invite_ended")
    server = invite.server
    if server.payments.onboarding_status == "complete":
        raise InviteNotNeeded
    token = _new_token(invite, utcnow())
    link = external_url("invites.landing", token=token)
    _mail_invite(invite, server, link)
    audit.record_on_server(
        "invite.resent",
        server,
        actor_user_id=actor_user_id,
        details={"invite": invite.id, "email": invite.email},
    )
    db.session.commit()
    return IssuedInvite(invite, link)


def renew_link(invite: OnboardingInvite, now: datetime) -> str:
    """A fresh link for a live invite (a reminder carries one); the old link dies. No commit."""
    token = _new_token(invite, now)
    return external_url("invites.landing", token=token)


def revoke_invite(server_id: str, invite_id: str, *, actor_user_id: str) -> OnboardingInvite:
    """Withdraw an invite: its link and its proof cookies stop working at once. Commits."""
    invite = _invite_of(actor_user_id, server_id, invite_id)
    if invite.revoked_at is None and invite.completed_at is None:
        invite.revoked_at = utcnow()
        audit.record_on_server(
            "invite.revoked",
            invite.server,
            actor_user_id=actor_user_id,
            details={"invite": invite.id, "email": invite.email},
        )
    db.session.commit()
    return invite


def invites_for(server: Server) -> list[OnboardingInvite]:
    """Every invite of a resource, newest first (reads only)."""
    return list(
        db.session.scalars(
            select(OnboardingInvite)
            .where(OnboardingInvite.server_id == server.id)
            .order_by(OnboardingInvite.created_at.desc(), OnboardingInvite.id)
        )
    )
