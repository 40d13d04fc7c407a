"""bench/radius.py still runs end to end against our server.

The benchmark is run by hand and its figures are never judged here; this only
keeps the harness from rotting as the CLI and the daemon change: a tiny load on
the SQLite default (radclient, a real `hotspot radius`), and its own database
check must come out OK.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runs_on_sqlite_and_finds_every_session_in_the_database():
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "radius.py"),
            "--only",
            "sqlite",
            "--sessions",
            "20",
            "--users",
            "20",
            "--pace-seconds",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ours + SQLite, round 1: auth 20 accepted, 0 rejected, 0 lost of 20" in proc.stdout
    assert "acct 80 answered, 0 lost of 80" in proc.stdout
    assert (
        "accounting check: OK (20 sessions closed with exact 64-bit totals and session time)" in proc.stdout
    )
