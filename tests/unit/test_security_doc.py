"""SECURITY.md's threat table points at tests that exist: a renamed or deleted test breaks the build, not
the doc."""

from __future__ import annotations

import re

from testbed.helpers import PROJECT_ROOT

LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<path>[^)#]+)\)")


def test_every_file_and_test_the_threat_table_names_exists():
    doc = (PROJECT_ROOT / "SECURITY.md").read_text()
    missing = []
    for match in LINK.finditer(doc):
        path = PROJECT_ROOT / match["path"]
        if not path.exists():
            missing.append(match["path"])
            continue
        test = match["text"].rpartition("::")[2] if "::" in match["text"] else None
        if test and not re.search(rf"^def {re.escape(test)}\(", path.read_text(), re.MULTILINE):
            missing.append(f"{match['path']}::{test}")
    assert missing == []


def test_the_table_covers_every_threat_of_issue_6():
    doc = (PROJECT_ROOT / "SECURITY.md").read_text()
    for threat in (
        "RADIUS spoofing",
        "BlastRADIUS",
        "Replay",
        "Malformed packets",
        "Database outage",
        "CSRF",
        "XSS",
        "SQL injection",
        "Open redirect",
        "Session fixation",
        "Brute force",
        "Role escalation",
        "IDOR",
        "Secrets at rest",
        "Secrets in logs",
        "Ticket theft",
        "Clickjacking",
        "Rate-limit evasion",
        "Personal-data retention",
    ):
        assert f"| **{threat}" in doc, threat
