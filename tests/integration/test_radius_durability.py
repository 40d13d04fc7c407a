"""An Accounting-Response means durable: committed, or journalled while the database is away and replayed."""

from __future__ import annotations

import select as select_module
import socket
import sqlite3
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from hotspot.crypto import SecretBox
from hotspot.models import RadiusSession
from hotspot.services.nas import NasSpec, add_nas
from testbed.helpers import wait_for
from testbed.radius_daemon import RadiusDaemon, radclient
from testbed.radius_packets import accounting_request

SECRET = "mikrotik-secret"


@pytest.fixture
def nas(db, settings):
    return add_nas(
        db,
        SecretBox(settings.secret_key),
        NasSpec(name="tirosa", ip_range="127.0.0.1", secret=SECRET, vendor="mikrotik"),
    )


@contextmanager
def database_locked(engine, settings):
    """Hold the accounting tables locked, as a stuck or unreachable database would look to the daemon."""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(make_url(settings.database_url).database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(
                text("LOCK TABLE radius_session, usage_hour, usage_hour_user IN ACCESS EXCLUSIVE MODE")
            )
            yield


def session_row(db) -> dict:
    """The one session as stored now; the read transaction ends so the test can lock the tables."""
    try:
        return dict(db.execute(select(RadiusSession.__table__)).one()._mapping)
    finally:
        db.rollback()


def journal_lines(settings) -> int:
    path = settings.journal_dir / "accounting-0.jsonl"
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def acct(daemon, line: str) -> str:
    return radclient(daemon.acct_port, "acct", SECRET, line, wait=8)


BASE = 'Acct-Session-Id = "81a00001", User-Name = "t-x", Calling-Station-Id = "AA:BB:CC:DD:EE:01"'


@pytest.mark.slow
def test_journal_while_the_database_is_locked_then_replay_live_and_at_start_up(
    settings, engine, db, nas, tmp_path
):
    daemon = RadiusDaemon(settings, tmp_path / "radius.log").start(SECRET.encode())
    try:
        assert "Received Accounting-Response" in acct(daemon, f"Acct-Status-Type = Start, {BASE}\n")
        assert session_row(db)["status"] == "active"
        with database_locked(engine, settings):
            out = acct(
                daemon,
                f"Acct-Status-Type = Interim-Update, {BASE}, Acct-Session-Time = 300, "
                "Acct-Input-Octets = 1000\n",
            )
            assert "Received Accounting-Response" in out
            assert journal_lines(settings) == 1
            assert daemon.metric("radius_journal_depth") == 1.0
        wait_for(lambda: session_row(db)["session_time"] == 300, timeout=15, what="journal replay")
        assert session_row(db)["input_octets"] == 1000
        assert journal_lines(settings) == 0
        assert daemon.metric("radius_journal_depth") == 0.0
        with database_locked(engine, settings):
            out = acct(
                daemon,
                f"Acct-Status-Type = Stop, {BASE}, Acct-Session-Time = 400, "
                "Acct-Input-Octets = 1500, Acct-Terminate-Cause = User-Request\n",
            )
            assert "Received Accounting-Response" in out
            assert daemon.stop() == 0
        assert journal_lines(settings) == 1
        assert session_row(db)["status"] == "active"
        daemon = RadiusDaemon(settings, tmp_path / "radius.log").start(SECRET.encode())
        wait_for(lambda: session_row(db)["status"] == "closed", timeout=15, what="replay at start-up")
        row = session_row(db)
        assert (row["session_time"], row["input_octets"], row["terminate_cause"]) == (
            400,
            1500,
            "User-Request",
        )
        assert journal_lines(settings) == 0
    finally:
        daemon.stop()


def collect_replies(sockets, quiet: float = 2.0) -> set[tuple[int, int]]:
    """(socket index, Identifier) of every reply that arrives until the line stays quiet."""
    replies = set()
    for sock in sockets:
        sock.setblocking(False)
    deadline = time.monotonic() + quiet
    while time.monotonic() < deadline:
        ready, _, _ = select_module.select(sockets, [], [], 0.1)
        for sock in ready:
            data = sock.recv(4096)
            replies.add((sockets.index(sock), data[1]))
            deadline = time.monotonic() + quiet
    return replies


@pytest.mark.slow
def test_sigterm_under_load_answers_only_what_is_committed(settings, engine, db, nas, tmp_path):
    daemon = RadiusDaemon(settings, tmp_path / "radius.log", workers=2).start(SECRET.encode())
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(12)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        sent = {}
        for i in range(3000):
            index, identifier = divmod(i, 250)
            sent[(index, identifier)] = f"s{i}"
            sockets[index].sendto(
                accounting_request(SECRET.encode(), "Start", f"s{i}", f"u{i}", identifier=identifier),
                ("127.0.0.1", daemon.acct_port),
            )
        assert daemon.stop() == 0
        acknowledged = {sent[key] for key in collect_replies(sockets)}
    finally:
        daemon.stop()
        for sock in sockets:
            sock.close()
    stored = set(db.scalars(select(RadiusSession.acct_session_id)))
    assert acknowledged, "the daemon answered nothing before SIGTERM"
    assert acknowledged <= stored
    assert "radius_worker_stopped worker=0" in daemon.log()
    assert "radius_worker_stopped worker=1" in daemon.log()
