"""The journal's disk fills up, its directory cannot be used, another server holds it, a vital thread dies.

The full disk is real: a small tmpfs mounted for the test (we run as root) as
the journal directory, filled by a file until the kernel says ENOSPC, while the
database is away so that every batch must go to the journal. A dead thread is
real too: a signal makes the worker's thread raise SystemExit, as any unforeseen
failure would end it (tests/support/thread_killer, loaded into the real process).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from hotspot.crypto import SecretBox
from hotspot.services.nas import NasSpec, add_nas
from testbed.accounting_load import AccountingLoad
from testbed.helpers import settings_env, wait_for
from testbed.radius_daemon import HOTSPOT, exchange
from testbed.radius_packets import accounting_request, status_server
from tests.faults.conftest import NAS_NAME, SECRET

FULL_SECONDS = 4
THREAD_KILLER = Path(__file__).parents[1] / "support" / "thread_killer"


@contextmanager
def tmpfs(path: Path, options: str = "size=2m"):
    """A tmpfs of its own at `path` for the test, unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True, capture_output=True
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True, capture_output=True)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem is full; return it (deleting it frees the disk)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def run_radius(settings, timeout: float = 15, **env) -> tuple[int | None, str]:
    """Run `hotspot radius`, which should exit by itself: (status or None if it kept running, output)."""
    process = subprocess.Popen(
        [HOTSPOT, "radius", "--workers", "2"],
        env=settings_env(settings, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output


@pytest.mark.slow
def test_full_journal_disk_stops_acknowledging_and_recovers_by_itself(fault_db, start_daemon, tmp_path):
    with tmpfs(tmp_path / "journal-disk") as disk:
        daemon = start_daemon(fault_db.settings, radius_journal_dir=str(disk))
        pid = daemon.process.pid
        load = AccountingLoad(daemon.acct_port, SECRET, NAS_NAME, rate=200, timeout=1.0, retries=40)
        load.start()
        time.sleep(2)
        fault_db.outage.begin()
        try:
            wait_for(
                lambda: (daemon.metric("radius_journal_depth") or 0) > 20,
                timeout=15,
                what="accounting to go to the journal",
            )
            filler = fill(disk)
            full_at = time.monotonic()
            wait_for(lambda: "accounting_not_durable" in daemon.log(), timeout=10, what="the journal to fail")
            time.sleep(FULL_SECONDS)
            auth_answered = exchange(status_server(SECRET, "auth"), daemon.auth_port, timeout=2) is not None
            errors = daemon.metric("radius_journal_write_errors_total")
            refused = daemon.metric('radius_drops_total{reason="not_durable"}')
            filler.unlink()
            freed_at = time.monotonic()
            wait_for(
                lambda: "accounting_durable_again" in daemon.log(),
                timeout=10,
                what="acknowledgements to resume once the disk has room",
            )
            time.sleep(2)
        finally:
            fault_db.outage.end()
        time.sleep(3)
        ledger = load.stop(settle=60)
        wait_for(
            lambda: daemon.metric("radius_journal_depth") == 0, timeout=20, what="the journal to be replayed"
        )
        log = daemon.log()

    assert auth_answered, "authentication went down with the journal"
    assert errors >= 1 and refused >= 20, (errors, refused)
    held_back = [p for p in ledger.packets if full_at + 1 < p.first_sent < freed_at - 1]
    assert held_back and sum(p.answered > freed_at for p in held_back) > len(held_back) / 2, (
        "packets sent while the disk was full were acknowledged anyway"
    )
    assert ledger.unanswered == [], f"{len(ledger.unanswered)} packets never answered"
    counts = ledger.check(fault_db.engine)
    assert counts["acknowledged_sessions"] == counts["stored_sessions"]
    assert 1 <= log.count("accounting_not_durable") <= errors
    assert log.count("accounting_not_durable") == log.count("accounting_durable_again")
    assert "radius_worker_died" not in log and "Traceback" not in log
    assert daemon.process.poll() is None and daemon.process.pid == pid


@pytest.fixture
def nas(db, settings):
    return add_nas(
        db,
        SecretBox(settings.secret_key),
        NasSpec(name=NAS_NAME, ip_range="127.0.0.1", secret=SECRET.decode()),
    )


@pytest.mark.slow
@pytest.mark.parametrize("thread", ["accounting-batcher", "auth", "receive-acct"])
def test_worker_that_loses_a_vital_thread_is_restarted(thread, nas, settings, start_daemon):
    daemon = start_daemon(
        settings, process_env={"PYTHONPATH": str(THREAD_KILLER), "HOTSPOT_TEST_KILL_THREAD": thread}
    )
    old = daemon.worker_pids()[0]
    os.kill(old, signal.SIGUSR2)
    wait_for(lambda: daemon.worker_pids()[0] != old, timeout=10, what="the supervisor to start a new worker")
    log = daemon.log()
    assert f"radius_worker_failed worker=0 dead_threads={thread}; exiting to be restarted" in log
    assert "radius_worker_died worker=0 status=256; restarting" in log
    raw = accounting_request(SECRET, "Start", "after-restart", "u1")
    assert wait_for(
        lambda: exchange(raw, daemon.acct_port, timeout=1), timeout=10, what="accounting answered"
    )
    assert exchange(status_server(SECRET, "auth"), daemon.auth_port) is not None
    assert daemon.process.poll() is None


@pytest.mark.parametrize("spoiled", ["a file in the way", "under a file", "read-only filesystem"])
def test_unusable_journal_directory_refuses_to_start_with_one_line(spoiled, settings, engine, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory\n")
    if spoiled == "read-only filesystem":
        with tmpfs(tmp_path / "read-only", "ro,size=1m") as disk:
            code, output = run_radius(settings, HOTSPOT_RADIUS_JOURNAL_DIR=str(disk / "journal"))
    else:
        journal = blocker if spoiled == "a file in the way" else blocker / "journal"
        code, output = run_radius(settings, HOTSPOT_RADIUS_JOURNAL_DIR=str(journal))
    assert code == 2, output[-3000:]
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "radius_journal_unusable" in lines[0], output[-3000:]
    assert "HOTSPOT_RADIUS_JOURNAL_DIR (radius_journal_dir)" in lines[0] and "tmp" in lines[0]


def test_second_server_on_the_same_journal_exits_with_one_line(nas, settings, start_daemon):
    first = start_daemon(settings)
    code, output = run_radius(
        settings,
        HOTSPOT_RADIUS_AUTH_PORT=str(first.auth_port),
        HOTSPOT_RADIUS_ACCT_PORT=str(first.acct_port),
        HOTSPOT_RADIUS_BIND="127.0.0.1",
    )
    assert code == 1, output[-3000:]
    lines = output.strip().splitlines()
    assert len(lines) == 1, output[-3000:]
    assert (
        f"radius_journal_in_use {settings.journal_dir} is held by another RADIUS server "
        f"(pid {first.process.pid})"
    ) in lines[0]
    for n in range(20):
        raw = accounting_request(SECRET, "Start", f"first-{n}", "u1")
        assert exchange(raw, first.acct_port, timeout=2) is not None, "the first server stopped answering"
    assert first.process.poll() is None
