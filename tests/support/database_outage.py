"""Taking the database away from a running server, and giving it back.

SQLite: another process holds `BEGIN EXCLUSIVE` on the file, so every write
waits and then fails as "database is locked". PostgreSQL: a private server
(initdb into a temp folder, its own port and socket folder) that the test may
stop with `pg_ctl stop -m fast` and start again; the machine's shared
PostgreSQL is never touched.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from testbed.helpers import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
connection.close()
"""


class SqliteLock:
    """An exclusive lock on a SQLite file held by another process between `begin` and `end`."""

    def __init__(self, path: Path):
        self.path = path
        self.process: subprocess.Popen | None = None

    def begin(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOCK_HOLDER, str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "locked"

    def end(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.stdin.write("\n")
        process.stdin.close()
        process.stdout.close()
        assert process.wait(timeout=30) == 0


class PrivatePostgres:
    """A throw-away PostgreSQL 15 server on a free port, run as the `postgres` OS user when we are root."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="hotspot-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.running = False
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")

    def create(self) -> PrivatePostgres:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._start()
        return self

    def _start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )
        self.running = True

    def begin(self) -> None:
        """The outage: a fast shutdown (open connections are cut)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def end(self) -> None:
        self._start()

    def destroy(self) -> None:
        if self.running:
            self.begin()
        shutil.rmtree(self.root, ignore_errors=True)
