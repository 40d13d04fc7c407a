"""Routers misbehaving the way real ones do: reboots, lost Stops, wrong clocks, floods.

Each test runs `hotspot radius` as a real process and talks to it over UDP as
two or three routers on different loopback addresses, then reads the sessions
back from the database.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import Nas, RadiusSession, UsageHour
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.services.tickets import issue_ticket
from radius.store import hour_of
from testbed.accounting_load import AccountingLoad, percentile
from testbed.helpers import wait_for
from testbed.radius_daemon import exchange
from testbed.radius_packets import accounting_request
from tests.faults.conftest import SECRET

ROUTERS = {
    "tirosa": ("127.0.0.1", SECRET),
    "lasiana": ("127.0.0.2", b"lasiana-secret-2"),
    "oesapa": ("127.0.0.3", b"oesapa-secret-3"),
}


@pytest.fixture
def routers(db, settings, engine):
    box = SecretBox(settings.secret_key)
    for name, (ip, secret) in ROUTERS.items():
        add_nas(db, box, NasSpec(name, ip, secret.decode(), vendor="mikrotik"))
    return {nas.name: nas.id for nas in db.scalars(select(Nas))}


def send(router: str, port: int, status: str, session_id: str, **attributes) -> None:
    """One accounting packet from `router`; fails the test if it is not acknowledged."""
    ip, secret = ROUTERS[router]
    raw = accounting_request(
        secret, status, session_id, f"user-{session_id}" if session_id else "", **attributes
    )
    assert exchange(raw, port, ip, timeout=3) is not None, f"{router} {status} {session_id} not answered"


def sessions(db) -> dict[str, RadiusSession]:
    db.expire_all()
    return {s.acct_session_id: s for s in db.scalars(select(RadiusSession))}


@pytest.mark.slow
def test_nas_reboot_closes_that_routers_open_sessions_only(routers, db, settings, start_daemon):
    daemon = start_daemon(settings)
    for router in ("tirosa", "lasiana"):
        for n in range(3):
            send(router, daemon.acct_port, "Start", f"{router}-{n}")
    send(
        "tirosa",
        daemon.acct_port,
        "Stop",
        "tirosa-0",
        Acct_Session_Time=30,
        Acct_Terminate_Cause="User-Request",
    )
    rebooted_at = utcnow()
    send("tirosa", daemon.acct_port, "Accounting-On", "")
    send("tirosa", daemon.acct_port, "Start", "tirosa-after")

    found = sessions(db)
    assert [(found[f"tirosa-{n}"].status, found[f"tirosa-{n}"].terminate_cause) for n in range(3)] == [
        ("closed", "User-Request"),
        ("closed", "NAS-Reboot"),
        ("closed", "NAS-Reboot"),
    ]
    assert abs(found["tirosa-1"].stop_time - rebooted_at) < timedelta(seconds=3)
    assert [(found[f"lasiana-{n}"].status, found[f"lasiana-{n}"].stop_time) for n in range(3)] == [
        ("active", None)
    ] * 3
    assert (found["tirosa-after"].status, found["tirosa-after"].nas_id) == ("active", routers["tirosa"])


@pytest.mark.slow
def test_sessions_whose_stop_was_lost_are_closed_as_stale(routers, db, settings, start_daemon):
    quick = add_plan(db, PlanSpec("Cepat", daily_minutes=60, interim_interval_seconds=60))
    tickets = [issue_ticket(db, "free", quick, utcnow(), 120).username for _ in range(2)]
    daemon = start_daemon(settings, radius_stale_grace_seconds=2)
    port = daemon.acct_port
    send("tirosa", port, "Start", "silent-700", Acct_Delay_Time=900)
    send(
        "tirosa",
        port,
        "Interim-Update",
        "silent-700",
        Acct_Delay_Time=700,
        Acct_Session_Time=200,
        Acct_Input_Octets=5000,
    )
    send("tirosa", port, "Start", "quiet-400", Acct_Delay_Time=400)
    send("tirosa", port, "Start", "finished", Acct_Delay_Time=900)
    send("tirosa", port, "Stop", "finished", Acct_Delay_Time=800, Acct_Session_Time=100)
    for ticket, delay in zip(tickets, (200, 60)):
        ip, secret = ROUTERS["lasiana"]
        raw = accounting_request(secret, "Start", f"plan-{delay}", ticket, Acct_Delay_Time=delay)
        assert exchange(raw, port, ip, timeout=3) is not None

    wait_for(lambda: sessions(db)["silent-700"].status == "stale", timeout=10, what="the stale sweep")
    found = sessions(db)
    silent = found["silent-700"]
    assert silent.stop_time == silent.update_time
    assert abs(utcnow() - timedelta(seconds=700) - silent.stop_time) < timedelta(seconds=5)
    assert (silent.session_time, silent.input_octets, silent.terminate_cause) == (200, 5000, None)
    assert found["plan-200"].status == "stale"  # its plan's 60 s interval: 2 x 60 + 2 s
    assert found["plan-200"].interim_interval == 60
    assert (found["quiet-400"].status, found["plan-60"].status) == ("active", "active")
    assert (found["finished"].status, found["finished"].stop_time is not None) == ("closed", True)

    send("tirosa", port, "Interim-Update", "silent-700", Acct_Session_Time=900, Acct_Input_Octets=9000)
    back = sessions(db)["silent-700"]
    assert (back.status, back.stop_time, back.input_octets) == ("active", None, 9000)


@pytest.mark.slow
@pytest.mark.parametrize("skew_hours", [8, -5])
def test_router_with_a_wrong_clock_still_gets_sane_session_times(
    routers, db, settings, start_daemon, skew_hours
):
    daemon = start_daemon(settings, radius_stale_grace_seconds=1)
    skewed = lambda: int(time.time()) + skew_hours * 3600  # noqa: E731 (the router's clock)
    began = utcnow()
    send("lasiana", daemon.acct_port, "Start", "skewed", Event_Timestamp=skewed())
    send(
        "lasiana",
        daemon.acct_port,
        "Interim-Update",
        "skewed",
        Event_Timestamp=skewed(),
        Acct_Session_Time=60,
        Acct_Input_Octets=1000,
    )
    send("lasiana", daemon.acct_port, "Start", "running", Event_Timestamp=skewed())
    send(
        "lasiana",
        daemon.acct_port,
        "Stop",
        "skewed",
        Event_Timestamp=skewed(),
        Acct_Session_Time=120,
        Acct_Input_Octets=2000,
        Acct_Terminate_Cause="Idle-Timeout",
    )
    ended = utcnow()

    found = sessions(db)
    session = found["skewed"]
    assert began - timedelta(seconds=125) <= session.start_time <= ended
    assert began <= session.stop_time <= ended + timedelta(seconds=1)
    assert (session.status, session.session_time, session.input_octets) == ("closed", 120, 2000)
    assert began - timedelta(seconds=1) <= found["running"].update_time <= ended + timedelta(seconds=1)
    db.expire_all()
    hours = {u.hour for u in db.scalars(select(UsageHour).where(UsageHour.nas_id == routers["lasiana"]))}
    assert hours <= {hour_of(began - timedelta(seconds=120)), hour_of(began), hour_of(ended)}
    time.sleep(2.5)  # two stale sweeps
    assert sessions(db)["running"].status == "active"


@pytest.mark.slow
def test_a_router_flooding_at_ten_times_the_rate_does_not_starve_another(
    routers, db, engine, settings, start_daemon
):
    daemon = start_daemon(settings)
    ip, secret = ROUTERS["lasiana"]
    flood = AccountingLoad(daemon.acct_port, secret, "lasiana", source=ip, rate=400, prefix="f", timeout=3)
    quiet = AccountingLoad(daemon.acct_port, SECRET, "tirosa", rate=40, prefix="q", sockets=2, timeout=3)
    flood.start()
    time.sleep(1)
    quiet.start()
    time.sleep(8)
    quiet_ledger = quiet.stop()
    flood_ledger = flood.stop()

    latencies = quiet.latencies()
    assert len(quiet_ledger.packets) >= 300 and len(flood_ledger.packets) >= 3000
    assert quiet_ledger.unanswered == [] and flood_ledger.unanswered == []
    assert percentile(latencies, 0.95) < 0.5, f"95th percentile {percentile(latencies, 0.95):.3f} s"
    assert all(p.tries == 1 for p in quiet_ledger.packets), "the quiet router had to retransmit"
    quiet_counts = quiet_ledger.check(engine)
    flood_ledger.check(engine)
    assert quiet_counts["stored_sessions"] == quiet_counts["acknowledged_sessions"] >= 100
