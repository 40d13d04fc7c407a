"""Quota subjects and one-time tickets against the real database."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotspot.models import Account, Device, RadiusSession, Voucher
from hotspot.policy import Usage
from hotspot.services.devices import record_device, touch_device
from hotspot.services.quota import Subject, device_usage_today, usage_today
from hotspot.services.tickets import issue_ticket
from radius import credential_store

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18:00 in Kupang; the day began 16:00 UTC yesterday


@pytest.fixture
def nas_and_plan(world):
    """A router and a free plan of an hour a day (no other limit)."""
    nas = world.nas("Taman Tirosa", "10.53.1.1/32")
    plan = world.free_plan(
        "Gratis", session_minutes=None, daily_mb=None, down_kbps=None, up_kbps=None, mac_relogin=False
    )
    return nas, plan


def add_session(db, nas, start, seconds, octets_in, octets_out, **links):
    db.add(
        RadiusSession(
            unique_id=f"u{start.timestamp()}{links}",
            nas_id=nas.id,
            acct_session_id="s",
            username="u",
            start_time=start,
            update_time=start,
            session_time=seconds,
            input_octets=octets_in,
            output_octets=octets_out,
            status="closed",
            **links,
        )
    )


def test_usage_today_counts_only_the_subject_since_local_midnight(db, nas_and_plan):
    nas, plan = nas_and_plan
    phone = touch_device(db, "aa:bb:cc:dd:ee:01", NOW)
    laptop = touch_device(db, "aa-bb-cc-dd-ee-02", NOW)
    citizen = Account(phone="+6281234567890", password_hash="x")
    voucher = Voucher(code="ABCDEFGH23", plan=plan, batch="b")
    db.add_all([citizen, voucher])
    db.flush()
    add_session(db, nas, NOW - timedelta(hours=1), 600, 1000, 9000, device_id=phone.id)
    add_session(db, nas, NOW - timedelta(hours=19), 900, 1, 1, device_id=phone.id)  # yesterday in Kupang
    add_session(db, nas, NOW - timedelta(hours=2), 300, 10, 20, device_id=laptop.id)
    add_session(db, nas, NOW - timedelta(hours=3), 120, 5, 5, device_id=phone.id, account_id=citizen.id)
    add_session(db, nas, NOW - timedelta(hours=4), 60, 7, 7, device_id=laptop.id, account_id=citizen.id)
    add_session(db, nas, NOW - timedelta(hours=5), 30, 3, 3, voucher_id=voucher.id, device_id=phone.id)
    db.commit()
    tz = "Asia/Makassar"
    phone_usage = usage_today(db, Subject(device_id=phone.id), NOW, tz)
    assert (phone_usage.seconds, phone_usage.octets) == (600, 10000)
    citizen_usage = usage_today(db, Subject(account_id=citizen.id), NOW, tz)
    assert (citizen_usage.seconds, citizen_usage.octets) == (180, 24)
    voucher_usage = usage_today(db, Subject(voucher_id=voucher.id), NOW, tz)
    assert (voucher_usage.seconds, voucher_usage.octets) == (30, 6)
    phone_row, phone_read_with_its_device = device_usage_today(db, "AA:BB:CC:DD:EE:01", NOW, tz)
    assert (phone_row.id, phone_row.blocked, phone_read_with_its_device) == (phone.id, False, phone_usage)
    assert device_usage_today(db, "aa:bb:cc:dd:ee:99", NOW, tz) == (None, Usage())


def test_record_device_creates_once_and_refreshes_last_seen(db):
    created = record_device(db, "02-00-00-00-00-aa", NOW - timedelta(hours=1))
    again = record_device(db, "02:00:00:00:00:AA", NOW)
    db.commit()
    device = db.scalar(select(Device))
    assert (again, device.id, device.mac) == (created, created, "02:00:00:00:00:AA")
    assert (device.first_seen, device.last_seen, device.blocked) == (NOW - timedelta(hours=1), NOW, False)


def test_subject_is_exactly_one_thing():
    with pytest.raises(ValueError):
        Subject()
    with pytest.raises(ValueError):
        Subject(device_id=1, account_id=2)


def test_ticket_is_issued_found_and_claimed_once(db, nas_and_plan):
    nas, plan = nas_and_plan
    device = touch_device(db, "AABBCCDDEEFF", NOW)
    ticket = issue_ticket(db, "free", plan, NOW, 120, nas=nas, device=device)
    assert ticket.username.startswith("t-") and len(ticket.secret) >= 16
    assert ticket.expires_at == NOW + timedelta(seconds=120)
    with db.get_bind().begin() as conn:  # as the RADIUS daemon finds and claims it
        rows = credential_store.load_rows(conn, [ticket.username, "t-unknown"], [], [])
        found = rows.tickets[ticket.username]
        assert (found.id, found.device_id, list(rows.tickets)) == (ticket.id, device.id, [ticket.username])
        assert credential_store.claim_tickets(conn, [found.id], NOW) == {found.id}
        assert credential_store.claim_tickets(conn, [found.id], NOW) == set()


def test_touch_device_keeps_the_row_another_connection_created_first(engine, db, monkeypatch):
    """Two first logins of one phone at once: the loser of the insert race gets the winner's device."""
    import hotspot.services.devices as devices
    from hotspot.db import make_session_factory

    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with make_session_factory(engine)() as other:
        winner_id = touch_device(other, "02-00-00-00-00-aa", now).id
        other.commit()
    lookups = []
    real_find = devices.find_device

    def lookup_before_the_winner_committed(session, mac):
        lookups.append(mac)
        return None if len(lookups) == 1 else real_find(session, mac)

    monkeypatch.setattr(devices, "find_device", lookup_before_the_winner_committed)
    device = touch_device(db, "02:00:00:00:00:AA", now)
    db.commit()
    assert device.id == winner_id and len(lookups) == 2
