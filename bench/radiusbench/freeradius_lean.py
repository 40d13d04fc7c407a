"""FreeRADIUS peer "lean": PAP against radcheck and accounting into radacct through rlm_sql, nothing else.

The stock site cut to the SQL work (bench/freeradius/lean/): FreeRADIUS at its SQL
best case, with Debian's stock schema and queries.conf on the same PostgreSQL.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from radiusbench import freeradius
from radiusbench.load import Credential
from radiusbench.workload import Result

NAME = "lean"
LABEL = "FreeRADIUS lean (sql+pap)"


def build(raddb: freeradius.Raddb, credentials: list[Credential]) -> None:
    freeradius.copy_templates(raddb, "lean")
    sql_dir = raddb.path / "mods-config" / "sql" / "main" / "postgresql"
    sql_dir.mkdir(parents=True)
    shutil.copy(freeradius.STOCK_PG_SQL / "queries.conf", sql_dir / "queries.conf")
    shutil.copytree(
        freeradius.STOCK_RADDB / "mods-config" / "preprocess", raddb.path / "mods-config" / "preprocess"
    )


def bench(args: argparse.Namespace, work: Path) -> Result:
    return freeradius.bench_peer(args, work, NAME, LABEL, stores=True, build=build)
