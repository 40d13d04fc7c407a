"""From datagram to job: framing, client lookup, duplicate cache, authenticators, decoding.

The socket-free core of the server. `screen` decides what a datagram is: a drop
(with a reason that is logged and counted), an immediate reply (Status-Server,
or a retransmission answered from the duplicate cache), an authentication job
or an accounting arrival. Tests call it with real packet bytes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pyrad.dictionary import Dictionary
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from hotspot.db import make_session_factory
from hotspot.services.reloading import Reloading
from radius import auth, credential_store, packets, store
from radius.accounting import Arrival
from radius.clients import Client, ClientTable
from radius.dupcache import PENDING, DuplicateCache
from radius.metrics import Metrics

log = logging.getLogger(__name__)
UNAVAILABLE = (OperationalError, InterfaceError)  # the database is away, as opposed to refusing a statement
PACKET_TYPES = {
    packets.ACCESS_REQUEST: "access_request",
    packets.ACCOUNTING_REQUEST: "accounting_request",
    packets.STATUS_SERVER: "status_server",
}


@dataclass(frozen=True)
class Drop:
    reason: str


@dataclass(frozen=True)
class Reply:
    data: bytes


@dataclass(frozen=True)
class AuthJob:
    key: tuple
    client: Client
    packet: object
    request: packets.AuthRequest
    received: float


@dataclass(frozen=True)
class AcctJob:
    key: tuple
    arrival: Arrival
    reply: bytes


class Handler:
    """Turns datagrams into jobs and authentication jobs into replies."""

    def __init__(
        self,
        engine: Engine,
        clients: ClientTable,
        dictionary: Dictionary,
        metrics: Metrics,
        timezone: str,
        auth_events: Callable[[dict], None],
        duplicates: DuplicateCache | None = None,
        plans_reload_seconds: float = 0.0,
        stale_grace: int = auth.STALE_GRACE,
    ):
        self.engine = engine
        self.plans = Reloading(
            make_session_factory(engine),
            lambda db: credential_store.load_plans(db.connection()),
            plans_reload_seconds,
        )
        self.clients = clients
        self.dictionary = dictionary
        self.metrics = metrics
        self.timezone = timezone
        self.auth_events = auth_events
        self.duplicates = duplicates or DuplicateCache()
        self.liveness = store.NasLiveness()
        self.stale_grace = stale_grace

    def drop(self, reason: str, source: tuple[str, int], detail: str = "", key: tuple | None = None) -> Drop:
        """Count and log one dropped packet (one structured line), and forget it in the duplicate cache."""
        self.metrics.drops.labels(reason).inc()
        log.warning(
            "radius_drop reason=%s source=%s:%d%s",
            reason,
            source[0],
            source[1],
            f" detail={detail!r}" if detail else "",
        )
        if key is not None:
            self.duplicates.forget(key)
        return Drop(reason)

    def screen(self, raw: bytes, source: tuple[str, int], port: str, now: datetime):
        """What to do with one datagram from `source` on the `port` ("auth" or "acct") socket."""
        try:
            header = packets.read_header(raw, port)
        except packets.MalformedPacket as exc:
            return self.drop(exc.reason, source, str(exc))
        self.metrics.requests.labels(PACKET_TYPES[header.code]).inc()
        candidates = self.clients.candidates(source[0])
        if candidates is None:
            return self.drop("unknown_client", source)
        try:
            pkt = packets.decode(raw, port, b"", self.dictionary)
            nas_identifier = packets.nas_identifier(pkt) if candidates.expects_identifier else None
        except packets.MalformedPacket as exc:
            return self.drop(exc.reason, source, str(exc))
        client = candidates.choose(nas_identifier)
        if client is None:
            return self.drop("unknown_nas_identifier", source, nas_identifier or "")
        pkt.secret = client.secret
        key = (source[0], source[1], header.identifier, header.authenticator, client.nas_id)
        cached = self.duplicates.claim(key)
        if cached is not None:
            self.metrics.duplicates.inc()
            return Reply(cached) if cached != PENDING else Drop("in_progress")
        try:
            return self._classify(pkt, header, client, key, source, port, now)
        except packets.MalformedPacket as exc:
            return self.drop(exc.reason, source, str(exc), key)

    def _classify(self, pkt, header, client, key, source, port, now):
        signed = packets.has_message_authenticator(pkt)
        if signed and not packets.message_authenticator_valid(pkt):
            return self.drop("bad_message_authenticator", source, client.name, key)
        if header.code == packets.STATUS_SERVER:
            if not signed:
                return self.drop("missing_message_authenticator", source, client.name, key)
            return self.answer(key, packets.status_reply(pkt))
        if port == "auth":
            if not signed and (client.require_message_authenticator or packets.has_proxy_state(pkt)):
                return self.drop("missing_message_authenticator", source, client.name, key)
            return AuthJob(key, client, pkt, packets.auth_request(pkt), time.perf_counter())
        if not packets.request_authenticator_valid(pkt):
            return self.drop("bad_request_authenticator", source, client.name, key)
        request = packets.accounting_request(pkt, now)
        return AcctJob(
            key, Arrival(client.nas_id, source[0], request, client.named), packets.accounting_response(pkt)
        )

    def answer(self, key: tuple, data: bytes) -> Reply:
        self.duplicates.answer(key, data)
        return Reply(data)

    def decide_auth(self, jobs: list[AuthJob], now: datetime) -> list[Reply | Drop]:
        """Decide a batch of Access-Requests in one transaction; no answers if the database is unreachable."""
        due = self.liveness.due((job.client.nas_id, job.key[0]) for job in jobs)
        try:
            with self.engine.begin() as conn:
                decisions = auth.decide_batch(
                    conn,
                    [job.request for job in jobs],
                    now,
                    self.timezone,
                    self.plans.get(),
                    [job.client.nas_id for job in jobs],
                    self.stale_grace,
                )
                store.touch_nas(conn, due, now)
        except UNAVAILABLE as exc:
            return [
                self.drop("database_unavailable", (job.key[0], job.key[1]), exc.__class__.__name__, job.key)
                for job in jobs
            ]
        except DBAPIError as exc:
            if len(jobs) > 1:  # one request the database refuses must not cost the others their answers
                return [outcome for job in jobs for outcome in self.decide_auth([job], now)]
            return [
                self.drop(
                    f"database_refused:{exc.__class__.__name__}",
                    (jobs[0].key[0], jobs[0].key[1]),
                    jobs[0].request.username,
                    jobs[0].key,
                )
            ]
        self.liveness.noted(due)
        return [self._reply(job, decision, now) for job, decision in zip(jobs, decisions)]

    def _reply(self, job: AuthJob, decision: auth.Decision, now: datetime) -> Reply:
        self.auth_events(auth.event(job.request, decision, job.client.nas_id, now))
        if decision.accepted:
            self.metrics.accepts.inc()
            data = packets.access_accept(job.packet, job.client.vendor, decision.limits)
        else:
            self.metrics.rejects.labels(decision.reason).inc()
            data = packets.access_reject(job.packet, decision.reply_message)
        # Debug only: every decision is already an AuthEvent row, which the admin console shows.
        log.debug(
            "radius_auth nas=%s user=%s method=%s accepted=%s reason=%s",
            job.client.name,
            job.request.username,
            decision.method,
            decision.accepted,
            decision.reason,
        )
        self.metrics.auth_latency.observe(time.perf_counter() - job.received)
        return self.answer(job.key, data)
