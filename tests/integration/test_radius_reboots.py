"""Accounting-On/Off over real UDP: a router's reboot closes only its own sessions, and only those it ended.

A replayed old Accounting-On must not close a session updated after the
event (quota enforcement would stop for it), and when one NAS row's CIDR holds
several routers, one router's reboot leaves the others' sessions running.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import RadiusSession
from testbed.radius_daemon import exchange
from testbed.radius_packets import accounting_request

SECRET = b"kampus-secret"
FIRST, SECOND = "127.0.0.17", "127.0.0.18"  # two routers behind one NAS row (127.0.0.16/30)


@pytest.fixture
def routers(world):
    world.nas("kampus", "127.0.0.16/30", SECRET.decode())
    world.nas("lab", "127.0.0.1", SECRET.decode())  # the fixture's probe


@pytest.fixture
def radius(world, routers):
    return world.radius(SECRET)


def send(daemon, source: str, status: str, session_id: str = "", identifier: int = 1, **attributes) -> None:
    raw = accounting_request(
        SECRET,
        status,
        session_id,
        f"u-{session_id}" if session_id else "",
        identifier=identifier,
        **attributes,
    )
    assert exchange(raw, daemon.acct_port, source, timeout=3) is not None, f"{status} {session_id} unanswered"


def states(db) -> dict[str, tuple[str, str | None]]:
    db.expire_all()
    return {s.acct_session_id: (s.status, s.terminate_cause) for s in db.scalars(select(RadiusSession))}


def test_a_replayed_old_accounting_on_leaves_sessions_updated_since_running(radius, db):
    now = int(utcnow().timestamp())
    send(radius, FIRST, "Start", "live", identifier=1, Event_Timestamp=now - 5)
    send(radius, FIRST, "Interim-Update", "live", identifier=2, Event_Timestamp=now, Acct_Session_Time=5)
    two_hours_ago = now - int(timedelta(hours=2).total_seconds())
    send(radius, FIRST, "Accounting-On", identifier=3, Event_Timestamp=two_hours_ago)
    assert states(db) == {"live": ("active", None)}
    send(radius, FIRST, "Accounting-On", identifier=4)
    assert states(db) == {"live": ("closed", "NAS-Reboot")}


def test_one_routers_reboot_closes_only_its_sessions_under_a_shared_nas_row(radius, db):
    send(radius, FIRST, "Start", "first-1", identifier=1)
    send(radius, SECOND, "Start", "second-1", identifier=2)
    send(radius, SECOND, "Start", "second-2", identifier=3)
    send(radius, SECOND, "Accounting-On", identifier=4)
    assert states(db) == {
        "first-1": ("active", None),
        "second-1": ("closed", "NAS-Reboot"),
        "second-2": ("closed", "NAS-Reboot"),
    }
