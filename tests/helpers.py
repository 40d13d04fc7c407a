"""Small helpers for tests that start real processes: free ports, waiting, environments."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

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
    env["HOTSPOT_CONFIG"] = str(PROJECT_ROOT / "tests" / "empty.toml")
    env.update(extra)
    return env
