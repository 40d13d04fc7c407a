"""The one place that reads the wall clock, so that every decision can take `now`."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current time, UTC and timezone-aware."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Treat a naive datetime (as SQLite returns them) as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
