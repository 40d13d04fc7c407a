"""What every server goes through, in the same order, and what comes out of it."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from radiusbench.database import Store, compare
from radiusbench.load import ACCT_PHASES, Credential, Session, write_acct_phase, write_auth_file
from radiusbench.meters import CpuMeter
from radiusbench.paced import Latency, paced_auth
from radiusbench.radclient import RadclientRun, run_radclient


@dataclasses.dataclass
class Result:
    """Everything measured for one server + database."""

    server: str  # the --only name: stock, lean, bare, postgresql, sqlite
    label: str
    auth: RadclientRun
    acct: RadclientRun
    paced: Latency | None
    rss_mb: dict[int, float]
    mismatches: list[str] | None  # None: the server stores nothing to check
    loadavg: float = 0.0  # the machine's 1-minute load average when this run started
    round: int = 1

    @property
    def lost(self) -> int:
        return self.auth.sent - self.auth.answered + self.acct.sent - self.acct.answered


def run_load(
    auth_port: int,
    acct_port: int,
    credentials: list[Credential],
    sessions: list[Session],
    directory: Path,
    args: argparse.Namespace,
    meter: CpuMeter,
    store: Store | None,
) -> tuple[RadclientRun, Latency | None, RadclientRun, list[str] | None]:
    """Auth burst, paced auth, then accounting in four phases (each file written just before it is sent).

    A server that stores is checked twice, outside the timed runs: after the second
    Interim-Update (running totals, session open) and after the Stops (final totals, closed).
    """
    auth_file = write_auth_file(credentials, directory)
    before = meter.sample()
    auth = run_radclient(auth_file, auth_port, "auth", args.parallel)
    meter.charge(auth, before)
    paced = (
        paced_auth(auth_port, credentials, args.pace_rate, args.pace_seconds)
        if args.pace_seconds > 0
        else None
    )
    acct = RadclientRun()
    mismatches: list[str] = []
    for phase in range(len(ACCT_PHASES)):
        path = write_acct_phase(sessions, phase, directory, int(time.time()))
        before = meter.sample()
        run = run_radclient(path, acct_port, "acct", args.parallel)
        meter.charge(run, before)
        acct.add(run)
        status, update = ACCT_PHASES[phase]
        if store is not None and update is not None and update > 0:
            mismatches += compare(sessions, store, update, stopped=status == "Stop")
    return auth, paced, acct, None if store is None else mismatches
