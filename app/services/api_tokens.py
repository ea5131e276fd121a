"""Personal API tokens: creating, listing, revoking, and authenticating with them.

A token acts with its user's permissions in every workspace they belong to; it carries no scope of
its own. Revoking is immediate: the next request with the token gets 401.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, User, utcnow
from app.security.api_tokens import generate_token, hash_token, is_well_formed, visible_prefix
from app.services import audit

NAME_MAX_LENGTH = 80
MAX_ACTIVE_TOKENS_PER_USER = 25
# `last_used_at` is written at most this often per token, so busy clients don't turn every
# API read into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token could not be created; the message says why, for people."""


class TokenAlreadyRevoked(Exception):
    """The token was revoked before: nothing changed (`token.revoked_at` says when)."""

    def __init__(self, token: ApiToken) -> None:
        super().__init__(token.id)
        self.token = token


class TokenNotFound(LookupError):
    """No such token for this user (another user's token looks the same: no existence leak)."""


@dataclass(frozen=True)
class CreatedToken:
    """A new token row and its secret, which exists only in this object and on one page."""

    token: ApiToken
    secret: str


def clean_token_name(name: str | None) -> str:
    """A token's name, stripped; TokenError when empty or too long."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise TokenError("Give the token a name, e.g. “CI deploys”.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise TokenError(f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return cleaned


def create_token(user_id: str, name: str | None, *, actor_label: str | None = None) -> CreatedToken:
    """Mint a token for the user and commit; the secret is returned once and never stored."""
    cleaned = clean_token_name(name)
    active = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS_PER_USER:
        raise TokenError(
            f"You already have {MAX_ACTIVE_TOKENS_PER_USER} active tokens. "
            "Revoke one you no longer use first."
        )
    secret = generate_token()
    token = ApiToken(
        user_id=user_id, name=cleaned, prefix=visible_prefix(secret), token_hash=hash_token(secret)
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.created",
        subject_type="api_token",
        subject_id=token.id,
        workspace_id=None,
        actor_user_id=user_id,
        actor_label=actor_label,
        details={"name": cleaned, "prefix": token.prefix},
    )
    db.session.commit()
    return CreatedToken(token=token, secret=secret)


def list_tokens(user_id: str) -> list[ApiToken]:
    """The user's tokens, active ones first, newest first within each group."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def get_token(token_id: str, *, user_id: str | None = None) -> ApiToken:
    """A token (the user's own, when `user_id` is given); TokenNotFound otherwise."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (user_id is not None and token.user_id != user_id):
        raise TokenNotFound(token_id)
    return token


def revoke_token(
    token_id: str, *, user_id: str | None = None, actor_label: str | None = None
) -> ApiToken:
    """Revoke a token (the user's own, when `user_id` is given) and commit.

    TokenAlreadyRevoked when it was revoked before, so the caller can say nothing changed.
    """
    token = get_token(token_id, user_id=user_id)
    if token.revoked_at is not None:
        raise TokenAlreadyRevoked(token)
    token.revoked_at = utcnow()
    audit.record(
        "api_token.revoked",
        subject_type="api_token",
        subject_id=token.id,
        workspace_id=None,
        actor_user_id=user_id or token.user_id,
        actor_label=actor_label,
        details={"name": token.name, "prefix": token.prefix},
    )
    db.session.commit()
    return token


def authenticate_token(secret: str) -> User | None:
    """The active user a live token belongs to, or None; notes when the token was last used."""
    if not is_well_formed(secret):
        return None
    digest = hash_token(secret)
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest).options(joinedload(ApiToken.user))
    ).first()
    # The lookup is by an exact digest; compare again in constant time so that no code path
    # ever decides on a non-constant-time string comparison of secret material.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.user.active:
        return None
    if not token.user.accepts_credentials_issued_at(token.created_at):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token.user
