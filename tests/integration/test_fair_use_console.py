"""Plan edits and blocks reach open sessions now: CoA or Disconnect over real UDP to each session's
router (fake NAS listeners answering ACK, NAK or nothing), counts for the admin, every answer audited."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import AuditEvent, RadiusSession
from hotspot.services.citizens import add_account
from hotspot.services.devices import touch_device
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from testbed.fake_nas import FakeNas
from testbed.helpers import settings_env
from testbed.servers import HOTSPOT
from tests.conftest import csrf_token_from

SECRET = b"console-coa-secret"
ROUTERS = {"ack": "127.0.0.1", "nak": "127.0.0.2", "silent": "127.0.0.3"}


@pytest.fixture
def settings(settings):
    """A silent router costs at most a second of the admin's click."""
    return settings.with_overrides(coa_timeout_seconds=5.0, coa_retries=0, coa_fanout_seconds=1.0)


@pytest.fixture
def routers():
    with (
        FakeNas(SECRET, host=ROUTERS["ack"]) as ack,
        FakeNas(SECRET, coa="nak", disconnect="nak", host=ROUTERS["nak"]) as nak,
        FakeNas(SECRET, coa="silent", disconnect="silent", host=ROUTERS["silent"]) as silent,
    ):
        yield {"ack": ack, "nak": nak, "silent": silent}


@pytest.fixture
def plan(db):
    return add_plan(
        db,
        PlanSpec("Warga", session_minutes=120, daily_mb=100, down_kbps=2048, up_kbps=512, throttle_kbps=256),
    )


def online(db, settings, routers, plan, **owner) -> dict[str, RadiusSession]:
    """One open session on the plan behind each router, the router's address recorded by accounting."""
    box, now, sessions = SecretBox(settings.secret_key), utcnow(), {}
    for number, (answer, address) in enumerate(ROUTERS.items(), start=1):
        nas = add_nas(
            db,
            box,
            NasSpec(name=f"nas-{answer}", ip_range=address, secret=SECRET.decode(), vendor="mikrotik"),
        )
        nas.coa_port = routers[answer].port
        device = touch_device(db, f"02:00:00:00:00:0{number}", now)
        sessions[answer] = RadiusSession(
            unique_id=f"u-{answer}",
            nas_id=nas.id,
            acct_session_id=f"8100000{number}",
            username=f"t-{answer}",
            plan_id=plan.id,
            device_id=device.id,
            calling_station_id=device.mac,
            framed_ip=f"10.5.50.{number}",
            nas_ip_address=address,
            start_time=now - timedelta(minutes=30),
            update_time=now,
            status="active",
            output_octets=150_000_000 if answer == "ack" else 0,
            **owner,
        )
        db.add(sessions[answer])
    db.commit()
    return sessions


def audit_detail(db, action: str) -> dict:
    db.expire_all()
    return json.loads(db.scalar(select(AuditEvent).where(AuditEvent.action == action)).detail)


def posted(client, path: str, page: str, data: dict):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    started = time.monotonic()
    response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)
    return response, time.monotonic() - started


def test_editing_a_plan_sends_its_new_rate_to_every_open_session(client, login, db, settings, routers, plan):
    online(db, settings, routers, plan)
    login("admin")
    form = {
        "name": "Warga",
        "session_minutes": "90",
        "daily_mb": "100",
        "down_kbps": "8192",
        "up_kbps": "1024",
        "throttle_kbps": "256",
        "idle_timeout_seconds": "600",
        "interim_interval_seconds": "300",
    }
    response, took = posted(client, f"/admin/plans/{plan.id}", "/admin/plans", form)
    assert response.status_code == 200
    assert took < 3
    [(kind, request)] = routers["ack"].wait_for(1, timeout=1)
    assert kind == "coa"
    assert request["Acct-Session-Id"] == ["81000001"]
    assert request["Mikrotik-Rate-Limit"] == ["256k/256k"]  # its 150 MB are past today's 100: slowed
    assert request["Session-Timeout"] == [90 * 60]
    [(_, refused)] = routers["nak"].wait_for(1, timeout=1)
    assert refused["Mikrotik-Rate-Limit"] == ["1024k/8192k"]
    assert "Dikirim ke 3 sesi yang sedang online: 1 diterima, 1 ditolak, 1 tanpa jawaban." in response.text
    detail = audit_detail(db, "plan.coa")
    assert detail["counts"] == {"ack": 1, "nak": 1, "timeout": 1}
    assert sorted((s["session"], s["result"]) for s in detail["sessions"]) == [
        ("nas-ack/81000001", "CoA-ACK"),
        ("nas-nak/81000002", "CoA-NAK"),
        ("nas-silent/81000003", "timeout"),
    ]


def test_blocking_a_device_in_the_console_disconnects_its_open_session(
    client, login, db, settings, routers, plan
):
    online(db, settings, routers, plan)
    login("operator")
    response, _ = posted(
        client, "/admin/devices/block", "/admin/devices", {"mac": "02:00:00:00:00:01", "blocked": "1"}
    )
    [(kind, request)] = routers["ack"].wait_for(1, timeout=1)
    assert (kind, request["Acct-Session-Id"], request["Calling-Station-Id"]) == (
        "disconnect",
        ["81000001"],
        ["02:00:00:00:00:01"],
    )
    assert routers["nak"].received == [] and routers["silent"].received == []
    assert "Dikirim ke 1 sesi yang sedang online: 1 diterima, 0 ditolak, 0 tanpa jawaban." in response.text
    detail = audit_detail(db, "block.disconnect")
    assert detail["sessions"] == [
        {"session": "nas-ack/81000001", "username": "t-ack", "result": "Disconnect-ACK", "error_cause": None}
    ]


def test_blocking_a_citizen_disconnects_all_their_devices(client, login, db, settings, routers, plan):
    account = add_account(db, "081234567890", "kata-sandi-rahasia", plan.name)
    online(db, settings, routers, plan, account_id=account.id)
    login("operator")
    response, took = posted(
        client, "/admin/citizens/block", "/admin/citizens", {"phone": "081234567890", "blocked": "1"}
    )
    assert took < 3
    assert [kind for kind, _ in routers["ack"].wait_for(1, timeout=1)] == ["disconnect"]
    assert "Dikirim ke 3 sesi yang sedang online: 1 diterima, 1 ditolak, 1 tanpa jawaban." in response.text
    assert audit_detail(db, "block.disconnect")["counts"] == {"ack": 1, "nak": 1, "timeout": 1}


def test_hotspot_device_block_disconnects_the_open_session(db, settings, engine, routers, plan):
    online(db, settings, routers, plan)
    result = subprocess.run(
        [HOTSPOT, "device", "block", "02-00-00-00-00-02", "--reason", "abuse"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "02:00:00:00:00:02 blocked",
        "Disconnect sent to 1 open session(s): 0 acknowledged, 1 refused, 0 unanswered.",
    ]
    assert [kind for kind, _ in routers["nak"].received] == ["disconnect"]
    assert audit_detail(db, "block.disconnect")["sessions"][0]["result"] == "Disconnect-NAK"
