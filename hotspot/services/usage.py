"""Usage reports from the hourly roll-ups (per NAS, per hour) and from sessions (per user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot.models import AccessPoint, Nas, RadiusSession, UsageHour, UsageHourAp
from hotspot.services.random_macs import random_mac_share
from hotspot.validation import ValidationError

USAGE_GROUPINGS = ("nas", "ap", "user", "hour")
COUNTERS = ("sessions", "session_seconds", "input_octets", "output_octets")


def usage(db: Session, by: str, since: datetime | None = None) -> list[dict]:
    """Totals grouped by access point, by user or by hour, newest hours first."""
    if by not in USAGE_GROUPINGS:
        raise ValidationError(f"--by must be one of {', '.join(USAGE_GROUPINGS)}")
    if by == "ap":
        return _usage_by_ap(db, since)
    if by == "user":
        query = (
            select(
                RadiusSession.username.label("user"),
                func.count().label("sessions"),
                func.sum(RadiusSession.session_time).label("session_seconds"),
                func.sum(RadiusSession.input_octets).label("input_octets"),
                func.sum(RadiusSession.output_octets).label("output_octets"),
            )
            .group_by(RadiusSession.username)
            .order_by(func.sum(RadiusSession.input_octets + RadiusSession.output_octets).desc())
        )
        if since:
            query = query.where(RadiusSession.start_time >= since)
    else:
        key = Nas.name.label("nas") if by == "nas" else UsageHour.hour.label("hour")
        query = select(
            key,
            func.sum(UsageHour.sessions).label("sessions"),
            func.sum(UsageHour.session_seconds).label("session_seconds"),
            func.sum(UsageHour.input_octets).label("input_octets"),
            func.sum(UsageHour.output_octets).label("output_octets"),
        )
        if by == "nas":
            query = query.join(Nas, Nas.id == UsageHour.nas_id).group_by(Nas.name).order_by(Nas.name)
        else:
            query = query.group_by(UsageHour.hour).order_by(UsageHour.hour.desc())
        if since:
            query = query.where(UsageHour.hour >= since)
    rows = []
    for row in db.execute(query).mappings():
        item = dict(row)
        for name in ("sessions", "session_seconds", "input_octets", "output_octets"):
            item[name] = int(item[name] or 0)
        if isinstance(item.get("hour"), datetime):
            item["hour"] = item["hour"].isoformat()
        rows.append(item)
    if by == "nas":
        _add_random_macs(db, rows, since)
    return rows


def _add_random_macs(db: Session, rows: list[dict], since: datetime | None) -> None:
    """Per NAS, how many sessions and devices came from random (locally administered) MACs."""
    shares = {row["nas"]: row for row in random_mac_share(db, since)}
    for item in rows:
        share = shares.get(item["nas"], {"random_share": 0.0})
        for name in ("random_sessions", "devices", "random_devices", "random_share"):
            item[name] = share.get(name, 0)


def _usage_by_ap(db: Session, since: datetime | None) -> list[dict]:
    """Per access point from usage_hour_ap: its NAS, label and radio with the NAS rows' counters."""
    query = (
        select(AccessPoint.id, *[func.sum(getattr(UsageHourAp, name)).label(name) for name in COUNTERS])
        .join(AccessPoint, AccessPoint.id == UsageHourAp.access_point_id)
        .group_by(AccessPoint.id)
    )
    if since:
        query = query.where(UsageHourAp.hour >= since)
    totals = {row.id: row for row in db.execute(query)}
    points = db.scalars(select(AccessPoint).where(AccessPoint.id.in_(totals))).unique()
    rows = [
        {
            "nas": ap.nas.name,
            "access_point": ap.label,
            "radio_mac": ap.radio_mac,
            **{name: int(getattr(totals[ap.id], name) or 0) for name in COUNTERS},
        }
        for ap in points
    ]
    return sorted(rows, key=lambda row: (row["nas"], row["access_point"]))
