"""The RADIUS daemon as a real process, driven over real UDP by pyrad's client and by Debian's radclient."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from pyrad import packet
from pyrad.client import Client, Timeout
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AuthEvent, Nas, RadiusSession, UsageHour, Voucher
from testbed.helpers import wait_for
from testbed.radius_daemon import exchange, radclient
from testbed.radius_packets import DICTIONARY, access_request, accounting_request, decode_reply, status_server

SECRETS = {
    "mikrotik": b"mikrotik-secret",
    "chilli": b"chilli-secret",
    "generic": b"generic-secret",
    "strict": b"strict-secret",
}
SOURCES = {"mikrotik": "127.0.0.1", "chilli": "127.0.0.2", "generic": "127.0.0.3", "strict": "127.0.0.4"}
MAC = "AA:BB:CC:DD:EE:01"
GIB4 = 2**32


@pytest.fixture
def routers(world):
    """One router per vendor and a strict one, each on its own loopback address."""
    return {
        name: world.nas(
            name,
            SOURCES[name],
            SECRETS[name].decode(),
            vendor=vendor,
            require_message_authenticator=name == "strict",
        )
        for name, vendor in (
            ("mikrotik", "mikrotik"),
            ("chilli", "chilli"),
            ("generic", "generic"),
            ("strict", "generic"),
        )
    }


@pytest.fixture
def free(world, routers):
    """The free plan (the Acara voucher plan is created right after it, with the next id)."""
    free = world.free_plan()
    world.plan("Acara", daily_minutes=240, valid_days=3)
    return free


@pytest.fixture
def radius(world, free):
    return world.radius(SECRETS["mikrotik"])


def pyrad_client(radius, name, **kw) -> Client:
    client = Client(
        server="127.0.0.1",
        authport=radius.auth_port,
        acctport=radius.acct_port,
        secret=SECRETS[name],
        dict=DICTIONARY,
        retries=1,
        timeout=2,
        enforce_ma=True,
        **kw,
    )
    client.bind((SOURCES[name], 0))
    return client


def pap(client: Client, username: str, password: str, **attributes):
    request = client.CreateAuthPacket(code=packet.AccessRequest, User_Name=username, **attributes)
    request["User-Password"] = request.PwCrypt(password)
    request.add_message_authenticator()
    try:
        return client.SendPacket(request)
    finally:
        client._CloseSocket()


def test_status_server_is_answered_on_both_ports(radius):
    out = radclient(radius.auth_port, "status", "mikrotik-secret", "Message-Authenticator = 0x00\n")
    assert "Received Access-Accept" in out
    request = status_server(SECRETS["mikrotik"], "acct")
    reply = decode_reply(exchange(request, radius.acct_port), SECRETS["mikrotik"], request)
    assert reply.code == packet.AccountingResponse


def test_pap_ticket_with_pyrad_client_gets_mikrotik_limits(radius, db, world, free):
    ticket = world.ticket(free)
    reply = pap(
        pyrad_client(radius, "mikrotik"),
        ticket.username,
        ticket.secret,
        Calling_Station_Id="AA-BB-CC-DD-EE-01",
    )
    assert reply.code == packet.AccessAccept
    assert reply["Session-Timeout"] == [1800]
    assert reply["Idle-Timeout"] == [600]
    assert reply["Acct-Interim-Interval"] == [300]
    assert reply["Mikrotik-Rate-Limit"] == ["1024k/2048k"]
    assert reply["Mikrotik-Total-Limit"] == [500_000_000]
    assert reply["Mikrotik-Total-Limit-Gigawords"] == [0]
    assert list(reply.keys())[0] == "Message-Authenticator"
    event = wait_for(lambda: db.scalar(select(AuthEvent)), timeout=5, what="the AuthEvent")
    assert (event.method, event.accepted, event.reason, event.calling_station_id) == (
        "ticket",
        True,
        "ok",
        MAC,
    )


@pytest.mark.parametrize(
    "vendor, expected",
    [
        (
            "chilli",
            {
                "ChilliSpot-Bandwidth-Max-Up": [1024],
                "ChilliSpot-Bandwidth-Max-Down": [2048],
                "ChilliSpot-Max-Total-Octets": [500_000_000],
                "CoovaChilli-Max-Total-Gigawords": [0],
            },
        ),
        ("generic", {"WISPr-Bandwidth-Max-Up": [1_024_000], "WISPr-Bandwidth-Max-Down": [2_048_000]}),
    ],
)
def test_each_vendor_gets_its_own_attributes(radius, world, free, vendor, expected):
    ticket = world.ticket(free)
    reply = pap(pyrad_client(radius, vendor), ticket.username, ticket.secret)
    assert reply.code == packet.AccessAccept
    for name, value in expected.items():
        assert reply[name] == value
    assert "Mikrotik-Rate-Limit" not in reply


def test_chap_ticket_with_radclient_is_accepted_once(radius, world, free):
    ticket = world.ticket(free)
    text = (
        f'User-Name = "{ticket.username}", CHAP-Password = "{ticket.secret}", Calling-Station-Id = "{MAC}"\n'
    )
    first = radclient(radius.auth_port, "auth", "mikrotik-secret", text)
    assert "Received Access-Accept" in first
    assert 'Mikrotik-Rate-Limit = "1024k/2048k"' in first
    second = radclient(radius.auth_port, "auth", "mikrotik-secret", text)
    assert "Received Access-Reject" in second
    assert (
        'Reply-Message = "Login ini sudah dipakai. Silakan login ulang. / This login was already used.'
        in second
    )


def test_mac_authentication_after_a_login_today(radius, world, free):
    ticket = world.ticket(free)
    assert "Access-Accept" in radclient(
        radius.auth_port,
        "auth",
        "mikrotik-secret",
        f'User-Name = "{ticket.username}", User-Password = "{ticket.secret}"\n',
    )
    out = radclient(
        radius.auth_port,
        "auth",
        "mikrotik-secret",
        'User-Name = "AA:BB:CC:DD:EE:01", User-Password = "", Calling-Station-Id = "aa-bb-cc-dd-ee-01"\n',
    )
    assert "Received Access-Accept" in out
    assert "Session-Timeout = 1800" in out
    typed = radclient(
        radius.auth_port,
        "auth",
        "mikrotik-secret",
        'User-Name = "AA:BB:CC:DD:EE:01", User-Password = "", Calling-Station-Id = "AA:BB:CC:DD:EE:66"\n',
    )
    assert "Received Access-Reject" in typed
    stranger = radclient(
        radius.auth_port,
        "auth",
        "mikrotik-secret",
        'User-Name = "AA:BB:CC:DD:EE:99", User-Password = "", Calling-Station-Id = "AA:BB:CC:DD:EE:99"\n',
    )
    assert 'Reply-Message = "Pengguna tidak dikenal. / Unknown user."' in stranger


def test_voucher_and_reject_reasons_reach_the_citizen(radius, db, world, free, engine):
    voucher = Voucher(code="ABCDEFGH23", plan_id=free.id + 1, batch="b", revoked=True)
    db.add(voucher)
    db.commit()
    out = radclient(
        radius.auth_port,
        "auth",
        "mikrotik-secret",
        'User-Name = "abcd-efgh23", User-Password = "abcd-efgh23"\n',
    )
    assert 'Reply-Message = "Voucher ini sudah dibatalkan. / This voucher has been cancelled."' in out
    ticket = world.ticket(free)
    with engine.begin() as conn:
        conn.execute(
            RadiusSession.__table__.insert(),
            [
                dict(
                    unique_id="used",
                    nas_id=1,
                    acct_session_id="x",
                    username="x",
                    device_id=ticket.device_id,
                    start_time=utcnow() - timedelta(minutes=1),
                    update_time=utcnow(),
                    session_time=60,
                    input_octets=400_000_000,
                    output_octets=100_000_000,
                    status="closed",
                )
            ],
        )
    out = radclient(
        radius.auth_port,
        "auth",
        "mikrotik-secret",
        f'User-Name = "{ticket.username}", User-Password = "{ticket.secret}"\n',
    )
    assert "Reply-Message = \"Kuota data hari ini sudah habis. Coba lagi besok. / Today's data quota" in out


def test_accounting_sequence_with_gigawords_and_retransmissions(radius, db):
    secret = SECRETS["mikrotik"]
    common = dict(
        Calling_Station_Id="AA-BB-CC-DD-EE-01", Framed_IP_Address="10.5.50.7", NAS_Identifier="tirosa"
    )
    start = accounting_request(secret, "Start", "81a00001", "t-gone", identifier=1, **common)
    interim = accounting_request(
        secret,
        "Interim-Update",
        "81a00001",
        "t-gone",
        identifier=2,
        Acct_Session_Time=300,
        Acct_Input_Octets=100,
        Acct_Input_Gigawords=1,
        Acct_Output_Octets=7,
        Acct_Output_Gigawords=2,
        **common,
    )
    stop = accounting_request(
        secret,
        "Stop",
        "81a00001",
        "t-gone",
        identifier=3,
        Acct_Session_Time=400,
        Acct_Input_Octets=200,
        Acct_Input_Gigawords=1,
        Acct_Output_Octets=9,
        Acct_Output_Gigawords=2,
        Acct_Terminate_Cause="User-Request",
        **common,
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        replies = [
            exchange(raw, radius.acct_port, sock=sock) for raw in (start, interim, interim, stop, stop)
        ]
    assert all(r is not None for r in replies)
    assert replies[1] == replies[2] and replies[3] == replies[4]
    decode_reply(replies[3], secret, stop)
    [session] = db.scalars(select(RadiusSession)).all()
    assert (
        session.status,
        session.session_time,
        session.input_octets,
        session.output_octets,
        session.terminate_cause,
        session.framed_ip,
    ) == ("closed", 400, GIB4 + 200, 2 * GIB4 + 9, "User-Request", "10.5.50.7")
    hour = db.scalar(select(UsageHour))
    assert (
        hour.sessions,
        hour.unique_users,
        hour.input_octets,
        hour.output_octets,
        hour.session_seconds,
    ) == (1, 1, GIB4 + 200, 2 * GIB4 + 9, 400)
    assert radius.metric("radius_duplicates_total") == 2.0


@pytest.mark.parametrize(
    "view, upload, download",
    [
        ("ChilliSpot-Client-View-Point", 7 * GIB4 + 500_000, 3 * GIB4 + 2_000_000),
        ("ChilliSpot-NAS-View-Point", 3 * GIB4 + 2_000_000, 7 * GIB4 + 500_000),
        (None, 3 * GIB4 + 2_000_000, 7 * GIB4 + 500_000),
    ],
)
def test_chilli_client_view_point_counts_are_swapped_back(radius, db, view, upload, download):
    """CoovaChilli's default view point (2) counts from the phone: its input octets are the download."""
    secret = SECRETS["chilli"]
    counters = dict(
        Acct_Input_Octets=2_000_000,
        Acct_Input_Gigawords=3,
        Acct_Output_Octets=500_000,
        Acct_Output_Gigawords=7,
        Acct_Session_Time=60,
    )
    if view:
        counters["ChilliSpot_Acct_View_Point"] = view
    raw = accounting_request(secret, "Interim-Update", "c0ffee01", "t-phone", identifier=4, **counters)
    assert exchange(raw, radius.acct_port, source=SOURCES["chilli"]) is not None
    session = db.scalar(select(RadiusSession))
    assert (session.input_octets, session.output_octets) == (upload, download)
    hour = db.scalar(select(UsageHour))
    assert (hour.input_octets, hour.output_octets) == (upload, download)


def test_radclient_accounting_and_accounting_on_closes_open_sessions(radius, db):
    text = "\n".join(
        f'Acct-Status-Type = Start, Acct-Session-Id = "s{i}", User-Name = "u{i}"\n' for i in range(3)
    )
    out = radclient(radius.acct_port, "acct", "mikrotik-secret", text, "-p", "3")
    assert out.count("Received Accounting-Response") == 3
    assert db.scalar(select(UsageHour)).sessions == 3
    assert db.scalar(select(Nas.last_seen_at).where(Nas.name == "mikrotik")) is not None
    out = radclient(radius.acct_port, "acct", "mikrotik-secret", "Acct-Status-Type = Accounting-On\n")
    assert "Received Accounting-Response" in out
    db.expire_all()
    sessions = db.scalars(select(RadiusSession)).all()
    assert [(s.status, s.terminate_cause) for s in sessions] == [("closed", "NAS-Reboot")] * 3


def test_message_authenticator_rules(radius, world, free):
    ticket = world.ticket(free)
    strict = SECRETS["strict"]
    unsigned = access_request(strict, ticket.username, ticket.secret)
    assert exchange(unsigned, radius.auth_port, SOURCES["strict"]) is None
    wrong = bytearray(access_request(strict, ticket.username, ticket.secret, signed=True))
    wrong[-1] ^= 0xFF
    assert exchange(bytes(wrong), radius.auth_port, SOURCES["strict"]) is None
    proxied = access_request(SECRETS["mikrotik"], ticket.username, ticket.secret, proxy_state=b"p1")
    assert exchange(proxied, radius.auth_port) is None
    signed = access_request(strict, ticket.username, ticket.secret, signed=True, proxy_state=b"p1")
    reply = decode_reply(exchange(signed, radius.auth_port, SOURCES["strict"]), strict, signed)
    assert reply.code == packet.AccessAccept
    assert reply["Proxy-State"] == [b"p1"]
    assert radius.metric('radius_drops_total{reason="missing_message_authenticator"}') == 2.0
    assert radius.metric('radius_drops_total{reason="bad_message_authenticator"}') == 1.0


def test_unknown_client_wrong_secret_and_garbage_are_dropped_and_logged(radius):
    stranger = accounting_request(b"whatever-secret", "Start", "x")
    assert exchange(stranger, radius.acct_port, "127.0.0.9") is None
    wrong_secret = accounting_request(b"not-the-secret", "Start", "x")
    assert exchange(wrong_secret, radius.acct_port) is None
    assert "Access-Accept" not in radclient(
        radius.auth_port,
        "auth",
        "not-the-secret",
        'User-Name = "x", User-Password = "y", Message-Authenticator = 0x00\n',
    )
    for garbage in (
        b"\x01",
        b"\x04\x01\x00\x40" + bytes(16),
        b"\x01\x02\x00\x16" + bytes(16) + b"\x01\x00",
        b"\x04\x01\x10\x00" + bytes(5000),
    ):
        assert exchange(garbage, radius.acct_port, timeout=0.3) is None
    assert radius.metric('radius_drops_total{reason="unknown_client"}') == 1.0
    assert radius.metric('radius_drops_total{reason="bad_request_authenticator"}') == 1.0
    assert radius.metric('radius_drops_total{reason="bad_message_authenticator"}') == 1.0
    assert radius.metric('radius_drops_total{reason="too_long"}') == 1.0
    log = radius.log()
    assert "radius_drop reason=unknown_client source=127.0.0.9" in log
    assert "radius_drop reason=truncated" in log
    request = status_server(SECRETS["mikrotik"], "auth")
    assert exchange(request, radius.auth_port) is not None


def test_pyrad_client_times_out_on_a_wrong_secret(radius, free):
    client = pyrad_client(radius, "mikrotik")
    client.secret = b"wrong-secret-value"
    with pytest.raises(Timeout):
        pap(client, "someone", "pw")


def test_a_nas_added_while_running_is_served_without_restart(world, free):
    daemon = world.radius(SECRETS["mikrotik"], radius_client_reload_seconds=1)
    start = accounting_request(b"new-router-secret", "Start", "n1")
    assert exchange(start, daemon.acct_port, "127.0.0.5") is None
    world.nas("new", "127.0.0.5", "new-router-secret")
    wait_for(
        lambda: exchange(start, daemon.acct_port, "127.0.0.5", timeout=0.5),
        timeout=10,
        what="the new NAS to be answered",
    )
