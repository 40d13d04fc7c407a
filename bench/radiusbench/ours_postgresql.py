"""Ours on PostgreSQL: `hotspot radius --workers N` on a fresh database, as in production."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from radiusbench.database import PG_HOST, PG_PORT, PG_USER, fresh_pg_database
from radiusbench.ours import bench_ours
from radiusbench.workload import Result

NAME = "postgresql"
LABEL = "ours + PostgreSQL"


def bench(args: argparse.Namespace, work: Path) -> Result:
    dbname = f"bench_hotspot_{os.getpid()}_{work.name.split('-')[0]}"
    var_dir = work / "hotspot-postgresql"
    var_dir.mkdir()
    with fresh_pg_database(dbname, args.keep):
        url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"
        return bench_ours(args, var_dir, NAME, LABEL, url, args.workers, dbname)
