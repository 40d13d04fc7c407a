"""Dashboard figures and reports, read from the hourly roll-ups so that no page scans raw sessions.

Local days, weeks and months follow the city's timezone (boundaries computed
with zoneinfo, so exact on every backend). Long reports read the daily roll-up
(UsageDay), short charts the hourly one. Only "online now" and top users read
the session table, through its indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, case, cast, distinct, func, literal, select
from sqlalchemy.orm import Session

from hotspot.models import Nas, RadiusSession, UsageDay, UsageHour, UsageHourUser
from hotspot.policy import day_start
from hotspot.services import usage_days
from hotspot.validation import ValidationError

PERIODS = ("day", "week", "month")
SUMS = ("sessions", "session_seconds", "input_octets", "output_octets", "auth_accepts", "auth_rejects")


@dataclass(frozen=True)
class Overview:
    online_sessions: int
    online_devices: int
    logins_today: int
    unique_users_today: int
    input_octets_today: int
    output_octets_today: int


@dataclass(frozen=True)
class ApStatus:
    nas: Nas
    online: bool
    active_sessions: int


@dataclass(frozen=True)
class Bucket:
    """Totals of one chart bar or report row."""

    label: str
    sessions: int = 0
    session_seconds: int = 0
    input_octets: int = 0
    output_octets: int = 0
    auth_accepts: int = 0
    auth_rejects: int = 0

    @property
    def octets(self) -> int:
        return self.input_octets + self.output_octets


def _total(column, name: str):
    """SUM as a plain integer (PostgreSQL's numeric would come back as Decimal, slow to convert per row)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger).label(name)


def _sums():
    return [_total(getattr(UsageHour, name), name) for name in SUMS]


def _bucket(label: str, row) -> Bucket:
    return Bucket(label, **{name: int(getattr(row, name)) for name in SUMS})


def overview(db: Session, now: datetime, tz: str) -> Overview:
    """What the dashboard's first row shows."""
    online_sessions, online_devices = db.execute(
        select(func.count(), func.count(distinct(RadiusSession.calling_station_id))).where(
            RadiusSession.status == "active"
        )
    ).one()
    today = day_start(now, tz)
    day = db.execute(select(*_sums()).where(UsageHour.hour >= today)).one()
    unique = db.scalar(
        select(func.count(distinct(UsageHourUser.username))).where(UsageHourUser.hour >= today)
    )
    return Overview(
        int(online_sessions),
        int(online_devices),
        int(day.sessions),
        int(unique or 0),
        int(day.input_octets),
        int(day.output_octets),
    )


def ap_statuses(db: Session, now: datetime, window_seconds: int) -> list[ApStatus]:
    """Every active access point, online when accounting or auth was seen within the window."""
    active = dict(
        db.execute(
            select(RadiusSession.nas_id, func.count())
            .where(RadiusSession.status == "active")
            .group_by(RadiusSession.nas_id)
        ).all()
    )
    cutoff = now - timedelta(seconds=window_seconds)
    return [
        ApStatus(nas, nas.last_seen_at is not None and nas.last_seen_at >= cutoff, active.get(nas.id, 0))
        for nas in db.scalars(select(Nas).where(Nas.active.is_(True)).order_by(Nas.name))
    ]


def hourly(db: Session, until: datetime, hours: int, tz: str, nas_id: int | None = None) -> list[Bucket]:
    """One bucket per hour (labelled in local time) for the `hours` hours up to `until`, gaps as zeros."""
    end = until.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    query = select(UsageHour.hour, *_sums()).where(UsageHour.hour >= start, UsageHour.hour < end)
    if nas_id is not None:
        query = query.where(UsageHour.nas_id == nas_id)
    found = {row.hour: row for row in db.execute(query.group_by(UsageHour.hour))}
    zone = ZoneInfo(tz)
    buckets = []
    for n in range(hours):
        hour = start + timedelta(hours=n)
        label = hour.astimezone(zone).strftime("%d %H:00")
        buckets.append(_bucket(label, found[hour]) if hour in found else Bucket(label))
    return buckets


def daily(db: Session, until: datetime, days: int, tz: str, nas_id: int | None = None) -> list[Bucket]:
    """One bucket per local day for the `days` days up to `until`, summed from the hourly rows."""
    zone = ZoneInfo(tz)
    last_day = until.astimezone(zone).date()
    first_day = last_day - timedelta(days=days - 1)
    start = datetime.combine(first_day, datetime.min.time(), zone)
    query = select(UsageHour.hour, *_sums()).where(UsageHour.hour >= start, UsageHour.hour <= until)
    if nas_id is not None:
        query = query.where(UsageHour.nas_id == nas_id)
    totals: dict[date, dict[str, int]] = {}
    for row in db.execute(query.group_by(UsageHour.hour)):
        day_totals = totals.setdefault(row.hour.astimezone(zone).date(), dict.fromkeys(SUMS, 0))
        for name in SUMS:
            day_totals[name] += int(getattr(row, name))
    days_list = [first_day + timedelta(days=n) for n in range(days)]
    return [Bucket(d.strftime("%d %b"), **totals.get(d, {})) for d in days_list]


@dataclass(frozen=True)
class PeriodRow:
    period: str
    nas: str
    bucket: Bucket


def period_start(day: date, period: str) -> date:
    """First day of the day's period: itself, its week's Monday, or its month's first."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _period_key(period: str, first: date, last: date):
    """SQL naming each UsageDay.day by its period start (ISO date), for days first..last."""
    if period == "day":
        return UsageDay.day
    starts, day = [], period_start(first, period)
    while day <= last:
        starts.append(day)
        day = period_start(day + timedelta(days=7 if period == "week" else 32), period)
    whens = [
        (UsageDay.day < following, literal(current.isoformat()))
        for current, following in zip(starts, starts[1:])
    ]
    return case(*whens, else_=literal(starts[-1].isoformat())) if whens else literal(starts[0].isoformat())


def usage_by_period(
    db: Session,
    period: str,
    since: datetime,
    until: datetime,
    tz: str,
    now: datetime,
    nas_id: int | None = None,
) -> list[PeriodRow]:
    """Usage per access point per local day, week or month, newest period first.

    Finished days come from UsageDay (folded on demand), today from UsageHour.
    """
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}")
    usage_days.refresh(db, now, tz)
    first, end = usage_days.local_day(since, tz), usage_days.local_day(until, tz)
    today = usage_days.local_day(now, tz)
    totals: dict[tuple[str, int], dict[str, int]] = {}
    if first < min(end, today):
        key = _period_key(period, first, min(end, today) - timedelta(days=1)).label("period")
        query = (
            select(UsageDay.nas_id, key, *[_total(getattr(UsageDay, n), n) for n in SUMS])
            .where(UsageDay.day >= first, UsageDay.day < min(end, today))
            .group_by(UsageDay.nas_id, key)
        )
        if nas_id is not None:
            query = query.where(UsageDay.nas_id == nas_id)
        for nas, start, *values in db.execute(query):
            label = start if isinstance(start, str) else start.isoformat()
            totals[(label, nas)] = dict(zip(SUMS, map(int, values)))
    if first <= today < end:
        label = period_start(today, period).isoformat()
        today_start = max(since, usage_days.day_bounds(today, tz)[0])
        query = (
            select(UsageHour.nas_id, *_sums())
            .where(UsageHour.hour >= today_start, UsageHour.hour < until)
            .group_by(UsageHour.nas_id)
        )
        if nas_id is not None:
            query = query.where(UsageHour.nas_id == nas_id)
        for row in db.execute(query):
            entry = totals.setdefault((label, row.nas_id), dict.fromkeys(SUMS, 0))
            for n in SUMS:
                entry[n] += int(getattr(row, n))
    names = dict(db.execute(select(Nas.id, Nas.name)).all())
    rows = [
        PeriodRow(label, names[nas], Bucket(label, **sums))
        for (label, nas), sums in totals.items()
        if any(sums.values())
    ]
    return sorted(rows, key=lambda r: (_descending(r.period), r.nas))


def _descending(iso_day: str) -> int:
    return -date.fromisoformat(iso_day).toordinal()


def peak_hours(
    db: Session, since: datetime, until: datetime, tz: str, nas_id: int | None = None
) -> list[Bucket]:
    """Totals per local hour of the day (00 to 23) over the range: when the hotspots are busiest."""
    query = select(UsageHour.hour, *_sums()).where(UsageHour.hour >= since, UsageHour.hour < until)
    if nas_id is not None:
        query = query.where(UsageHour.nas_id == nas_id)
    zone = ZoneInfo(tz)
    by_hour = {h: dict.fromkeys(SUMS, 0) for h in range(24)}
    for row in db.execute(query.group_by(UsageHour.hour)):
        entry = by_hour[row.hour.astimezone(zone).hour]
        for n in SUMS:
            entry[n] += int(getattr(row, n))
    return [Bucket(f"{h:02d}", **sums) for h, sums in by_hour.items()]


def top_users(
    db: Session, since: datetime, until: datetime, limit: int = 20, nas_id: int | None = None
) -> list[dict]:
    """The heaviest users (by bytes) among sessions started in the range; the range keeps the scan bounded."""
    octets = func.sum(RadiusSession.input_octets + RadiusSession.output_octets)
    query = (
        select(
            RadiusSession.username,
            func.count().label("sessions"),
            func.sum(RadiusSession.session_time).label("session_seconds"),
            func.sum(RadiusSession.input_octets).label("input_octets"),
            func.sum(RadiusSession.output_octets).label("output_octets"),
        )
        .where(RadiusSession.start_time >= since, RadiusSession.start_time < until)
        .group_by(RadiusSession.username)
        .order_by(octets.desc(), RadiusSession.username)
        .limit(limit)
    )
    if nas_id is not None:
        query = query.where(RadiusSession.nas_id == nas_id)
    return [
        {
            "username": row.username,
            "sessions": int(row.sessions),
            "session_seconds": int(row.session_seconds or 0),
            "input_octets": int(row.input_octets or 0),
            "output_octets": int(row.output_octets or 0),
        }
        for row in db.execute(query)
    ]
