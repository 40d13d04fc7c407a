"""What the three FreeRADIUS 3.2 peers share: a private raddb, the run, and reading radacct.

Each peer (stock, lean, bare) builds its own configuration directory; this module
fills in the ports, secret and database name, loads the users, runs
`freeradius -f -d DIR` through the same load as ours, and checks radacct.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg

from radiusbench.database import PG_HOST, PG_PORT, PG_USER, Store, fresh_pg_database
from radiusbench.load import SECRET, Credential, make_sessions, synthetic_users
from radiusbench.meters import CpuMeter, process_tree, rss_mb
from radiusbench.processes import free_port, running
from radiusbench.workload import Result, run_load

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "freeradius"
STOCK_RADDB = Path("/etc/freeradius/3.0")
STOCK_PG_SQL = STOCK_RADDB / "mods-config" / "sql" / "main" / "postgresql"


@dataclasses.dataclass(frozen=True)
class Raddb:
    """Where one peer's configuration goes and what it must listen on and talk to."""

    path: Path
    auth_port: int
    acct_port: int
    dbname: str | None  # None: the peer stores nothing

    @property
    def markers(self) -> dict[str, str]:
        return {
            "@RADDB@": str(self.path),
            "@SECRET@": SECRET,
            "@AUTH_PORT@": str(self.auth_port),
            "@ACCT_PORT@": str(self.acct_port),
            "@DB_HOST@": PG_HOST,
            "@DB_PORT@": str(PG_PORT),
            "@DB_USER@": PG_USER,
            "@DB_NAME@": self.dbname or "",
        }


def copy_templates(raddb: Raddb, *subdirs: str) -> None:
    """The shared radiusd.conf and clients.conf plus the peer's sites and modules, markers filled in."""
    raddb.path.mkdir(parents=True)
    for name in ("radiusd.conf", "clients.conf"):
        shutil.copy(TEMPLATE_DIR / name, raddb.path / name)
    for sub in subdirs:
        shutil.copytree(TEMPLATE_DIR / sub, raddb.path, dirs_exist_ok=True)
    for sub in ("log", "run"):
        (raddb.path / sub).mkdir(exist_ok=True)
    shutil.copytree(STOCK_RADDB / "policy.d", raddb.path / "policy.d")
    shutil.copy(STOCK_RADDB / "dictionary", raddb.path / "dictionary")
    fill_markers(
        raddb,
        [
            raddb.path / "radiusd.conf",
            raddb.path / "clients.conf",
            *(raddb.path / "sites-enabled").iterdir(),
            *(raddb.path / "mods-enabled").iterdir(),
        ],
    )


def fill_markers(raddb: Raddb, paths: list[Path]) -> None:
    for path in paths:
        content = path.read_text()
        for marker, value in raddb.markers.items():
            content = content.replace(marker, value)
        path.write_text(content)


def _load_radcheck(dbname: str, credentials: list[Credential]) -> None:
    """Debian's stock PostgreSQL schema, and one Cleartext-Password row per user."""
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True) as conn:
        conn.execute((STOCK_PG_SQL / "schema.sql").read_text())
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO radcheck (username, attribute, op, value) "
                "VALUES (%s, 'Cleartext-Password', ':=', %s)",
                [(c.username, c.password) for c in credentials],
            )


def _radacct(dbname: str) -> dict[str, dict]:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname) as conn:
        return {
            r[0]: {
                "username": r[1],
                "session_time": r[2],
                "input_octets": r[3],
                "output_octets": r[4],
                "closed": r[5],
            }
            for r in conn.execute(
                "SELECT acctsessionid, username, acctsessiontime, acctinputoctets, "
                "acctoutputoctets, acctstoptime FROM radacct"
            )
        }


def bench_peer(
    args: argparse.Namespace,
    work: Path,
    name: str,
    label: str,
    stores: bool,
    build: Callable[[Raddb, list[Credential]], None],
) -> Result:
    """Run one FreeRADIUS peer: fresh database (when it stores), its raddb, the load, the check."""
    dbname = f"bench_freeradius_{name}_{os.getpid()}_{work.name.split('-')[0]}" if stores else None
    credentials = synthetic_users(args.users)
    sessions = make_sessions(args.sessions, [c.username for c in credentials])
    files = work / "load"
    files.mkdir()
    raddb = Raddb(work / "raddb", free_port(), free_port(), dbname)
    database = fresh_pg_database(dbname, args.keep) if dbname else contextlib.nullcontext()
    with database:
        if dbname:
            _load_radcheck(dbname, credentials)
        build(raddb, credentials)
        log = raddb.path / "log" / "radius.log"
        store = Store(lambda: _radacct(dbname), lambda row: row["closed"] is not None) if dbname else None
        with running(
            ["freeradius", "-f", "-d", str(raddb.path)], None, log, raddb.auth_port, raddb.acct_port
        ) as proc:
            auth, paced, acct, mismatches = run_load(
                raddb.auth_port,
                raddb.acct_port,
                credentials,
                sessions,
                files,
                args,
                CpuMeter(proc.pid, dbname),
                store,
            )
            rss = {pid: rss_mb(pid) for pid in process_tree(proc.pid)}
    return Result(name, label, auth, acct, paced, rss, mismatches)
