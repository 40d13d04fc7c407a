"""Attacks on the running RADIUS daemon over real UDP: spoofing, replay, BlastRADIUS, a burst of garbage.

Every forged packet must be dropped without an answer, counted on the metrics
endpoint under its reason, and leave the database exactly as it was; replays
are answered from the duplicate cache or refused, never processed twice.
(test_radius_server.py covers the single drop reasons; these tests prove that
nothing is written and that the server keeps serving.)
"""

from __future__ import annotations

import os
import random
import socket

import pytest
from pyrad import packet
from sqlalchemy import func, select

from hotspot.models import AuthEvent, LoginTicket, RadiusSession, UsageHour
from radius import packets
from testbed.helpers import wait_for
from testbed.hostile_packets import datagram
from testbed.radius_daemon import exchange
from testbed.radius_packets import access_request, accounting_request, decode_reply, status_server

TIROSA, LASIANA = b"tirosa-secret-1", b"lasiana-secret-2"
TIROSA_IP, LASIANA_IP, STRANGER_IP = "127.0.0.1", "127.0.0.2", "127.0.0.5"


@pytest.fixture
def plan(world):
    """The two routers and a free plan with session and daily minutes only."""
    world.nas("tirosa", TIROSA_IP, TIROSA.decode(), vendor="mikrotik")
    world.nas("lasiana", LASIANA_IP, LASIANA.decode(), vendor="chilli")
    return world.free_plan(daily_mb=None, down_kbps=None, up_kbps=None, mac_relogin=False)


@pytest.fixture
def radius(world, plan):
    return world.radius(TIROSA)


def snapshot(db) -> tuple:
    """Everything an accepted or accounted packet would change."""
    db.expire_all()
    sessions = db.execute(
        select(
            RadiusSession.acct_session_id,
            RadiusSession.status,
            RadiusSession.input_octets,
            RadiusSession.stop_time,
        ).order_by(RadiusSession.id)
    ).all()
    usage = db.execute(
        select(
            UsageHour.nas_id,
            UsageHour.sessions,
            UsageHour.input_octets,
            UsageHour.auth_accepts,
            UsageHour.auth_rejects,
        ).order_by(UsageHour.nas_id)
    ).all()
    return (
        sessions,
        usage,
        db.scalar(select(func.count()).select_from(AuthEvent)),
        db.execute(select(LoginTicket.username, LoginTicket.used_at)).all(),
    )


def drops(radius, reason: str) -> float:
    return radius.metric(f'radius_drops_total{{reason="{reason}"}}') or 0.0


def test_forged_packets_are_dropped_counted_and_change_nothing(radius, db, world, plan):
    start = accounting_request(LASIANA, "Start", "c0ffee01", "t-someone", Acct_Input_Octets=10)
    assert exchange(start, radius.acct_port, LASIANA_IP) is not None
    login = world.ticket(plan)
    before = snapshot(db)

    forgeries = [
        (
            "unknown_client",
            radius.acct_port,
            STRANGER_IP,
            accounting_request(TIROSA, "Stop", "c0ffee01", "t-someone", Acct_Input_Octets=10**9),
        ),
        (
            "unknown_client",
            radius.auth_port,
            STRANGER_IP,
            access_request(TIROSA, login.username, login.secret, signed=True),
        ),
        (
            "bad_request_authenticator",
            radius.acct_port,
            LASIANA_IP,
            accounting_request(TIROSA, "Accounting-On", "", ""),
        ),
        (
            "bad_request_authenticator",
            radius.acct_port,
            LASIANA_IP,
            accounting_request(TIROSA, "Interim-Update", "c0ffee01", "t-someone", Acct_Input_Octets=10**9),
        ),
        (
            "bad_message_authenticator",
            radius.auth_port,
            LASIANA_IP,
            access_request(TIROSA, login.username, login.secret, signed=True),
        ),
        (
            "missing_message_authenticator",
            radius.auth_port,
            TIROSA_IP,
            access_request(TIROSA, login.username, login.secret, proxy_state=b"\x01" * 40),
        ),
        (
            "missing_message_authenticator",
            radius.auth_port,
            LASIANA_IP,
            access_request(LASIANA, login.username, chap=login.secret, proxy_state=b"blast"),
        ),
    ]
    for reason, port, source, raw in forgeries:
        assert exchange(raw, port, source, timeout=0.5) is None, reason
    assert snapshot(db) == before
    assert drops(radius, "unknown_client") == 2.0
    assert drops(radius, "bad_request_authenticator") == 2.0
    assert drops(radius, "bad_message_authenticator") == 1.0
    assert drops(radius, "missing_message_authenticator") == 2.0
    log = radius.log()
    assert f"radius_drop reason=unknown_client source={STRANGER_IP}" in log
    assert f"radius_drop reason=bad_request_authenticator source={LASIANA_IP}" in log

    genuine = access_request(TIROSA, login.username, login.secret, signed=True, proxy_state=b"\x01" * 40)
    assert decode_reply(exchange(genuine, radius.auth_port), TIROSA, genuine).code == packet.AccessAccept


def test_replayed_access_request_is_answered_from_cache_or_refused(radius, db, world, plan):
    login = world.ticket(plan)
    request = access_request(TIROSA, login.username, login.secret, signed=True, identifier=42)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nas:
        nas.bind((TIROSA_IP, 0))
        first = exchange(request, radius.auth_port, sock=nas)
        again = exchange(request, radius.auth_port, sock=nas)
    assert decode_reply(first, TIROSA, request).code == packet.AccessAccept
    assert again == first
    assert radius.metric("radius_duplicates_total") == 1.0

    replayed = decode_reply(exchange(request, radius.auth_port), TIROSA, request)
    assert replayed.code == packet.AccessReject
    assert replayed["Reply-Message"] == [
        "Login ini sudah dipakai. Silakan login ulang. / This login was already used. Please sign in again."
    ]

    def reasons():
        """AuthEvents are written by the auth-log thread within milliseconds of the answer."""
        db.expire_all()
        return db.scalars(select(AuthEvent.reason).order_by(AuthEvent.id)).all()

    wait_for(lambda: len(reasons()) >= 2, timeout=5, what="two AuthEvents")
    assert reasons() == ["ok", "ticket_used"]


def test_replayed_accounting_stop_changes_no_totals(radius, db):
    stop = accounting_request(
        TIROSA,
        "Stop",
        "5e550001",
        "t-gone",
        Acct_Session_Time=600,
        Acct_Input_Octets=7000,
        Acct_Output_Octets=9000,
        Acct_Terminate_Cause="User-Request",
    )
    assert exchange(stop, radius.acct_port) is not None
    before = snapshot(db)
    for _ in range(3):
        assert exchange(stop, radius.acct_port) is not None
    assert snapshot(db) == before
    assert before[1][0][1:3] == (1, 7000)


@pytest.mark.slow
def test_burst_of_garbage_leaves_the_server_answering(radius, db):
    rng = random.Random(6)
    garbage = [
        datagram(rng.randbytes(rng.randrange(200, 600)), rng.choice(["auth", "acct"])) for _ in range(1500)
    ]
    garbage += [os.urandom(rng.randrange(0, 100)) for _ in range(300)]
    framing_errors = 0
    for raw in garbage:
        try:
            packets.read_header(raw, "auth")
        except packets.MalformedPacket:
            framing_errors += 1
    before = sum(
        drops(radius, reason)
        for reason in (
            "truncated",
            "bad_length",
            "too_long",
            "unexpected_code",
            "bad_attribute_length",
            "bad_message_authenticator",
        )
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind((TIROSA_IP, 0))
        for n, raw in enumerate(garbage):
            sender.sendto(raw, ("127.0.0.1", radius.auth_port))
            if n % 200 == 0:
                request = status_server(TIROSA, "auth")
                assert exchange(request, radius.auth_port, timeout=3) is not None
    stop = accounting_request(TIROSA, "Stop", "after-burst", "t-x", Acct_Input_Octets=5)
    assert exchange(stop, radius.acct_port, timeout=3) is not None
    after = sum(
        drops(radius, reason)
        for reason in (
            "truncated",
            "bad_length",
            "too_long",
            "unexpected_code",
            "bad_attribute_length",
            "bad_message_authenticator",
        )
    )
    assert after - before >= framing_errors > 1000
    assert "radius_internal_error" not in radius.log()
    assert radius.process.poll() is None
    assert (
        db.scalar(select(RadiusSession.input_octets).where(RadiusSession.acct_session_id == "after-burst"))
        == 5
    )
