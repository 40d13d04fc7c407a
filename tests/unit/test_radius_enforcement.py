"""Quota enforcement picks the overrunning sessions out of a batch of Interim-Updates."""

from datetime import timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import event

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import Nas, Plan, RadiusSession
from hotspot.services.devices import touch_device
from radius.accounting import Running
from radius.enforcement import QuotaEnforcer
from radius.metrics import Metrics


def running(unique_id, nas, plan, **subject):
    fields = {"device_id": None, "account_id": None, "voucher_id": None, **subject}
    return Running(
        unique_id, nas.id, "user", unique_id, None, None, plan_id=plan.id, nas_address=None, **fields
    )


def test_only_sessions_over_todays_quota_are_picked(settings, engine, db):
    now = utcnow()
    nas = Nas(name="Pantai Lasiana", ip_range="10.53.2.1/32", secret_encrypted="x")
    plan = Plan(name="Gratis", daily_mb=1)
    db.add_all([nas, plan])
    db.commit()
    heavy, light = touch_device(db, "AA:BB:CC:DD:EE:01", now), touch_device(db, "AA:BB:CC:DD:EE:02", now)
    for device, octets in ((heavy, 2_000_000), (light, 300_000)):
        db.add(
            RadiusSession(
                unique_id=f"s{device.id}",
                nas_id=nas.id,
                acct_session_id=f"s{device.id}",
                username="user",
                device_id=device.id,
                start_time=now - timedelta(minutes=1),
                update_time=now,
                session_time=60,
                input_octets=octets,
                output_octets=0,
                status="active",
            )
        )
    db.commit()
    enforcer = QuotaEnforcer(settings, engine, SecretBox(settings.secret_key), Metrics(CollectorRegistry()))
    batch = [
        running("a", nas, plan, device_id=heavy.id),
        running("b", nas, plan, device_id=light.id),
        running("a", nas, plan, device_id=heavy.id),
        running("nobody", nas, plan),
    ]
    assert [s.unique_id for s in enforcer.over_quota(batch)] == ["a"]
    enforcer.enforced.add("a")
    assert enforcer.over_quota(batch) == []


def test_sessions_on_a_plan_without_daily_quota_cost_no_usage_query(settings, engine, db):
    nas = Nas(name="Balai Kota", ip_range="10.53.3.1/32", secret_encrypted="x")
    unlimited = Plan(name="Kantor", session_minutes=60)
    db.add_all([nas, unlimited])
    db.commit()
    enforcer = QuotaEnforcer(settings, engine, SecretBox(settings.secret_key), Metrics(CollectorRegistry()))
    enforcer.plans.get()
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    batch = [running(f"s{n}", nas, unlimited, device_id=n) for n in range(50)]
    assert enforcer.over_quota(batch) == []
    assert statements == []
