"""Accounting: turning Start / Interim-Update / Stop / Accounting-On/Off into sessions and roll-ups.

Every packet is idempotent: counters and times only move forward (max), so a
retransmission, a replay from the journal or an out-of-order packet changes
nothing it should not. A Stop or Interim without a Start still creates the
session. Roll-ups per NAS and hour, and per access point (radio) and hour, are
updated by the deltas each packet adds, so the dashboards never scan raw sessions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from hotspot.validation import radio_of
from radius import attribution, store
from radius.packets import AccountingRequest
from radius.radios import Radio, Radios

SESSION_EVENTS = ("Start", "Interim-Update", "Stop")
NAS_EVENTS = ("Accounting-On", "Accounting-Off")
NAS_REBOOT = "NAS-Reboot"
DEFAULT_INTERVAL = 300
COUNTERS = ("session_time", "input_octets", "output_octets")


@dataclass(frozen=True)
class Arrival:
    """One accounting packet as received: from which NAS (and source address), saying what.

    `named`: the NAS row was chosen by NAS-Identifier, so it is one router wherever its packets come from.
    """

    nas_id: int
    source_ip: str
    request: AccountingRequest
    named: bool = False

    @property
    def radio(self) -> Radio:
        """The access point it came through: its NAS and the radio its Called-Station-Id names."""
        return self.nas_id, radio_of(self.request.called_station_id)

    @property
    def router_address(self) -> str | None:
        """The address that tells this router from others on its NAS row; None when the row is one router."""
        return None if self.named else self.source_ip


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


def new_session(unique_id: str, arrival: Arrival, links: dict, access_point_id: int | None) -> dict:
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
        "access_point_id": access_point_id,
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
    return Running(
        key,
        row["nas_id"],
        row["username"],
        row["acct_session_id"],
        row["framed_ip"],
        row["calling_station_id"],
        row["device_id"],
        row["account_id"],
        row["voucher_id"],
        row["plan_id"],
        row["nas_ip_address"],
    )


def record(conn: Connection, arrivals: list[Arrival], radios: Radios) -> list[Running]:
    """Apply a batch of accounting packets, in order, inside the caller's transaction (after which the
    caller tells `radios` whether it committed).

    Packets are folded per session first (one cheap pass, `merge`), then the
    database merges the folds into the stored sessions and adds the roll-ups
    (`store.write_sessions`: one statement on PostgreSQL). An Accounting-On/Off in
    the batch splits it, so that it closes what came before it and not what came
    after. Returns the sessions an Interim-Update left running, for quota enforcement.
    """
    running: dict[str, Running] = {}
    pending: list[Arrival] = []
    points = radios.resolve(
        conn,
        (a.radio for a in arrivals if a.request.status in SESSION_EVENTS),
        max((a.request.event_time for a in arrivals), default=None),
    )
    for arrival in [*arrivals, None]:
        status = arrival.request.status if arrival else None
        if arrival is None or status in NAS_EVENTS:
            _write(conn, pending, running, points)
            pending = []
            if arrival is not None:
                store.close_nas_sessions(
                    conn,
                    arrival.nas_id,
                    arrival.router_address,
                    arrival.request.event_time,
                    NAS_REBOOT,
                    keep=(),
                )
        elif status in SESSION_EVENTS:
            pending.append(arrival)
    return list(running.values())


@dataclass
class Fold:
    """A batch's packets of one session folded into one row (`merge`), for the database to merge once more."""

    row: dict
    created_hour: datetime
    last_event: datetime
    last_status: str
    reopens: bool = False


def _fold(keyed: list[tuple[str, Arrival]], links: dict, points: dict[Radio, int]) -> dict[str, Fold]:
    folds: dict[str, Fold] = {}
    for key, arrival in keyed:
        request = arrival.request
        fold = folds.get(key)
        if fold is None:
            row = new_session(
                key,
                arrival,
                links.get((request.username, request.calling_station_id), {}),
                points.get(arrival.radio),
            )
            fold = folds[key] = Fold(
                row, store.hour_of(request.event_time), request.event_time, request.status
            )
        else:
            merge(fold.row, request)
            fold.last_event = max(fold.last_event, request.event_time)
            fold.last_status = request.status
        fold.reopens |= request.status == "Interim-Update"
    return folds


def _write(
    conn: Connection, arrivals: list[Arrival], running: dict[str, Running], points: dict[Radio, int]
) -> None:
    if not arrivals:
        return
    keyed = [(session_key(a.nas_id, a.request), a) for a in arrivals]
    stored = store.lock_sessions(conn, (key for key, _ in keyed))
    unknown = list({key: a for key, a in keyed if key not in stored}.values())
    folds = _fold(keyed, attribution.links(conn, unknown) if unknown else {}, points)
    seen = [
        (a.nas_id, store.hour_of(a.request.event_time), a.request.username)
        for _, a in keyed
        if a.request.username
    ]

    def writes(keys):
        return [
            store.SessionWrite(
                folds[k].row,
                stored.get(k),
                folds[k].created_hour,
                store.hour_of(folds[k].last_event),
                folds[k].reopens,
            )
            for k in sorted(keys)
        ]

    written = store.write_sessions(conn, writes(folds), seen)
    store.close_replaced_sessions(conn, [folds[k].row for k in written if k not in stored])
    raced = [k for k in folds if k not in written]  # inserted meanwhile by another worker
    if raced:
        stored.update(store.lock_sessions(conn, raced))
        written.update(store.write_sessions(conn, writes(raced), ()))
    for key, row in written.items():
        if folds[key].last_status == "Interim-Update" and row["status"] == "active":
            running[key] = still_running(key, row)
        else:
            running.pop(key, None)
