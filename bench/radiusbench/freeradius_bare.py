"""FreeRADIUS peer "bare": users from the `files` module, accounting answered `ok`, nothing stored.

No database and no disk: what FreeRADIUS and radclient can do on this machine
when the server does no work per packet, the ceiling the load generator allows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from radiusbench import freeradius
from radiusbench.load import Credential
from radiusbench.workload import Result

NAME = "bare"
LABEL = "FreeRADIUS bare (memory)"


def build(raddb: freeradius.Raddb, credentials: list[Credential]) -> None:
    freeradius.copy_templates(raddb, "bare")
    users = raddb.path / "mods-config" / "files" / "authorize"
    users.parent.mkdir(parents=True)
    users.write_text("".join(f'{c.username}\tCleartext-Password := "{c.password}"\n' for c in credentials))


def bench(args: argparse.Namespace, work: Path) -> Result:
    return freeradius.bench_peer(args, work, NAME, LABEL, stores=False, build=build)
