"""Quota enforced by accounting: an Interim-Update over today's quota gets the session one
Disconnect-Request."""

from __future__ import annotations

import socket

import pytest
from pyrad import packet

from testbed.radius_daemon import radclient
from testbed.radius_packets import DICTIONARY

SECRET = "mikrotik-secret"


class Router:
    """The router's RFC 5176 listener: records Disconnect-Requests and acknowledges them."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def receive(self, timeout: float):
        self.sock.settimeout(timeout)
        try:
            data, peer = self.sock.recvfrom(4096)
        except TimeoutError:
            return None
        request = packet.CoAPacket(packet=data, secret=SECRET.encode(), dict=DICTIONARY)
        reply = request.CreateReply()
        reply.code = packet.DisconnectACK
        self.sock.sendto(reply.ReplyPacket(), peer)
        return request


@pytest.fixture
def router():
    listener = Router()
    yield listener
    listener.sock.close()


def test_an_interim_over_the_data_quota_disconnects_the_session_once(world, db, router):
    nas = world.nas("tirosa", "127.0.0.1", SECRET, vendor="mikrotik")
    nas.coa_port = router.port
    db.commit()
    plan = world.free_plan(
        "Gratis",
        session_minutes=None,
        daily_minutes=None,
        daily_mb=10,
        down_kbps=None,
        up_kbps=None,
        mac_relogin=False,
    )
    ticket = world.ticket(plan, "AA:BB:CC:DD:EE:01")
    base = (
        f'Acct-Session-Id = "81a00001", User-Name = "{ticket.username}", '
        'Calling-Station-Id = "AA:BB:CC:DD:EE:01", Framed-IP-Address = 10.5.50.7'
    )
    daemon = world.radius(SECRET.encode())
    radclient(daemon.acct_port, "acct", SECRET, f"Acct-Status-Type = Start, {base}\n")
    radclient(
        daemon.acct_port,
        "acct",
        SECRET,
        f"Acct-Status-Type = Interim-Update, {base}, "
        "Acct-Input-Octets = 1000, Acct-Output-Octets = 2000000\n",
    )
    assert router.receive(timeout=1.5) is None
    radclient(
        daemon.acct_port,
        "acct",
        SECRET,
        f"Acct-Status-Type = Interim-Update, {base}, "
        "Acct-Input-Octets = 2000, Acct-Output-Octets = 10000000\n",
    )
    request = router.receive(timeout=10)
    assert request is not None, daemon.log()
    assert request.code == packet.DisconnectRequest
    assert request["User-Name"] == [ticket.username]
    assert request["Acct-Session-Id"] == ["81a00001"]
    assert request["Framed-IP-Address"] == ["10.5.50.7"]
    assert "Message-Authenticator" in request
    radclient(
        daemon.acct_port,
        "acct",
        SECRET,
        f"Acct-Status-Type = Interim-Update, {base}, "
        "Acct-Input-Octets = 3000, Acct-Output-Octets = 11000000\n",
    )
    assert router.receive(timeout=1.5) is None
    assert daemon.metric('radius_quota_disconnects_total{result="Disconnect-ACK"}') == 1.0
