"""Latency load: Access-Requests at a fixed rate from pyrad packets, each answer timed."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import selectors
import socket
import statistics
import threading
import time

from pyrad.dictionary import Dictionary
from pyrad.packet import AccessRequest, AuthPacket

from radiusbench.load import LOOPBACK, NAS_COUNT, SECRET, Credential

# The attributes the paced client and the readiness probe send; pyrad needs a dictionary to encode them.
PACED_DICTIONARY = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE Called-Station-Id 30 string
ATTRIBUTE Calling-Station-Id 31 string
ATTRIBUTE NAS-Identifier 32 string
ATTRIBUTE NAS-Port-Type 61 integer
ATTRIBUTE Message-Authenticator 80 octets
"""
NAS_PORT_TYPE_WIRELESS = 19
PACED_SOCKETS = 32


@dataclasses.dataclass
class Latency:
    """Paced Access-Requests: latencies in ms from the scheduled send time."""

    rate: int
    sent: int
    answered: int
    accepted: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def lost(self) -> int:
        return self.sent - self.answered


def _paced_packets(credentials: list[Credential], count: int) -> list[bytes]:
    dictionary = Dictionary(io.StringIO(PACED_DICTIONARY))
    packets = []
    for i in range(count):
        cred = credentials[i % len(credentials)]
        ap = i % NAS_COUNT
        pkt = AuthPacket(
            code=AccessRequest, id=(i // PACED_SOCKETS) & 0xFF, secret=SECRET.encode(), dict=dictionary
        )
        pkt["User-Name"] = cred.username
        pkt["User-Password"] = pkt.PwCrypt(cred.password)
        pkt["NAS-IP-Address"] = LOOPBACK
        pkt["NAS-Identifier"] = f"bench-ap-{ap:03d}"
        pkt["NAS-Port-Type"] = NAS_PORT_TYPE_WIRELESS
        pkt["Calling-Station-Id"] = f"02:02:{ap:02X}:00:{(i >> 8) & 255:02X}:{i & 255:02X}"
        pkt["Called-Station-Id"] = f"hotspot-{ap:03d}"
        pkt.add_message_authenticator()
        packets.append(pkt.RequestPacket())
    return packets


def _response_authenticator(reply: bytes, request_authenticator: bytes, secret: bytes) -> bytes:
    return hashlib.md5(reply[:4] + request_authenticator + reply[20:] + secret).digest()


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def paced_auth(port: int, credentials: list[Credential], rate: int, seconds: float) -> Latency:
    """Send Access-Requests at a fixed rate and time each answer.

    Latency counts from the scheduled send time, so a stalled sender or server
    shows up in the figures instead of quietly lowering the offered load. Packets
    go round-robin over PACED_SOCKETS sockets, so one socket reuses an
    Identifier only every 256 * PACED_SOCKETS packets (16 s at 500/s); a request
    still unanswered then counts as lost.
    """
    count = int(rate * seconds)
    packets = _paced_packets(credentials, count)
    sockets = []
    for _ in range(PACED_SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LOOPBACK, 0))
        sock.connect((LOOPBACK, port))
        sockets.append(sock)
    scheduled: dict[tuple[int, int], tuple[float, bytes]] = {}  # (socket, Identifier) -> (due, authenticator)
    secret = SECRET.encode()
    latencies: list[float] = []
    accepted = 0
    last_answer = time.perf_counter()
    done = threading.Event()

    selector = selectors.DefaultSelector()
    for index, sock in enumerate(sockets):
        selector.register(sock, selectors.EVENT_READ, index)

    def receive() -> None:
        nonlocal accepted, last_answer
        while not done.is_set():
            for key, _ in selector.select(timeout=0.2):
                data = key.fileobj.recv(4096)
                now = last_answer = time.perf_counter()
                pending = scheduled.get((key.data, data[1]))
                # The Response Authenticator proves which request this answers (not an older one, same ID).
                if pending is None or _response_authenticator(data, pending[1], secret) != data[4:20]:
                    continue
                del scheduled[(key.data, data[1])]
                latencies.append((now - pending[0]) * 1000)
                accepted += data[0] == 2

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    start = time.perf_counter() + 0.05
    try:
        for i, raw in enumerate(packets):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            index = i % len(sockets)
            scheduled[(index, raw[1])] = (due, raw[4:20])
            sockets[index].send(raw)
        # Drain: late answers are latencies too, and a backlog must not spill into the next phase.
        deadline = time.perf_counter() + 300
        while scheduled and time.perf_counter() < deadline and time.perf_counter() - last_answer < 3:
            time.sleep(0.05)
    finally:
        done.set()
        receiver.join()
        selector.close()
        for sock in sockets:
            sock.close()
    ordered = sorted(latencies)
    return Latency(
        rate=rate,
        sent=count,
        answered=len(latencies),
        accepted=accepted,
        p50_ms=statistics.median(ordered) if ordered else float("nan"),
        p99_ms=_quantile(ordered, 0.99),
        max_ms=ordered[-1] if ordered else float("nan"),
    )
