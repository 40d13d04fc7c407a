"""RADIUS benchmark: our server against three FreeRADIUS 3.2 peers on the same PostgreSQL.

Issue 10 sets targets relative to FreeRADIUS, so every server runs in one
invocation on the same machine, against the same PostgreSQL server, driven by the
same load generator (Debian's `radclient`) with the same packets, alternating
round by round. Every server that stores gets a fresh database, dropped at the
end. After the load the script checks that every acknowledged accounting packet
is in the database with the right totals: a fast server that loses records is
not faster. The parts live in bench/radiusbench/.

Run: .venv/bin/python bench/radius.py [--rounds 3] [--only lean] ...
See bench/README.md. This prints figures; it is never part of the test run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from prerequisites import missing_debian, unanswered
from radiusbench import freeradius_bare, freeradius_lean, freeradius_stock, ours_postgresql, ours_sqlite
from radiusbench.database import PG_HOST, PG_PORT, PG_USER
from radiusbench.load import make_sessions, synthetic_users, write_all
from radiusbench.report import loadavg, report

SERVERS = {
    module.NAME: module
    for module in (freeradius_stock, freeradius_lean, freeradius_bare, ours_postgresql, ours_sqlite)
}
PEERS = ("stock", "lean", "bare")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="worker processes of our server on PostgreSQL",
    )
    parser.add_argument(
        "--sqlite-workers",
        type=int,
        default=None,
        help="worker processes of our server on SQLite (default: the server's own default)",
    )
    parser.add_argument("--sessions", type=int, default=2000, help="accounting sessions (4 packets each)")
    parser.add_argument(
        "--users", type=int, default=2000, help="PAP users / vouchers (one Access-Request each)"
    )
    parser.add_argument("--parallel", type=int, default=64, help="radclient -p: packets in flight")
    parser.add_argument("--pace-rate", type=int, default=500, help="paced Access-Requests per second")
    parser.add_argument("--pace-seconds", type=float, default=10, help="paced run length (0 skips it)")
    parser.add_argument("--skip-freeradius", action="store_true", help="skip the three FreeRADIUS peers")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--only",
        action="append",
        choices=["freeradius", *SERVERS],
        help="run only this server (repeatable): a FreeRADIUS peer (stock, lean, bare; "
        "freeradius: all three), or ours on postgresql or sqlite",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every server this many times, alternating; ratios use the medians",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and databases for inspection")
    parser.add_argument(
        "--write-load",
        type=Path,
        metavar="DIR",
        help="write the packet files a run sends (with FreeRADIUS's users) and the totals "
        "the database check expects (expected.json) to DIR, then exit",
    )
    return parser.parse_args(argv)


def servers_to_run(args: argparse.Namespace) -> list[str]:
    if args.only:
        wanted = {name for choice in args.only for name in (PEERS if choice == "freeradius" else (choice,))}
        return [name for name in SERVERS if name in wanted]
    plan = list(SERVERS)
    if args.skip_freeradius:
        plan = [name for name in plan if name not in PEERS]
    if args.skip_sqlite:
        plan.remove("sqlite")
    return plan


def missing_prerequisite(plan: list[str]) -> str | None:
    """Install the Debian packages the plan drives; one line naming what is still missing, if anything."""
    needed = {"radclient": "freeradius-utils"}
    if any(name in PEERS for name in plan):
        needed |= {
            "freeradius": "freeradius",
            "/usr/lib/freeradius/rlm_sql_postgresql.so": "freeradius-postgresql",
        }
    problem = missing_debian(needed)
    if problem and len(needed) > 1:
        return f"{problem}; or without the FreeRADIUS peers: --skip-freeradius"
    if problem is None and plan != ["sqlite"]:
        server = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}"
        return unanswered(
            server,
            f"PostgreSQL (user {PG_USER}, trust auth)",
            PG_PORT,
            "run ours on SQLite alone: --only sqlite",
        )
    return problem


def run_rounds(args: argparse.Namespace, plan: list[str], work: Path) -> tuple[list, list[str]]:
    results, failures = [], []
    for round_number in range(1, args.rounds + 1):
        for name in plan:
            print(f"round {round_number}: running {name} ...", flush=True)
            round_dir = work / f"round{round_number}-{name}"
            round_dir.mkdir()
            load = loadavg()
            try:
                result = SERVERS[name].bench(args, round_dir)
            except (RuntimeError, OSError, subprocess.SubprocessError, psycopg.Error) as exc:
                failures.append(f"{name}, round {round_number}: {exc}")
                print(f"{name} FAILED: {exc}", file=sys.stderr, flush=True)
                continue
            results.append(dataclasses.replace(result, loadavg=load, round=round_number))
    return results, failures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.write_load:
        args.write_load.mkdir(parents=True, exist_ok=True)
        credentials = synthetic_users(args.users)
        sessions = make_sessions(args.sessions, [c.username for c in credentials])
        for path in write_all(credentials, sessions, args.write_load, int(time.time())):
            print(path)
        return 0
    # SIGTERM (timeout, CI cancel) unwinds like Ctrl-C: servers stopped, databases dropped, temp dir removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    plan = servers_to_run(args)
    problem = missing_prerequisite(plan)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="radbench-"))
    try:
        results, failures = run_rounds(args, plan, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(results, args)
    for failure in failures:
        print(f"FAILED {failure.splitlines()[0]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
