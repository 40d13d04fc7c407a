"""Queries of the RADIUS daemon: sessions, hourly roll-ups, NAS liveness.

Core SQL (not the ORM) on one connection inside the caller's transaction, so a
batch of accounting packets costs a handful of statements, not one round trip
per packet per table. Upserts use INSERT ... ON CONFLICT, which SQLite and
PostgreSQL both speak.
"""

from __future__ import annotations

import functools
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, String, bindparam, func, select, text, update

from hotspot import policy
from hotspot.db import insert_for
from hotspot.models import Nas, RadiusSession, UsageHour, UsageHourAp, UsageHourUser
from hotspot.validation import is_mac
from radius.pgarrays import array_literal

SESSIONS = RadiusSession.__table__
USAGE = UsageHour.__table__
USAGE_USERS = UsageHourUser.__table__
USAGE_AP = UsageHourAp.__table__
USAGE_COUNTERS = (
    "sessions",
    "unique_users",
    "input_octets",
    "output_octets",
    "session_seconds",
    "auth_accepts",
    "auth_rejects",
)
AP_COUNTERS = tuple(c for c in USAGE_COUNTERS if c != "unique_users")
ROLLUPS = {
    "usage_hour": (USAGE, "nas_id", USAGE_COUNTERS),
    "usage_hour_ap": (USAGE_AP, "access_point_id", AP_COUNTERS),
}  # table: (table, key, counters)
SHORTEST_INTERVAL = 60
NAS_SEEN_EVERY = 60.0
ADDRESS_CHANGE_EVERY = 1.0
REPLACED = "Replaced"  # terminate cause of a session closed because its device started a new one


def hour_of(moment: datetime) -> datetime:
    """The UTC hour a moment falls in: the key of the hourly roll-up."""
    return moment.replace(minute=0, second=0, microsecond=0)


@functools.lru_cache(maxsize=4)
def _rollup_upsert(dialect: str, table: str):
    """INSERT ... ON CONFLICT (key, hour) DO UPDATE SET counter = counter + excluded.counter, built once
    per roll-up table (ROLLUPS)."""
    target, key, counters = ROLLUPS[table]
    stmt = insert_for(dialect)(target)
    return stmt.on_conflict_do_update(
        index_elements=[target.c[key], target.c.hour],
        set_={c: target.c[c] + stmt.excluded[c] for c in counters},
    )


def _add_rollup(
    conn: Connection, table: str, deltas: Mapping[tuple[int | None, datetime], Mapping[str, int]]
):
    """Add counters to a roll-up's rows, creating them as needed; keys in order to avoid deadlocks.
    A key of None (a packet with no access point) counts nowhere."""
    _, key, counters = ROLLUPS[table]
    counted = sorted(item for item in deltas.items() if item[0][0] is not None)
    rows = [
        {key: owner, "hour": hour, **{c: int(delta.get(c, 0)) for c in counters}}
        for (owner, hour), delta in counted
    ]
    if rows:
        conn.execute(_rollup_upsert(conn.dialect.name, table), rows)


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
    """Add counters to the (NAS, hour) roll-ups."""
    _add_rollup(conn, "usage_hour", deltas)


def add_ap_usage(conn: Connection, deltas: Mapping[tuple[int | None, datetime], Mapping[str, int]]) -> None:
    """Add counters to the (access point, hour) roll-ups."""
    _add_rollup(conn, "usage_hour_ap", deltas)


@functools.lru_cache(maxsize=2)
def _users_insert(dialect: str):
    return (
        insert_for(dialect)(USAGE_USERS)
        .on_conflict_do_nothing()
        .returning(USAGE_USERS.c.nas_id, USAGE_USERS.c.hour)
    )


def add_users(conn: Connection, seen: Iterable[tuple[int, datetime, str]]) -> Counter:
    """Record users seen per (NAS, hour); returns how many were new per (NAS, hour)."""
    rows = [{"nas_id": n, "hour": h, "username": u} for n, h, u in sorted(set(seen))]
    if not rows:
        return Counter()
    inserted = conn.execute(_users_insert(conn.dialect.name), rows).all()
    return Counter((nas_id, hour) for nas_id, hour in inserted)


# A batch's sessions are merged into the stored ones by the database, by these rules: counters and
# update_time only grow, start_time only moves earlier, empty fields are filled once, a Stop closes once
# (stop wins), an Interim-Update ('reopens') brings a stale session back. One text for both databases.
MERGE_RULES = """
  session_time = {greatest}(s.session_time, excluded.session_time),
  input_octets = {greatest}(s.input_octets, excluded.input_octets),
  output_octets = {greatest}(s.output_octets, excluded.output_octets),
  update_time = {greatest}(s.update_time, excluded.update_time),
  start_time = {least}(s.start_time, excluded.start_time),
  framed_ip = COALESCE(s.framed_ip, excluded.framed_ip),
  called_station_id = COALESCE(s.called_station_id, excluded.called_station_id),
  access_point_id = COALESCE(s.access_point_id, excluded.access_point_id),
  nas_port_id = COALESCE(s.nas_port_id, excluded.nas_port_id),
  status = CASE WHEN s.status = 'closed' OR excluded.status = 'closed' THEN 'closed'
                WHEN s.status = 'stale' AND excluded.status = 'reopens' THEN 'active' ELSE s.status END,
  stop_time = CASE WHEN s.status = 'closed' THEN s.stop_time
                   WHEN excluded.status = 'closed' THEN excluded.stop_time
                   WHEN s.status = 'stale' AND excluded.status = 'reopens' THEN NULL ELSE s.stop_time END,
  terminate_cause = CASE WHEN s.status <> 'closed' AND excluded.status = 'closed'
                         THEN excluded.terminate_cause ELSE s.terminate_cause END"""
REOPENS = "reopens"  # the status a batch sends for a known session it saw an Interim-Update of
MERGED_COLUMNS = (
    "unique_id",
    "nas_id",
    "acct_session_id",
    "username",
    "device_id",
    "account_id",
    "voucher_id",
    "plan_id",
    "calling_station_id",
    "called_station_id",
    "access_point_id",
    "nas_port_id",
    "framed_ip",
    "nas_ip_address",
    "start_time",
    "update_time",
    "stop_time",
    "session_time",
    "input_octets",
    "output_octets",
    "interim_interval",
    "terminate_cause",
    "status",
)
RETURNED_COLUMNS = (
    "unique_id",
    "status",
    "session_time",
    "input_octets",
    "output_octets",
    "nas_id",
    "username",
    "acct_session_id",
    "framed_ip",
    "calling_station_id",
    "device_id",
    "account_id",
    "voucher_id",
    "plan_id",
    "nas_ip_address",
    "access_point_id",
)
COUNTED = ("session_time", "input_octets", "output_octets")  # the session counters the roll-ups add up
LOCK_SESSIONS = (
    select(SESSIONS.c.unique_id, *(SESSIONS.c[c] for c in COUNTED))
    .where(SESSIONS.c.unique_id.in_(bindparam("ids", expanding=True)))
    .order_by(SESSIONS.c.unique_id)
    .with_for_update()
)
READ_BACK = select(*(SESSIONS.c[c] for c in RETURNED_COLUMNS)).where(
    SESSIONS.c.unique_id.in_(bindparam("ids", expanding=True))
)


@dataclass
class SessionWrite:
    """One session's packets of a batch, folded into `row`, and what the roll-ups need to count them.

    `before` holds the stored counters (session_time, input, output) when the session is known (locked
    by `lock_sessions`); its deltas go to `last_hour`, a new session counts once in `created_hour`."""

    row: dict
    before: tuple[int, int, int] | None
    created_hour: datetime
    last_hour: datetime
    reopens: bool = False  # an Interim-Update among the packets

    @property
    def status(self) -> str:
        """The status the statement sends: the folded one, or REOPENS for a known session still running."""
        running = self.before is not None and self.reopens and self.row["status"] == "active"
        return REOPENS if running else self.row["status"]


def lock_sessions(conn: Connection, unique_ids: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    """The counters of the stored sessions among `unique_ids`, locked until commit (PostgreSQL
    FOR UPDATE; SQLite's writer already holds the database, see begin_write)."""
    ids = sorted(set(unique_ids))
    return {row[0]: tuple(row[1:]) for row in conn.execute(LOCK_SESSIONS, {"ids": ids})} if ids else {}


def write_sessions(
    conn: Connection, writes: list[SessionWrite], seen: Iterable[tuple[int, datetime, str]]
) -> dict[str, dict]:
    """Insert the new sessions, merge the known ones, add the deltas and users to the hourly roll-ups.

    Returns the sessions as stored now, by unique_id. A new session another worker inserted meanwhile
    is missing from the answer and counted nowhere: lock it and write it again as known."""
    if not writes:
        return {}
    if conn.dialect.name == "postgresql":
        return _write_in_one_statement(conn, writes, seen)
    return _write_step_by_step(conn, writes, seen)


# PostgreSQL: the whole batch in one statement (arrays in, sessions out), as the driver's own SQL
# (psycopg parameters; SQLAlchemy only wraps its errors). The roll-up deltas are computed in it.
ARRAY_TYPES = {
    "nas_id": "bigint",
    "access_point_id": "bigint",
    "device_id": "bigint",
    "account_id": "bigint",
    "voucher_id": "bigint",
    "plan_id": "bigint",
    "start_time": "timestamptz",
    "update_time": "timestamptz",
    "stop_time": "timestamptz",
    "session_time": "bigint",
    "input_octets": "bigint",
    "output_octets": "bigint",
    "interim_interval": "bigint",
    "known": "boolean",
    "before_time": "bigint",
    "before_input": "bigint",
    "before_output": "bigint",
    "created_hour": "timestamptz",
    "last_hour": "timestamptz",
    "seen_nas": "bigint",
    "seen_hour": "timestamptz",
}
INPUT_COLUMNS = (
    *MERGED_COLUMNS,
    "known",
    "before_time",
    "before_input",
    "before_output",
    "created_hour",
    "last_hour",
)
_COLUMNS = ", ".join(MERGED_COLUMNS)
_RETURNING = ", ".join(f"s.{c}" for c in RETURNED_COLUMNS)
_SUMS = ", ".join(
    f"sum({c})" for c in ("sessions", "unique_users", "input_octets", "output_octets", "session_seconds")
)
_AP_SUMS = ", ".join(f"sum({c})" for c in ("sessions", "input_octets", "output_octets", "session_seconds"))
WRITE_SESSIONS_SQL = f"""
WITH input AS (
  SELECT * FROM unnest({", ".join(f"%({c})s::{ARRAY_TYPES.get(c, 'text')}[]" for c in INPUT_COLUMNS)})
    AS i({", ".join(INPUT_COLUMNS)})
), created AS (
  INSERT INTO radius_session AS s ({_COLUMNS}) SELECT {_COLUMNS} FROM input WHERE NOT known ORDER BY unique_id
  ON CONFLICT (unique_id) DO NOTHING RETURNING {_RETURNING}
), merged AS (
  INSERT INTO radius_session AS s ({_COLUMNS}) SELECT {_COLUMNS} FROM input WHERE known ORDER BY unique_id
  ON CONFLICT (unique_id) DO UPDATE SET {MERGE_RULES.format(greatest="GREATEST", least="LEAST")}
  RETURNING {_RETURNING}
), written AS (
  SELECT * FROM created UNION ALL SELECT * FROM merged
), users AS (
  INSERT INTO usage_hour_user (nas_id, hour, username)
  SELECT * FROM unnest(%(seen_nas)s::bigint[], %(seen_hour)s::timestamptz[], %(seen_user)s::text[])
  ORDER BY 1, 2, 3
  ON CONFLICT DO NOTHING RETURNING nas_id, hour
), changes AS (
  SELECT i.nas_id, w.access_point_id, i.last_hour AS hour, 0 AS sessions, 0 AS unique_users,
         w.input_octets - i.before_input AS input_octets, w.output_octets - i.before_output AS output_octets,
         w.session_time - i.before_time AS session_seconds
    FROM written w JOIN input i USING (unique_id)
  UNION ALL SELECT i.nas_id, c.access_point_id, i.created_hour, 1, 0, 0, 0, 0
    FROM created c JOIN input i USING (unique_id)
  UNION ALL SELECT nas_id, NULL, hour, 0, 1, 0, 0, 0 FROM users
), usage_ap AS (
  INSERT INTO usage_hour_ap AS u (access_point_id, hour, sessions, input_octets, output_octets,
                                  session_seconds, auth_accepts, auth_rejects)
  SELECT access_point_id, hour, {_AP_SUMS}, 0, 0 FROM changes WHERE access_point_id IS NOT NULL
   GROUP BY access_point_id, hour ORDER BY access_point_id, hour
  ON CONFLICT (access_point_id, hour) DO UPDATE SET
    {", ".join(f"{c} = u.{c} + EXCLUDED.{c}" for c in AP_COUNTERS)}
), usage AS (
  INSERT INTO usage_hour AS u (nas_id, hour, sessions, unique_users, input_octets, output_octets,
                               session_seconds, auth_accepts, auth_rejects)
  SELECT nas_id, hour, {_SUMS}, 0, 0 FROM changes GROUP BY nas_id, hour ORDER BY nas_id, hour
  ON CONFLICT (nas_id, hour) DO UPDATE SET
    {", ".join(f"{c} = u.{c} + EXCLUDED.{c}" for c in USAGE_COUNTERS)}
)
SELECT * FROM written
"""


def _write_in_one_statement(conn: Connection, writes: list[SessionWrite], seen) -> dict[str, dict]:
    params = {c: [w.row[c] for w in writes] for c in MERGED_COLUMNS}
    params["status"] = [w.status for w in writes]
    params["known"] = [w.before is not None for w in writes]
    for index, name in enumerate(("before_time", "before_input", "before_output")):
        params[name] = [w.before[index] if w.before is not None else 0 for w in writes]
    params["created_hour"] = [w.created_hour for w in writes]
    params["last_hour"] = [w.last_hour for w in writes]
    users = sorted(set(seen))
    params.update(
        seen_nas=[u[0] for u in users], seen_hour=[u[1] for u in users], seen_user=[u[2] for u in users]
    )
    literals = {name: array_literal(values, ARRAY_TYPES.get(name, "text")) for name, values in params.items()}
    return {
        row[0]: dict(zip(RETURNED_COLUMNS, row)) for row in conn.exec_driver_sql(WRITE_SESSIONS_SQL, literals)
    }


# SQLite: the same rules, statement by statement (in-process, so round trips cost little); its writer
# holds the whole database (BEGIN IMMEDIATE), so no other worker inserts a session meanwhile.
_SQLITE_MERGE = text(
    f"INSERT INTO radius_session AS s ({_COLUMNS}) VALUES ({', '.join(f':{c}' for c in MERGED_COLUMNS)})"
    f" ON CONFLICT (unique_id) DO UPDATE SET {MERGE_RULES.format(greatest='max', least='min')}"
).bindparams(*(bindparam(c, type_=SESSIONS.c[c].type) for c in MERGED_COLUMNS))


def _write_step_by_step(conn: Connection, writes: list[SessionWrite], seen) -> dict[str, dict]:
    new = [w for w in writes if w.before is None]
    known = [w for w in writes if w.before is not None]
    if new:
        conn.execute(SESSIONS.insert(), [{c: w.row[c] for c in MERGED_COLUMNS} for w in new])
    if known:
        conn.execute(
            _SQLITE_MERGE, [{**{c: w.row[c] for c in MERGED_COLUMNS}, "status": w.status} for w in known]
        )
    written = {
        row.unique_id: dict(row._mapping)
        for row in conn.execute(READ_BACK, {"ids": [w.row["unique_id"] for w in writes]})
    }
    usage: dict[tuple[int, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ap_usage: dict[tuple[int, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for write in writes:
        row = written[write.row["unique_id"]]
        for rollup, key in ((usage, row["nas_id"]), (ap_usage, row["access_point_id"])):
            if write.before is None:
                rollup[(key, write.created_hour)]["sessions"] += 1
            bucket = rollup[(key, write.last_hour)]
            before = write.before or (0, 0, 0)
            for counter, name, old in zip(
                COUNTED, ("session_seconds", "input_octets", "output_octets"), before
            ):
                bucket[name] += row[counter] - old
    for key, count in add_users(conn, seen).items():
        usage[key]["unique_users"] += count
    add_usage(conn, usage)
    add_ap_usage(conn, ap_usage)
    return written


def close_replaced_sessions(conn: Connection, rows: Iterable[Mapping]) -> int:
    """Close the open sessions a device's new one replaces: the same MAC as Calling-Station-Id, started
    earlier; each ends when the device's next session began.

    A phone is online once: when its router lost the old session without a Stop (roaming to another
    access point, a reconnect), the old one would hold a place under a plan's sessions-at-once cap."""
    new = sorted(
        (r["start_time"], r["calling_station_id"], r["unique_id"])
        for r in rows
        if r["status"] == "active" and is_mac(r["calling_station_id"] or "")
    )
    if not new:
        return 0
    if conn.dialect.name == "postgresql":
        starts, macs, unique_ids = zip(*new)
        params = {
            "start": array_literal(starts, "timestamptz"),
            "mac": array_literal(macs, "text"),
            "uid": array_literal(unique_ids, "text"),
        }
        return conn.exec_driver_sql(CLOSE_REPLACED_SQL, {"cause": REPLACED, **params}).rowcount
    # Earliest first: each older session is closed by the first new one after it, as in the statement above.
    closed = 0
    for start_time, mac, unique_id in new:
        closed += conn.execute(
            update(SESSIONS)
            .where(
                SESSIONS.c.calling_station_id == mac,
                SESSIONS.c.status == "active",
                SESSIONS.c.start_time < start_time,
                SESSIONS.c.unique_id != unique_id,
            )
            .values(status="closed", stop_time=start_time, terminate_cause=REPLACED)
        ).rowcount
    return closed


# PostgreSQL: one statement for the batch; a session that several new ones replace ends at the earliest.
CLOSE_REPLACED_SQL = """
UPDATE radius_session AS s SET status = 'closed', stop_time = r.next_start, terminate_cause = %(cause)s
FROM (
  SELECT old.id, min(n.start_time) AS next_start
    FROM unnest(%(mac)s::text[], %(start)s::timestamptz[], %(uid)s::text[]) AS n(mac, start_time, unique_id)
    JOIN radius_session old ON old.calling_station_id = n.mac AND old.status = 'active'
         AND old.start_time < n.start_time AND old.unique_id <> n.unique_id
   GROUP BY old.id
) AS r
WHERE s.id = r.id
"""


def close_nas_sessions(
    conn: Connection, nas_id: int, source_ip: str | None, at: datetime, cause: str, keep: Iterable[str]
) -> int:
    """Close a rebooted router's open sessions (not updated after `at`), except the ones in `keep`.

    `source_ip` None: the NAS row is one router, whichever address its sessions came from."""
    stmt = update(SESSIONS).where(
        SESSIONS.c.nas_id == nas_id, SESSIONS.c.status == "active", SESSIONS.c.update_time <= at
    )
    if source_ip is not None:
        stmt = stmt.where(SESSIONS.c.nas_ip_address == source_ip)
    keep = list(keep)
    if keep:
        stmt = stmt.where(SESSIONS.c.unique_id.not_in(keep))
    return conn.execute(stmt.values(status="closed", stop_time=at, terminate_cause=cause)).rowcount


def sweep_stale(conn: Connection, now: datetime, grace: int, default_interval: int) -> int:
    """Mark sessions silent for 2 x their interim interval + grace as stale, ended at their last update."""
    rows = conn.execute(
        select(SESSIONS.c.id, SESSIONS.c.update_time, SESSIONS.c.interim_interval).where(
            SESSIONS.c.status == "active",
            SESSIONS.c.update_time < now - timedelta(seconds=2 * SHORTEST_INTERVAL + grace),
        )
    ).all()
    stale = [
        row.id
        for row in rows
        if policy.session_is_stale(row.update_time, row.interim_interval or default_interval, now, grace)
    ]
    if stale:
        conn.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id.in_(stale), SESSIONS.c.status == "active")
            .values(status="stale", stop_time=SESSIONS.c.update_time)
        )
    return len(stale)


class NasLiveness:
    """Which NAS are due a `Nas.last_seen_at` / `last_address` write, so that no packet costs one.

    At most one write per NAS every NAS_SEEN_EVERY seconds, sooner (after
    ADDRESS_CHANGE_EVERY) when it speaks from a new address: a router behind NAT
    or on LTE is then reached by Disconnect/CoA where it is now. A change not
    written yet stays a change, so the next packet writes it.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._noted: dict[int, tuple[float, str | None]] = {}

    def due(self, heard: Iterable[tuple[int, str | None]]) -> dict[int, str | None]:
        """Of (NAS id, source address) pairs, those to write now: NAS id -> its latest address."""
        now = self._clock()
        due: dict[int, str | None] = {}
        for nas_id, address in heard:
            at, noted = self._noted.get(nas_id, (float("-inf"), None))
            moved = address is not None and address != noted
            if now - at >= NAS_SEEN_EVERY or (moved and now - at >= ADDRESS_CHANGE_EVERY):
                due[nas_id] = address
        return due

    def noted(self, written: Mapping[int, str | None]) -> None:
        now = self._clock()
        self._noted.update({nas_id: (now, address) for nas_id, address in written.items()})


TOUCH_NAS = (
    update(Nas)
    .where(Nas.id == bindparam("b_id"))
    .values(
        last_seen_at=bindparam("b_now"),
        last_address=func.coalesce(bindparam("b_address", type_=String), Nas.last_address),
    )
)


def touch_nas(conn: Connection, heard: Mapping[int, str | None], now: datetime) -> None:
    """Note that these NAS spoke at `now`, from these addresses (None: address unchanged)."""
    if heard:
        conn.execute(
            TOUCH_NAS,
            [
                {"b_id": nas_id, "b_now": now, "b_address": address}
                for nas_id, address in sorted(heard.items())
            ],
        )
