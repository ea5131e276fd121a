"""The declarative base, shared column types and id helpers used by every model."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic revisions name the same constraint the same way on every
# database (SQLite and PostgreSQL name unnamed constraints differently).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC (column defaults take this callable, never its value)."""
    return datetime.now(UTC)


def new_id(prefix: str, length: int = 20) -> str:
    """A random business id such as `srv_4fQ…`, the shape our APIs expose."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and hands back naive values; normalising here means the rest of the
    code can compare and serialise timestamps without caring which database it runs on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for every model, with the naming convention above."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
