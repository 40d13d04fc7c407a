"""Throughput load: Debian's radclient sends a packet file with many packets in flight."""

from __future__ import annotations

import dataclasses
import re
import resource
import subprocess
import time
from pathlib import Path

from radiusbench.load import LOOPBACK, SECRET


@dataclasses.dataclass
class RadclientRun:
    """radclient's -s summary for one or more packet files, with wall time."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    lost: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0  # radclient's own user + system CPU seconds
    server_cpu: float = 0.0  # the server's processes and its PostgreSQL backends, CPU seconds
    database_cpu: float = 0.0  # the PostgreSQL backends' part of server_cpu

    def add(self, other: RadclientRun) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    @property
    def answered(self) -> int:
        return self.accepted + self.rejected

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_packet(self) -> float:
        return 1000 * self.server_cpu / self.answered if self.answered else float("nan")


def run_radclient(path: Path, port: int, kind: str, parallel: int) -> RadclientRun:
    """Send every packet of a file with `parallel` in flight, 3 tries of 3 s each."""
    sent = path.read_text().count("User-Name =")
    cmd = [
        "radclient",
        "-q",
        "-s",
        "-f",
        str(path),
        "-p",
        str(parallel),
        "-r",
        "3",
        "-t",
        "3",
        f"{LOOPBACK}:{port}",
        kind,
        SECRET,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = dict(re.findall(r"^\s*(Accepted|Rejected|Lost)\s*:\s*(\d+)", proc.stdout, re.M))
    if "Accepted" not in summary:
        raise RuntimeError(f"radclient gave no summary (exit {proc.returncode}): {proc.stdout}{proc.stderr}")
    return RadclientRun(
        sent=sent,
        accepted=int(summary["Accepted"]),
        rejected=int(summary["Rejected"]),
        lost=int(summary["Lost"]),
        seconds=seconds,
        client_cpu=cpu,
    )
