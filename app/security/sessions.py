"""Server-side login sessions behind Flask-Login.

Flask's cookie sessions are stateless: a copied cookie keeps working after sign-out. Each sign-in
therefore opens a `LoginSession` row and the cookie carries only its random id; signing out (or
deactivating the user) deletes the rows, and every cookie naming them stops working at once.

Signing in also renews the CSRF secret: a token minted for the anonymous page (perhaps on an
attacker's visit that planted it) is worth nothing in the signed-in session that follows.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, current_app, g, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import defer, joinedload

from app.extensions import db, login_manager
from app.models import LoginSession, Membership, User, utcnow


def init_app(app: Flask) -> None:
    """Configure Flask-Login for server-side sessions."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # Revocable server-side sessions are the protection we want. Flask-Login's "strong" mode
    # would sign people out when their IP changes on mobile, and "basic" only marks the session
    # not fresh, which nothing here reads (no `fresh_login_required`) -- yet it rewrites the
    # session cookie on every request whose IP or browser differs from the sign-in's.
    # https://flask-login.readthedocs.io/en/latest/#session-protection
    login_manager.session_protection = None
    app.config.setdefault(
        "REMEMBER_COOKIE_DURATION", timedelta(days=app.config["REMEMBER_COOKIE_DURATION_DAYS"])
    )


# What every signed-in request reads, in one statement: the user of a session with their
# memberships and those workspaces (the person's permissions are read once per request, and the
# navigation and pages reuse them), and the session's times. Built once: composing the statement
# and its loader options costs more per request than SQLAlchemy's cached compilation of it. The
# password hash stays behind: no page shows it, and the password change loads it when it reads it.
USER_OF_SESSION = (
    select(User, LoginSession.created_at, LoginSession.expires_at)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.id == bindparam("session_id"))
    .options(
        defer(User.password_hash),
        joinedload(User.memberships).joinedload(Membership.workspace),
    )
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Resolve a cookie's session id to its user; unknown, expired or inactive → signed out."""
    found = db.session.execute(USER_OF_SESSION, {"session_id": session_id}).unique().one_or_none()
    if found is None:
        return None
    user, created_at, expires_at = found
    if expires_at <= utcnow() or not user.active:
        return None
    if not user.accepts_credentials_issued_at(created_at):
        return None
    user.login_session_id = session_id
    return user


def start_session(user: User, *, remember: bool) -> None:
    """Open a server-side session for `user` and sign the browser in with it."""
    lifetime = (
        current_app.config["REMEMBER_COOKIE_DURATION"]
        if remember
        else timedelta(hours=current_app.config["LOGIN_SESSION_HOURS"])
    )
    row = LoginSession(
        id=secrets.token_urlsafe(32), user_id=user.id, expires_at=utcnow() + lifetime
    )
    db.session.add(row)
    db.session.commit()
    user.login_session_id = row.id
    renew_csrf_secret()
    login_user(user, remember=remember, duration=lifetime)


def renew_csrf_secret() -> None:
    """Forget this browser's CSRF secret; Flask-WTF mints a new one for the next form."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)


def end_session(user: User) -> None:
    """Delete this browser's server-side session and clear its cookies."""
    if user.login_session_id:
        db.session.execute(delete(LoginSession).where(LoginSession.id == user.login_session_id))
        db.session.commit()
    logout_user()


def end_all_sessions(user_id: str) -> None:
    """Sign a user out everywhere (deactivation, password change). Caller commits."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
