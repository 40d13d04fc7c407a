"""The portal (gunicorn) and the RADIUS server (`hotspot radius`) as real processes on loopback ports."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pyrad import packet
from pyrad.client import Client, Timeout

from hotspot.radius_dictionary import load_dictionary
from hotspot.settings import Settings
from testbed.helpers import PROJECT_ROOT, free_port, settings_env, wait_for

HOTSPOT = str(Path(sys.executable).parent / "hotspot")


def hotspot_init(settings: Settings, admin_password: str = "testbed-admin-password") -> None:
    """`hotspot init` as an operator runs it: migrations and the first admin, on these settings."""
    env = settings_env(settings, HOTSPOT_ADMIN_PASSWORD=admin_password)
    result = subprocess.run([HOTSPOT, "init"], env=env, capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise RuntimeError(f"hotspot init failed: {result.stdout}{result.stderr}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def portal_server(settings: Settings, log_path: Path, workers: int = 2, **env: str):
    """gunicorn with config/gunicorn.conf.py; yields the base URL once /healthz answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = settings_env(
        settings,
        HOTSPOT_PORTAL_HOST="127.0.0.1",
        HOTSPOT_PORTAL_PORT=str(port),
        HOTSPOT_PORTAL_URL=url,
        HOTSPOT_PORTAL_WORKERS=str(workers),
        **env,
    )
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "portal.wsgi:app"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: process.poll() is not None or _answers(url + "/healthz"), timeout=30, what="the portal"
        )
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()}")
        yield url
    finally:
        _stop(process)


def _status_server(port: int, secret: str, source: str) -> bool:
    client = Client(
        server="127.0.0.1",
        authport=port,
        secret=secret.encode(),
        dict=load_dictionary(Settings.radius_dictionary_dir),
        retries=1,
        timeout=0.5,
    )
    client.bind((source, 0))
    try:
        client.SendPacket(client.CreateAuthPacket(code=packet.StatusServer))
        return True
    except Timeout:
        return False
    finally:
        client._CloseSocket()


@contextlib.contextmanager
def radius_server(settings: Settings, log_path: Path, secret: str, source: str = "127.0.0.1"):
    """`hotspot radius` on loopback; yields (auth_port, acct_port) once it answers Status-Server."""
    auth_port, acct_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    environment = settings_env(
        settings,
        HOTSPOT_RADIUS_BIND="127.0.0.1",
        HOTSPOT_RADIUS_AUTH_PORT=str(auth_port),
        HOTSPOT_RADIUS_ACCT_PORT=str(acct_port),
        HOTSPOT_RADIUS_METRICS_PORT=str(free_port()),
    )
    with open(log_path, "ab") as log:
        process = subprocess.Popen([HOTSPOT, "radius"], env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: process.poll() is not None or _status_server(auth_port, secret, source),
            timeout=30,
            what="the RADIUS server",
        )
        if process.poll() is not None:
            raise RuntimeError(f"hotspot radius exited:\n{log_path.read_text()}")
        yield auth_port, acct_port
    finally:
        _stop(process)
