"""The router snippets the console shows are the ones docs/portal.md documents (one source for both)."""

from __future__ import annotations

from hotspot.models import Nas
from hotspot.services import router_setup
from hotspot.settings import Settings
from testbed.helpers import PROJECT_ROOT

DOCS = (PROJECT_ROOT / "docs" / "portal.md").read_text()
CITY = Settings(portal_url="https://portal.kupangkota.go.id")
TIROSA = Nas(
    name="Taman Tirosa", identifier="taman-tirosa", require_message_authenticator=True, coa_port=3799
)
PERUMNAS = Nas(name="Perumnas", identifier="perumnas", require_message_authenticator=True, coa_port=3799)


def fenced(text: str) -> str:
    """The snippet as a code block body in the docs: right after a fence line, up to the closing fence."""
    return "\n" + text.rstrip("\n") + "\n```"


def test_docs_show_the_generated_mikrotik_commands_and_login_page():
    commands = router_setup.mikrotik_commands(TIROSA, CITY, "S3cret…")
    assert fenced(commands) in DOCS
    assert fenced(router_setup.mikrotik_login_page(CITY)) in DOCS
    assert "login-by=http-chap,http-pap,mac " in commands
    assert "authentication-port=1812 accounting-port=1813" in commands


def test_docs_show_the_generated_chilli_config():
    config = router_setup.chilli(PERUMNAS, CITY, "S3cret…", "UamS3cret…")
    assert fenced(config) in DOCS
    lines = set(config.split("\n"))
    assert {"HS_MACAUTH=on", "HS_RADAUTH=1812", "HS_RADACCT=1813", "HS_NASID=perumnas"} <= lines


def test_snippets_carry_the_servers_own_ports_and_an_ip_when_the_portal_has_one():
    settings = Settings(portal_url="http://10.0.0.5:8080", radius_auth_port=11812, radius_acct_port=11813)
    config = router_setup.chilli(PERUMNAS, settings)
    assert {"HS_RADIUS=10.0.0.5", "HS_RADAUTH=11812", "HS_RADACCT=11813"} <= set(config.split("\n"))
    commands = router_setup.mikrotik_commands(TIROSA, settings)
    assert "address=10.0.0.5 " in commands and "authentication-port=11812 accounting-port=11813" in commands
    assert "dst-address=10.0.0.5 action=accept" in commands
