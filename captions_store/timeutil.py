"""Datetimes are stored in UTC and handed back timezone-aware, on both engines."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["to_utc", "from_db", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(value: datetime | None) -> datetime | None:
    """Aware -> UTC; naive is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def from_db(value: datetime | None) -> datetime | None:
    """SQLite returns naive UTC, PostgreSQL aware in the connection's zone: both -> aware UTC."""
    return to_utc(value)
