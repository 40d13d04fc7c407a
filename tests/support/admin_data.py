"""Seed data for the admin console tests: access points, sessions with varied fields, hourly roll-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hotspot.crypto import SecretBox
from hotspot.models import Nas, RadiusSession, UsageHour
from hotspot.services.nas import NasSpec, add_nas

SECRET_KEY = "test-secret-key-not-for-production"
NAS_SECRET = "nas-shared-secret-1"
T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
CAUSES = ("User-Request", "Idle-Timeout", "Session-Timeout", None)


def add_ap(db: Session, name: str, ip_range: str, **kw) -> Nas:
    return add_nas(
        db,
        SecretBox(SECRET_KEY),
        NasSpec(name=name, ip_range=ip_range, secret=NAS_SECRET, vendor=kw.pop("vendor", "mikrotik"), **kw),
        actor="test",
    )


def add_session(db: Session, nas: Nas, number: int, start: datetime, **fields) -> RadiusSession:
    values = dict(
        unique_id=f"{nas.id}-{number}",
        nas_id=nas.id,
        acct_session_id=f"{number:08X}",
        username=f"user{number % 7}",
        calling_station_id=f"AA:BB:CC:00:00:{number % 5:02X}",
        framed_ip=f"10.5.0.{number % 9 + 2}",
        start_time=start,
        update_time=start + timedelta(minutes=5),
        session_time=60 * (number % 11),
        input_octets=1000 * number,
        output_octets=5000 * number,
        status="closed",
        stop_time=start + timedelta(minutes=5),
        terminate_cause=CAUSES[number % 3],
    )
    values.update(fields)
    session = RadiusSession(**values)
    db.add(session)
    return session


def seed_log(db: Session, count: int = 130) -> tuple[Nas, Nas]:
    """Two access points and `count` sessions, some sharing a start time (the cursor's tie-break on id)."""
    first = add_ap(db, "Taman Tirosa", "10.53.1.0/24")
    second = add_ap(db, "Pantai Warna", "10.53.2.0/24")
    for n in range(count):
        nas = first if n % 3 else second
        start = T0 + timedelta(minutes=10 * (n // 2))  # pairs share a start time
        extra = {"status": "active", "stop_time": None, "terminate_cause": None} if n % 10 == 0 else {}
        if n % 17 == 0:
            extra = {"status": "stale", "terminate_cause": "Lost-Carrier"}
        add_session(db, nas, n, start, **extra)
    db.commit()
    return first, second


def add_usage(
    db: Session, nas: Nas, hour: datetime, sessions: int, octets_in: int, octets_out: int, seconds: int = 0
) -> None:
    db.add(
        UsageHour(
            nas_id=nas.id,
            hour=hour,
            sessions=sessions,
            unique_users=sessions,
            input_octets=octets_in,
            output_octets=octets_out,
            session_seconds=seconds,
            auth_accepts=sessions,
            auth_rejects=0,
        )
    )
