"""Disconnect/CoA client against a test router listener speaking RFC 5176 over real UDP."""

from __future__ import annotations

import socket
import threading

import pytest
from pyrad import packet

from hotspot.coa import CoaTargetError, change_authorization, disconnect, target_address
from hotspot.crypto import SecretBox
from hotspot.models import Nas
from hotspot.radius_dictionary import load_dictionary

SECRET = b"tirosa-coa-secret"


class RouterListener:
    """A UDP listener on loopback that answers Disconnect/CoA requests like a NAS would."""

    def __init__(self, settings, answer, address: str = "127.0.0.1", secret: bytes = SECRET, wait: float = 5):
        self.dictionary = load_dictionary(settings.radius_dictionary_dir)
        self.secret = secret
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.settimeout(wait)  # a test that clicks through pages first needs longer on a loaded machine
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.received: list[packet.CoAPacket] = []
        self.valid: list[tuple[bool, bool]] = []
        self.thread = threading.Thread(target=self.serve_one, daemon=True)
        self.thread.start()

    def serve_one(self):
        try:
            data, peer = self.sock.recvfrom(4096)
        except OSError:  # timed out, or closed by a test that expected no request
            return
        request = packet.CoAPacket(packet=data, secret=self.secret, dict=self.dictionary)
        self.received.append(request)
        self.valid.append((request.VerifyCoARequest(), request.verify_message_authenticator()))
        reply = request.CreateReply()
        self.answer(request, reply)
        reply.add_message_authenticator()
        self.sock.sendto(reply.ReplyPacket(), peer)

    def close(self):
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def nas_factory(settings):
    box = SecretBox(settings.secret_key)

    def make(port, ip_range="127.0.0.1/32"):
        return Nas(
            id=1,
            name="Taman Tirosa",
            ip_range=ip_range,
            secret_encrypted=box.encrypt(SECRET.decode()),
            vendor="mikrotik",
            coa_port=port,
        )

    return box, make


def test_disconnect_ack_carries_session_identity(settings, nas_factory):
    box, make = nas_factory
    router = RouterListener(settings, lambda request, reply: None)
    try:
        result = disconnect(
            settings,
            make(router.port),
            box,
            username="t-0123456789abcdef",
            acct_session_id="80000042",
            framed_ip="10.5.50.23",
            calling_station_id="AA:BB:CC:DD:EE:01",
        )
    finally:
        router.close()
    assert (result.acknowledged, result.code, result.error_cause) == (True, "Disconnect-ACK", None)
    request = router.received[0]
    assert request.code == packet.DisconnectRequest
    assert router.valid == [(True, True)]
    assert request["User-Name"] == ["t-0123456789abcdef"]
    assert request["Acct-Session-Id"] == ["80000042"]
    assert request["Framed-IP-Address"] == ["10.5.50.23"]
    assert request["Calling-Station-Id"] == ["AA:BB:CC:DD:EE:01"]
    assert "Message-Authenticator" in request


def test_disconnect_nak_reports_error_cause(settings, nas_factory):
    box, make = nas_factory

    def nak(request, reply):
        reply.code = packet.DisconnectNAK
        reply["Error-Cause"] = "Session-Context-Not-Found"

    router = RouterListener(settings, nak)
    try:
        result = disconnect(
            settings, make(router.port), box, username="u", acct_session_id="1", framed_ip=None
        )
    finally:
        router.close()
    assert (result.acknowledged, result.code, result.error_cause, result.error_text) == (
        False,
        "Disconnect-NAK",
        503,
        "Session-Context-Not-Found",
    )
    assert result.describe() == "Disconnect-NAK: Session-Context-Not-Found (503)"
    assert "Framed-IP-Address" not in router.received[0]


def test_coa_changes_session_timeout(settings, nas_factory):
    box, make = nas_factory
    router = RouterListener(settings, lambda request, reply: None)
    try:
        result = change_authorization(
            settings,
            make(router.port),
            box,
            username="u",
            acct_session_id="7",
            framed_ip="10.5.50.9",
            changes={"Session-Timeout": 300},
        )
    finally:
        router.close()
    assert (result.acknowledged, result.code) == (True, "CoA-ACK")
    assert router.received[0].code == packet.CoARequest
    assert router.received[0]["Session-Timeout"] == [300]


def test_silent_router_times_out(settings, nas_factory):
    box, make = nas_factory
    quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    quiet.bind(("127.0.0.1", 0))
    try:
        fast = settings.with_overrides(coa_timeout_seconds=0.2, coa_retries=1)
        result = disconnect(
            fast, make(quiet.getsockname()[1]), box, username="u", acct_session_id="1", framed_ip=None
        )
    finally:
        quiet.close()
    assert (result.acknowledged, result.code) == (False, "timeout")


def test_target_address_needs_a_single_host(nas_factory):
    _box, make = nas_factory
    assert target_address(make(3799, "10.53.1.1/32"), None) == "10.53.1.1"
    assert target_address(make(3799, "10.53.0.0/16"), "10.53.7.1") == "10.53.7.1"
    with pytest.raises(CoaTargetError):
        target_address(make(3799, "10.53.0.0/16"), None)
