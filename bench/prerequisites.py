"""What a benchmark drives, made present before it starts: installed when it can be, else named in one line.

Debian packages go through scripts/ensure-debian-packages.sh (as `make test` installs the
suite's peers), Python packages through this virtualenv's pip; a server the benchmark only
talks to (PostgreSQL, Redis) is checked for an answer. Each function returns None when all
is there, or the one line to print before exiting with status 2.
"""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ENSURE_DEBIAN = Path(__file__).resolve().parent.parent / "scripts" / "ensure-debian-packages.sh"


def missing_debian(needed: dict[str, str]) -> str | None:
    """Install the Debian packages whose command (or absolute path) is missing: CHECK -> PACKAGE."""
    entries = [f"{check}:{package}" for check, package in needed.items()]
    try:
        proc = subprocess.run([str(ENSURE_DEBIAN), *entries], stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        return f"cannot run {ENSURE_DEBIAN} ({exc.strerror}) to install {' '.join(needed.values())}"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"{ENSURE_DEBIAN.name} exited with {proc.returncode}"


def missing_python(module: str, requirement: str) -> str | None:
    """Install `requirement` into this virtualenv when `module` cannot be imported."""
    try:
        importlib.import_module(module)
        return None
    except ImportError:
        pass
    print(f"installing {requirement} into {sys.prefix}", flush=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", requirement]
    try:
        failed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    except OSError:
        failed = True
    if failed:
        return f"missing Python package {requirement} ({' '.join(command)} failed)"
    importlib.invalidate_caches()
    return None


def unanswered(url: str, what: str, default_port: int, instead: str) -> str | None:
    """A one-line complaint when nothing accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        socket.create_connection((host, port), timeout=3).close()
        return None
    except OSError as exc:
        return f"{what} is not answering at {host}:{port} ({exc.strerror or exc}): start it, or {instead}"
