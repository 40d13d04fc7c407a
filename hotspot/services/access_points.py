"""Access points (the radios behind each NAS): who they are, whether they work, and the admin's edits.

One place for the listing (CLI, console, API) and for the rule of what an admin may set
(a name, a place, a position), so that the CLI and the console refuse the same input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from hotspot.models import AccessPoint, Nas
from hotspot.services import audit
from hotspot.services.ap_map import online_window_seconds, open_sessions_per_ap, state_from
from hotspot.settings import Settings
from hotspot.validation import ValidationError, is_mac, normalize_mac

AP_FIELDS = (
    "id",
    "name",
    "radio_mac",
    "nas",
    "location",
    "latitude",
    "longitude",
    "last_seen_at",
    "state",
    "active_sessions",
)


@dataclass(frozen=True)
class ApRow:
    """One access point as lists show it."""

    access_point: AccessPoint
    state: str
    active_sessions: int


def ap_state(last_seen_at: datetime | None, active_sessions: int, now: datetime, settings: Settings) -> str:
    """never / down / busy / up, by the same rules as the NAS map (online window, busy threshold)."""
    cutoff = now - timedelta(seconds=online_window_seconds(settings))
    online = last_seen_at is not None and last_seen_at >= cutoff
    return state_from(last_seen_at, online, active_sessions, settings.map_busy_sessions)


def list_access_points(
    db: Session, now: datetime, settings: Settings, nas_name: str | None = None
) -> list[ApRow]:
    """Every access point (optionally of one NAS), by NAS name then label, with its state."""
    query = select(AccessPoint).join(Nas, Nas.id == AccessPoint.nas_id)
    if nas_name:
        query = query.where(Nas.name == nas_name)
    active = open_sessions_per_ap(db)
    points = sorted(db.scalars(query).unique(), key=lambda ap: (ap.nas.name, ap.label))
    return [
        ApRow(ap, ap_state(ap.last_seen_at, active.get(ap.id, 0), now, settings), active.get(ap.id, 0))
        for ap in points
    ]


def ap_to_dict(row: ApRow) -> dict:
    """The JSON shape of an access point (`hotspot ap list --format json`, /admin pages)."""
    ap = row.access_point
    return {
        "id": ap.id,
        "name": ap.name,
        "radio_mac": ap.radio_mac,
        "nas": ap.nas.name,
        "location": ap.location_name,
        "latitude": ap.latitude,
        "longitude": ap.longitude,
        "last_seen_at": ap.last_seen_at.isoformat() if ap.last_seen_at else None,
        "state": row.state,
        "active_sessions": row.active_sessions,
    }


def radio_key(radio: str) -> str:
    """A radio as stored: a MAC in any common spelling normalised, anything else literal."""
    text = (radio or "").strip()
    return normalize_mac(text) if is_mac(text) else text


def label_column():
    """AccessPoint.label in SQL for queries that outer-join access_point and nas; NULL without one."""
    return func.coalesce(
        func.nullif(AccessPoint.name, ""),
        func.nullif(AccessPoint.radio_mac, ""),
        case((AccessPoint.id.is_not(None), Nas.name)),
    )


def matches(text: str):
    """An `ap` filter: the access point's name or its radio (a MAC in any spelling)."""
    text = text.strip()
    return or_(AccessPoint.name == text, AccessPoint.radio_mac == radio_key(text))


def find_by_radio(db: Session, radio: str, nas_name: str | None = None) -> AccessPoint:
    """The access point with this radio; ValidationError when none, or when two NAS heard it and none is
    named."""
    query = (
        select(AccessPoint)
        .join(Nas, Nas.id == AccessPoint.nas_id)
        .where(AccessPoint.radio_mac == radio_key(radio))
    )
    if nas_name:
        query = query.where(Nas.name == nas_name)
    found = list(db.scalars(query.order_by(Nas.name)).unique())
    if not found:
        raise ValidationError(f"no access point with radio {radio!r}")
    if len(found) > 1:
        names = ", ".join(ap.nas.name for ap in found)
        raise ValidationError(f"radio {radio!r} was heard under several NAS ({names}): choose one with --nas")
    return found[0]


def validate_edit(name: str, location: str, latitude: float | None, longitude: float | None) -> None:
    """What an admin may set on an access point; messages they can act on."""
    if len(name) > 64:
        raise ValidationError("the access point name is longer than 64 characters")
    if len(location) > 128:
        raise ValidationError("the location is longer than 128 characters")
    if (latitude is None) != (longitude is None):
        raise ValidationError("give both latitude and longitude, or neither")
    if latitude is not None and not -90 <= latitude <= 90:
        raise ValidationError("latitude must be between -90 and 90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise ValidationError("longitude must be between -180 and 180")


AUDITED_FIELDS = ("name", "location_name", "latitude", "longitude")


def update_access_point(
    db: Session,
    ap: AccessPoint,
    name: str,
    location: str,
    latitude: float | None,
    longitude: float | None,
    actor: str = "cli",
    ip: str | None = None,
) -> AccessPoint:
    """Name and place an access point, audited with each change before and after."""
    name, location = (name or "").strip(), (location or "").strip()
    validate_edit(name, location, latitude, longitude)
    before = {field: getattr(ap, field) for field in AUDITED_FIELDS}
    ap.name, ap.location_name, ap.latitude, ap.longitude = name, location, latitude, longitude
    changes = {field: [old, getattr(ap, field)] for field, old in before.items() if getattr(ap, field) != old}
    audit.record(
        db,
        actor,
        "access_point.edit",
        f"{ap.nas.name} {ap.radio_mac}".strip(),
        {"nas": ap.nas.name, "radio_mac": ap.radio_mac, "changes": changes},
        ip=ip,
    )
    db.commit()
    return ap
