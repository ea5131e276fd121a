"""Users and workspaces: authentication and the administration the CLI offers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Membership, User, Workspace, utcnow
from app.security.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.security.permissions import ROLES
from app.security.sessions import end_all_sessions
from app.services import members


class UserError(ValueError):
    """A user or workspace operation was refused; the message says why."""


def find_user_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost either way)."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def create_user(email: str, password: str, name: str = "") -> User:
    """Create a user; refuses duplicate emails and short passwords."""
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise UserError(f"'{email}' is not a valid email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if find_user_by_email(email):
        raise UserError(f"A user with the email {email} already exists.")
    user = User(email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise UserError(f"A user with the email {email} already exists.") from None
    return user


def set_active(email: str, active: bool) -> User:
    """Activate or deactivate a user; deactivation ends every session they hold."""
    user = find_user_by_email(email)
    if user is None:
        raise UserError(f"No user with the email {email}.")
    user.active = active
    if not active:
        # Also ends API tokens and JWTs for good: reactivating does not revive them.
        end_every_credential(user)
    db.session.commit()
    return user


def end_every_credential(user: User, now: datetime | None = None) -> None:
    """End every session, remember-me cookie, API token and JWT the user holds (no commit).

    Sessions are deleted server-side; tokens and JWTs issued before `credentials_valid_after`
    are refused wherever they are checked.
    """
    user.credentials_valid_after = now or utcnow()
    end_all_sessions(user.id)


def create_workspace(name: str, owner_email: str) -> Workspace:
    """Create a workspace with `owner_email` as its owner."""
    owner = find_user_by_email(owner_email)
    if owner is None:
        raise UserError(f"No user with the email {owner_email}; create it first.")
    name = name.strip()
    if not name or len(name) > 120:
        raise UserError("A workspace needs a name of 1–120 characters.")
    same = owned_workspace(name, owner.id)
    if same is not None:
        raise UserError(f"{owner.email} already owns a workspace named '{name}' ({same.id}).")
    workspace = Workspace(name=name)
    workspace.memberships.append(Membership(user=owner, role="owner"))
    db.session.add(workspace)
    db.session.commit()
    return workspace


def owned_workspace(name: str, owner_id: str) -> Workspace | None:
    """The workspace called `name` that `owner_id` owns (at most one: `create_workspace`)."""
    return db.session.scalars(
        select(Workspace)
        .join(Membership)
        .where(Workspace.name == name, Membership.user_id == owner_id, Membership.role == "owner")
        .order_by(Workspace.created_at, Workspace.id)
    ).first()


def find_workspace(ref: str) -> Workspace | None:
    """A workspace by id (`ws_…`), or by a name only one workspace has.

    Names are unique per owner, not overall: when several workspaces share the name this
    refuses (UserError listing their ids) rather than pick one of them by chance.
    """
    found = db.session.get(Workspace, ref)
    if found is not None:
        return found
    named = db.session.scalars(
        select(Workspace).where(Workspace.name == ref).order_by(Workspace.id)
    ).all()
    if len(named) > 1:
        ids = ", ".join(workspace.id for workspace in named)
        raise UserError(f"{len(named)} workspaces are named '{ref}' ({ids}); give the id.")
    return named[0] if named else None


def add_member(workspace_ref: str, email: str, role: str) -> Membership:
    """Add a user to a workspace with a role, or change their role."""
    if role not in ROLES:
        raise UserError(f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.")
    workspace = find_workspace(workspace_ref)
    if workspace is None:
        raise UserError(f"No workspace '{workspace_ref}'.")
    user = find_user_by_email(email)
    if user is None:
        raise UserError(f"No user with the email {email}.")
    if db.session.get(Membership, (user.id, workspace.id)) is not None:
        # A role change: the one rule that keeps an owner in every workspace is members'.
        try:
            return members.change_role(
                workspace.id, user.id, role, actor_user_id=None, actor_label="cli"
            )
        except members.MemberError as error:
            raise UserError(str(error)) from error
    found = Membership(user_id=user.id, workspace_id=workspace.id, role=role)
    db.session.add(found)
    db.session.commit()
    return found
