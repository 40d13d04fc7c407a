"""Moves bytes: the two UDP sockets, one receiving thread each, and where each datagram goes.

Authentication runs on its own thread so it never waits behind an accounting
batch: it takes every Access-Request waiting (up to AUTH_BATCH_MAX) and
decides them in one transaction, so a burst costs one commit, not one per
request, while a lone request is decided at once. One thread, not several:
while it waits for the database the queue fills, and the next batch is
larger, so each Access-Request costs less. Accounting goes to the
batcher thread, which answers after its commit. Sockets use SO_REUSEPORT so
several worker processes share the ports.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading

from hotspot.clock import utcnow
from radius.batcher import Batcher, take_waiting
from radius.handler import AcctJob, AuthJob, Drop, Handler, Reply

log = logging.getLogger(__name__)
RECEIVE_BUFFER = 65535
POLL_SECONDS = 0.5
AUTH_BATCH_MAX = 64


def bind_udp(host: str, port: int) -> socket.socket:
    """A UDP socket on (host, port) that other workers may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind((host, port))
    sock.settimeout(POLL_SECONDS)
    return sock


class Server:
    """One worker's sockets and threads: `start` them, `stop` answers the work in hand and closes."""

    def __init__(self, handler: Handler, auth_socket: socket.socket, acct_socket: socket.socket):
        self.handler = handler
        self.sockets = {"auth": auth_socket, "acct": acct_socket}
        self.auth_queue: queue.Queue = queue.Queue()
        self.auth_thread = threading.Thread(target=self._authenticate, name="auth", daemon=True)
        self.batcher: Batcher | None = None
        self.receivers = [
            threading.Thread(target=self._receive, args=(port,), name=f"receive-{port}", daemon=True)
            for port in self.sockets
        ]
        self.stopping = threading.Event()
        self.received_all = threading.Event()  # set once the receivers have stopped: auth drains, then ends

    def answer_accounting(self, job: AcctJob) -> None:
        """Called by the batcher once a packet is durable."""
        self.handler.duplicates.answer(job.key, job.reply)
        self._send("acct", job.reply, (job.key[0], job.key[1]))

    def drop_accounting(self, job: AcctJob, reason: str) -> None:
        self.handler.drop(reason, (job.key[0], job.key[1]), job.arrival.request.acct_session_id, job.key)

    def leave_unanswered(self, jobs: list[AcctJob], reason: str) -> None:
        """A whole batch goes unanswered (the batcher logs why, once): count it; a retransmission is new."""
        self.handler.metrics.drops.labels(reason).inc(len(jobs))
        for job in jobs:
            self.handler.duplicates.forget(job.key)

    def _send(self, port: str, data: bytes, address: tuple[str, int]) -> None:
        try:
            self.sockets[port].sendto(data, address)
        except OSError as exc:
            log.warning("radius_send_failed destination=%s:%d error=%s", address[0], address[1], exc)

    def _take_auth_batch(self) -> list[AuthJob] | None:
        """Every Access-Request waiting, at least one; None once stopping and the queue is empty."""
        while True:
            try:
                first = self.auth_queue.get(timeout=POLL_SECONDS)
                return take_waiting(self.auth_queue, [first], AUTH_BATCH_MAX)
            except queue.Empty:
                if self.received_all.is_set():
                    return None

    def _authenticate(self) -> None:
        while (batch := self._take_auth_batch()) is not None:
            try:
                outcomes = self.handler.decide_auth(batch, utcnow())
            except Exception:  # a bug must cost these answers, never the worker
                log.exception("radius_internal_error port=auth requests=%d", len(batch))
                for job in batch:
                    self.handler.drop("internal_error", (job.key[0], job.key[1]), key=job.key)
                continue
            for job, outcome in zip(batch, outcomes):
                if isinstance(outcome, Reply):
                    self._send("auth", outcome.data, (job.key[0], job.key[1]))

    def _dispatch(self, port: str, data: bytes, address: tuple[str, int]) -> None:
        try:
            outcome = self.handler.screen(data, address, port, utcnow())
        except Exception:
            log.exception("radius_internal_error port=%s source=%s:%d", port, *address)
            self.handler.drop("internal_error", address)
            return
        if isinstance(outcome, Reply):
            self._send(port, outcome.data, address)
        elif isinstance(outcome, AuthJob):
            self.auth_queue.put(outcome)
        elif isinstance(outcome, AcctJob):
            self.batcher.submit(outcome)
        elif not isinstance(outcome, Drop):
            raise TypeError(f"unexpected outcome {outcome!r}")

    def _receive(self, port: str) -> None:
        sock = self.sockets[port]
        while not self.stopping.is_set():
            try:
                data, address = sock.recvfrom(RECEIVE_BUFFER)
            except TimeoutError:
                continue
            except OSError as exc:
                if self.stopping.is_set():
                    return
                log.warning("radius_receive_failed port=%s error=%s", port, exc)
                continue
            self._dispatch(port, data, address[:2])

    @property
    def threads(self) -> list[threading.Thread]:
        """The threads without which this worker answers nothing on one of its ports."""
        return [*self.receivers, self.auth_thread, self.batcher]

    def start(self, batcher: Batcher) -> None:
        self.batcher = batcher
        batcher.start()
        for thread in [*self.receivers, self.auth_thread]:
            thread.start()

    def stop(self) -> None:
        """Stop receiving, answer the work in hand, close the sockets (main thread, never a handler)."""
        self.stopping.set()
        for thread in self.receivers:
            thread.join()
        self.received_all.set()
        self.auth_thread.join()
        self.batcher.stop()
        for sock in self.sockets.values():
            sock.close()
