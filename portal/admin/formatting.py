"""How the console writes sizes, durations and times (also used inside the SVG charts)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext

UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def human_size(octets: float | None) -> str:
    """Bytes as an admin reads them (1000-based, like the routers' counters)."""
    value = float(octets or 0)
    for unit in UNITS[:-1]:
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} {UNITS[-1]}"


def duration(seconds: int | None) -> str:
    """Hours:minutes:seconds; hours grow past 24 for totals."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def local_time(value: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A UTC time shown in the city's timezone."""
    return "" if value is None else value.astimezone(ZoneInfo(tz)).strftime(fmt)


def sessions_reached(outcome) -> str:
    """What a plan edit's CoA or a block's Disconnect got from the routers, in counts (details: audit log)."""
    return gettext(
        "Dikirim ke %(total)d sesi yang sedang online: %(ack)d diterima, %(nak)d ditolak, "
        "%(unanswered)d tanpa jawaban.",
        total=len(outcome.results),
        ack=outcome.count("ack"),
        nak=outcome.count("nak"),
        unanswered=outcome.unanswered,
    )
