"""Queries of the RADIUS daemon: sessions, hourly roll-ups, NAS liveness.

Core SQL (not the ORM) on one connection inside the caller's transaction, so a
batch of accounting packets costs a handful of statements, not one round trip
per packet per table. Upserts use INSERT ... ON CONFLICT, which SQLite and
PostgreSQL both speak.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from sqlalchemy import Connection, bindparam, select, update

from hotspot import policy
from hotspot.db import insert_for
from hotspot.models import Nas, RadiusSession, UsageHour, UsageHourUser

SESSIONS = RadiusSession.__table__
USAGE = UsageHour.__table__
USAGE_USERS = UsageHourUser.__table__
USAGE_COUNTERS = ("sessions", "unique_users", "input_octets", "output_octets", "session_seconds",
                  "auth_accepts", "auth_rejects")
SHORTEST_INTERVAL = 60
NAS_SEEN_EVERY = 60.0
REPLACED = "Replaced"  # terminate cause of a session closed because its device started a new one


def hour_of(moment: datetime) -> datetime:
    """The UTC hour a moment falls in: the key of the hourly roll-up."""
    return moment.replace(minute=0, second=0, microsecond=0)


@functools.lru_cache(maxsize=2)
def _usage_upsert(dialect: str):
    """INSERT ... ON CONFLICT (nas_id, hour) DO UPDATE SET counter = counter + excluded.counter, built once."""
    stmt = insert_for(dialect)(USAGE)
    return stmt.on_conflict_do_update(
        index_elements=[USAGE.c.nas_id, USAGE.c.hour],
        set_={c: USAGE.c[c] + stmt.excluded[c] for c in USAGE_COUNTERS},
    )


def begin_write(conn: Connection) -> None:
    """Make a read-modify-write transaction safe against other workers, first thing in the transaction.

    PostgreSQL locks the session rows a batch reads (SELECT ... FOR UPDATE).
    SQLite has no row locks, and pysqlite only begins a transaction at the
    first write, so without this a worker could merge a packet into a row
    another worker changed meanwhile and write the stale row back (a lost Stop).
    BEGIN IMMEDIATE takes the database's write lock before the first read.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def add_usage(conn: Connection, deltas: Mapping[tuple[int, datetime], Mapping[str, int]]) -> None:
    """Add counters to the (NAS, hour) roll-ups, creating rows as needed; keys in order to avoid deadlocks."""
    if not deltas:
        return
    rows = [{"nas_id": nas_id, "hour": hour, **{c: int(delta.get(c, 0)) for c in USAGE_COUNTERS}}
            for (nas_id, hour), delta in sorted(deltas.items())]
    conn.execute(_usage_upsert(conn.dialect.name), rows)


@functools.lru_cache(maxsize=2)
def _users_insert(dialect: str):
    return insert_for(dialect)(USAGE_USERS).on_conflict_do_nothing().returning(USAGE_USERS.c.nas_id,
                                                                                USAGE_USERS.c.hour)


# Built once: a statement object that is reused skips SQLAlchemy's per-call cache-key work.
LOAD_SESSIONS = (select(SESSIONS).where(SESSIONS.c.unique_id.in_(bindparam("ids", expanding=True)))
                 .order_by(SESSIONS.c.unique_id).with_for_update())
SESSION_COLUMNS = [c.name for c in SESSIONS.columns if c.name not in ("id", "unique_id")]
UPDATE_SESSION = update(SESSIONS).where(SESSIONS.c.id == bindparam("b_id")).values(
    {c: bindparam(f"b_{c}") for c in SESSION_COLUMNS})


def add_users(conn: Connection, seen: Iterable[tuple[int, datetime, str]]) -> Counter:
    """Record users seen per (NAS, hour); returns how many were new per (NAS, hour)."""
    rows = [{"nas_id": n, "hour": h, "username": u} for n, h, u in sorted(set(seen))]
    if not rows:
        return Counter()
    inserted = conn.execute(_users_insert(conn.dialect.name), rows).all()
    return Counter((nas_id, hour) for nas_id, hour in inserted)


def load_sessions(conn: Connection, unique_ids: Iterable[str]) -> dict[str, dict]:
    """The stored sessions among `unique_ids`, locked for this transaction on PostgreSQL."""
    ids = sorted(set(unique_ids))
    if not ids:
        return {}
    return {row.unique_id: dict(row._mapping) for row in conn.execute(LOAD_SESSIONS, {"ids": ids})}


def insert_sessions(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(SESSIONS.insert(), [{k: v for k, v in row.items() if k != "id"} for row in rows])


def update_sessions(conn: Connection, rows: list[dict]) -> None:
    """Write back changed sessions by primary key (one executemany)."""
    if not rows:
        return
    conn.execute(UPDATE_SESSION, [{f"b_{k}": v for k, v in row.items() if k != "unique_id"}
                                  for row in sorted(rows, key=lambda r: r["id"])])


# PostgreSQL: a batch's sessions merged by the database in one statement (arrays in, rows out),
# sent as the driver's own SQL (psycopg parameters; SQLAlchemy only wraps its errors).
# The merge rules: counters and update_time only grow, start_time only moves earlier, empty
# fields are filled once, a Stop closes once (stop wins), an Interim-Update reopens a stale session.
MERGED_COLUMNS = ("unique_id", "nas_id", "acct_session_id", "username", "device_id", "account_id",
                  "voucher_id", "plan_id", "calling_station_id", "called_station_id", "nas_port_id",
                  "framed_ip", "nas_ip_address", "start_time", "update_time", "stop_time", "session_time",
                  "input_octets", "output_octets", "interim_interval", "terminate_cause", "status")
ARRAY_TYPES = {"nas_id": "bigint", "device_id": "bigint", "account_id": "bigint", "voucher_id": "bigint",
               "plan_id": "bigint", "start_time": "timestamptz", "update_time": "timestamptz",
               "stop_time": "timestamptz", "session_time": "bigint", "input_octets": "bigint",
               "output_octets": "bigint", "interim_interval": "bigint"}
RETURNED_COLUMNS = ("unique_id", "status", "session_time", "input_octets", "output_octets", "nas_id",
                    "username", "acct_session_id", "framed_ip", "calling_station_id", "device_id",
                    "account_id", "voucher_id", "plan_id", "nas_ip_address")
LOCK_SESSIONS_SQL = ("SELECT unique_id, session_time, input_octets, output_octets FROM radius_session"
                     " WHERE unique_id = ANY(%s) ORDER BY unique_id FOR UPDATE")
INSERT_SESSIONS = f"""
INSERT INTO radius_session AS s ({", ".join(MERGED_COLUMNS)})
SELECT * FROM unnest({", ".join(f"%({c})s::{ARRAY_TYPES.get(c, 'text')}[]" for c in MERGED_COLUMNS)})
ORDER BY 1
"""
NEW_SESSIONS_SQL = INSERT_SESSIONS + "ON CONFLICT (unique_id) DO NOTHING RETURNING s.unique_id"
MERGE_SESSIONS_SQL = INSERT_SESSIONS + f"""ON CONFLICT (unique_id) DO UPDATE SET
  session_time = GREATEST(s.session_time, EXCLUDED.session_time),
  input_octets = GREATEST(s.input_octets, EXCLUDED.input_octets),
  output_octets = GREATEST(s.output_octets, EXCLUDED.output_octets),
  update_time = GREATEST(s.update_time, EXCLUDED.update_time),
  start_time = LEAST(s.start_time, EXCLUDED.start_time),
  framed_ip = COALESCE(s.framed_ip, EXCLUDED.framed_ip),
  called_station_id = COALESCE(s.called_station_id, EXCLUDED.called_station_id),
  nas_port_id = COALESCE(s.nas_port_id, EXCLUDED.nas_port_id),
  status = CASE WHEN s.status = 'closed' OR EXCLUDED.status = 'closed' THEN 'closed'
                WHEN s.status = 'stale' AND s.unique_id = ANY(%(reopened)s) THEN 'active' ELSE s.status END,
  stop_time = CASE WHEN s.status = 'closed' THEN s.stop_time
                   WHEN EXCLUDED.status = 'closed' THEN EXCLUDED.stop_time
                   WHEN s.status = 'stale' AND s.unique_id = ANY(%(reopened)s) THEN NULL ELSE s.stop_time END,
  terminate_cause = CASE WHEN s.status <> 'closed' AND EXCLUDED.status = 'closed'
                         THEN EXCLUDED.terminate_cause ELSE s.terminate_cause END
RETURNING {", ".join(f"s.{c}" for c in RETURNED_COLUMNS)}
"""


def merges_in_sql(conn: Connection) -> bool:
    """Whether the database merges a batch into its sessions itself (PostgreSQL), rather than Python."""
    return conn.dialect.name == "postgresql"


def lock_sessions(conn: Connection, unique_ids: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    """The counters (session_time, input, output) of the stored sessions among `unique_ids`, locked."""
    rows = conn.exec_driver_sql(LOCK_SESSIONS_SQL, (sorted(set(unique_ids)),))
    return {row[0]: tuple(row[1:]) for row in rows}


def _arrays(rows: list[dict]) -> dict[str, list]:
    return {c: [row[c] for row in rows] for c in MERGED_COLUMNS}


def insert_new_sessions(conn: Connection, rows: list[dict]) -> set[str]:
    """Insert sessions not stored yet; returns those inserted (another worker may have been first)."""
    if not rows:
        return set()
    return {row[0] for row in conn.exec_driver_sql(NEW_SESSIONS_SQL, _arrays(rows))}


def merge_sessions(conn: Connection, rows: list[dict], reopened: Iterable[str]) -> list[dict]:
    """Merge a batch's sessions (one row per unique_id) into the stored ones by the rules above."""
    if not rows:
        return []
    params = {**_arrays(rows), "reopened": sorted(reopened)}
    return [dict(zip(RETURNED_COLUMNS, row)) for row in conn.exec_driver_sql(MERGE_SESSIONS_SQL, params)]


def close_replaced_sessions(conn: Connection, rows: Iterable[Mapping]) -> int:
    """Close the open sessions a device's new one replaces: same Calling-Station-Id, started earlier.

    A phone is online once: when its router lost the old session without a Stop (roaming to another
    access point, a reconnect), the old one would hold a place under a plan's sessions-at-once cap."""
    closed = 0
    for row in sorted((r for r in rows if r["status"] == "active" and r["calling_station_id"]),
                      key=lambda r: r["unique_id"]):
        closed += conn.execute(update(SESSIONS).where(
            SESSIONS.c.calling_station_id == row["calling_station_id"], SESSIONS.c.status == "active",
            SESSIONS.c.start_time < row["start_time"], SESSIONS.c.unique_id != row["unique_id"]).values(
            status="closed", stop_time=row["start_time"], terminate_cause=REPLACED)).rowcount
    return closed


def close_nas_sessions(conn: Connection, nas_id: int, source_ip: str, at: datetime, cause: str,
                       keep: Iterable[str]) -> int:
    """Close a rebooted router's open sessions (not updated after `at`), except the ones in `keep`."""
    stmt = update(SESSIONS).where(
        SESSIONS.c.nas_id == nas_id, SESSIONS.c.nas_ip_address == source_ip, SESSIONS.c.status == "active",
        SESSIONS.c.update_time <= at)
    keep = list(keep)
    if keep:
        stmt = stmt.where(SESSIONS.c.unique_id.not_in(keep))
    return conn.execute(stmt.values(status="closed", stop_time=at, terminate_cause=cause)).rowcount


def sweep_stale(conn: Connection, now: datetime, grace: int, default_interval: int) -> int:
    """Mark sessions silent for 2 x their interim interval + grace as stale, ended at their last update."""
    rows = conn.execute(select(SESSIONS.c.id, SESSIONS.c.update_time, SESSIONS.c.interim_interval).where(
        SESSIONS.c.status == "active",
        SESSIONS.c.update_time < now - timedelta(seconds=2 * SHORTEST_INTERVAL + grace))).all()
    stale = [row.id for row in rows
             if policy.session_is_stale(row.update_time, row.interim_interval or default_interval, now, grace)]
    if stale:
        conn.execute(update(SESSIONS).where(SESSIONS.c.id.in_(stale), SESSIONS.c.status == "active").values(
            status="stale", stop_time=SESSIONS.c.update_time))
    return len(stale)


class NasLiveness:
    """Which NAS are due a `Nas.last_seen_at` update: at most one write per NAS every NAS_SEEN_EVERY seconds."""

    def __init__(self):
        self._noted: dict[int, float] = {}

    def due(self, nas_ids: Iterable[int]) -> set[int]:
        now = time.monotonic()
        return {n for n in nas_ids if now - self._noted.get(n, float("-inf")) >= NAS_SEEN_EVERY}

    def noted(self, nas_ids: Iterable[int]) -> None:
        self._noted.update(dict.fromkeys(nas_ids, time.monotonic()))


def touch_nas(conn: Connection, nas_ids: Iterable[int], now: datetime) -> None:
    ids = sorted(set(nas_ids))
    if ids:
        conn.execute(update(Nas).where(Nas.id.in_(ids)).values(last_seen_at=now))
