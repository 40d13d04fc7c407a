"""The `hotspot` command round-trips through the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotspot.cli import main
from hotspot.crypto import SecretBox, hash_token, verify_password
from hotspot.models import Account, AdminUser, ApiToken, AuditEvent, Nas, Plan, RadiusSession, Voucher
from testbed.helpers import settings_env


@pytest.fixture
def run(settings, engine):
    """Invoke the CLI in-process with the test database's settings."""
    runner = CliRunner()

    def invoke(*args, input=None, env=None):
        return runner.invoke(
            main,
            list(args),
            input=input,
            env={**settings_env(settings), **(env or {})},
            catch_exceptions=False,
        )

    return invoke


def test_nas_add_and_list_round_trip(run, db, settings):
    result = run(
        "nas",
        "add",
        "Taman Tirosa",
        "--ip",
        "10.53.1.0/24",
        "--secret",
        "s3cret-tirosa",
        "--vendor",
        "mikrotik",
        "--require-message-authenticator",
        "--login-host",
        "login.tirosa.wifi",
    )
    assert result.exit_code == 0, result.output
    nas = db.scalar(select(Nas))
    assert (nas.name, nas.ip_range, nas.vendor, nas.require_message_authenticator, nas.login_host) == (
        "Taman Tirosa",
        "10.53.1.0/24",
        "mikrotik",
        True,
        "login.tirosa.wifi",
    )
    assert nas.secret_encrypted != "s3cret-tirosa"
    assert SecretBox(settings.secret_key).decrypt(nas.secret_encrypted) == "s3cret-tirosa"
    listed = json.loads(run("nas", "list", "--format", "json").output)
    assert [(n["name"], n["ip"], n["vendor"]) for n in listed] == [
        ("Taman Tirosa", "10.53.1.0/24", "mikrotik")
    ]
    assert "s3cret" not in run("nas", "list").output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ip", "10.53.1.300", "--secret", "longenough"], "not an IP address or CIDR block"),
        (["--ip", "10.53.1.1", "--secret", "short"], "at least 8 characters"),
        (
            ["--ip", "10.53.1.1", "--secret", "longenough", "--vendor", "cisco"],
            "Invalid value for '--vendor'",
        ),
    ],
)
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
    result = run(
        "plan",
        "add",
        "Gratis",
        "--session-minutes",
        "60",
        "--daily-minutes",
        "60",
        "--daily-mb",
        "500",
        "--down-kbps",
        "2048",
        "--up-kbps",
        "1024",
        "--free-access",
    )
    assert result.exit_code == 0, result.output
    plan = db.scalar(select(Plan))
    assert (
        plan.session_minutes,
        plan.daily_minutes,
        plan.daily_mb,
        plan.down_kbps,
        plan.up_kbps,
        plan.free_access,
    ) == (60, 60, 500, 2048, 1024, True)
    listed = json.loads(run("plan", "list", "--format", "json").output)
    assert listed[0]["name"] == "Gratis" and listed[0]["daily_mb"] == 500
    bad = run("plan", "add", "Rusak", "--daily-minutes", "-5")
    assert bad.exit_code == 2 and "daily-minutes must be a positive number" in bad.output


def test_plan_add_with_a_throttle_rate_and_sessions_at_once(run, db):
    result = run(
        "plan", "add", "Warga", "--daily-mb", "2000", "--throttle-kbps", "256", "--max-sessions", "2"
    )
    assert result.exit_code == 0, result.output
    [listed] = json.loads(run("plan", "list", "--format", "json").output)
    assert (listed["throttle_kbps"], listed["max_sessions"]) == (256, 2)
    bad = run("plan", "add", "Rusak", "--max-sessions", "0")
    assert bad.exit_code == 2 and "max-sessions must be a positive number" in bad.output


def test_account_add_normalises_phone_and_hashes_password(run, db):
    assert run("plan", "add", "Warga", "--daily-minutes", "180").exit_code == 0
    result = run(
        "account", "add", "0812-3456-7890", "--plan", "Warga", "--password-stdin", input="rahasia-warga\n"
    )
    assert result.exit_code == 0, result.output
    account = db.scalar(select(Account))
    assert account.phone == "+6281234567890"
    assert account.plan.name == "Warga"
    assert account.password_hash != "rahasia-warga" and verify_password(
        account.password_hash, "rahasia-warga"
    )


def test_account_add_with_unknown_plan_fails(run, db):
    result = run(
        "account", "add", "081234567890", "--plan", "Tidak-Ada", "--password-stdin", input="rahasia-warga\n"
    )
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
        (fresh.code, "Acara", "new", None),
        (running.code, "Acara", "active", running.expires_at.isoformat()),
        (over.code, "Acara", "expired", over.expires_at.isoformat()),
        (cancelled.code, "Acara", "revoked", None),
    ]
    unused = json.loads(run("voucher", "list", "--status", "new", "--format", "json").output)
    assert [row["code"] for row in unused] == [fresh.code]
    assert run("voucher", "list", "--status", "lost").exit_code == 2


def test_sessions_json_round_trip(run, db):
    assert (
        run("nas", "add", "Taman Fontein", "--ip", "10.53.3.1", "--secret", "fontein-secret").exit_code == 0
    )
    nas = db.scalar(select(Nas))
    start = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    db.add_all(
        [
            RadiusSession(
                unique_id="u1",
                nas_id=nas.id,
                acct_session_id="80000001",
                username="t-abc",
                calling_station_id="AA:BB:CC:DD:EE:01",
                framed_ip="10.5.50.2",
                start_time=start,
                update_time=start + timedelta(minutes=20),
                stop_time=start + timedelta(minutes=20),
                session_time=1200,
                input_octets=5 * 2**32 + 7,
                output_octets=123456789,
                terminate_cause="User-Request",
                status="closed",
            ),
            RadiusSession(
                unique_id="u2",
                nas_id=nas.id,
                acct_session_id="80000002",
                username="t-def",
                calling_station_id="AA:BB:CC:DD:EE:02",
                start_time=start + timedelta(hours=1),
                update_time=start + timedelta(hours=1),
                status="active",
            ),
        ]
    )
    db.commit()
    rows = json.loads(run("sessions", "--format", "json").output)
    assert [r["acct_session_id"] for r in rows] == ["80000002", "80000001"]
    closed = rows[1]
    assert closed == {
        "id": db.scalar(select(RadiusSession.id).where(RadiusSession.unique_id == "u1")),
        "username": "t-abc",
        "nas": "Taman Fontein",
        "acct_session_id": "80000001",
        "calling_station_id": "AA:BB:CC:DD:EE:01",
        "called_station_id": None,
        "framed_ip": "10.5.50.2",
        "start_time": "2026-11-27T01:00:00+00:00",
        "stop_time": "2026-11-27T01:20:00+00:00",
        "session_time": 1200,
        "input_octets": 5 * 2**32 + 7,
        "output_octets": 123456789,
        "terminate_cause": "User-Request",
        "status": "closed",
        "access_point": None,
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
    hour = datetime(2026, 11, 27, 1, tzinfo=UTC)
    db.add_all(
        [
            UsageHour(nas_id=nas.id, hour=hour, sessions=3, input_octets=100, output_octets=900),
            UsageHour(
                nas_id=nas.id, hour=hour + timedelta(hours=1), sessions=2, input_octets=50, output_octets=50
            ),
        ]
    )
    db.commit()
    rows = json.loads(run("usage", "--by", "nas", "--format", "json").output)
    assert rows == [
        {
            "nas": "Perumnas",
            "sessions": 5,
            "session_seconds": 0,
            "input_octets": 150,
            "output_octets": 950,
            "random_sessions": 0,
            "devices": 0,
            "random_devices": 0,
            "random_share": 0.0,
        }
    ]
    since = json.loads(
        run("usage", "--by", "hour", "--since", "2026-11-27T02:00:00Z", "--format", "json").output
    )
    assert [r["sessions"] for r in since] == [2]


def test_voucher_list_shows_each_status_as_the_console_does(run, db):
    assert run("plan", "add", "Acara", "--valid-days", "3").exit_code == 0
    assert run("plan", "add", "Warga").exit_code == 0
    assert run("voucher", "generate", "--plan", "Acara", "--count", "4", "--batch", "festival").exit_code == 0
    assert run("voucher", "generate", "--plan", "Warga", "--count", "1", "--batch", "warga-1").exit_code == 0
    now = datetime.now(UTC)
    new, active, expired, revoked = db.scalars(
        select(Voucher).where(Voucher.batch == "festival").order_by(Voucher.code)
    ).all()
    active.first_used_at, active.expires_at = now - timedelta(hours=1), now + timedelta(days=2)
    expired.first_used_at, expired.expires_at = now - timedelta(days=4), now - timedelta(days=1)
    revoked.revoked = True
    db.commit()
    listed = json.loads(run("voucher", "list", "--plan", "Acara", "--format", "json").output)
    assert listed == [
        {
            "code": new.code,
            "plan": "Acara",
            "batch": "festival",
            "status": "new",
            "first_used_at": None,
            "expires_at": None,
        },
        {
            "code": active.code,
            "plan": "Acara",
            "batch": "festival",
            "status": "active",
            "first_used_at": active.first_used_at.isoformat(),
            "expires_at": active.expires_at.isoformat(),
        },
        {
            "code": expired.code,
            "plan": "Acara",
            "batch": "festival",
            "status": "expired",
            "first_used_at": expired.first_used_at.isoformat(),
            "expires_at": expired.expires_at.isoformat(),
        },
        {
            "code": revoked.code,
            "plan": "Acara",
            "batch": "festival",
            "status": "revoked",
            "first_used_at": None,
            "expires_at": None,
        },
    ]
    for status, code in (
        ("new", new.code),
        ("active", active.code),
        ("expired", expired.code),
        ("revoked", revoked.code),
    ):
        listed = run("voucher", "list", "--batch", "festival", "--status", status, "--format", "json")
        rows = json.loads(listed.output)
        assert [r["code"] for r in rows] == [code]
    every = json.loads(run("voucher", "list", "--format", "json").output)
    assert [r["batch"] for r in every] == ["festival"] * 4 + ["warga-1"]
    csv_out = run("voucher", "list", "--batch", "warga-1", "--format", "csv").output.splitlines()
    assert csv_out[0] == "code,plan,batch,status,first_used_at,expires_at"
    assert csv_out[1].endswith(",warga-1,new,,")
    assert run("voucher", "list", "--status", "used").exit_code == 2
    unknown = run("voucher", "list", "--plan", "Nope")
    assert unknown.exit_code == 2 and "Nope" in unknown.output


def test_device_block_list_unblock_audited_like_the_console(run, db):
    result = run("device", "block", "aa-bb-cc-dd-ee-0f", "--reason", "spam from the park")
    assert (result.exit_code, result.output) == (0, "AA:BB:CC:DD:EE:0F blocked\n")
    assert run("device", "block", "aabb.ccdd.ee10").exit_code == 0
    assert run("device", "unblock", "AABBCCDDEE10").exit_code == 0
    blocked = json.loads(run("device", "list", "--blocked", "--format", "json").output)
    assert [(d["mac"], d["blocked"], d["phone"]) for d in blocked] == [("AA:BB:CC:DD:EE:0F", True, None)]
    everyone = json.loads(run("device", "list", "--format", "json").output)
    assert sorted((d["mac"], d["blocked"]) for d in everyone) == [
        ("AA:BB:CC:DD:EE:0F", True),
        ("AA:BB:CC:DD:EE:10", False),
    ]
    entries = db.scalars(
        select(AuditEvent).where(AuditEvent.action.startswith("device.")).order_by(AuditEvent.id)
    )
    assert [(e.actor, e.action, e.target, json.loads(e.detail)) for e in entries] == [
        ("cli", "device.block", "AA:BB:CC:DD:EE:0F", {"reason": "spam from the park"}),
        ("cli", "device.block", "AA:BB:CC:DD:EE:10", {}),
        ("cli", "device.unblock", "AA:BB:CC:DD:EE:10", {}),
    ]
    bad = run("device", "block", "not-a-mac")
    assert bad.exit_code == 2 and "not a MAC address: 'not-a-mac'" in bad.output
    unknown = run("device", "unblock", "02:00:00:00:00:77")
    assert unknown.exit_code == 2 and "no device with MAC 02:00:00:00:00:77" in unknown.output
    assert len(json.loads(run("device", "list", "--format", "json").output)) == 2
