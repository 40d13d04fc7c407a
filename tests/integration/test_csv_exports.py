"""CSV exports: no cell a spreadsheet would run as a formula (console, CLI), and every console download
is in the audit log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotspot.cli import main
from hotspot.clock import utcnow
from hotspot.models import AuditEvent, AuthEvent
from testbed.helpers import settings_env
from tests.support.admin_data import add_ap, add_session

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


@pytest.fixture
def hostile_log(db):
    nas = add_ap(db, "Taman Tirosa", "10.53.1.0/24")
    start = utcnow() - timedelta(hours=1)
    for number, name in enumerate(HOSTILE):
        add_session(db, nas, number, start, username=name, called_station_id=name)
        db.add(
            AuthEvent(
                time=start,
                nas_id=nas.id,
                username=name,
                method="voucher",
                accepted=False,
                reason="unknown_voucher",
            )
        )
    db.commit()
    return nas


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_formula(text: str) -> None:
    values = cells(text)
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@")]
    for name in HOSTILE:
        assert "'" + name in values


def test_console_session_log_and_reports_are_neutralised_and_audited(client, login, db, hostile_log):
    login("viewer", "rina")
    sessions = client.get("/admin/sessions.csv", query_string={"nas": "Taman Tirosa"})
    assert sessions.status_code == 200
    assert_no_formula(sessions.get_data(as_text=True))
    report = client.get("/admin/reports.csv", query_string={"kind": "top"})
    assert report.status_code == 200
    assert_no_formula(report.get_data(as_text=True))
    logins = client.get("/admin/auth-log.csv", query_string={"reason": "unknown_voucher"})
    assert logins.status_code == 200
    assert_no_formula(logins.get_data(as_text=True))
    exports = list(
        db.scalars(select(AuditEvent).where(AuditEvent.action.endswith(".export")).order_by(AuditEvent.id))
    )
    assert [(e.actor, e.action, e.target) for e in exports] == [
        ("rina", "sessions.export", ""),
        ("rina", "reports.export", "top"),
        ("rina", "auth_log.export", ""),
    ]
    assert '"nas": "Taman Tirosa"' in exports[0].detail and exports[0].ip == "127.0.0.1"


def test_cli_csv_is_neutralised(settings, engine, hostile_log):
    result = CliRunner().invoke(
        main, ["sessions", "--format", "csv"], env=settings_env(settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert_no_formula(result.output)
