"""Small helpers for tests that start real processes: free ports, waiting, environments."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotspot.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on right now (TCP by default, UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment that makes a child process load exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTSPOT_")}
    for name, value in settings.__dict__.items():
        env[f"HOTSPOT_{name.upper()}"] = str(value)
    env["HOTSPOT_CONFIG"] = str(Path(__file__).with_name("empty.toml"))
    env.update(extra)
    return env


@contextlib.contextmanager
def fresh_postgres_schema(server_url: str, prefix: str = "t"):
    """URL of a new, empty schema in that PostgreSQL database (libpq search_path, so child processes
    see it too); the schema is dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


def child_pids(pid: int) -> list[int]:
    """The process ids of `pid`'s children (Linux /proc), for tests that kill or watch worker processes."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def gunicorn_master() -> int:
    """This process's child running gunicorn (as started by testbed.servers.portal_server)."""
    for pid in child_pids(os.getpid()):
        if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise AssertionError("no gunicorn child process")
