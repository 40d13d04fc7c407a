"""Meters: a server's processes, their CPU (with the PostgreSQL backends serving it) and RSS."""

from __future__ import annotations

import os
from pathlib import Path

from radiusbench.database import pg_admin
from radiusbench.radclient import RadclientRun


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return sorted(tree)


class CpuMeter:
    """CPU seconds used by a server: its processes plus its PostgreSQL backends.

    On a shared machine packets/s moves with whatever else runs; CPU per packet
    moves much less, and counting the database backends keeps FreeRADIUS (whose
    work is mostly SQL) and ours comparable. Backends that exit between two
    samples are missed; both servers keep pooled connections open.
    """

    def __init__(self, server_pid: int, dbname: str | None):
        self.server_pid, self.dbname = server_pid, dbname
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _database_pids(self) -> list[int]:
        if not self.dbname:
            return []
        with pg_admin() as conn:
            return [
                row[0]
                for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,))
            ]

    def sample(self) -> dict[int, float]:
        usage = {}
        database = self._database_pids()
        for pid in process_tree(self.server_pid) + database:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            usage[("database" if pid in database else "server", pid)] = (
                int(fields[11]) + int(fields[12])
            ) / self.ticks  # utime + stime
        return usage

    def charge(self, run: RadclientRun, before: dict) -> None:
        """Put the CPU used since `before` on the run: all of it, and the database backends' part."""
        used = {key: cpu - before.get(key, 0.0) for key, cpu in self.sample().items()}
        run.server_cpu = sum(used.values())
        run.database_cpu = sum(cpu for (kind, _), cpu in used.items() if kind == "database")


def rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
