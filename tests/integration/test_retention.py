"""Retention, table by table: past the period nothing names a citizen (phone, MAC, IP, or a link between
them); within it nothing changes. Pseudonyms are keyed; the console's purge runs as a job with progress."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotspot.cli import main
from hotspot.clock import utcnow
from hotspot.models import (
    Account,
    AuditEvent,
    AuthEvent,
    Device,
    LoginTicket,
    Nas,
    OneTimeCode,
    Plan,
    PurgeJob,
    RadiusSession,
    SignInThrottle,
    UsageHourUser,
)
from hotspot.pseudonyms import Pseudonyms
from hotspot.services import audit, retention
from hotspot.services.admins import create_admin
from hotspot.services.plans import PlanSpec, add_plan
from testbed.helpers import settings_env
from tests.conftest import ADMIN_PASSWORD, csrf_token_from
from tests.support.admin_data import add_ap, add_session

DAYS = 30
OLD_PHONE, NEW_PHONE = "+6281100000001", "+6281100000002"
OLD_MAC, NEW_MAC = "AA:BB:CC:00:00:01", "AA:BB:CC:00:00:02"


@pytest.fixture
def seeded(db):
    """For every table one row older than the period and one within it."""
    now = utcnow()
    old, new = now - timedelta(days=DAYS + 3), now - timedelta(days=DAYS - 3)
    nas = add_ap(db, "Taman Tirosa", "10.53.1.0/24")
    plan = add_plan(db, PlanSpec(name="Gratis", daily_minutes=60), actor="test")
    accounts = {
        "old_unverified": Account(phone="+6281100000010", password_hash="x", created_at=old),
        "old_unused": Account(
            phone=OLD_PHONE, password_hash="x", verified=True, created_at=old, last_login_at=old
        ),
        "old_blocked": Account(
            phone="+6281100000011",
            password_hash="x",
            verified=True,
            blocked=True,
            created_at=old,
            last_login_at=old,
        ),
        "active": Account(
            phone=NEW_PHONE, password_hash="x", verified=True, created_at=old, last_login_at=new
        ),
        "new_unverified": Account(phone="+6281100000012", password_hash="x", created_at=new),
    }
    db.add_all(accounts.values())
    db.flush()
    devices = {
        "old": Device(mac=OLD_MAC, account_id=accounts["old_unused"].id, first_seen=old, last_seen=old),
        "old_blocked": Device(
            mac="AA:BB:CC:00:00:03",
            account_id=accounts["active"].id,
            blocked=True,
            first_seen=old,
            last_seen=old,
        ),
        "new": Device(mac=NEW_MAC, account_id=accounts["active"].id, first_seen=old, last_seen=new),
    }
    db.add_all(devices.values())
    db.flush()
    add_session(
        db,
        nas,
        1,
        old,
        update_time=old,
        username="t-old",
        calling_station_id=OLD_MAC,
        device_id=devices["new"].id,
        account_id=accounts["active"].id,
    )
    add_session(
        db,
        nas,
        2,
        new,
        update_time=new,
        username="t-new",
        calling_station_id=NEW_MAC,
        device_id=devices["new"].id,
        account_id=accounts["active"].id,
    )
    add_session(db, nas, 3, old, update_time=old, username="t-open", status="active", stop_time=None)
    db.add_all(
        [
            AuthEvent(
                time=old,
                nas_id=nas.id,
                username=OLD_PHONE,
                calling_station_id=OLD_MAC,
                method="mac",
                accepted=True,
                reason="ok",
            ),
            AuthEvent(
                time=new,
                nas_id=nas.id,
                username=NEW_PHONE,
                calling_station_id=NEW_MAC,
                method="mac",
                accepted=True,
                reason="ok",
            ),
            UsageHourUser(
                nas_id=nas.id, hour=old.replace(minute=0, second=0, microsecond=0), username="t-old"
            ),
            UsageHourUser(
                nas_id=nas.id, hour=new.replace(minute=0, second=0, microsecond=0), username="t-new"
            ),
            LoginTicket(username="t-x1", secret="s", kind="free", plan_id=plan.id, expires_at=old),
            LoginTicket(username="t-x2", secret="s", kind="free", plan_id=plan.id, expires_at=new),
            OneTimeCode(phone=OLD_PHONE, purpose="register", code_hash="h", expires_at=old),
            OneTimeCode(phone=NEW_PHONE, purpose="register", code_hash="h", expires_at=new),
            SignInThrottle(address="36.91.10.5", username="budi", failures=2, window_start=old),
            SignInThrottle(address="36.91.10.6", username="budi", failures=2, window_start=new),
        ]
    )
    audit.record(
        db,
        "operator-1",
        "device.block",
        OLD_MAC,
        {"reason": f"abuse by {OLD_PHONE} at 10.5.50.7"},
        ip="36.91.10.5",
    ).time = old
    audit.record(
        db, "operator-1", "device.block", NEW_MAC, {"reason": f"abuse by {NEW_PHONE}"}, ip="36.91.10.6"
    ).time = new
    db.commit()
    return accounts, devices


def purge_with_the_cli(settings, *extra: str) -> str:
    result = CliRunner().invoke(
        main, ["purge", "--older-than", str(DAYS), *extra], env=settings_env(settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_clears_every_table_past_the_period_and_nothing_within(settings, db, seeded):
    accounts, devices = seeded
    output = purge_with_the_cli(settings)
    assert output == (
        "Anonymised 1 sessions and 1 auth events; deleted 1 login tickets and 1 one-time "
        "codes; purged 1 per-hour user rows, 2 devices, 2 accounts, 1 sign-in counters and "
        "1 audit entries.\n"
    )
    db.expire_all()
    pseudonym = Pseudonyms(settings.secret_key)

    sessions = {s.acct_session_id: s for s in db.scalars(select(RadiusSession))}
    old, new, open_ = sessions["00000001"], sessions["00000002"], sessions["00000003"]
    assert (old.username, old.calling_station_id, old.framed_ip, old.device_id, old.account_id) == (
        pseudonym("t-old"),
        pseudonym(OLD_MAC),
        pseudonym("10.5.0.3"),
        None,
        None,
    )
    assert (new.username, new.calling_station_id) == ("t-new", NEW_MAC) and new.account_id is not None
    assert open_.username == "t-open"  # an open session is never touched

    events = {e.time > utcnow() - timedelta(days=DAYS): e for e in db.scalars(select(AuthEvent))}
    assert (events[False].username, events[False].calling_station_id) == (
        pseudonym(OLD_PHONE),
        pseudonym(OLD_MAC),
    )
    assert (events[True].username, events[True].calling_station_id) == (NEW_PHONE, NEW_MAC)

    assert sorted(db.scalars(select(UsageHourUser.username))) == sorted([pseudonym("t-old"), "t-new"])
    assert list(db.scalars(select(LoginTicket.username))) == ["t-x2"]
    assert list(db.scalars(select(OneTimeCode.phone))) == [NEW_PHONE]
    assert list(db.scalars(select(SignInThrottle.address))) == ["36.91.10.6"]

    # The old device keeps its row under the MAC's pseudonym (the one its sessions carry), without a phone.
    gone = db.get(Device, devices["old"].id)
    assert (gone.mac, gone.account_id, gone.first_seen is not None) == (pseudonym(OLD_MAC), None, True)
    assert sorted(db.scalars(select(Device.mac))) == sorted(
        [pseudonym(OLD_MAC), NEW_MAC, "AA:BB:CC:00:00:03"]
    )
    blocked = db.scalar(select(Device).where(Device.mac == "AA:BB:CC:00:00:03"))
    assert blocked.blocked and blocked.account_id is None  # the block holds, the phone link goes
    kept = [accounts[k].phone for k in ("old_blocked", "active", "new_unverified")]
    assert sorted(db.scalars(select(Account.phone))) == sorted(
        kept + [pseudonym("+6281100000010"), pseudonym(OLD_PHONE)]
    )
    assert db.scalar(select(Account.password_hash).where(Account.phone == pseudonym(OLD_PHONE))) == ""

    entries = {e.target: e for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "device.block"))}
    cleaned = entries[pseudonym(OLD_MAC)]
    assert cleaned.ip == pseudonym("36.91.10.5") and json.loads(cleaned.detail) == {
        "reason": f"abuse by {pseudonym(OLD_PHONE)} at {pseudonym('10.5.50.7')}"
    }
    assert entries[NEW_MAC].ip == "36.91.10.6" and NEW_PHONE in entries[NEW_MAC].detail

    again = purge_with_the_cli(settings)  # a second run finds nothing left to do
    assert again.startswith("Anonymised 0 sessions and 0 auth events; deleted 0 login tickets")


def test_pseudonyms_are_keyed_not_a_plain_hash():
    one, other = Pseudonyms("key-one"), Pseudonyms("key-two")
    assert one(OLD_PHONE) == one(OLD_PHONE) != other(OLD_PHONE)
    assert hashlib.sha256(OLD_PHONE.encode()).hexdigest()[:12] not in one(OLD_PHONE)
    assert re.fullmatch(r"anon-[0-9a-f]{16}", one(OLD_PHONE))


def test_purge_goes_in_batches_and_reports_progress(settings, db, seeded):
    nas = db.scalar(select(RadiusSession.nas_id))
    old = utcnow() - timedelta(days=DAYS + 1)
    for n in range(10, 15):
        db.add(
            RadiusSession(
                unique_id=f"b{n}",
                nas_id=nas,
                acct_session_id=f"b{n}",
                username=f"+62811000{n}",
                calling_station_id=OLD_MAC,
                start_time=old,
                update_time=old,
                status="closed",
            )
        )
    db.commit()
    reports = []
    result = retention.purge(
        db,
        settings.secret_key,
        DAYS,
        utcnow(),
        batch_size=2,
        on_progress=lambda r: reports.append(r.rows["radius_session"]),
    )
    assert result.rows["radius_session"] == 6
    assert [n for n in dict.fromkeys(reports) if n] == [2, 4, 6]


def test_console_purge_is_a_job_whose_result_the_page_shows(settings, engine, db, seeded):
    from portal import create_app

    create_admin(db, "chief", ADMIN_PASSWORD, "admin", actor="test")
    app = create_app(settings.with_overrides(retention_days=DAYS))
    try:
        client = app.test_client()
        token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
        client.post(
            "/admin/login", data={"username": "chief", "password": ADMIN_PASSWORD, "csrf_token": token}
        )
        page = client.get("/admin/retention").get_data(as_text=True)
        client.post("/admin/retention/purge", data={"csrf_token": csrf_token_from(page)})
        job = db.scalar(select(PurgeJob))
        assert (job.actor, job.status, json.loads(job.progress)["account"]) == ("chief", "done", 2)
        shown = client.get("/admin/retention").get_data(as_text=True)
        assert 'data-status="done"' in shown
        assert '<td><code>account</code></td><td class="num">2</td>' in shown
        english = client.get("/admin/retention?lang=en").get_data(as_text=True)
        assert "The last purge (by chief, " in english and "Every phone number, MAC address" in english
        purged = select(func.count()).select_from(Account).where(Account.phone.startswith("anon-"))
        assert db.scalar(purged) == 2
    finally:
        app.extensions["hotspot"].engine.dispose()


# Old values in every spelling a table or a log line might use; none may survive the purge.
RAW_PHONE, RAW_MAC, RAW_IP, ADMIN_IP = "+6281377700001", "AA:BB:CC:77:00:01", "10.5.50.77", "36.91.77.1"
SPELLINGS = (
    RAW_PHONE,
    "081377700001",
    "6281377700001",
    RAW_MAC,
    "aa:bb:cc:77:00:01",
    "aa-bb-cc-77-00-01",
    "aabbcc770001",
    RAW_IP,
    ADMIN_IP,
)
FRESH_PHONE, FRESH_MAC, FRESH_IP = "+6281377700002", "AA:BB:CC:77:00:02", "10.5.50.78"


def fill_every_table(db, when, phone: str, mac: str, ip: str, admin_ip: str, tag: str) -> None:
    """One citizen's traces in every table that can hold a phone, MAC or IP, all dated `when`."""
    nas = db.scalar(select(Nas)) or add_ap(db, "Taman Tirosa", "10.53.1.0/24")
    plan = db.scalar(select(Plan)) or add_plan(db, PlanSpec(name="Gratis", daily_minutes=60), actor="test")
    account = Account(
        phone=phone, password_hash="argon-hash", verified=True, created_at=when, last_login_at=when
    )
    db.add(account)
    db.flush()
    device = Device(mac=mac, account_id=account.id, first_seen=when, last_seen=when)
    db.add(device)
    db.flush()
    hour = when.replace(minute=0, second=0, microsecond=0)
    for n, username in enumerate((f"t-{tag}", mac, phone, mac.replace(":", "-").lower())):
        add_session(
            db,
            nas,
            100 * len(tag) + n,
            when,
            update_time=when,
            username=username,
            calling_station_id=mac,
            framed_ip=ip,
            device_id=device.id,
            account_id=account.id,
        )
        db.add(UsageHourUser(nas_id=nas.id, hour=hour, username=username))
        db.add(
            AuthEvent(
                time=when,
                nas_id=nas.id,
                username=username,
                calling_station_id=mac,
                method="mac",
                accepted=n % 2 == 0,
                reason="ok",
            )
        )
    db.add_all(
        [
            LoginTicket(
                username=f"t-{tag}",
                secret="s",
                kind="account",
                plan_id=plan.id,
                device_id=device.id,
                account_id=account.id,
                created_at=when,
                expires_at=when,
            ),
            OneTimeCode(phone=phone, purpose="register", code_hash="h", created_at=when, expires_at=when),
            SignInThrottle(address=admin_ip, username="budi", failures=2, window_start=when),
        ]
    )
    local = "0" + phone[3:]
    for actor, action, target, detail in (
        ("operator-1", "device.block", mac, {"reason": f"abuse by {local} from {ip}", "bytes": 1234567890}),
        ("operator-1", "account.block", phone, {"devices": [mac.replace(":", "").lower()]}),
        ("budi", "admin.locked", "budi", {"address": admin_ip, "minutes": 15}),
        ("citizen", "citizen.data.export", phone[:5] + "*****" + phone[-3:], {"sessions": 4}),
    ):
        audit.record(db, actor, action, target, detail, ip=admin_ip).time = when
    db.commit()


def database_dump(settings, tmp_path) -> str:
    """The whole database as text, from the backup a city keeps (`hotspot backup`)."""
    result = CliRunner().invoke(
        main, ["backup", str(tmp_path / "hotspot.backup")], env=settings_env(settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    if settings.database_url.startswith("sqlite"):
        copy = sqlite3.connect(tmp_path / "hotspot.backup")
        try:
            return "\n".join(copy.iterdump())
        finally:
            copy.close()
    return subprocess.run(
        ["pg_restore", "--file=-", str(tmp_path / "hotspot.backup")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_no_raw_personal_value_is_left_anywhere_in_the_database(settings, db, tmp_path):
    now = utcnow()
    fill_every_table(db, now - timedelta(days=DAYS + 1), RAW_PHONE, RAW_MAC, RAW_IP, ADMIN_IP, "old")
    fill_every_table(
        db, now - timedelta(days=DAYS - 1), FRESH_PHONE, FRESH_MAC, FRESH_IP, "36.91.77.2", "fresh"
    )
    before = database_dump(settings, tmp_path).lower()
    assert all(value.lower() in before for value in SPELLINGS + (FRESH_PHONE, FRESH_MAC, FRESH_IP))

    purge_with_the_cli(settings)

    dump = database_dump(settings, tmp_path).lower()
    assert [value for value in SPELLINGS if value.lower() in dump] == []
    assert all(value.lower() in dump for value in (FRESH_PHONE, FRESH_MAC, FRESH_IP))  # within the period
    pseudonym = Pseudonyms(settings.secret_key)
    # One device is one pseudonym in every table (whatever the spelling), so reports still count it once.
    old = utcnow() - timedelta(days=DAYS)
    stations = set(db.scalars(select(RadiusSession.calling_station_id).where(RadiusSession.start_time < old)))
    devices = set(db.scalars(select(Device.mac).where(Device.last_seen < old)))
    assert stations == {pseudonym(RAW_MAC)} == devices
    assert set(db.scalars(select(UsageHourUser.username).where(UsageHourUser.hour < old))) == {
        pseudonym("t-old"),
        pseudonym(RAW_MAC),
        pseudonym(RAW_PHONE),
    }
    assert pseudonym(RAW_PHONE) == db.scalar(select(Account.phone).where(Account.created_at < old))
    block = db.scalar(select(AuditEvent).where(AuditEvent.action == "device.block", AuditEvent.time < old))
    assert json.loads(block.detail)["bytes"] == 1234567890  # numbers are data, not phone numbers


def test_a_citizen_who_comes_back_and_leaves_again_is_purged_again(settings, db):
    """The same phone and MAC past the period a second time: their pseudonyms are taken by the first
    purge's rows, which go on standing for them."""
    now = utcnow()
    fill_every_table(db, now - timedelta(days=3 * DAYS), RAW_PHONE, RAW_MAC, RAW_IP, ADMIN_IP, "first")
    purge_with_the_cli(settings)
    fill_every_table(db, now - timedelta(days=DAYS + 1), RAW_PHONE, RAW_MAC, RAW_IP, ADMIN_IP, "returned")
    purge_with_the_cli(settings)
    pseudonym = Pseudonyms(settings.secret_key)
    db.expire_all()
    assert list(db.scalars(select(Device.mac))) == [pseudonym(RAW_MAC)]
    assert list(db.scalars(select(Account.phone))) == [pseudonym(RAW_PHONE)]
    assert set(db.scalars(select(RadiusSession.calling_station_id))) == {pseudonym(RAW_MAC)}
