"""Server processes: free loopback ports, start in a process group, wait until ready, always stop."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from pyrad.dictionary import Dictionary
from pyrad.packet import AuthPacket, StatusServer

from radiusbench.load import LOOPBACK, SECRET
from radiusbench.paced import PACED_DICTIONARY


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port nobody holds right now (UDP for RADIUS, TCP for metrics)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return True
        return False


def wait_ready(
    proc: subprocess.Popen, auth_port: int, acct_port: int, log: Path, timeout: float = 60
) -> None:
    """Wait until the server answers Status-Server on the auth port and holds the acct port."""
    dictionary = Dictionary(io.StringIO(PACED_DICTIONARY))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {proc.returncode}; its log ({log}, kept with --keep):\n{_tail(log)}"
            )
        probe = AuthPacket(code=StatusServer, secret=SECRET.encode(), dict=dictionary)
        probe.add_message_authenticator()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            sock.sendto(probe.RequestPacket(), (LOOPBACK, auth_port))
            try:
                sock.recv(4096)
            except OSError:
                continue
        if _udp_port_taken(acct_port):
            return
        time.sleep(0.1)
    raise RuntimeError(
        f"server not ready after {timeout:.0f} s; its log ({log}, kept with --keep):\n{_tail(log)}"
    )


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running(
    cmd: list[str], env: dict[str, str] | None, log: Path, auth_port: int, acct_port: int
) -> Iterator[subprocess.Popen]:
    """Start a server in its own process group, wait until ready, and always stop it."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_ready(proc, auth_port, acct_port, log)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
