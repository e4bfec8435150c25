"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; naive values are refused, not guessed.

    SQLite has no time zone type, so the value is kept there as naive UTC and made
    aware again on the way out; PostgreSQL keeps ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None

        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone")

        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)

        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None

        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)

        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def row_id(row: Any) -> int:
    """The integer id of a row that has been flushed; a bug if it has none."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")

    return int(row.id)


def check_lengths(model: Any, values: dict[str, Any]) -> None:
    """Refuse text longer than its column allows, or holding a NUL character.

    SQLite would store either; PostgreSQL refuses both with an error that names
    no field, so they are caught here, where the field is known.
    """
    from appletrace.trace.errors import InvalidInput

    columns = model.__table__.columns
    for name, value in values.items():
        if not isinstance(value, str):
            continue

        if "\x00" in value:
            raise InvalidInput(name, f"{name} holds a NUL character; remove it")

        length = (
            getattr(columns[name].type, "length", None) if name in columns else None
        )
        if length is not None and len(value) > length:
            raise InvalidInput(
                name, f"{name} has {len(value)} characters; the most is {length}"
            )
