"""A router's accounting traffic at a steady rate, with a ledger of what the server acknowledged.

`AccountingLoad` plays one NAS: sessions of Start, Interim-Update and Stop, sent
over real UDP from several source ports, each packet retransmitted (same bytes,
so the server's duplicate cache sees a retransmission) until it is answered or
the router gives up, as a router does. Every reply's Response Authenticator is
checked. `Ledger.check` then compares what was acknowledged with what the
database holds: the fault tests and bench/soak.py judge the server by it.
"""

from __future__ import annotations

import hashlib
import select
import socket
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, func
from sqlalchemy import select as sql_select

from hotspot.models import Nas, RadiusSession, UsageHour
from testbed.radius_packets import accounting_request

STEPS = (("Start", 0), ("Interim-Update", 60), ("Stop", 120))
ACCOUNTING_RESPONSE = 5


def octets(session: int, seconds: int) -> tuple[int, int]:
    """The counters a session reports after `seconds`: distinct per session, larger than 32 bits."""
    return (session * 1_000 + seconds * 7) << 20, session * 3_000 + seconds * 11


@dataclass
class Sent:
    """One accounting packet and what became of it."""

    session_id: str
    status: str
    session_time: int
    input_octets: int
    output_octets: int
    raw: bytes = b""
    first_sent: float = 0.0
    last_sent: float = 0.0
    tries: int = 0
    answered: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.answered is None else self.answered - self.first_sent


@dataclass
class Ledger:
    """Every packet one load sent, and how to hold the database to account for the acknowledged ones."""

    nas_name: str
    packets: list[Sent] = field(default_factory=list)

    @property
    def acknowledged(self) -> list[Sent]:
        return [p for p in self.packets if p.answered is not None]

    @property
    def unanswered(self) -> list[Sent]:
        return [p for p in self.packets if p.answered is None]

    def check(self, engine: Engine) -> dict[str, int]:
        """Assert that every acknowledged packet is stored, once, with its totals; return the counts.

        For each session the stored counters must be at least those of its
        highest acknowledged packet and at most those of its highest sent one
        (exactly the Stop's when the Stop was acknowledged), and the hourly
        roll-ups must add up to the sessions (nothing counted twice).
        """
        with engine.connect() as conn:
            nas_id = conn.scalar(sql_select(Nas.id).where(Nas.name == self.nas_name))
            rows = {
                row.acct_session_id: row
                for row in conn.execute(sql_select(RadiusSession).where(RadiusSession.nas_id == nas_id))
            }
            sessions_per_id = dict(
                conn.execute(
                    sql_select(RadiusSession.acct_session_id, func.count())
                    .where(RadiusSession.nas_id == nas_id)
                    .group_by(RadiusSession.acct_session_id)
                ).all()
            )
            usage = conn.execute(
                sql_select(
                    func.sum(UsageHour.sessions),
                    func.sum(UsageHour.input_octets),
                    func.sum(UsageHour.output_octets),
                    func.sum(UsageHour.session_seconds),
                ).where(UsageHour.nas_id == nas_id)
            ).one()
        twice = {sid: n for sid, n in sessions_per_id.items() if n != 1}
        assert not twice, f"sessions stored more than once: {twice}"
        highest_acked: dict[str, Sent] = {}
        highest_sent: dict[str, Sent] = {}
        for sent in self.packets:
            if sent.tries and sent.session_time >= highest_sent.get(sent.session_id, sent).session_time:
                highest_sent[sent.session_id] = sent
            if (
                sent.answered is not None
                and sent.session_time >= highest_acked.get(sent.session_id, sent).session_time
            ):
                highest_acked[sent.session_id] = sent
        missing = sorted(set(highest_acked) - set(rows))
        assert not missing, (
            f"{len(missing)} acknowledged sessions missing from the database, e.g. {missing[:5]}"
        )
        wrong = []
        for sid, acked in highest_acked.items():
            row, sent = rows[sid], highest_sent[sid]
            stored = (row.session_time, row.input_octets, row.output_octets)
            low = (acked.session_time, acked.input_octets, acked.output_octets)
            high = (sent.session_time, sent.input_octets, sent.output_octets)
            if not all(lo <= value <= hi for lo, value, hi in zip(low, stored, high)) or (
                acked.status == "Stop" and (stored != low or row.status != "closed")
            ):
                wrong.append((sid, acked.status, low, stored, row.status))
        assert not wrong, f"{len(wrong)} sessions with wrong totals, e.g. {wrong[:3]}"
        totals = (
            len(rows),
            sum(r.input_octets for r in rows.values()),
            sum(r.output_octets for r in rows.values()),
            sum(r.session_time for r in rows.values()),
        )
        assert tuple(int(v or 0) for v in usage) == totals, f"roll-ups {usage} differ from sessions {totals}"
        return {
            "sent": len(self.packets),
            "acknowledged": len(self.acknowledged),
            "stored_sessions": len(rows),
            "acknowledged_sessions": len(highest_acked),
            "lost": len(missing),
        }


class AccountingLoad(threading.Thread):
    """One NAS sending `rate` accounting packets a second until stopped, then settling what is in flight."""

    def __init__(
        self,
        port: int,
        secret: bytes,
        nas_name: str,
        *,
        source: str = "127.0.0.1",
        rate: float = 200,
        prefix: str = "s",
        sockets: int = 8,
        timeout: float = 2.0,
        retries: int = 5,
        first_session: int = 0,
    ):
        super().__init__(name=f"accounting-load-{nas_name}", daemon=True)
        self.port = port
        self.secret = secret
        self.rate = rate
        self.prefix = prefix
        self.timeout = timeout
        self.retries = retries
        self.ledger = Ledger(nas_name)
        self.next_session = first_session
        self._sockets = []
        for _ in range(sockets):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((source, 0))
            sock.setblocking(False)
            self._sockets.append(sock)
        self._pending: dict[tuple[int, int], Sent] = {}
        self._free_ids = [list(range(256)) for _ in self._sockets]
        self._turn = 0
        self._open: list[tuple[int, int]] = []
        self._stopping = threading.Event()
        self.error: BaseException | None = None

    def stop(self, settle: float = 30.0) -> Ledger:
        """Stop sending new packets, wait for retransmissions to settle, close the sockets."""
        self._stopping.set()
        self.join(settle)
        for sock in self._sockets:
            sock.close()
        if self.error is not None:
            raise self.error
        return self.ledger

    def _next_packet(self) -> Sent:
        """Sessions advance in a rolling window of eight, so Starts, Interims and Stops interleave."""
        if len(self._open) < 8:
            self._open.append((self.next_session, 0))
            self.next_session += 1
        session, step = self._open.pop(0)
        if step + 1 < len(STEPS):
            self._open.append((session, step + 1))
        status, seconds = STEPS[step]
        inbound, outbound = octets(session, seconds)
        return Sent(f"{self.prefix}{session:07d}", status, seconds, inbound, outbound)

    def _send_new(self, now: float) -> bool:
        for _ in range(len(self._sockets)):
            index = self._turn
            self._turn = (self._turn + 1) % len(self._sockets)
            if self._free_ids[index]:
                break
        else:
            return False
        identifier = self._free_ids[index].pop(0)
        sent = self._next_packet()
        sent.raw = accounting_request(
            self.secret,
            sent.status,
            sent.session_id,
            f"user-{sent.session_id}",
            identifier=identifier,
            Acct_Session_Time=sent.session_time,
            Acct_Input_Octets=sent.input_octets & 0xFFFFFFFF,
            Acct_Input_Gigawords=sent.input_octets >> 32,
            Acct_Output_Octets=sent.output_octets,
            Calling_Station_Id=f"02-00-00-{sent.session_id[-6:-4]}-{sent.session_id[-4:-2]}-{sent.session_id[-2:]}",
            Framed_IP_Address="10.5.50.7",
            **({"Acct_Terminate_Cause": "User-Request"} if sent.status == "Stop" else {}),
        )
        sent.first_sent = now
        self._transmit(index, identifier, sent, now)
        self.ledger.packets.append(sent)
        self._pending[(index, identifier)] = sent
        return True

    def _transmit(self, index: int, identifier: int, sent: Sent, now: float) -> None:
        sent.tries += 1
        sent.last_sent = now
        try:
            self._sockets[index].sendto(sent.raw, ("127.0.0.1", self.port))
        except BlockingIOError:
            pass

    def _retransmit(self, now: float) -> None:
        for (index, identifier), sent in list(self._pending.items()):
            if now - sent.last_sent < self.timeout:
                continue
            if sent.tries > self.retries:
                del self._pending[(index, identifier)]
                self._free_ids[index].append(identifier)
            else:
                self._transmit(index, identifier, sent, now)

    def _receive(self, readable) -> None:
        for sock in readable:
            index = self._sockets.index(sock)
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    break
                if len(data) < 20 or data[0] != ACCOUNTING_RESPONSE:
                    continue
                sent = self._pending.get((index, data[1]))
                if sent is None:
                    continue
                expected = hashlib.md5(data[:4] + sent.raw[4:20] + data[20:] + self.secret).digest()
                if data[4:20] != expected:
                    raise AssertionError(f"reply to {sent.session_id} {sent.status} does not verify")
                sent.answered = time.monotonic()
                del self._pending[(index, data[1])]
                self._free_ids[index].append(data[1])

    def run(self) -> None:
        try:
            start = time.monotonic()
            count = 0
            while not self._stopping.is_set() or self._pending:
                now = time.monotonic()
                while not self._stopping.is_set() and count < (now - start) * self.rate:
                    if not self._send_new(now):
                        break
                    count += 1
                self._retransmit(now)
                readable, _, _ = select.select(self._sockets, [], [], 0.005)
                self._receive(readable)
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def latencies(self) -> list[float]:
        return sorted(p.latency for p in self.ledger.packets if p.latency is not None)


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted `values` lie."""
    return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")
