"""JWTs for the /web/v1 API: HS256 with `JWT_SECRET`, `exp`, `iat` and `sub` required.

Only HS256 is accepted — never `none`, never an algorithm named by the token itself — so a
token can't talk its way past verification (https://pyjwt.readthedocs.io/en/stable/algorithms.html).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app

from app.extensions import db
from app.models import User, utcnow

ALGORITHM = "HS256"


class JwtRejected(Exception):
    """The token is missing, malformed, expired, wrongly signed, or names no active user."""


def mint_jwt(user_id: str, ttl_seconds: int | None = None) -> str:
    """A signed token for `user_id`, valid for `ttl_seconds` (JWT_TTL_SECONDS by default)."""
    ttl = ttl_seconds if ttl_seconds is not None else current_app.config["JWT_TTL_SECONDS"]
    now = utcnow()
    claims = {"sub": user_id, "iat": now, "exp": now + timedelta(seconds=ttl)}
    return jwt.encode(claims, current_app.config["JWT_SECRET"], algorithm=ALGORITHM)


def _numeric_date(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def user_from_jwt(token: str) -> User:
    """The active user the token speaks for, or JwtRejected (the reason is for logs only)."""
    try:
        claims = jwt.decode(
            token,
            current_app.config["JWT_SECRET"],
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
            leeway=5,
        )
    except jwt.PyJWTError as error:
        raise JwtRejected(type(error).__name__) from None
    # RFC 7519 §4.1.4/§4.1.6: NumericDate. PyJWT accepts any string int() can read ("9999999999"),
    # which would let a hand-made token carry a time no issuer of ours ever wrote.
    for claim in ("exp", "iat"):
        if not _numeric_date(claims[claim]):
            raise JwtRejected(f"{claim} is not a number")
    subject = claims.get("sub")
    user = db.session.get(User, subject) if isinstance(subject, str) else None
    if user is None or not user.active:
        raise JwtRejected("unknown or inactive user")
    # `iat` has whole seconds: a token minted in the same second just after a password change
    # is refused too (the holder mints another), never one minted just before it.
    try:
        issued_at = datetime.fromtimestamp(claims["iat"], UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise JwtRejected("iat out of range") from None
    if not user.accepts_credentials_issued_at(issued_at):
        raise JwtRejected("issued before the user's credentials were last reset")
    return user
