"""Accounting: turning Start / Interim-Update / Stop / Accounting-On/Off into sessions and roll-ups.

Every packet is idempotent: counters and times only move forward (max), so a
retransmission, a replay from the journal or an out-of-order packet changes
nothing it should not. A Stop or Interim without a Start still creates the
session. Roll-ups per NAS and hour are updated by the deltas each packet adds,
so the dashboards never scan raw sessions.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from radius import attribution, store
from radius.packets import AccountingRequest

SESSION_EVENTS = ("Start", "Interim-Update", "Stop")
NAS_EVENTS = ("Accounting-On", "Accounting-Off")
NAS_REBOOT = "NAS-Reboot"
DEFAULT_INTERVAL = 300
COUNTERS = ("session_time", "input_octets", "output_octets")


@dataclass(frozen=True)
class Arrival:
    """One accounting packet as received: from which NAS (and source address), saying what."""

    nas_id: int
    source_ip: str
    request: AccountingRequest


@dataclass(frozen=True)
class Running:
    """A session still open after an Interim-Update: a candidate for quota enforcement."""

    unique_id: str
    nas_id: int
    username: str
    acct_session_id: str
    framed_ip: str | None
    calling_station_id: str | None
    device_id: int | None
    account_id: int | None
    voucher_id: int | None
    plan_id: int | None
    nas_address: str | None


def session_key(nas_id: int, request: AccountingRequest) -> str:
    """RadiusSession.unique_id: NAS + Acct-Session-Id + User-Name + Calling-Station-Id, hashed."""
    parts = (str(nas_id), request.acct_session_id, request.username, request.calling_station_id or "")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def new_session(unique_id: str, arrival: Arrival, links: dict) -> dict:
    """The row for a session first heard of now; a Stop or Interim without Start backdates its start."""
    request = arrival.request
    closed = request.status == "Stop"
    return {
        "id": None,
        "unique_id": unique_id,
        "nas_id": arrival.nas_id,
        "acct_session_id": request.acct_session_id,
        "username": request.username,
        "device_id": links.get("device_id"),
        "account_id": links.get("account_id"),
        "voucher_id": links.get("voucher_id"),
        "plan_id": links.get("plan_id"),
        "calling_station_id": request.calling_station_id,
        "called_station_id": request.called_station_id,
        "nas_port_id": request.nas_port_id,
        "framed_ip": request.framed_ip,
        "nas_ip_address": arrival.source_ip,
        "start_time": request.event_time - timedelta(seconds=request.session_time),
        "update_time": request.event_time,
        "stop_time": request.event_time if closed else None,
        "session_time": request.session_time,
        "input_octets": request.input_octets,
        "output_octets": request.output_octets,
        "interim_interval": links.get("interim_interval"),
        "terminate_cause": request.terminate_cause if closed else None,
        "status": "closed" if closed else "active",
    }


def merge(row: dict, request: AccountingRequest) -> dict[str, int]:
    """Fold a packet into a known session in place; returns what it added to the counters."""
    added = {}
    for counter in COUNTERS:
        value = max(row[counter], getattr(request, counter))
        added[counter] = value - row[counter]
        row[counter] = value
    row["update_time"] = max(row["update_time"], request.event_time)
    row["start_time"] = min(row["start_time"], request.event_time - timedelta(seconds=request.session_time))
    for field in ("framed_ip", "called_station_id", "nas_port_id"):
        if row[field] is None and getattr(request, field):
            row[field] = getattr(request, field)
    if request.status == "Stop" and row["status"] != "closed":
        row.update(status="closed", stop_time=request.event_time, terminate_cause=request.terminate_cause)
    elif request.status == "Interim-Update" and row["status"] == "stale":
        row.update(status="active", stop_time=None)
    return added


def still_running(key: str, row: dict) -> Running:
    return Running(key, row["nas_id"], row["username"], row["acct_session_id"], row["framed_ip"],
                   row["calling_station_id"], row["device_id"], row["account_id"], row["voucher_id"],
                   row["plan_id"], row["nas_ip_address"])


def rebooted(row: dict, arrival: Arrival) -> bool:
    """Whether an Accounting-On/Off ends this session: the same router, still open, not updated since.

    The same router is the same NAS row and source address: one NAS row's CIDR
    may hold several routers, and one's reboot ends none of the others' sessions.
    """
    return (row["nas_id"] == arrival.nas_id and row["nas_ip_address"] == arrival.source_ip
            and row["status"] == "active" and row["update_time"] <= arrival.request.event_time)


def record(conn: Connection, arrivals: list[Arrival]) -> list[Running]:
    """Apply a batch of accounting packets, in order, inside the caller's transaction.

    Returns the sessions an Interim-Update left running, for quota enforcement.
    """
    if store.merges_in_sql(conn):
        return _record_in_sql(conn, arrivals)
    keyed = [(session_key(a.nas_id, a.request), a) for a in arrivals if a.request.status in SESSION_EVENTS]
    rows = store.load_sessions(conn, (key for key, _ in keyed))
    unknown = [a for key, a in keyed if key not in rows]
    links = attribution.links(conn, unknown) if unknown else {}
    new: set[str] = set()
    changed: set[str] = set()
    usage: dict[tuple[int, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seen: list[tuple[int, datetime, str]] = []
    reboots: list[tuple[int, str, datetime]] = []
    running: dict[str, Running] = {}
    for arrival in arrivals:
        request = arrival.request
        hour = store.hour_of(request.event_time)
        if request.status in NAS_EVENTS:
            for row in rows.values():
                if rebooted(row, arrival):
                    row.update(status="closed", stop_time=request.event_time, terminate_cause=NAS_REBOOT)
                    changed.add(row["unique_id"])
            reboots.append((arrival.nas_id, arrival.source_ip, request.event_time))
            continue
        if request.status not in SESSION_EVENTS:
            continue
        key = session_key(arrival.nas_id, request)
        if key in rows:
            added = merge(rows[key], request)
            changed.add(key)
        else:
            link = links.get((request.username, request.calling_station_id), {})
            rows[key] = new_session(key, arrival, link)
            new.add(key)
            added = {c: rows[key][c] for c in COUNTERS}
            usage[(arrival.nas_id, hour)]["sessions"] += 1
        bucket = usage[(arrival.nas_id, hour)]
        bucket["input_octets"] += added["input_octets"]
        bucket["output_octets"] += added["output_octets"]
        bucket["session_seconds"] += added["session_time"]
        if request.username:
            seen.append((arrival.nas_id, hour, request.username))
        row = rows[key]
        if request.status == "Interim-Update" and row["status"] == "active":
            running[key] = still_running(key, row)
        else:
            running.pop(key, None)
    for (nas_id, hour), count in store.add_users(conn, seen).items():
        usage[(nas_id, hour)]["unique_users"] += count
    store.add_usage(conn, usage)
    store.insert_sessions(conn, [rows[k] for k in sorted(new)])
    store.update_sessions(conn, [rows[k] for k in sorted(changed - new)])
    store.close_replaced_sessions(conn, [rows[k] for k in new])
    for nas_id, source_ip, at in reboots:
        store.close_nas_sessions(conn, nas_id, source_ip, at, NAS_REBOOT, keep=rows)
    return list(running.values())


@dataclass
class Fold:
    """A batch's packets of one session folded into one row (`merge`), for the database to merge once more."""

    row: dict
    created_hour: datetime
    last_event: datetime
    last_status: str
    reopens: bool = False


def _record_in_sql(conn: Connection, arrivals: list[Arrival]) -> list[Running]:
    """`record` with the merge done by the database: a statement per batch, not per packet.

    Packets are folded per session first (one cheap pass), then merged into the
    stored sessions in one upsert; an Accounting-On/Off in the batch splits it,
    so that it closes what came before it and not what came after.
    """
    usage: dict[tuple[int, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seen: list[tuple[int, datetime, str]] = []
    running: dict[str, Running] = {}
    pending: list[Arrival] = []
    for arrival in [*arrivals, None]:
        status = arrival.request.status if arrival else None
        if arrival is None or status in NAS_EVENTS:
            _merge_in_sql(conn, pending, usage, running)
            pending = []
            if arrival is not None:
                store.close_nas_sessions(conn, arrival.nas_id, arrival.source_ip, arrival.request.event_time,
                                         NAS_REBOOT, keep=())
        elif status in SESSION_EVENTS:
            pending.append(arrival)
            if arrival.request.username:
                request = arrival.request
                seen.append((arrival.nas_id, store.hour_of(request.event_time), request.username))
    for (nas_id, hour), count in store.add_users(conn, seen).items():
        usage[(nas_id, hour)]["unique_users"] += count
    store.add_usage(conn, usage)
    return list(running.values())


def _merge_in_sql(conn: Connection, arrivals: list[Arrival], usage: dict,
                  running: dict[str, Running]) -> None:
    if not arrivals:
        return
    keyed = [(session_key(a.nas_id, a.request), a) for a in arrivals]
    stored = store.lock_sessions(conn, (key for key, _ in keyed))
    unknown = list({key: a for key, a in keyed if key not in stored}.values())
    links = attribution.links(conn, unknown) if unknown else {}
    folds: dict[str, Fold] = {}
    for key, arrival in keyed:
        request = arrival.request
        fold = folds.get(key)
        if fold is None:
            row = new_session(key, arrival, links.get((request.username, request.calling_station_id), {}))
            fold = Fold(row, store.hour_of(request.event_time), request.event_time, request.status)
            folds[key] = fold
        else:
            merge(fold.row, request)
            fold.last_event = max(fold.last_event, request.event_time)
            fold.last_status = request.status
        fold.reopens |= request.status == "Interim-Update"
    created = store.insert_new_sessions(conn, [folds[k].row for k in sorted(folds) if k not in stored])
    raced = [k for k in folds if k not in stored and k not in created]  # inserted meanwhile by another worker
    stored.update(store.lock_sessions(conn, raced) if raced else {})
    merged = store.merge_sessions(conn, [folds[k].row for k in sorted(folds) if k in stored],
                                  (k for k, f in folds.items() if f.reopens))
    store.close_replaced_sessions(conn, [folds[k].row for k in created])
    for row in [folds[k].row for k in sorted(created)] + merged:
        key, fold = row["unique_id"], folds[row["unique_id"]]
        before = stored.get(key)
        if before is None:
            usage[(row["nas_id"], fold.created_hour)]["sessions"] += 1
            before = (0, 0, 0)
        bucket = usage[(row["nas_id"], store.hour_of(fold.last_event))]
        bucket["session_seconds"] += row["session_time"] - before[0]
        bucket["input_octets"] += row["input_octets"] - before[1]
        bucket["output_octets"] += row["output_octets"] - before[2]
        if fold.last_status == "Interim-Update" and row["status"] == "active":
            running[key] = still_running(key, row)
        else:
            running.pop(key, None)
