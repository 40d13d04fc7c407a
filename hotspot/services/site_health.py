"""What each site did lately, read cheaply enough for every Prometheus scrape and every rule check.

Last heard is `Nas.last_seen_at` (any RADIUS packet; the workers write it at most once a minute).
Sessions online come from the open `radius_session` rows, the last-hour figures from the
`usage_hour` roll-ups of the current and the previous clock hour (so 60 to 120 minutes):
a few hundred small rows for a city, never a scan of raw sessions.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from hotspot.alert_rules import ApHeard, NasActivity, OpeningHours
from hotspot.models import AccessPoint, Nas, RadiusSession, UsageHour, UsageHourAp

AP_MEMORY = timedelta(days=2)
ROLLED_UP = ("auth_accepts", "auth_rejects", "sessions", "input_octets", "output_octets")


def last_hour_start(now: datetime) -> datetime:
    """The start of the previous clock hour: the window the "last hour" figures cover."""
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def nas_activity(db: Session, now: datetime) -> list[NasActivity]:
    """Every active NAS with its last packet, open sessions and last-hour roll-up sums, by name."""
    online = dict(
        db.execute(
            select(RadiusSession.nas_id, func.count())
            .where(RadiusSession.status == "active")
            .group_by(RadiusSession.nas_id)
        ).all()
    )
    totals = [cast(func.sum(getattr(UsageHour, name)), BigInteger) for name in ROLLED_UP]
    recent = select(UsageHour.nas_id, *totals).where(UsageHour.hour >= last_hour_start(now))
    sums = {row[0]: row[1:] for row in db.execute(recent.group_by(UsageHour.nas_id))}
    activity = []
    for nas in db.scalars(select(Nas).where(Nas.active.is_(True)).order_by(Nas.name)):
        accepts, rejects, started, up, down = (int(v or 0) for v in sums.get(nas.id, (0,) * len(ROLLED_UP)))
        activity.append(
            NasActivity(
                nas.id, nas.name, nas.last_seen_at, online.get(nas.id, 0), accepts, rejects, started, up, down
            )
        )
    return activity


def access_point_activity(db: Session, now: datetime) -> list[tuple[str, NasActivity]]:
    """Per access point of an active NAS: (NAS name, its figures under a label unique within the NAS) from
    usage_hour_ap."""
    online = dict(
        db.execute(
            select(RadiusSession.access_point_id, func.count())
            .where(RadiusSession.status == "active", RadiusSession.access_point_id.is_not(None))
            .group_by(RadiusSession.access_point_id)
        ).all()
    )
    totals = [cast(func.sum(getattr(UsageHourAp, name)), BigInteger) for name in ROLLED_UP]
    recent = select(UsageHourAp.access_point_id, *totals).where(UsageHourAp.hour >= last_hour_start(now))
    sums = {row[0]: row[1:] for row in db.execute(recent.group_by(UsageHourAp.access_point_id))}
    points = db.scalars(
        select(AccessPoint).join(Nas, Nas.id == AccessPoint.nas_id).where(Nas.active.is_(True))
    ).unique()
    points = sorted(points, key=lambda ap: (ap.nas.name, ap.label))
    named = Counter((ap.nas_id, ap.label) for ap in points)
    activity = []
    for ap in points:
        # Two radios an admin gave one name would be one series: the radio's MAC tells them apart.
        label = ap.label if named[ap.nas_id, ap.label] == 1 else f"{ap.label} ({ap.radio_mac})"
        accepts, rejects, started, up, down = (int(v or 0) for v in sums.get(ap.id, (0,) * len(ROLLED_UP)))
        activity.append(
            (
                ap.nas.name,
                NasActivity(
                    ap.nas_id,
                    label,
                    ap.last_seen_at,
                    online.get(ap.id, 0),
                    accepts,
                    rejects,
                    started,
                    up,
                    down,
                ),
            )
        )
    return activity


def access_points_heard(db: Session, now: datetime) -> list[ApHeard]:
    """Each radio behind an active NAS (its AccessPoint row) with the last time RADIUS named it.

    The NAS as a whole (radio_mac "") is the NAS rules' business; a radio not heard for longer
    than AP_MEMORY is forgotten (taken away or renamed), so it does not stay silent forever.
    """
    rows = db.scalars(
        select(AccessPoint)
        .join(Nas, Nas.id == AccessPoint.nas_id)
        .where(Nas.active.is_(True), AccessPoint.radio_mac != "", AccessPoint.last_seen_at >= now - AP_MEMORY)
        .order_by(AccessPoint.nas_id, AccessPoint.radio_mac)
    ).unique()
    return [ApHeard(ap.nas_id, ap.radio_mac, ap.label, ap.last_seen_at) for ap in rows]


def opening_hours(db: Session) -> dict[int, OpeningHours]:
    """Opening hours per NAS id; a NAS not listed is open all day.

    The seam for NAS groups with opening hours: until they exist every site is always open.
    """
    return {}
