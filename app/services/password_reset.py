"""Forgotten passwords: a single-use link by email, valid for one hour.

`request_reset` behaves the same for every address, so the page cannot tell who has an
account: an address with an active account gets a reset link, any other address gets a short
note that no account uses it. Both paths mint and hash a token, render a mail and add one
outbox row, so they also take about the same time. Only the token's SHA-256 is stored.

Using the link sets the password, bumps `credentials_valid_after` and deletes every server-side
session, so every browser (remember-me cookies included), API token and JWT the user held
before stops working; the other links of that user die with it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import PasswordResetToken, User, utcnow
from app.security.passwords import MIN_PASSWORD_LENGTH
from app.services import audit
from app.services.account import replace_password
from app.services.mail import queue_mail
from app.services.users import find_user_by_email
from app.urls import external_url


class ResetLinkUnusable(Exception):
    """The link is unknown, used, expired, or its account is deactivated."""


class ResetPasswordError(ValueError):
    """The new password was refused; the message says why."""


def hash_reset_token(token: str) -> str:
    """The hex SHA-256 of a link's token: what the database holds."""
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Queue the mail this address gets and commit: the same work for every address."""
    address = (email or "").strip()
    token = secrets.token_urlsafe(32)
    digest = hash_reset_token(token)
    ttl = timedelta(minutes=int(current_app.config["PASSWORD_RESET_TTL_MINUTES"]))
    user = find_user_by_email(address)
    if user is not None and user.active:
        now = utcnow()
        db.session.add(
            PasswordResetToken(
                user_id=user.id, token_hash=digest, created_at=now, expires_at=now + ttl
            )
        )
        queue_mail(
            "password_reset",
            user.email,
            "Reset your Connect Onboarding password",
            name=user.display_name,
            link=external_url("account.reset_password", token=token),
            minutes=int(ttl.total_seconds() // 60),
        )
        audit.record(
            "account.password_reset_requested",
            subject_type="user",
            subject_id=user.id,
            workspace_id=None,
            actor_label="web",
        )
    else:
        queue_mail(
            "password_reset_unknown",
            address,
            "Reset your Connect Onboarding password",
            address=address,
        )
    db.session.commit()


def _usable(token: str) -> PasswordResetToken:
    found = db.session.scalars(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == hash_reset_token(token or "")
        )
    ).first()
    if (
        found is None
        or found.used_at is not None
        or found.expires_at <= utcnow()
        or not found.user.active
    ):
        raise ResetLinkUnusable()
    return found


def check_link(token: str) -> str:
    """The email a usable link resets (for the form), or ResetLinkUnusable."""
    return _usable(token).user.email


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a link, once; end every session; commit."""
    found = _usable(token)
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise ResetPasswordError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    now = utcnow()
    # Single use under races too: only the request that flips `used_at` goes on.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.id == found.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ResetLinkUnusable()
    user = found.user
    # Every other link of this user dies too: one reset ends the episode.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    replace_password(user, new_password, "account.password_reset", actor_user_id=user.id, now=now)
    db.session.commit()
    return user
