"""FreeRADIUS peer "stock": Debian's configuration as installed, with rlm_sql on PostgreSQL enabled.

A copy of /etc/freeradius/3.0 (sites default and inner-tunnel, every module Debian
enables: files, detail, unix, eap, exec, ...) with only what an admin changes to
run it here: the sql module switched to PostgreSQL, loopback ports, the load
generator as its client, paths in the temp dir, and no switch to the freerad user
(the temp dir is private to whoever runs the benchmark).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from radiusbench import freeradius
from radiusbench.database import PG_HOST, PG_PORT, PG_USER
from radiusbench.load import LOOPBACK, Credential
from radiusbench.processes import free_port
from radiusbench.workload import Result

NAME = "stock"
LABEL = "FreeRADIUS stock (+sql)"


def _edit(path: Path, replacements: list[tuple[str, str]]) -> None:
    """Exact replacements, each of which must match: a changed Debian file fails loudly, not silently."""
    content = path.read_text()
    for old, new in replacements:
        if old not in content:
            raise RuntimeError(f"{path}: {old!r} not found; Debian's FreeRADIUS configuration changed")
        content = content.replace(old, new, 1)
    path.write_text(content)


def build(raddb: freeradius.Raddb, credentials: list[Credential]) -> None:
    shutil.copytree(freeradius.STOCK_RADDB, raddb.path, symlinks=True)
    for sub in ("log", "run"):
        (raddb.path / sub).mkdir()
    # The detail module's directory for the load generator's address, as on a server that has run a day:
    # on a fresh install its first packets race to create it and a few fail (radclient then retries in 3 s).
    (raddb.path / "log" / "radacct" / LOOPBACK).mkdir(parents=True)
    _edit(
        raddb.path / "radiusd.conf",
        [
            ("raddbdir = /etc/freeradius/3.0", f"raddbdir = {raddb.path}"),
            ("logdir = /var/log/freeradius", f"logdir = {raddb.path}/log"),
            ("run_dir = ${localstatedir}/run/${name}", f"run_dir = {raddb.path}/run"),
            ("\tuser = freerad\n", "\n"),
            ("\tgroup = freerad\n", "\n"),
        ],
    )
    shutil.copy(freeradius.TEMPLATE_DIR / "clients.conf", raddb.path / "clients.conf")
    freeradius.fill_markers(raddb, [raddb.path / "clients.conf"])
    listen = [("ipaddr = *", "ipaddr = 127.0.0.1")] * 2 + [("ipv6addr = ::", "ipv6addr = ::1")] * 2
    ports = [raddb.auth_port, raddb.acct_port] * 2
    _edit(
        raddb.path / "sites-available" / "default",
        listen + [("\tport = 0\n", f"\tport = {port}\n") for port in ports],
    )
    _edit(raddb.path / "sites-available" / "inner-tunnel", [("port = 18120", f"port = {free_port()}")])
    _edit(
        raddb.path / "mods-available" / "sql",
        [
            ('dialect = "sqlite"', 'dialect = "postgresql"'),
            (
                '\tdriver = "rlm_sql_null"\n',
                f'\tdriver = "rlm_sql_postgresql"\n\tserver = "{PG_HOST}"\n\tport = {PG_PORT}\n'
                f'\tlogin = "{PG_USER}"\n\tpassword = ""\n',
            ),
            ('radius_db = "radius"', f'radius_db = "{raddb.dbname}"'),
        ],
    )
    os.symlink("../mods-available/sql", raddb.path / "mods-enabled" / "sql")


def bench(args: argparse.Namespace, work: Path) -> Result:
    return freeradius.bench_peer(args, work, NAME, LABEL, stores=True, build=build)
