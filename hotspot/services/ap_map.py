"""Where the access points are and whether they work: the console's map, the citizens' map and GeoJSON.

One state per access point, decided here for every map and feed: `never` (no
RADIUS packet ever heard), `down` (silent longer than the online window),
`busy` (online with at least `map_busy_sessions` sessions) or `up`. The public
forms carry no personal data: a name, a place, a position and up or down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hotspot.services.usage_reports import ApStatus, ap_statuses
from hotspot.settings import Settings

DEFAULT_INTERIM_SECONDS = 300
STATES = ("up", "busy", "down", "never")


def online_window_seconds(settings: Settings) -> int:
    """An access point counts as online when heard from within two interim intervals plus the stale grace."""
    return 2 * DEFAULT_INTERIM_SECONDS + settings.radius_stale_grace_seconds


@dataclass(frozen=True)
class MapPoint:
    """One access point as the maps draw it."""

    id: int
    name: str
    location: str
    latitude: float | None
    longitude: float | None
    state: str
    active_sessions: int
    last_seen_at: datetime | None

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


def map_points(db: Session, now: datetime, settings: Settings) -> list[MapPoint]:
    """Every active access point with its state, by name."""
    return [
        MapPoint(s.nas.id, s.nas.name, s.nas.location_name, s.nas.latitude, s.nas.longitude,
                 state_of(s, settings.map_busy_sessions), s.active_sessions, s.nas.last_seen_at)
        for s in ap_statuses(db, now, online_window_seconds(settings))
    ]


def point_to_dict(point: MapPoint) -> dict:
    """An access point as the JSON API lists it."""
    return {"id": point.id, "name": point.name, "location": point.location, "latitude": point.latitude,
            "longitude": point.longitude, "state": point.state, "active_sessions": point.active_sessions,
            "last_seen_at": point.last_seen_at.isoformat() if point.last_seen_at else None}


def feature_collection(points: list[MapPoint], public: bool) -> dict:
    """GeoJSON (RFC 7946: longitude first) of the placed access points; `public` leaves out all but up/down."""
    features = []
    for point in points:
        if not point.placed:
            continue
        if public:
            properties = {"id": point.id, "name": point.name, "location": point.location,
                          "state": point.public_state}
        else:
            properties = point_to_dict(point)
        features.append({"type": "Feature", "id": point.id,
                         "geometry": {"type": "Point", "coordinates": [point.longitude, point.latitude]},
                         "properties": properties})
    return {"type": "FeatureCollection", "features": features}
