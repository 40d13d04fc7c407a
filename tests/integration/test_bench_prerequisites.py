"""A benchmark run on a machine without what it drives says so in one line, not with a traceback.

The scripts run as a newcomer runs them; PATH holds only what the installer script itself
needs (bash, id), so wrk, radclient and apt-get are all out of reach, as on a machine where
they cannot be installed.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare_path(tmp_path):
    directory = tmp_path / "bin"
    directory.mkdir()
    for tool in ("bash", "id"):
        (directory / tool).symlink_to(f"/usr/bin/{tool}")
    return str(directory)


@pytest.mark.parametrize(
    ("script", "argv", "packages"),
    [
        ("portal.py", ["--duration", "1"], "wrk curl"),
        ("radius.py", ["--only", "sqlite"], "freeradius-utils"),
    ],
)
def test_missing_tools_are_named_in_one_line(bare_path, script, argv, packages):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PATH": bare_path},
    )

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        f"missing Debian packages: {packages} (as root: apt-get update && apt-get install {packages})"
    ]
