"""Under gunicorn the portal's own log lines reach the error log (the console SMS sender depends on it)."""

import subprocess
import sys

import requests

from testbed.helpers import PROJECT_ROOT, settings_env
from testbed.servers import portal_server


def test_wsgi_entry_sends_info_lines_to_stderr(settings, engine):
    code = (
        "import logging, portal.wsgi; logging.getLogger('hotspot.sms').info('SMS to +6281234567890: 482913')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=settings_env(settings, HOTSPOT_LOG_LEVEL="INFO"),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "INFO hotspot.sms: SMS to +6281234567890: 482913" in result.stderr


def test_the_access_log_names_no_client(settings, engine, tmp_path):
    """A request carrying a phone's MAC and IP leaves a line with path and status only."""
    log = tmp_path / "portal.log"
    with portal_server(settings, log, workers=1) as url:
        requests.get(url + "/status", params={"mac": "AA:BB:CC:DD:EE:99", "ip": "10.5.50.99"}, timeout=10)
    lines = [line for line in log.read_text().splitlines() if '"GET /status"' in line]
    assert len(lines) == 1, log.read_text()
    assert not [value for value in ("AA:BB:CC:DD:EE:99", "10.5.50.99", "127.0.0.1") if value in lines[0]]
