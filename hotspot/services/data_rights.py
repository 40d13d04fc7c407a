"""Citizens' data rights (UU 27/2022 on personal data protection): a citizen who proves the phone with an
SMS code may download what the city holds about them, or have their account deleted.

What is held: the account (phone, when it was created and verified, the terms accepted), its devices
(MAC, first and last seen, terms), and the sessions of the account and those devices (times, bytes,
access point, the IP the router gave). Deletion removes the account and its unblocked devices and leaves
the sessions as statistics under a keyed pseudonym, like the retention purge. Both requests go into the
audit log with the phone masked, so admins see them without the log holding the number again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hotspot.models import Account, Device, OneTimeCode, RadiusSession
from hotspot.pseudonyms import Pseudonyms
from hotspot.services import audit
from hotspot.services.citizens import (
    DEFAULT_SMS_RULES,
    CitizenError,
    SmsRules,
    find_account,
    send_code,
    sms_phone,
    verify_code,
)

PURPOSE = "data"
SESSION_FIELDS = (
    "start_time",
    "stop_time",
    "session_time",
    "input_octets",
    "output_octets",
    "framed_ip",
    "calling_station_id",
    "called_station_id",
    "status",
)


def masked(phone: str) -> str:
    """The phone as the audit log shows it: enough to match a request to a caller, not to dial."""
    return phone[:5] + "*" * max(len(phone) - 8, 0) + phone[-3:]


def request_code(
    db: Session, phone_text: str, now: datetime, sender, city_name: str, rules: SmsRules = DEFAULT_SMS_RULES
) -> str:
    """Send a code when the phone has an account; the answer is the same either way (no enumeration)."""
    phone = sms_phone(phone_text, rules)
    if find_account(db, phone) is not None:
        send_code(db, phone, PURPOSE, now, sender, city_name, rules)
    return phone


def _proven_account(db: Session, phone: str, code: str, now: datetime) -> Account:
    account = find_account(db, phone)
    if account is None:
        raise CitizenError("code_expired")
    verify_code(db, phone, PURPOSE, code, now)
    return account


def _sessions_of(account: Account, device_ids: list[int]):
    owned = RadiusSession.account_id == account.id
    return or_(owned, RadiusSession.device_id.in_(device_ids)) if device_ids else owned


def export(db: Session, phone: str, code: str, now: datetime, ip: str | None = None) -> dict:
    """Everything held about the proven phone's owner, as one JSON-ready document."""
    account = _proven_account(db, phone, code, now)
    devices = list(db.scalars(select(Device).where(Device.account_id == account.id).order_by(Device.id)))
    sessions = db.scalars(
        select(RadiusSession)
        .where(_sessions_of(account, [d.id for d in devices]))
        .order_by(RadiusSession.start_time)
    )
    document = {
        "exported_at": now.isoformat(),
        "account": {
            "phone": account.phone,
            "created_at": account.created_at,
            "verified": account.verified,
            "blocked": account.blocked,
            "last_login_at": account.last_login_at,
            "plan": account.plan.name if account.plan else None,
            "terms_version": account.terms_version,
            "terms_accepted_at": account.terms_accepted_at,
        },
        "devices": [
            {
                "mac": d.mac,
                "first_seen": d.first_seen,
                "last_seen": d.last_seen,
                "blocked": d.blocked,
                "terms_version": d.terms_version,
                "terms_accepted_at": d.terms_accepted_at,
            }
            for d in devices
        ],
        "sessions": [
            {"access_point": s.nas.name, **{f: getattr(s, f) for f in SESSION_FIELDS}} for s in sessions
        ],
    }
    audit.record(
        db,
        "citizen",
        "citizen.data.export",
        masked(account.phone),
        {"devices": len(document["devices"]), "sessions": len(document["sessions"])},
        ip=ip,
    )
    db.commit()
    return document


def delete_account(
    db: Session, secret_key: str, phone: str, code: str, now: datetime, ip: str | None = None
) -> None:
    """Delete the proven phone's account and unblocked devices; their finished sessions stay as statistics
    under a pseudonym. A blocked device keeps its MAC (the block holds) without the link to the phone."""
    account = _proven_account(db, phone, code, now)
    pseudonym = Pseudonyms(secret_key)
    device_ids = list(db.scalars(select(Device.id).where(Device.account_id == account.id)))
    for session in db.scalars(
        select(RadiusSession).where(_sessions_of(account, device_ids), RadiusSession.status != "active")
    ):
        session.username = pseudonym(session.username)
        session.calling_station_id = session.framed_ip = None
        session.device_id = session.account_id = None
    db.execute(
        update(Device)
        .where(Device.account_id == account.id, Device.blocked.is_(True))
        .values(account_id=None)
    )
    db.execute(delete(Device).where(Device.account_id == account.id, Device.blocked.is_(False)))
    db.execute(delete(OneTimeCode).where(OneTimeCode.phone == account.phone))
    audit.record(
        db, "citizen", "citizen.data.delete", masked(account.phone), {"devices": len(device_ids)}, ip=ip
    )
    db.delete(account)
    db.commit()
