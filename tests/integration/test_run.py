"""`hotspot run` brings the services up on a fresh database and stops them cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import urllib.request

from testbed.helpers import free_port, settings_env, wait_for


def healthz(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_run_serves_healthz_and_stops_on_sigterm(settings):
    port = free_port()
    env = settings_env(
        settings,
        HOTSPOT_PORTAL_HOST="127.0.0.1",
        HOTSPOT_PORTAL_PORT=str(port),
        HOTSPOT_RADIUS_BIND="127.0.0.1",
        HOTSPOT_RADIUS_AUTH_PORT=str(free_port(socket.SOCK_DGRAM)),
        HOTSPOT_RADIUS_ACCT_PORT=str(free_port(socket.SOCK_DGRAM)),
        HOTSPOT_RADIUS_METRICS_PORT=str(free_port()),
        HOTSPOT_ADMIN_PASSWORD="run-test-password",
    )
    init = subprocess.run(
        [sys.executable, "-m", "hotspot.cli", "init", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "hotspot.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: healthz(port), timeout=30, what="portal /healthz")
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert not healthz(port)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
