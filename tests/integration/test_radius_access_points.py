"""Radios behind one router (CAPsMAN, a Chilli box with several APs): each an access point, counted from
the first packet that names it, through a real `hotspot radius` and a real radclient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotspot.models import AccessPoint, AuthEvent, RadiusSession, UsageHour, UsageHourAp, Voucher
from testbed.helpers import wait_for
from testbed.radius_daemon import radclient

SECRET = "capsman-secret"
BEACH, KIOSK = "0A-00-00-00-00-01:Kupang WiFi", "0a:00:00:00:00:02:Kupang WiFi"


@pytest.fixture
def router(world, db):
    nas = world.nas("Pantai Lasiana", "127.0.0.1", SECRET, vendor="mikrotik")
    plan = world.plan("Acara", daily_minutes=240)
    db.add_all([Voucher(code=f"LASIANA{i}", plan=plan, batch="b") for i in range(2)])
    db.commit()
    return nas


@pytest.fixture
def radius(world, router):
    return world.radius(SECRET.encode())


def pap(radius, code: str, called: str) -> str:
    text = (
        f'User-Name = "{code}"\nUser-Password = "{code}"\nCalled-Station-Id = "{called}"\n'
        "Message-Authenticator = 0x00\n"
    )
    return radclient(radius.auth_port, "auth", SECRET, text, wait=1)


def accounting(radius, status: str, session: str, called: str, octets: int = 0) -> str:
    text = (
        f'Acct-Status-Type = {status}\nAcct-Session-Id = "{session}"\nUser-Name = "LASIANA0"\n'
        f'Calling-Station-Id = "AA:BB:CC:DD:EE:{session[-2:]}"\nCalled-Station-Id = "{called}"\n'
        f"Acct-Output-Octets = {octets}\nAcct-Session-Time = {octets // 1000}\n"
    )
    return radclient(radius.acct_port, "acct", SECRET, text, wait=1)


def test_each_radio_is_an_access_point_with_its_own_sessions_logins_and_bytes(radius, db, router):
    assert "Received Access-Accept" in pap(radius, "LASIANA0", BEACH)
    assert "Received Access-Reject" in pap(radius, "NOSUCHCODE", KIOSK)
    for status, octets in (("Start", 0), ("Interim-Update", 50_000)):
        assert "Received Accounting-Response" in accounting(radius, status, "s-01", BEACH, octets)
    assert "Received Accounting-Response" in accounting(radius, "Start", "s-02", KIOSK)
    assert "Received Accounting-Response" in accounting(radius, "Stop", "s-02", KIOSK, 7_000)

    def rolled_up():
        db.expire_all()
        rows = {
            db.get(AccessPoint, r.access_point_id).radio_mac: (
                r.sessions,
                r.output_octets,
                r.auth_accepts,
                r.auth_rejects,
            )
            for r in db.scalars(select(UsageHourAp))
        }
        return rows if len(rows) == 2 and sum(r[2] + r[3] for r in rows.values()) == 2 else None

    assert wait_for(rolled_up, what="the roll-ups") == {
        "0A:00:00:00:00:01": (1, 50_000, 1, 0),
        "0A:00:00:00:00:02": (1, 7_000, 0, 1),
    }
    points = {p.radio_mac: p.id for p in db.scalars(select(AccessPoint))}
    assert {p.nas_id for p in db.scalars(select(AccessPoint))} == {router.id}
    assert dict(db.execute(select(RadiusSession.acct_session_id, RadiusSession.access_point_id)).all()) == {
        "s-01": points["0A:00:00:00:00:01"],
        "s-02": points["0A:00:00:00:00:02"],
    }
    assert dict(db.execute(select(AuthEvent.username, AuthEvent.access_point_id)).all()) == {
        "LASIANA0": points["0A:00:00:00:00:01"],
        "NOSUCHCODE": points["0A:00:00:00:00:02"],
    }
    [total] = db.scalars(select(UsageHour))
    assert (total.sessions, total.output_octets, total.auth_accepts, total.auth_rejects) == (2, 57_000, 1, 1)
