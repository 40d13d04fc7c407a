"""Under gunicorn the portal's own log lines reach the error log (the console SMS sender depends on it)."""

import subprocess
import sys

from testbed.helpers import PROJECT_ROOT, settings_env


def test_wsgi_entry_sends_info_lines_to_stderr(settings, engine):
    code = "import logging, portal.wsgi; logging.getLogger('hotspot.sms').info('SMS to +6281234567890: 482913')"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env=settings_env(settings, HOTSPOT_LOG_LEVEL="INFO"), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "INFO hotspot.sms: SMS to +6281234567890: 482913" in result.stderr
