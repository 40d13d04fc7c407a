"""The `hotspot` command round-trips through the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotspot.cli import main
from hotspot.crypto import SecretBox, verify_password
from hotspot.models import Account, AdminUser, ApiToken, AuditEvent, Nas, Plan, RadiusSession, Voucher
from hotspot.crypto import hash_token
from testbed.helpers import settings_env


@pytest.fixture
def run(settings, engine):
    """Invoke the CLI in-process with the test database's settings."""
    runner = CliRunner()

    def invoke(*args, input=None, env=None):
        return runner.invoke(main, list(args), input=input, env={**settings_env(settings), **(env or {})},
                             catch_exceptions=False)

    return invoke


def test_nas_add_and_list_round_trip(run, db, settings):
    result = run("nas", "add", "Taman Tirosa", "--ip", "10.53.1.0/24", "--secret", "s3cret-tirosa",
                 "--vendor", "mikrotik", "--require-message-authenticator", "--login-host", "login.tirosa.wifi")
    assert result.exit_code == 0, result.output
    nas = db.scalar(select(Nas))
    assert (nas.name, nas.ip_range, nas.vendor, nas.require_message_authenticator, nas.login_host) == (
        "Taman Tirosa", "10.53.1.0/24", "mikrotik", True, "login.tirosa.wifi")
    assert nas.secret_encrypted != "s3cret-tirosa"
    assert SecretBox(settings.secret_key).decrypt(nas.secret_encrypted) == "s3cret-tirosa"
    listed = json.loads(run("nas", "list", "--format", "json").output)
    assert [(n["name"], n["ip"], n["vendor"]) for n in listed] == [("Taman Tirosa", "10.53.1.0/24", "mikrotik")]
    assert "s3cret" not in run("nas", "list").output


@pytest.mark.parametrize("args, message", [
    (["--ip", "10.53.1.300", "--secret", "longenough"], "not an IP address or CIDR block"),
    (["--ip", "10.53.1.1", "--secret", "short"], "at least 8 characters"),
    (["--ip", "10.53.1.1", "--secret", "longenough", "--vendor", "cisco"], "Invalid value for '--vendor'"),
])
def test_nas_add_rejects_bad_input(run, db, args, message):
    result = run("nas", "add", "Pantai Warna", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert db.scalar(select(func.count()).select_from(Nas)) == 0


def test_duplicate_nas_name_is_refused(run, db):
    assert run("nas", "add", "Perumnas", "--ip", "10.53.10.1", "--secret", "perumnas-1").exit_code == 0
    result = run("nas", "add", "Perumnas", "--ip", "10.53.11.1", "--secret", "perumnas-2")
    assert result.exit_code == 2
    assert "a NAS named 'Perumnas' already exists" in result.output
    assert db.scalar(select(func.count()).select_from(Nas)) == 1


def test_plan_add_and_list(run, db):
    result = run("plan", "add", "Gratis", "--session-minutes", "60", "--daily-minutes", "60", "--daily-mb", "500",
                 "--down-kbps", "2048", "--up-kbps", "1024", "--free-access")
    assert result.exit_code == 0, result.output
    plan = db.scalar(select(Plan))
    assert (plan.session_minutes, plan.daily_minutes, plan.daily_mb, plan.down_kbps, plan.up_kbps, plan.free_access) == (
        60, 60, 500, 2048, 1024, True)
    listed = json.loads(run("plan", "list", "--format", "json").output)
    assert listed[0]["name"] == "Gratis" and listed[0]["daily_mb"] == 500
    bad = run("plan", "add", "Rusak", "--daily-minutes", "-5")
    assert bad.exit_code == 2 and "daily-minutes must be a positive number" in bad.output


def test_account_add_normalises_phone_and_hashes_password(run, db):
    assert run("plan", "add", "Warga", "--daily-minutes", "180").exit_code == 0
    result = run("account", "add", "0812-3456-7890", "--plan", "Warga", "--password-stdin", input="rahasia-warga\n")
    assert result.exit_code == 0, result.output
    account = db.scalar(select(Account))
    assert account.phone == "+6281234567890"
    assert account.plan.name == "Warga"
    assert account.password_hash != "rahasia-warga" and verify_password(account.password_hash, "rahasia-warga")


def test_account_add_with_unknown_plan_fails(run, db):
    result = run("account", "add", "081234567890", "--plan", "Tidak-Ada", "--password-stdin", input="rahasia-warga\n")
    assert result.exit_code == 2
    assert "no plan named 'Tidak-Ada'" in result.output
    assert db.scalar(select(func.count()).select_from(Account)) == 0


def test_voucher_generate_prints_stored_codes(run, db):
    assert run("plan", "add", "Acara", "--valid-days", "3").exit_code == 0
    result = run("voucher", "generate", "--plan", "Acara", "--count", "5", "--format", "json")
    assert result.exit_code == 0, result.output
    codes = {row["code"] for row in json.loads(result.output)}
    assert len(codes) == 5
    assert set(db.scalars(select(Voucher.code))) == codes


def test_voucher_list_shows_each_state_and_filters_by_it(run, db):
    from hotspot.clock import utcnow

    assert run("plan", "add", "Acara", "--valid-days", "3").exit_code == 0
    assert run("voucher", "generate", "--plan", "Acara", "--count", "4", "--batch", "pentas").exit_code == 0
    fresh, running, over, cancelled = db.scalars(select(Voucher).order_by(Voucher.code)).all()
    now = utcnow().replace(microsecond=0)
    running.first_used_at, running.expires_at = now - timedelta(days=1), now + timedelta(days=2)
    over.first_used_at, over.expires_at = now - timedelta(days=4), now - timedelta(days=1)
    cancelled.revoked = True
    db.commit()
    listed = json.loads(run("voucher", "list", "--batch", "pentas", "--format", "json").output)
    assert [(row["code"], row["plan"], row["status"], row["expires_at"]) for row in listed] == [
        (fresh.code, "Acara", "new", None), (running.code, "Acara", "active", running.expires_at.isoformat()),
        (over.code, "Acara", "expired", over.expires_at.isoformat()), (cancelled.code, "Acara", "revoked", None)]
    unused = json.loads(run("voucher", "list", "--status", "new", "--format", "json").output)
    assert [row["code"] for row in unused] == [fresh.code]
    assert run("voucher", "list", "--status", "lost").exit_code == 2


def test_sessions_json_round_trip(run, db):
    assert run("nas", "add", "Taman Fontein", "--ip", "10.53.3.1", "--secret", "fontein-secret").exit_code == 0
    nas = db.scalar(select(Nas))
    start = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)
    db.add_all([
        RadiusSession(unique_id="u1", nas_id=nas.id, acct_session_id="80000001", username="t-abc",
                      calling_station_id="AA:BB:CC:DD:EE:01", framed_ip="10.5.50.2", start_time=start,
                      update_time=start + timedelta(minutes=20), stop_time=start + timedelta(minutes=20),
                      session_time=1200, input_octets=5 * 2**32 + 7, output_octets=123456789,
                      terminate_cause="User-Request", status="closed"),
        RadiusSession(unique_id="u2", nas_id=nas.id, acct_session_id="80000002", username="t-def",
                      calling_station_id="AA:BB:CC:DD:EE:02", start_time=start + timedelta(hours=1),
                      update_time=start + timedelta(hours=1), status="active"),
    ])
    db.commit()
    rows = json.loads(run("sessions", "--format", "json").output)
    assert [r["acct_session_id"] for r in rows] == ["80000002", "80000001"]
    closed = rows[1]
    assert closed == {
        "username": "t-abc", "nas": "Taman Fontein", "acct_session_id": "80000001",
        "calling_station_id": "AA:BB:CC:DD:EE:01", "called_station_id": None, "framed_ip": "10.5.50.2",
        "start_time": "2026-11-27T01:00:00+00:00", "stop_time": "2026-11-27T01:20:00+00:00",
        "session_time": 1200, "input_octets": 5 * 2**32 + 7, "output_octets": 123456789,
        "terminate_cause": "User-Request", "status": "closed",
    }
    active = json.loads(run("sessions", "--active", "--format", "json").output)
    assert [r["username"] for r in active] == ["t-def"]
    by_mac = json.loads(run("sessions", "--mac", "aa-bb-cc-dd-ee-01", "--format", "json").output)
    assert [r["username"] for r in by_mac] == ["t-abc"]
    assert run("sessions", "--since", "yesterday").exit_code == 2


def test_admin_create_and_token(run, db):
    result = run("admin", "create", "budi", "--role", "operator", "--password-stdin", input="budi-password\n")
    assert result.exit_code == 0, result.output
    admin = db.scalar(select(AdminUser).where(AdminUser.username == "budi"))
    assert admin.role == "operator" and verify_password(admin.password_hash, "budi-password")
    token = run("admin", "token", "budi").output.strip()
    stored = db.scalar(select(ApiToken))
    assert len(token) >= 40 and stored.token_hash == hash_token(token) and stored.admin_id == admin.id
    assert run("admin", "token", "nobody").exit_code == 2
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"admin.create", "admin.token"} <= actions


def test_usage_by_nas_reads_rollups(run, db):
    from hotspot.models import UsageHour

    assert run("nas", "add", "Perumnas", "--ip", "10.53.10.1", "--secret", "perumnas-1").exit_code == 0
    nas = db.scalar(select(Nas))
    hour = datetime(2026, 11, 27, 1, tzinfo=timezone.utc)
    db.add_all([UsageHour(nas_id=nas.id, hour=hour, sessions=3, input_octets=100, output_octets=900),
                UsageHour(nas_id=nas.id, hour=hour + timedelta(hours=1), sessions=2, input_octets=50, output_octets=50)])
    db.commit()
    rows = json.loads(run("usage", "--by", "nas", "--format", "json").output)
    assert rows == [{"nas": "Perumnas", "sessions": 5, "session_seconds": 0, "input_octets": 150, "output_octets": 950}]
    since = json.loads(run("usage", "--by", "hour", "--since", "2026-11-27T02:00:00Z", "--format", "json").output)
    assert [r["sessions"] for r in since] == [2]
