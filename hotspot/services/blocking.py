"""Blocking citizens and devices: what an operator does about abuse.

A blocked account or device is refused at the next login (portal and RADIUS
check the flag); disconnecting what is online now is a separate action.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.models import Account, Device
from hotspot.services import audit
from hotspot.services.devices import find_device, touch_device
from hotspot.validation import ValidationError, normalize_mac, normalize_phone


def find_accounts(db: Session, phone_fragment: str, limit: int = 50) -> list[Account]:
    """Citizens whose number contains what the admin typed (08… is matched as +628…)."""
    text = "".join(ch for ch in phone_fragment if ch.isdigit() or ch == "+")
    if text.startswith("0"):
        text = "+62" + text[1:]
    query = select(Account).order_by(Account.phone).limit(limit)
    if text:
        query = query.where(Account.phone.contains(text))
    return list(db.scalars(query))


def set_account_blocked(
    db: Session, phone: str, blocked: bool, actor: str, admin_id: int | None = None, ip: str | None = None
) -> Account | None:
    account = db.scalar(select(Account).where(Account.phone == normalize_phone(phone)))
    if account is None:
        return None
    account.blocked = blocked
    audit.record(
        db, actor, "account.block" if blocked else "account.unblock", account.phone, admin_id=admin_id, ip=ip
    )
    db.commit()
    return account


def set_device_blocked(
    db: Session,
    mac: str,
    blocked: bool,
    now: datetime,
    actor: str,
    admin_id: int | None = None,
    ip: str | None = None,
    reason: str | None = None,
) -> Device:
    """Block a MAC (recorded even if never seen, so it is refused on arrival) or unblock a known one."""
    device = find_device(db, mac)
    if device is None and not blocked:
        raise ValidationError(f"no device with MAC {normalize_mac(mac)}")
    device = device or touch_device(db, mac, now)
    device.blocked = blocked
    audit.record(
        db,
        actor,
        "device.block" if blocked else "device.unblock",
        device.mac,
        {"reason": reason} if reason else None,
        admin_id=admin_id,
        ip=ip,
    )
    db.commit()
    return device
