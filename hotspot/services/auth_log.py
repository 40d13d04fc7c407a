"""The failed-login log: why a citizen could not get online, for the helpdesk, the CSV export and the API.

Every RADIUS decision (radius.authlog) and every portal refusal (record_refusal) is an
AuthEvent row. Pages are cut by a `(time, id)` cursor, newest first, so a deep page
costs what the first one does (indexes on time, NAS, MAC and username).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.orm import Session

from hotspot import credentials
from hotspot.csvsafe import SafeWriter
from hotspot.models import AccessPoint, AuthEvent, Nas
from hotspot.services import access_points
from hotspot.services.sessions import parse_time
from hotspot.validation import ValidationError, normalize_mac, normalize_phone, radio_of, searchable

PAGE_SIZE = 50
FILTER_PARAMETERS = ("mac", "user", "nas", "ap", "reason", "since", "until")
EVENT_FIELDS = (
    "id",
    "time",
    "nas",
    "access_point",
    "username",
    "calling_station_id",
    "method",
    "accepted",
    "reason",
    "message",
)
LANGUAGES = ("id", "en")
PORTAL_METHOD_PREFIX = "portal-"


@dataclass(frozen=True)
class AuthEventFilter:
    """What the helpdesk narrows the log by; every field optional."""

    mac: str | None = None
    user: str | None = None
    nas: str | None = None
    ap: str | None = None
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's time and id."""

    time: datetime
    id: int

    def encode(self) -> str:
        return f"{self.time.timestamp():.6f}_{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            stamp, _, row_id = text.partition("_")
            return cls(datetime.fromtimestamp(float(stamp), UTC), int(row_id))
        except (ValueError, OverflowError, OSError) as exc:
            raise ValidationError(f"not a page cursor: {text!r}") from exc


@dataclass(frozen=True)
class EventPage:
    rows: list[tuple[AuthEvent, str | None, str | None]]
    """(event, NAS name, access point label)"""
    next_cursor: Cursor | None


def citizen_message(reason: str, language: str = "id") -> str | None:
    """The Reply-Message RADIUS sent for this reason (the one refusal-message table); None for an accept."""
    if reason == "ok":
        return None
    return credentials.refusal(reason, language if language in LANGUAGES else "id")


def from_portal(event: AuthEvent) -> bool:
    """Whether the splash page refused this login (the citizen read the portal's words, no Reply-Message)."""
    return event.method.startswith(PORTAL_METHOD_PREFIX)


def filter_from_query(args: Mapping[str, str]) -> AuthEventFilter:
    """The filter named by URL query parameters (the console page, its CSV and /api/v1/auth-events)."""

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip() or None

    mac = text("mac")
    return AuthEventFilter(
        mac=searchable(mac, normalize_mac) if mac else None,
        user=text("user"),
        nas=text("nas"),
        ap=text("ap"),
        reason=text("reason"),
        since=parse_time(text("since")),
        until=parse_time(text("until")),
    )


def _user_names(user: str) -> list[str]:
    """A phone in any spelling matches the account's stored +62… form; anything else is a username."""
    try:
        return [user, normalize_phone(user)]
    except ValidationError:
        return [user]


def access_point_condition(ap: str):
    """The `ap` filter: the event's access point by name or radio MAC, or a NAS by name (a router as a
    whole)."""
    return or_(access_points.matches(ap), Nas.name == ap.strip())


def filtered_events(f: AuthEventFilter) -> Select:
    """AuthEvents (with their NAS name and access point label) matching the filter, newest first."""
    query = (
        select(AuthEvent, Nas.name, access_points.label_column())
        .outerjoin(Nas, Nas.id == AuthEvent.nas_id)
        .outerjoin(AccessPoint, AccessPoint.id == AuthEvent.access_point_id)
    )
    if f.mac:
        query = query.where(AuthEvent.calling_station_id == f.mac)
    if f.user:
        query = query.where(AuthEvent.username.in_(_user_names(f.user)))
    if f.nas:
        query = query.where(Nas.name == f.nas)
    if f.ap:
        query = query.where(access_point_condition(f.ap))
    if f.reason:
        query = query.where(AuthEvent.reason == f.reason)
    if f.since:
        query = query.where(AuthEvent.time >= f.since)
    if f.until:
        query = query.where(AuthEvent.time < f.until)
    return query.order_by(AuthEvent.time.desc(), AuthEvent.id.desc())


def page_events(
    db: Session, f: AuthEventFilter, after: Cursor | None = None, size: int = PAGE_SIZE
) -> EventPage:
    """One page of the filtered log, newest first, after the given cursor."""
    query = filtered_events(f)
    if after is not None:
        query = query.where(tuple_(AuthEvent.time, AuthEvent.id) < tuple_(after.time, after.id))
    rows = [tuple(row) for row in db.execute(query.limit(size + 1))]
    more = len(rows) > size
    rows = rows[:size]
    return EventPage(rows, Cursor(rows[-1][0].time, rows[-1][0].id) if more else None)


def event_to_dict(
    event: AuthEvent, nas_name: str | None, message: str | None, access_point: str | None = None
) -> dict:
    """The JSON (and CSV) shape of one event: the technical reason and what the citizen read (`message`)."""
    return {
        "id": event.id,
        "time": event.time.isoformat(),
        "nas": nas_name,
        "access_point": access_point,
        "username": event.username,
        "calling_station_id": event.calling_station_id,
        "method": event.method,
        "accepted": event.accepted,
        "reason": event.reason,
        "message": message,
    }


def csv_chunks(
    db: Session, f: AuthEventFilter, message: Callable[[AuthEvent], str | None], batch: int = 5000
) -> Iterator[str]:
    """CSV text of the whole filtered log, header first, page by page (flat memory for any size)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(EVENT_FIELDS)
    after = None
    while True:
        page = page_events(db, f, after, batch)
        writer.writerows(
            [event_to_dict(event, nas, message(event), ap)[name] for name in EVENT_FIELDS]
            for event, nas, ap in page.rows
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page.next_cursor is None:
            return
        after = page.next_cursor


def record_refusal(
    db: Session,
    method: str,
    reason: str,
    username: str | None,
    mac: str | None,
    nas_id: int | None,
    now: datetime,
    radio: str | None = None,
) -> None:
    """Log a refusal the portal gave (splash login or SMS code) like RADIUS logs a reject; committed.

    A phone is stored in its +62… form so that the helpdesk finds it however the citizen typed it.
    `radio` is what the router's redirect named (Chilli's `called`, MikroTik's `server-name`): the event
    gets that access point when RADIUS already knows it; the URL never creates one."""
    if method in ("account", "sms") and username:
        username = _user_names(username)[-1]
    try:
        station = normalize_mac(mac) if mac else None
    except ValidationError:
        station = None
    db.rollback()
    db.add(
        AuthEvent(
            time=now,
            nas_id=nas_id,
            username=(username or station or "")[:64],
            calling_station_id=station,
            method=PORTAL_METHOD_PREFIX + method,
            accepted=False,
            reason=reason[:64],
            access_point_id=_known_access_point(db, nas_id, radio),
        )
    )
    db.commit()


def _known_access_point(db: Session, nas_id: int | None, radio: str | None) -> int | None:
    if nas_id is None or not radio:
        return None
    return db.scalar(
        select(AccessPoint.id).where(AccessPoint.nas_id == nas_id, AccessPoint.radio_mac == radio_of(radio))
    )
