"""Our server as a black box: the `hotspot` CLI sets it up, `hotspot radius` serves, SQL reads it back."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from radiusbench.database import Store
from radiusbench.load import LOOPBACK, SECRET, Credential, make_sessions
from radiusbench.meters import CpuMeter, process_tree, rss_mb
from radiusbench.processes import free_port, running
from radiusbench.workload import Result, run_load

ROOT = Path(__file__).resolve().parents[2]


def hotspot_env(database_url: str, var_dir: Path, auth_port: int, acct_port: int) -> dict[str, str]:
    """Every setting from the environment; an empty settings file keeps config/hotspot.toml out."""
    config = var_dir / "empty.toml"
    config.write_text("")
    env = dict(os.environ)
    env.update(
        {
            "HOTSPOT_CONFIG": str(config),
            "HOTSPOT_DATABASE_URL": database_url,
            "HOTSPOT_SECRET_KEY": "bench-secret-key-not-for-production",
            "HOTSPOT_VAR_DIR": str(var_dir),
            "HOTSPOT_RADIUS_BIND": LOOPBACK,
            "HOTSPOT_RADIUS_AUTH_PORT": str(auth_port),
            "HOTSPOT_RADIUS_ACCT_PORT": str(acct_port),
            "HOTSPOT_RADIUS_METRICS_PORT": str(free_port(socket.SOCK_STREAM)),
            "HOTSPOT_ADMIN_PASSWORD": "bench-admin-password",
        }
    )
    return env


def hotspot_command() -> list[str]:
    """The `hotspot` command of the running virtualenv, as a user would type it."""
    script = Path(sys.executable).parent / "hotspot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hotspot.cli"]


def prepare_hotspot(env: dict[str, str], users: int) -> list[Credential]:
    """Migrate, register the loopback NAS and a plan, and generate the vouchers."""

    def cli(*argv: str) -> str:
        proc = subprocess.run([*hotspot_command(), *argv], env=env, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            raise RuntimeError(f"hotspot {' '.join(argv)} failed: {proc.stdout}{proc.stderr}")
        return proc.stdout

    cli("init")
    cli("nas", "add", "bench", "--ip", LOOPBACK, "--secret", SECRET, "--vendor", "generic")
    cli("plan", "add", "Bench", "--session-minutes", "60")
    codes = [
        row["code"]
        for row in json.loads(
            cli("voucher", "generate", "--plan", "Bench", "--count", str(users), "--format", "json")
        )
    ]
    return [Credential(code, code) for code in codes]


def _radius_sessions(url: str) -> dict[str, dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                r[0]: {
                    "username": r[1],
                    "session_time": r[2],
                    "input_octets": r[3],
                    "output_octets": r[4],
                    "closed": r[5],
                }
                for r in conn.execute(
                    text(
                        "SELECT acct_session_id, username, session_time, input_octets, "
                        "output_octets, status FROM radius_session"
                    )
                )
            }
    finally:
        engine.dispose()


def bench_ours(
    args: argparse.Namespace,
    var_dir: Path,
    server: str,
    label: str,
    url: str,
    workers: int | None,
    dbname: str | None,
) -> Result:
    """Set up, serve the load (checking radius_session), stop; the database must exist and be empty."""
    auth_port, acct_port = free_port(), free_port()
    env = hotspot_env(url, var_dir, auth_port, acct_port)
    credentials = prepare_hotspot(env, args.users)
    sessions = make_sessions(args.sessions, [c.username for c in credentials])
    cmd = [*hotspot_command(), "radius"] + ([] if workers is None else ["--workers", str(workers)])
    store = Store(lambda: _radius_sessions(url), lambda row: row["closed"] == "closed")
    with running(cmd, env, var_dir / "radius.log", auth_port, acct_port) as proc:
        auth, paced, acct, mismatches = run_load(
            auth_port, acct_port, credentials, sessions, var_dir, args, CpuMeter(proc.pid, dbname), store
        )
        rss = {pid: rss_mb(pid) for pid in process_tree(proc.pid)}
    return Result(server, label, auth, acct, paced, rss, mismatches)
