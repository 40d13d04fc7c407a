"""Start `hotspot radius` as a real process on loopback ports, and talk to it over real UDP."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hotspot.settings import Settings
from testbed.helpers import free_port, settings_env, wait_for
from testbed.radius_packets import status_server

HOTSPOT = str(Path(sys.executable).parent / "hotspot")


def exchange(
    raw: bytes, port: int, source: str = "127.0.0.1", timeout: float = 1.5, sock: socket.socket | None = None
) -> bytes | None:
    """Send one datagram and return the reply, or None if the server stays silent."""
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if own:
            sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.sendto(raw, ("127.0.0.1", port))
        try:
            return sock.recvfrom(4096)[0]
        except TimeoutError:
            return None
    finally:
        if own:
            sock.close()


def radclient(port: int, command: str, secret: str, text: str, *extra: str, wait: int = 3) -> str:
    """Run Debian's radclient once (-x: print what was received; `wait` seconds, no retry) and return its
    output."""
    result = subprocess.run(
        ["radclient", "-x", "-r", "1", "-t", str(wait), *extra, f"127.0.0.1:{port}", command, secret],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout + result.stderr


@dataclass
class RadiusDaemon:
    """A running `hotspot radius` in a session of its own (a test may signal its process group);
    stop() ends it with SIGTERM and returns its exit status."""

    settings: Settings
    log_path: Path
    workers: int = 1
    auth_port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))
    acct_port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))
    metrics_port: int = field(default_factory=free_port)
    process_env: dict[str, str] = field(default_factory=dict)  # beyond the settings, e.g. PYTHONPATH
    process: subprocess.Popen | None = None

    def start(self, secret: bytes) -> RadiusDaemon:
        env = settings_env(
            self.settings,
            HOTSPOT_RADIUS_BIND="127.0.0.1",
            HOTSPOT_RADIUS_AUTH_PORT=str(self.auth_port),
            HOTSPOT_RADIUS_ACCT_PORT=str(self.acct_port),
            HOTSPOT_RADIUS_METRICS_PORT=str(self.metrics_port),
            **self.process_env,
        )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [HOTSPOT, "radius", "--workers", str(self.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for(
                lambda: (
                    self.process.poll() is not None
                    or all(
                        exchange(status_server(secret, port), p, timeout=0.3)
                        for port, p in (("auth", self.auth_port), ("acct", self.acct_port))
                    )
                ),
                timeout=20,
                what="RADIUS to answer",
            )
            if self.process.poll() is not None:
                raise RuntimeError(f"hotspot radius exited:\n{self.log()}")
        except BaseException:
            self.stop()
            raise
        return self

    def worker_pids(self) -> dict[int, int]:
        """Worker index -> pid of the newest worker with that index, from the log."""
        return {
            int(index): int(pid)
            for index, pid in re.findall(r"radius_worker_ready worker=(\d+) pid=(\d+)", self.log())
        }

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            return response.read().decode()

    def metric(self, line_start: str) -> float | None:
        for line in self.metrics().splitlines():
            if line.startswith(line_start + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=5)
