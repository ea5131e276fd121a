"""A person's own account: their name and their password."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.models import User
from app.security.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from app.services import audit
from app.services.users import end_every_credential, find_user_by_email

NAME_MAX_LENGTH = 120


class AccountError(ValueError):
    """A change was refused; `field` names the form field the message is for."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def change_name(user_id: str, name: str | None) -> User:
    """Set the display name; commits."""
    cleaned = (name or "").strip()
    if len(cleaned) > NAME_MAX_LENGTH:
        raise AccountError(f"Keep your name under {NAME_MAX_LENGTH} characters.", "name")
    user = db.session.get(User, user_id)
    if user.name != cleaned:
        user.name = cleaned
        audit.record(
            "account.name_changed",
            subject_type="user",
            subject_id=user.id,
            workspace_id=None,
            actor_user_id=user.id,
        )
        db.session.commit()
    return user


def change_password(user_id: str, current_password: str, new_password: str) -> User:
    """Set a new password after checking the current one; commits.

    Every server-side session of the user ends (remember-me cookies name those sessions too),
    and `credentials_valid_after` moves to now, so API tokens and JWTs issued before stop
    working: whoever learned the old password may have minted them. The caller opens a fresh
    session for the browser that made the change.
    """
    user = db.session.get(User, user_id)
    if not verify_password(user.password_hash, current_password):
        raise AccountError("That is not your current password.", "current_password")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "new_password"
        )
    if verify_password(user.password_hash, new_password):
        raise AccountError("Choose a password different from the current one.", "new_password")
    replace_password(user, new_password, "account.password_changed", actor_user_id=user.id)
    db.session.commit()
    return user


def set_password(email: str, new_password: str) -> User:
    """An operator sets someone's password (`flask users set-password`); commits.

    Like a reset: every session, API token and JWT of the user ends.
    """
    user = find_user_by_email(email)
    if user is None:
        raise AccountError(f"No user with the email {email}.", "email")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "new_password"
        )
    replace_password(user, new_password, "account.password_set", actor_label="cli")
    db.session.commit()
    return user


def replace_password(
    user: User,
    new_password: str,
    action: str,
    *,
    actor_user_id: str | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> None:
    """Store a new password and end every credential issued under the old one (no commit).

    The one path for a change, a reset and an operator's `set-password`: whoever learned the
    old password may hold sessions, remember-me cookies, API tokens or JWTs minted with it.
    """
    user.password_hash = hash_password(new_password)
    end_every_credential(user, now)
    audit.record(
        action,
        subject_type="user",
        subject_id=user.id,
        workspace_id=None,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
    )
