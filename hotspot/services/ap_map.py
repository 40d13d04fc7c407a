"""Where the access points are and whether they work: the console's map, the citizens' map and GeoJSON.

One state per access point, decided here for every map and feed: `never` (no
RADIUS packet ever heard), `down` (silent longer than the online window),
`busy` (online with at least `map_busy_sessions` sessions) or `up`. The public
forms carry no personal data: a name, a place, a position and up or down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot.models import AccessPoint, Nas, RadiusSession
from hotspot.services.usage_reports import ApStatus, ap_statuses
from hotspot.settings import Settings

DEFAULT_INTERIM_SECONDS = 300
STATES = ("up", "busy", "down", "never")


def online_window_seconds(settings: Settings) -> int:
    """An access point counts as online when heard from within two interim intervals plus the stale grace."""
    return 2 * DEFAULT_INTERIM_SECONDS + settings.radius_stale_grace_seconds


@dataclass(frozen=True)
class MapPoint:
    """One access point as the maps draw it (a NAS no radio has been heard behind is drawn as itself)."""

    id: int | None
    nas_id: int
    nas: str
    name: str
    location: str
    latitude: float | None
    longitude: float | None
    state: str
    active_sessions: int
    last_seen_at: datetime | None

    @property
    def key(self) -> str:
        """The feature id: unique across access points and NAS drawn as themselves."""
        return f"ap-{self.id}" if self.id is not None else f"nas-{self.nas_id}"

    @property
    def placed(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def public_state(self) -> str:
        """What a citizen is told: busy is still up."""
        return "up" if self.state == "busy" else self.state


def state_from(last_seen_at: datetime | None, online: bool, active_sessions: int, busy_sessions: int) -> str:
    """The one state rule for a NAS or an access point."""
    if last_seen_at is None:
        return "never"
    if not online:
        return "down"
    return "busy" if active_sessions >= busy_sessions else "up"


def state_of(status: ApStatus, busy_sessions: int) -> str:
    return state_from(status.nas.last_seen_at, status.online, status.active_sessions, busy_sessions)


def open_sessions_per_ap(db: Session) -> dict[int, int]:
    """Sessions online per access point: its open radius_session rows."""
    return dict(
        db.execute(
            select(RadiusSession.access_point_id, func.count())
            .where(RadiusSession.status == "active", RadiusSession.access_point_id.is_not(None))
            .group_by(RadiusSession.access_point_id)
        ).all()
    )


def map_points(db: Session, now: datetime, settings: Settings) -> list[MapPoint]:
    """Every access point of an active NAS with its state, by NAS name then label.

    An access point is placed where the admin put it, else where its NAS is; a NAS with no
    access point row yet (a fresh install, a router that never named a radio) is one point itself.
    """
    window = online_window_seconds(settings)
    cutoff = now - timedelta(seconds=window)
    radios: dict[int, list[AccessPoint]] = {}
    for ap in db.scalars(
        select(AccessPoint).join(Nas, Nas.id == AccessPoint.nas_id).where(Nas.active.is_(True))
    ).unique():
        radios.setdefault(ap.nas_id, []).append(ap)
    active = open_sessions_per_ap(db)
    points = []
    for status in ap_statuses(db, now, window):
        nas = status.nas
        if nas.id not in radios:
            points.append(
                MapPoint(
                    None,
                    nas.id,
                    nas.name,
                    nas.name,
                    nas.location_name,
                    nas.latitude,
                    nas.longitude,
                    state_of(status, settings.map_busy_sessions),
                    status.active_sessions,
                    nas.last_seen_at,
                )
            )
            continue
        for ap in sorted(radios[nas.id], key=lambda ap: ap.label):
            own = ap.latitude is not None and ap.longitude is not None
            online = ap.last_seen_at is not None and ap.last_seen_at >= cutoff
            sessions = active.get(ap.id, 0)
            points.append(
                MapPoint(
                    ap.id,
                    nas.id,
                    nas.name,
                    ap.label,
                    ap.location_name or nas.location_name,
                    ap.latitude if own else nas.latitude,
                    ap.longitude if own else nas.longitude,
                    state_from(ap.last_seen_at, online, sessions, settings.map_busy_sessions),
                    sessions,
                    ap.last_seen_at,
                )
            )
    return points


def point_to_dict(point: MapPoint) -> dict:
    """An access point as the JSON API lists it."""
    return {
        "id": point.id,
        "nas_id": point.nas_id,
        "nas": point.nas,
        "name": point.name,
        "location": point.location,
        "latitude": point.latitude,
        "longitude": point.longitude,
        "state": point.state,
        "active_sessions": point.active_sessions,
        "last_seen_at": point.last_seen_at.isoformat() if point.last_seen_at else None,
    }


def feature_collection(points: list[MapPoint], public: bool) -> dict:
    """GeoJSON (RFC 7946: longitude first) of the placed access points; `public` leaves out all but
    up/down."""
    features = []
    for point in points:
        if not point.placed:
            continue
        if public:
            properties = {
                "id": point.key,
                "name": point.name,
                "location": point.location,
                "state": point.public_state,
            }
        else:
            properties = point_to_dict(point)
        features.append(
            {
                "type": "Feature",
                "id": point.key,
                "geometry": {"type": "Point", "coordinates": [point.longitude, point.latitude]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}
