"""Ours on SQLite: `hotspot radius` with its default worker count on a file, the embedded default."""

from __future__ import annotations

import argparse
from pathlib import Path

from radiusbench.ours import bench_ours
from radiusbench.workload import Result

NAME = "sqlite"
LABEL = "ours + SQLite"


def bench(args: argparse.Namespace, work: Path) -> Result:
    var_dir = work / "hotspot-sqlite"
    var_dir.mkdir()
    url = f"sqlite:///{var_dir / 'bench.db'}"
    return bench_ours(args, var_dir, NAME, LABEL, url, args.sqlite_workers, None)
