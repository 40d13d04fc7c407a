"""Devices by MAC: created or refreshed when a phone shows up at the portal or in accounting."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotspot.db import insert_for
from hotspot.models import Account, Device
from hotspot.validation import normalize_mac


def find_device(db: Session, mac: str) -> Device | None:
    return db.scalar(select(Device).where(Device.mac == normalize_mac(mac)))


@functools.lru_cache(maxsize=2)
def _record(dialect: str):
    """INSERT ... ON CONFLICT (mac) DO UPDATE SET last_seen, built once per dialect."""
    stmt = insert_for(dialect)(Device.__table__).values(
        mac=bindparam("mac"),
        first_seen=bindparam("now"),
        last_seen=bindparam("now"),
        terms_version=bindparam("terms"),
        terms_accepted_at=bindparam("now"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[Device.mac],
        set_={
            "last_seen": stmt.excluded.last_seen,
            "terms_version": func.coalesce(stmt.excluded.terms_version, Device.__table__.c.terms_version),
            "terms_accepted_at": case(
                (stmt.excluded.terms_version.is_(None), Device.__table__.c.terms_accepted_at),
                else_=stmt.excluded.terms_accepted_at,
            ),
        },
    ).returning(Device.id)


def record_device(db: Session, mac: str, now: datetime, terms_version: str | None = None) -> int:
    """Mark the device seen now and its acceptance of this version of the terms, creating it if new, in one
    statement (INSERT ... ON CONFLICT); its id.

    One statement cannot lose the race of two first logins of the same phone (a double tap, two
    workers), and it keeps the free login's write short. Not committed."""
    stmt = _record(db.get_bind().dialect.name)
    return db.execute(stmt, {"mac": normalize_mac(mac), "now": now, "terms": terms_version}).scalar_one()


def accept_terms(record: Device | Account | None, terms_version: str | None, now: datetime) -> None:
    """Note which version of the terms this device or account accepted, and when (UU 27/2022)."""
    if record is not None and terms_version is not None:
        record.terms_version, record.terms_accepted_at = terms_version, now


def touch_device(db: Session, mac: str, now: datetime) -> Device:
    """The device with this MAC (any spelling), created if new; flushed, not committed."""
    device = find_device(db, mac)
    if device is not None:
        device.last_seen = now
        return device
    try:
        with db.begin_nested():
            device = Device(mac=normalize_mac(mac), first_seen=now, last_seen=now)
            db.add(device)
    except IntegrityError:
        # Two first logins of the same phone at once (a double tap, two workers): keep the one that won.
        device = find_device(db, mac)
        device.last_seen = now
    return device


def list_devices(db: Session, blocked_only: bool = False, limit: int | None = None) -> list[Device]:
    """Devices most recently seen first; only the blocked ones when asked (what the console lists)."""
    query = select(Device).order_by(Device.last_seen.desc(), Device.id.desc())
    if blocked_only:
        query = query.where(Device.blocked.is_(True))
    return list(db.scalars(query.limit(limit)))


def device_to_dict(device: Device) -> dict:
    """The JSON shape of a device in `hotspot device list`."""
    return {
        "mac": device.mac,
        "phone": device.account.phone if device.account else None,
        "first_seen": device.first_seen.isoformat(),
        "last_seen": device.last_seen.isoformat(),
        "blocked": device.blocked,
    }
