"""The session log as admins browse it: keyset pages, totals of the filtered set, streamed export.

Pages are cut by a `(start_time, id)` cursor, never OFFSET, so the thousandth
page of a year of sessions costs what the first one does (index
ix_radius_session_start_id). The export streams rows from a server-side cursor
so a million sessions go out in flat memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, DateTime, func, select, tuple_, type_coerce
from sqlalchemy.orm import Session, selectinload

from hotspot.csvsafe import SafeWriter
from hotspot.models import AccessPoint, Nas, RadiusSession
from hotspot.services import access_points
from hotspot.services.sessions import SESSION_FIELDS, SessionFilter, filtered_sessions, parse_time
from hotspot.validation import ValidationError

PAGE_SIZE = 50
SORTS = ("desc", "asc")
STREAM_BATCH = 5000


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's start time and id."""

    start_time: datetime
    id: int

    def encode(self) -> str:
        return f"{self.start_time.timestamp():.6f}_{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            stamp, _, row_id = text.partition("_")
            return cls(datetime.fromtimestamp(float(stamp), UTC), int(row_id))
        except (ValueError, OverflowError, OSError) as exc:
            raise ValidationError(f"not a page cursor: {text!r}") from exc


@dataclass(frozen=True)
class SessionPage:
    rows: list[RadiusSession]
    next_cursor: Cursor | None


@dataclass(frozen=True)
class Totals:
    sessions: int
    session_seconds: int
    input_octets: int
    output_octets: int


FILTER_PARAMETERS = ("nas", "user", "phone", "mac", "ip", "since", "until", "status", "cause")


def filter_from_query(args: Mapping[str, str]) -> SessionFilter:
    """The filter named by URL query parameters (shared by the console, the CSV export and the API)."""

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip() or None

    return SessionFilter(
        nas=text("nas"),
        ap=text("ap"),
        user=text("user"),
        phone=text("phone"),
        mac=text("mac"),
        ip=text("ip"),
        since=parse_time(text("since")),
        until=parse_time(text("until")),
        status=text("status"),
        terminate_cause=text("cause"),
    )


def page_sessions(
    db: Session, f: SessionFilter, after: Cursor | None = None, sort: str = "desc", size: int = PAGE_SIZE
) -> SessionPage:
    """One page of the filtered log in start-time order, after the given cursor."""
    if sort not in SORTS:
        raise ValidationError("sort must be desc or asc")
    key = tuple_(RadiusSession.start_time, RadiusSession.id)
    query = filtered_sessions(f).order_by(None)
    if sort == "desc":
        query = query.order_by(RadiusSession.start_time.desc(), RadiusSession.id.desc())
        if after is not None:
            query = query.where(key < tuple_(after.start_time, after.id))
    else:
        query = query.order_by(RadiusSession.start_time.asc(), RadiusSession.id.asc())
        if after is not None:
            query = query.where(key > tuple_(after.start_time, after.id))
    rows = list(db.scalars(query.options(selectinload(RadiusSession.access_point)).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return SessionPage(rows, Cursor(rows[-1].start_time, rows[-1].id) if more else None)


def totals(db: Session, f: SessionFilter) -> Totals:
    """Count, time and bytes of every session the filter matches."""
    rs = RadiusSession
    query = select(
        func.count(),
        func.coalesce(func.sum(rs.session_time), 0),
        func.coalesce(func.sum(rs.input_octets), 0),
        func.coalesce(func.sum(rs.output_octets), 0),
    )
    # The join to nas is only needed to filter by its name; without it PostgreSQL scans one table.
    query = query.select_from(rs.__table__.join(Nas.__table__) if f.nas else rs.__table__)
    conditions = filtered_sessions(f).whereclause
    count, seconds, up, down = db.execute(query if conditions is None else query.where(conditions)).one()
    return Totals(int(count), int(seconds), int(up), int(down))


TIME_FIELDS = ("start_time", "stop_time")


def export_query(f: SessionFilter, raw_times: bool = False):
    """The filtered log as plain columns in SESSION_FIELDS order (no ORM objects: export speed).

    With `raw_times` the two timestamps skip the UTCDateTime conversion: PostgreSQL
    returns them already aware, in the session time zone csv_chunks sets to UTC.
    """

    def column(name: str):
        if name == "nas":
            return Nas.name
        if name == "access_point":
            return access_points.label_column()
        attribute = getattr(RadiusSession, name)
        return (
            type_coerce(attribute, DateTime(timezone=True))
            if raw_times and name in TIME_FIELDS
            else attribute
        )

    return (
        filtered_sessions(f)
        .outerjoin(AccessPoint, AccessPoint.id == RadiusSession.access_point_id)
        .with_only_columns(*[column(name) for name in SESSION_FIELDS])
    )


def csv_chunks(conn: Connection, f: SessionFilter) -> Iterator[str]:
    """CSV text of the filtered log, header first, in chunks of STREAM_BATCH rows from a server-side
    cursor."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(SESSION_FIELDS)
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    query = export_query(f, raw_times=postgres)
    result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(query)
    times = [SESSION_FIELDS.index(name) for name in TIME_FIELDS]
    for partition in result.partitions():
        rows = [list(row) for row in partition]
        for row in rows:
            for i in times:
                if row[i] is not None:
                    row[i] = row[i].isoformat()
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
