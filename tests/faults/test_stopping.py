"""SIGTERM or SIGINT to the main process or to the whole process group: every process is gone within seconds.

systemd sends SIGTERM to the whole group and Ctrl-C sends SIGINT to it; the
supervisor then forwards its own SIGTERM, so every worker gets two signals in
quick succession, while it holds a batch of accounting. Each way is tried
several times in a row on a real `hotspot radius` (and `hotspot run`), under load.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from hotspot.crypto import SecretBox
from hotspot.models import RadiusSession
from hotspot.services.nas import NasSpec, add_nas
from testbed.helpers import child_pids, free_port, settings_env, wait_for
from testbed.radius_packets import accounting_request
from tests.faults.conftest import NAS_NAME, SECRET
from tests.integration.test_radius_durability import collect_replies

WAYS = {
    "sigterm-main": (signal.SIGTERM, False),
    "sigterm-group": (signal.SIGTERM, True),
    "sigint-group": (signal.SIGINT, True),
}
ROUNDS = 4
EXIT_WITHIN = 6.0
RUN_EXIT_WITHIN = 10.0  # `hotspot run` is seven Python processes exiting together on a shared 2-core machine


@pytest.fixture
def nas(db, settings):
    return add_nas(
        db,
        SecretBox(settings.secret_key),
        NasSpec(name=NAS_NAME, ip_range="127.0.0.1", secret=SECRET.decode()),
    )


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its parent has finished)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def descendants(pid: int) -> list[int]:
    found = []
    for child in child_pids(pid):
        found += [child, *descendants(child)]
    return found


def signal_and_time(
    process: subprocess.Popen, signum: int, group: bool, within: float = EXIT_WITHIN
) -> tuple[float, list[int]]:
    """Send the signal; seconds until the main process and all its descendants are gone, and any left."""
    everyone = [process.pid, *descendants(process.pid)]
    sent = time.monotonic()
    (os.killpg if group else os.kill)(process.pid, signum)
    try:
        process.wait(timeout=within + 10)
    except subprocess.TimeoutExpired:
        pass
    try:
        wait_for(
            lambda: not any(map(alive, everyone)),
            interval=0.05,
            what="every process to exit",
            timeout=max(0.5, within + 10 - (time.monotonic() - sent)),
        )
    except TimeoutError:
        pass
    took = time.monotonic() - sent
    left = [pid for pid in everyone if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return took, left


def burst(port: int, sockets: list[socket.socket], prefix: str) -> dict[tuple[int, int], str]:
    """Accounting-Request Starts sent as fast as possible, so that the signal finds a batch in hand."""
    sent = {}
    for i in range(len(sockets) * 100):
        index, identifier = divmod(i, 100)
        sent[(index, identifier)] = f"{prefix}-{i}"
        raw = accounting_request(SECRET, "Start", f"{prefix}-{i}", f"u{i}", identifier=identifier)
        sockets[index].sendto(raw, ("127.0.0.1", port))
    return sent


@pytest.mark.slow
@pytest.mark.parametrize("way", WAYS)
def test_radius_stops_within_seconds_answering_the_batch_in_hand(way, nas, db, settings, start_daemon):
    signum, group = WAYS[way]
    for round_ in range(ROUNDS):
        daemon = start_daemon(settings, workers=2)
        sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(6)]
        try:
            for sock in sockets:
                sock.bind(("127.0.0.1", 0))
            sent = burst(daemon.acct_port, sockets, f"{way}-{round_}")
            time.sleep(0.05 * round_)
            took, left = signal_and_time(daemon.process, signum, group)
            acknowledged = {sent[key] for key in collect_replies(sockets, quiet=0.5)}
        finally:
            for sock in sockets:
                sock.close()
        assert left == [], f"round {round_}: running {took:.1f} s after {way}: {left}\n{daemon.log()[-3000:]}"
        assert took < EXIT_WITHIN, f"round {round_}: {way} took {took:.1f} s"
        assert daemon.process.returncode == 0, daemon.log()[-3000:]
        stored = set(db.scalars(select(RadiusSession.acct_session_id)))
        db.rollback()
        lost = sorted(acknowledged - stored)
        assert lost == [], f"round {round_}: answered but not stored: {lost[:5]}"
        log = daemon.log()
        assert log.count("radius_worker_stopped") == 2 and "radius_stopped" in log, log[-3000:]
        assert "Traceback" not in log


@pytest.mark.slow
@pytest.mark.parametrize("way", WAYS)
def test_hotspot_run_stops_portal_and_radius_within_seconds(way, engine, settings, tmp_path):
    signum, group = WAYS[way]
    portal_port = free_port()
    env = settings_env(
        settings,
        HOTSPOT_PORTAL_HOST="127.0.0.1",
        HOTSPOT_PORTAL_PORT=str(portal_port),
        HOTSPOT_RADIUS_BIND="127.0.0.1",
        HOTSPOT_RADIUS_AUTH_PORT=str(free_port(socket.SOCK_DGRAM)),
        HOTSPOT_RADIUS_ACCT_PORT=str(free_port(socket.SOCK_DGRAM)),
        HOTSPOT_RADIUS_METRICS_PORT=str(free_port()),
        HOTSPOT_RADIUS_WORKERS="2",
    )
    for round_ in range(ROUNDS // 2):
        log_path = tmp_path / f"run-{round_}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "hotspot.cli", "run"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for(
                lambda: (
                    "radius_worker_ready worker=1" in log_path.read_text()  # noqa: B023 (called at once)
                    # every portal worker has loaded the app: a signal during a slow import waits for it
                    and log_path.read_text().count("portal_worker_ready") == settings.portal_workers  # noqa: B023 (called at once)
                ),
                timeout=40,
                what="portal and RADIUS",
            )
            wait_for(
                lambda: len(descendants(process.pid)) >= 5,  # noqa: B023 (wait_for calls it at once)
                timeout=10,
                what="every process of hotspot run",
            )
            took, left = signal_and_time(process, signum, group, RUN_EXIT_WITHIN)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output = log_path.read_text()
        assert left == [], f"round {round_}: still running {took:.1f} s after {way}: {left}\n{output[-3000:]}"
        assert took < RUN_EXIT_WITHIN, f"round {round_}: {way} took {took:.1f} s"
        assert process.returncode == 0, output[-3000:]
        assert "Traceback" not in output
