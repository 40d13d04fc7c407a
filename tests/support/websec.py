"""Shared by the web security tests: one of every object, URLs for every route, and database snapshots.

`populate` gives each route something real to act on (so a refusal is the
defence at work, not a missing object); `snapshot` reads every row of every
table, so a test can prove a refused request changed nothing at all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from werkzeug.routing import Rule

from hotspot.clock import utcnow
from hotspot.models import AccessPoint, ApiToken, Base
from hotspot.services.admins import create_admin, create_api_token
from hotspot.services.ap_groups import GroupSpec, add_group
from hotspot.services.citizens import add_account
from hotspot.services.devices import touch_device
from hotspot.services.vouchers import generate_vouchers
from tests.support.admin_data import T0, add_session
from tests.support.splash import SmsInbox, add_city

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CITIZEN_PHONE = "+6281234567890"
CITIZEN_PASSWORD = "citizen-password-1"
DEVICE_MAC = "02:00:00:00:00:01"
OTHER_ADMIN_PASSWORD = "other admin password"


def populate(db, settings) -> dict:
    """The city (plans, a MikroTik and a CoovaChilli AP), a session, a voucher batch, a citizen, a device,
    another admin with an API token and an access point group; returns the ids the routes take."""
    city = add_city(db, settings)
    session = add_session(db, city["mikrotik"], 1, T0, status="active", stop_time=None, terminate_cause=None)
    account = add_account(db, CITIZEN_PHONE, CITIZEN_PASSWORD, "Warga", actor="test")
    device = touch_device(db, DEVICE_MAC, utcnow() - timedelta(hours=1))
    device.account_id = account.id
    db.commit()
    voucher = generate_vouchers(db, "Acara", 2, batch="B1", actor="test")[0]
    create_admin(db, "other", OTHER_ADMIN_PASSWORD, "admin", actor="test")
    token = create_api_token(db, "other", "nightly-export", actor="test")
    group = add_group(db, GroupSpec("Pantai"), actor="test")
    radio = AccessPoint(nas_id=city["mikrotik"].id, radio_mac="02:00:00:00:00:AA", last_seen_at=utcnow())
    db.add(radio)
    db.commit()
    return {
        "ap_id": radio.id,
        "group_id": group.id,
        "nas_id": city["mikrotik"].id,
        "chilli_id": city["chilli"].id,
        "plan_id": city["plans"]["citizen"].id,
        "session_id": session.id,
        "voucher": voucher.code,
        "name": "B1",
        "api_token": token,
        "token_id": db.scalar(select(ApiToken.id)),
        "account_id": account.id,
        "device_mac": device.mac,
        "kind": "nas_silent",
    }


def rule_url(rule: Rule, world: dict) -> str:
    """The rule's URL with each argument taken from the world (static files: the splash stylesheet)."""
    values = {name: world[name] for name in rule.arguments if name in world}
    if rule.endpoint == "static":
        values["filename"] = "css/portal.css"
    path = rule.rule
    for name in rule.arguments:
        converter = path[path.index("<") : path.index(">") + 1]
        path = path.replace(converter, str(values[name]), 1)
    return path


def state_changing_rules(app) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.methods & STATE_CHANGING), key=lambda r: r.rule)


def get_rules(app) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods), key=lambda r: r.rule)


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(table.select().order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@pytest.fixture
def inbox():
    """A local SMS provider receiving the codes (import this fixture into a test module to use it)."""
    with SmsInbox() as sms:
        yield sms


def with_sms_inbox(settings, inbox: SmsInbox, **overrides):
    """Settings whose codes go to the inbox: the console sender's job is to log them, so it is not used
    here."""
    return settings.with_overrides(sms_sender="webhook", sms_webhook_url=inbox.url, **overrides)
