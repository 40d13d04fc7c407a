"""Folding the hourly roll-ups into daily ones once a local day is over, so long reports stay fast.

A day's row is built from that day's UsageHour rows (local midnight to
midnight in the city's timezone, exact across DST). The last OVERLAP_DAYS
already folded are folded again, for accounting that arrives late; hours
changed later than that (a journal replayed after a long outage) need
`rebuild` (or deleting the usage_day rows). Changing HOTSPOT_TIMEZONE needs it too.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotspot.models import Nas, UsageDay, UsageHour

OVERLAP_DAYS = 2
SUMMED = ("sessions", "input_octets", "output_octets", "session_seconds", "auth_accepts", "auth_rejects")


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants of a local day's midnight and the next one."""
    zone = ZoneInfo(tz)
    return (datetime.combine(day, time.min, zone), datetime.combine(day + timedelta(days=1), time.min, zone))


def fold_day(db: Session, day: date, tz: str) -> None:
    """Replace one local day's rows with the sums of its hours (flushed, not committed)."""
    start, end = day_bounds(day, tz)
    db.execute(delete(UsageDay).where(UsageDay.day == day))
    sums = [func.sum(getattr(UsageHour, name)) for name in SUMMED]
    db.execute(
        insert(UsageDay).from_select(
            ["nas_id", "day", *SUMMED],
            select(UsageHour.nas_id, literal(day, UsageDay.day.type), *sums)
            .where(UsageHour.hour >= start, UsageHour.hour < end)
            .group_by(UsageHour.nas_id),
        )
    )


def mark_folded(db: Session, day: date) -> None:
    """When no access point had any usage on the last folded day, record zeros for each,
    so the next refresh knows that day is done (max(day) is the watermark)."""
    if db.scalar(select(UsageDay.day).where(UsageDay.day == day).limit(1)) is None:
        db.execute(
            insert(UsageDay).from_select(
                ["nas_id", "day", *SUMMED],
                select(Nas.id, literal(day, UsageDay.day.type), *[literal(0)] * len(SUMMED)),
            )
        )


def refresh(db: Session, now: datetime, tz: str) -> int:
    """Fold every finished day not folded yet (and the last few again); returns the days folded.

    Costs one small query when already up to date. Two portal workers racing
    here is harmless: the loser's insert fails on the key and is rolled back.
    """
    yesterday = local_day(now, tz) - timedelta(days=1)
    last = db.scalar(select(func.max(UsageDay.day)))
    if last is not None and last >= yesterday:
        return 0
    if last is None:
        first_hour = db.scalar(select(func.min(UsageHour.hour)))
        if first_hour is None:
            return 0
        first = local_day(first_hour, tz)
    else:
        first = last - timedelta(days=OVERLAP_DAYS)
    days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
    try:
        for day in days:
            fold_day(db, day, tz)
        mark_folded(db, yesterday)
        db.commit()
    except IntegrityError:
        db.rollback()
        return 0
    return len(days)


def rebuild(db: Session, now: datetime, tz: str) -> int:
    """Drop every daily row and fold all finished days again."""
    db.execute(delete(UsageDay))
    db.commit()
    return refresh(db, now, tz)
