"""Column types shared by every domain."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend.

    SQLite keeps no time zone, so values are stored as naive UTC and handed back aware;
    PostgreSQL stores ``timestamptz``. Naive datetimes are refused: they hide bugs.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use app.core.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str, length: int = 20) -> sa.Enum:
    """A Python enum stored by value in a VARCHAR(``length``) with a CHECK constraint, the same on
    every backend (no native PostgreSQL enum types to migrate)."""
    return sa.Enum(
        enum_cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=length
    )
