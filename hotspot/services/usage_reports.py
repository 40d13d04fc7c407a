"""Dashboard figures and reports, read from the hourly roll-ups so that no page scans raw sessions.

Local days, weeks and months follow the city's timezone. On PostgreSQL the
database converts each hour (timezone()); SQLite gets the zone's current UTC
offset, which is exact for zones without daylight saving such as Asia/Makassar.
Only "online now" and top users read the session table, through its indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, distinct, func, select
from sqlalchemy.orm import Session

from hotspot.models import Nas, RadiusSession, UsageHour, UsageHourUser
from hotspot.policy import day_start
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


def _sums():
    return [func.coalesce(func.sum(getattr(UsageHour, name)), 0).label(name) for name in SUMS]


def _bucket(label: str, row) -> Bucket:
    return Bucket(label, **{name: int(getattr(row, name)) for name in SUMS})


def overview(db: Session, now: datetime, tz: str) -> Overview:
    """What the dashboard's first row shows."""
    online_sessions, online_devices = db.execute(
        select(func.count(), func.count(distinct(RadiusSession.calling_station_id)))
        .where(RadiusSession.status == "active")
    ).one()
    today = day_start(now, tz)
    day = db.execute(select(*_sums()).where(UsageHour.hour >= today)).one()
    unique = db.scalar(select(func.count(distinct(UsageHourUser.username))).where(UsageHourUser.hour >= today))
    return Overview(int(online_sessions), int(online_devices), int(day.sessions), int(unique or 0),
                    int(day.input_octets), int(day.output_octets))


def ap_statuses(db: Session, now: datetime, window_seconds: int) -> list[ApStatus]:
    """Every active access point, online when accounting or auth was seen within the window."""
    active = dict(db.execute(
        select(RadiusSession.nas_id, func.count()).where(RadiusSession.status == "active")
        .group_by(RadiusSession.nas_id)
    ).all())
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


def _local_period(db: Session, column, period: str, tz: str, now: datetime):
    """SQL expression naming the local day/week/month (YYYY-MM-DD of its first day) of a UTC column."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc(period, func.timezone(tz, column)), "YYYY-MM-DD")
    offset = f"{int(now.astimezone(ZoneInfo(tz)).utcoffset().total_seconds() // 60):+d} minutes"
    if period == "day":
        return func.strftime("%Y-%m-%d", column, offset)
    if period == "week":
        return func.date(column, offset, "-6 days", "weekday 1")
    return func.strftime("%Y-%m-01", column, offset)


def _local_hour(db: Session, column, tz: str, now: datetime):
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.extract("hour", func.timezone(tz, column)), Integer)
    offset = f"{int(now.astimezone(ZoneInfo(tz)).utcoffset().total_seconds() // 60):+d} minutes"
    return cast(func.strftime("%H", column, offset), Integer)


@dataclass(frozen=True)
class PeriodRow:
    period: str
    nas: str
    bucket: Bucket


def usage_by_period(db: Session, period: str, since: datetime, until: datetime, tz: str, now: datetime,
                    nas_id: int | None = None) -> list[PeriodRow]:
    """Usage per access point per local day, week or month, newest period first."""
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}")
    label = _local_period(db, UsageHour.hour, period, tz, now).label("period")
    per_nas = (
        select(UsageHour.nas_id, label, *_sums())
        .where(UsageHour.hour >= since, UsageHour.hour < until)
        .group_by(UsageHour.nas_id, label)
    )
    if nas_id is not None:
        per_nas = per_nas.where(UsageHour.nas_id == nas_id)
    grouped = per_nas.subquery()
    query = (
        select(grouped, Nas.name)
        .join(Nas, Nas.id == grouped.c.nas_id)
        .order_by(grouped.c.period.desc(), Nas.name)
    )
    return [PeriodRow(row.period, row.name, _bucket(row.period, row)) for row in db.execute(query)]


def peak_hours(db: Session, since: datetime, until: datetime, tz: str, now: datetime,
               nas_id: int | None = None) -> list[Bucket]:
    """Totals per local hour of the day (00 to 23) over the range: when the hotspots are busiest."""
    hour_of_day = _local_hour(db, UsageHour.hour, tz, now).label("hour_of_day")
    query = select(hour_of_day, *_sums()).where(UsageHour.hour >= since, UsageHour.hour < until)
    if nas_id is not None:
        query = query.where(UsageHour.nas_id == nas_id)
    found = {int(row.hour_of_day): row for row in db.execute(query.group_by(hour_of_day))}
    return [_bucket(f"{h:02d}", found[h]) if h in found else Bucket(f"{h:02d}") for h in range(24)]


def top_users(db: Session, since: datetime, until: datetime, limit: int = 20,
              nas_id: int | None = None) -> list[dict]:
    """The heaviest users (by bytes) among sessions started in the range; the range keeps the scan bounded."""
    octets = func.sum(RadiusSession.input_octets + RadiusSession.output_octets)
    query = (
        select(RadiusSession.username, func.count().label("sessions"),
               func.sum(RadiusSession.session_time).label("session_seconds"),
               func.sum(RadiusSession.input_octets).label("input_octets"),
               func.sum(RadiusSession.output_octets).label("output_octets"))
        .where(RadiusSession.start_time >= since, RadiusSession.start_time < until)
        .group_by(RadiusSession.username)
        .order_by(octets.desc(), RadiusSession.username)
        .limit(limit)
    )
    if nas_id is not None:
        query = query.where(RadiusSession.nas_id == nas_id)
    return [
        {"username": row.username, "sessions": int(row.sessions), "session_seconds": int(row.session_seconds or 0),
         "input_octets": int(row.input_octets or 0), "output_octets": int(row.output_octets or 0)}
        for row in db.execute(query)
    ]
