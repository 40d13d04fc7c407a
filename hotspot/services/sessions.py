"""Session log queries: the same filters for the CLI, the console, the CSV export and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from hotspot.models import SESSION_STATUSES, AccessPoint, Account, Nas, RadiusSession
from hotspot.services import access_points
from hotspot.validation import ValidationError, normalize_mac, normalize_phone, searchable

SESSION_FIELDS = (
    "id",
    "username",
    "nas",
    "acct_session_id",
    "calling_station_id",
    "called_station_id",
    "framed_ip",
    "start_time",
    "stop_time",
    "session_time",
    "input_octets",
    "output_octets",
    "terminate_cause",
    "status",
    "access_point",
)


@dataclass(frozen=True)
class SessionFilter:
    """What an admin narrows the session log by; every field optional."""

    nas: str | None = None
    ap: str | None = None
    user: str | None = None
    mac: str | None = None
    ip: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    terminate_cause: str | None = None
    phone: str | None = None

    def __post_init__(self):
        if self.status is not None and self.status not in SESSION_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(SESSION_STATUSES)}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValidationError(f"{name} needs a timezone")


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 from a person or a URL; a time without offset is taken as UTC."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def filtered_sessions(f: SessionFilter) -> Select:
    """A select of sessions (with their NAS) matching the filter, newest first."""
    query = select(RadiusSession).join(RadiusSession.nas).options(contains_eager(RadiusSession.nas))
    if f.nas:
        query = query.where(Nas.name == f.nas)
    if f.ap:
        query = query.where(
            RadiusSession.access_point_id.in_(select(AccessPoint.id).where(access_points.matches(f.ap)))
        )
    if f.user:
        query = query.where(RadiusSession.username == f.user)
    if f.mac:
        query = query.where(RadiusSession.calling_station_id == searchable(f.mac, normalize_mac))
    if f.ip:
        query = query.where(RadiusSession.framed_ip == f.ip)
    if f.since:
        query = query.where(RadiusSession.start_time >= f.since)
    if f.until:
        query = query.where(RadiusSession.start_time < f.until)
    if f.status:
        query = query.where(RadiusSession.status == f.status)
    if f.terminate_cause:
        query = query.where(RadiusSession.terminate_cause == f.terminate_cause)
    if f.phone:
        query = query.where(
            RadiusSession.account_id.in_(
                select(Account.id).where(Account.phone == searchable(f.phone, normalize_phone))
            )
        )
    return query.order_by(RadiusSession.start_time.desc(), RadiusSession.id.desc())


def session_to_dict(session: RadiusSession) -> dict:
    """The JSON shape of a session shared by `hotspot sessions` and /api/v1/sessions."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "id": session.id,
        "username": session.username,
        "nas": session.nas.name,
        "acct_session_id": session.acct_session_id,
        "calling_station_id": session.calling_station_id,
        "called_station_id": session.called_station_id,
        "framed_ip": session.framed_ip,
        "start_time": iso(session.start_time),
        "stop_time": iso(session.stop_time),
        "session_time": session.session_time,
        "input_octets": session.input_octets,
        "output_octets": session.output_octets,
        "terminate_cause": session.terminate_cause,
        "status": session.status,
        "access_point": session.access_point.label if session.access_point else None,
    }


def list_sessions(db: Session, f: SessionFilter, limit: int | None = None) -> list[RadiusSession]:
    query = filtered_sessions(f).options(selectinload(RadiusSession.access_point))
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))
