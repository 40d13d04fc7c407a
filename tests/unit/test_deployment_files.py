"""The container set-up keeps what the RADIUS daemon has acknowledged: its journal is on a named volume.

Docker itself cannot run on this project's machines, so the files are read as text: the journal folder the
image's environment names must be a VOLUME of the image and a named volume of the radius service.
"""

from __future__ import annotations

import re

from testbed.helpers import PROJECT_ROOT


def test_the_radius_journal_lives_on_a_named_volume():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    journal = re.search(r"HOTSPOT_RADIUS_JOURNAL_DIR=(\S+)", dockerfile)
    assert journal, "the image does not say where the journal is"
    assert f'VOLUME ["{journal[1]}"]' in dockerfile
    compose = (PROJECT_ROOT / "docker-compose.yml").read_text()
    radius = compose.split("\n  radius:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    mount = re.search(rf"^\s+- (\w+):{re.escape(journal[1])}$", radius, re.MULTILINE)
    assert mount, "the radius service does not mount the journal"
    assert re.search(rf"^volumes:\n(?:  \w+:\n)*  {mount[1]}:$", compose, re.MULTILINE)
