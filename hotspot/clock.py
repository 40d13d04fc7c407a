"""The one place that reads the wall clock, so that every decision can take `now`."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time, UTC and timezone-aware."""
    return datetime.now(UTC)
