"""Fair use in the RADIUS daemon (a real `hotspot radius`, real UDP, a router's RFC 5176 listener):
slowing instead of cutting off, sessions at once, a device's new session replacing its old one."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from pyrad import packet
from sqlalchemy import select

from hotspot import credentials
from hotspot.clock import utcnow
from hotspot.models import Nas, Plan, RadiusSession
from hotspot.services.devices import touch_device
from hotspot.services.vouchers import generate_vouchers
from testbed.fake_nas import FakeNas
from testbed.helpers import wait_for
from testbed.radius_daemon import RadiusDaemon, exchange
from testbed.radius_packets import access_request, accounting_request, decode_reply

SECRET = b"fair-use-secret"
SOURCES = {"mikrotik": "127.0.0.1", "chilli": "127.0.0.2", "generic": "127.0.0.3"}
MAC = "AA:BB:CC:DD:EE:01"
RATES = {
    "mikrotik": {"Mikrotik-Rate-Limit": ["256k/256k"]},
    "chilli": {"ChilliSpot-Bandwidth-Max-Up": [256], "ChilliSpot-Bandwidth-Max-Down": [256]},
    "generic": {"WISPr-Bandwidth-Max-Up": [256_000], "WISPr-Bandwidth-Max-Down": [256_000]},
}


# A router that does not answer costs the enforcer half a second, once.
FAST = {"coa_timeout_seconds": 0.5, "coa_retries": 0}


def add_nas_and_plan(world, router: FakeNas, vendor: str = "mikrotik", **plan):
    """The NAS of that vendor (its CoA port: `router`), the loopback one the daemon is probed from, a plan."""
    for name in {vendor, "mikrotik"}:
        world.nas(name, SOURCES[name], SECRET.decode(), vendor=name)
    nas = world.db.scalar(select(Nas).where(Nas.name == vendor))
    nas.coa_port = router.port
    world.db.commit()
    limits = {
        "session_minutes": 60,
        "daily_minutes": None,
        "daily_mb": 10,
        "throttle_kbps": 256,
        "down_kbps": 4096,
        "up_kbps": 1024,
        "mac_relogin": False,
        **plan,
    }
    return nas, world.free_plan("Gratis", **limits)


@dataclass
class Rig:
    """What a test drives: the router's CoA listener, its NAS row, the plan, the RADIUS process."""

    router: FakeNas
    nas: Nas
    plan: Plan
    radius: RadiusDaemon


@contextlib.contextmanager
def running(world, vendor="mikrotik", coa="ack", **plan):
    """The world, its router's CoA listener and a `hotspot radius` process, for one test."""
    with FakeNas(SECRET, coa=coa, host=SOURCES[vendor]) as router:
        nas, added = add_nas_and_plan(world, router, vendor, **plan)
        radius = world.radius(SECRET, **FAST)
        try:
            yield Rig(router, nas, added, radius)
        finally:
            radius.stop()


def accounting(radius, status, session, username, vendor="mikrotik", mac=MAC, **counters):
    raw = accounting_request(
        SECRET, status, session, username, Calling_Station_Id=mac, Framed_IP_Address="10.5.50.7", **counters
    )
    assert decode_reply(exchange(raw, radius.acct_port, source=SOURCES[vendor]), SECRET, raw).code == (
        packet.AccountingResponse
    )


def pap(radius, username, password, mac=MAC):
    raw = access_request(SECRET, username, password, signed=True, Calling_Station_Id=mac)
    return decode_reply(exchange(raw, radius.auth_port), SECRET, raw)


def overrun(radius, ticket, vendor="mikrotik", session="81a00001"):
    """Start, then an Interim-Update past the day's 10 MB."""
    accounting(radius, "Start", session, ticket.username, vendor)
    accounting(
        radius,
        "Interim-Update",
        session,
        ticket.username,
        vendor,
        Acct_Input_Octets=2000,
        Acct_Output_Octets=11_000_000,
    )


@pytest.mark.parametrize("vendor", ["mikrotik", "chilli", "generic"])
def test_a_session_over_quota_is_slowed_by_coa_in_the_vendors_own_attributes(world, vendor):
    with running(world, vendor) as rig:
        ticket = world.ticket(rig.plan)
        overrun(rig.radius, ticket, vendor)
        [(kind, request)] = rig.router.wait_for(1)
        assert kind == "coa"
        assert request["User-Name"] == [ticket.username]
        assert request["Acct-Session-Id"] == ["81a00001"]
        assert request["Framed-IP-Address"] == ["10.5.50.7"]
        for name, value in RATES[vendor].items():
            assert request[name] == value
        acknowledged = 'radius_quota_throttles_total{result="CoA-ACK"}'
        wait_for(lambda: rig.radius.metric(acknowledged) == 1.0, timeout=5, what="the throttle counted")
        accounting(
            rig.radius,
            "Interim-Update",
            "81a00001",
            ticket.username,
            vendor,
            Acct_Input_Octets=3000,
            Acct_Output_Octets=12_000_000,
        )
        assert len(rig.router.wait_for(2, timeout=1.5)) == 1
    assert rig.router.kinds() == ["coa"]


@pytest.mark.parametrize("answer", ["nak", "silent"])
def test_a_refused_or_unanswered_coa_falls_back_to_disconnect(world, answer):
    with running(world, coa=answer) as rig:
        overrun(rig.radius, world.ticket(rig.plan))
        received = rig.router.wait_for(2)
    assert [kind for kind, _ in received] == ["coa", "disconnect"]
    assert received[1][1]["Acct-Session-Id"] == ["81a00001"]


def test_a_plan_without_throttle_rate_still_disconnects(world):
    with running(world, throttle_kbps=None) as rig:
        overrun(rig.radius, world.ticket(rig.plan))
        received = rig.router.wait_for(1)
    assert [kind for kind, _ in received] == ["disconnect"]


def used_today(db, nas, plan, octets, mac=MAC):
    device = touch_device(db, mac, utcnow())
    now = utcnow()
    db.add(
        RadiusSession(
            unique_id=f"used-{mac}",
            nas_id=nas.id,
            acct_session_id="old",
            username="t-old",
            plan_id=plan.id,
            device_id=device.id,
            calling_station_id=mac,
            start_time=now - timedelta(minutes=30),
            update_time=now - timedelta(minutes=1),
            stop_time=now - timedelta(minutes=1),
            session_time=1740,
            output_octets=octets,
            status="closed",
        )
    )
    db.commit()


def test_a_new_login_after_the_quota_is_accepted_at_the_throttle_rate(world, db):
    with running(world) as rig:
        used_today(db, rig.nas, rig.plan, 11_000_000)
        ticket = world.ticket(rig.plan)
        reply = pap(rig.radius, ticket.username, ticket.secret)
    assert reply.code == packet.AccessAccept
    assert reply["Mikrotik-Rate-Limit"] == ["256k/256k"]
    assert reply["Reply-Message"] == [credentials.reply_message("throttled")]
    assert reply["Session-Timeout"] == [3600]
    assert "Mikrotik-Total-Limit" not in reply


def test_a_login_with_quota_left_gets_the_full_rate_and_no_cut_off_at_the_quota(world):
    with running(world, daily_minutes=30) as rig:
        ticket = world.ticket(rig.plan)
        reply = pap(rig.radius, ticket.username, ticket.secret)
    assert reply.code == packet.AccessAccept
    assert reply["Mikrotik-Rate-Limit"] == ["1024k/4096k"]
    assert reply["Session-Timeout"] == [3600]  # the session length, not the 30 minutes left today
    assert "Mikrotik-Total-Limit" not in reply and "Reply-Message" not in reply


def open_session(db, nas, plan, voucher, mac):
    now = utcnow()
    db.add(
        RadiusSession(
            unique_id=f"open-{mac}",
            nas_id=nas.id,
            acct_session_id=f"s-{mac[-2:]}",
            username=voucher.code,
            plan_id=plan.id,
            voucher_id=voucher.id,
            calling_station_id=mac,
            start_time=now - timedelta(minutes=20),
            update_time=now - timedelta(minutes=1),
            interim_interval=300,
            status="active",
        )
    )
    db.commit()


def test_a_voucher_is_online_on_at_most_its_plans_number_of_devices(world, db):
    with running(world) as rig:
        plan = world.plan("Keluarga", session_minutes=120, max_sessions=2)
        [voucher] = generate_vouchers(db, "Keluarga", 1)
        open_session(db, rig.nas, plan, voucher, "AA:BB:CC:DD:EE:01")
        open_session(db, rig.nas, plan, voucher, "AA:BB:CC:DD:EE:02")
        third = pap(rig.radius, voucher.code, voucher.code, mac="AA:BB:CC:DD:EE:03")
        again = pap(rig.radius, voucher.code, voucher.code, mac="AA:BB:CC:DD:EE:02")
        quiet = RadiusSession.calling_station_id == "AA:BB:CC:DD:EE:01"
        db.execute(
            RadiusSession.__table__.update().where(quiet).values(update_time=utcnow() - timedelta(minutes=13))
        )  # 2 x 300 s + 120 s grace ago
        db.commit()
        after_stale = pap(rig.radius, voucher.code, voucher.code, mac="AA:BB:CC:DD:EE:03")
    assert third.code == packet.AccessReject
    assert third["Reply-Message"] == [credentials.reply_message("too_many_sessions")]
    assert again.code == packet.AccessAccept  # the same phone logging in again replaces its own session
    assert after_stale.code == packet.AccessAccept  # a session the router went quiet about holds no place


def test_a_devices_new_session_closes_its_previous_open_one(world, db):
    with running(world) as rig:
        first, second = world.ticket(rig.plan), world.ticket(rig.plan)
        other = world.ticket(rig.plan, "AA:BB:CC:DD:EE:09")
        accounting(rig.radius, "Start", "81b00001", first.username)
        accounting(rig.radius, "Start", "81b00009", other.username, mac="AA:BB:CC:DD:EE:09")
        accounting(rig.radius, "Start", "81b00002", second.username)
    db.expire_all()
    by_id = {s.acct_session_id: s for s in db.scalars(select(RadiusSession))}
    assert (by_id["81b00001"].status, by_id["81b00001"].terminate_cause) == ("closed", "Replaced")
    assert by_id["81b00001"].stop_time == by_id["81b00002"].start_time
    assert (by_id["81b00002"].status, by_id["81b00009"].status) == ("active", "active")
