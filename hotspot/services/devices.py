"""Devices by MAC: created or refreshed when a phone shows up at the portal or in accounting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotspot.models import Device
from hotspot.validation import normalize_mac


def find_device(db: Session, mac: str) -> Device | None:
    return db.scalar(select(Device).where(Device.mac == normalize_mac(mac)))


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
