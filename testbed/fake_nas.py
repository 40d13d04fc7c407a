"""A router's RFC 5176 listener on loopback: answers CoA and Disconnect requests over real UDP.

It verifies each request (Request Authenticator and Message-Authenticator) and
answers it as told per request kind: "ack", "nak" (with Error-Cause) or
"silent" (no answer at all, like a router that is down). Tests read what it
received, in order.
"""

from __future__ import annotations

import socket
import threading
import time

from pyrad import packet

from testbed.radius_packets import DICTIONARY

REPLIES = {
    packet.CoARequest: {"ack": packet.CoAACK, "nak": packet.CoANAK},
    packet.DisconnectRequest: {"ack": packet.DisconnectACK, "nak": packet.DisconnectNAK},
}
KINDS = {packet.CoARequest: "coa", packet.DisconnectRequest: "disconnect"}


class FakeNas:
    """`answers`: per kind ("coa", "disconnect") "ack", "nak" or "silent"; `received`: (kind, packet)."""

    def __init__(self, secret: bytes, coa: str = "ack", disconnect: str = "ack", host: str = "127.0.0.1"):
        self.secret = secret
        self.answers = {"coa": coa, "disconnect": disconnect}
        self.received: list[tuple[str, packet.CoAPacket]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-nas", daemon=True)

    def __enter__(self) -> FakeNas:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            request = packet.CoAPacket(packet=data, secret=self.secret, dict=DICTIONARY)
            if not (request.VerifyCoARequest() and request.verify_message_authenticator()):
                continue
            kind = KINDS.get(request.code)
            if kind is None:
                continue
            self.received.append((kind, request))
            answer = self.answers[kind]
            if answer == "silent":
                continue
            reply = request.CreateReply()
            reply.code = REPLIES[request.code][answer]
            if answer == "nak":
                cause = "Unsupported-Attribute" if kind == "coa" else "Session-Context-Not-Found"
                reply["Error-Cause"] = cause
            reply.add_message_authenticator()
            self.sock.sendto(reply.ReplyPacket(), peer)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[str, packet.CoAPacket]]:
        """The first `count` requests, waiting for them up to `timeout` seconds (fewer if they never came)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received[:count]
