"""Usage reports from the hourly roll-ups (per NAS, per hour) and from sessions (per user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot.models import Nas, RadiusSession, UsageHour
from hotspot.services.random_macs import random_mac_share
from hotspot.validation import ValidationError

USAGE_GROUPINGS = ("nas", "user", "hour")


def usage(db: Session, by: str, since: datetime | None = None) -> list[dict]:
    """Totals grouped by access point, by user or by hour, newest hours first."""
    if by not in USAGE_GROUPINGS:
        raise ValidationError(f"--by must be one of {', '.join(USAGE_GROUPINGS)}")
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
