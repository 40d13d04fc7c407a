"""Authentication decisions against a real database: tickets, vouchers, MAC re-login, reasons."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotspot.models import Account, AuthEvent, RadiusSession, UsageHour, Voucher
from hotspot.services.devices import find_device, touch_device
from hotspot.services.tickets import issue_ticket
from radius import auth, authlog, credential_store, packets
from testbed.radius_packets import DICTIONARY, access_request

SECRET = b"s3cret-for-tests"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18:00 in Kupang
TZ = "Asia/Makassar"
MAC = "AA:BB:CC:DD:EE:01"


def request(username, password=None, **kw):
    raw = access_request(
        SECRET, username, password, Calling_Station_Id=kw.pop("mac", "aa-bb-cc-dd-ee-01"), **kw
    )
    return packets.auth_request(packets.decode(raw, "auth", SECRET, DICTIONARY))


@pytest.fixture
def nas_and_plans(world):
    """A router, the usual free plan and an event plan of four hours a day for three days."""
    nas = world.nas("Taman Tirosa", "10.53.1.1/32")
    free = world.free_plan("Gratis")
    event = world.plan("Acara", daily_minutes=240, valid_days=3)
    return nas, free, event


def decide(db, nas, req, now=NOW):
    """Decide in one transaction as the auth thread does, then write the AuthEvent as radius.authlog does."""
    decision = auth.decide_batch(db.connection(), [req], now, TZ, nas_ids=[nas.id])[0]
    db.commit()
    with db.get_bind().begin() as conn:
        authlog.write_events(conn, [auth.event(req, decision, nas.id, now)])
    return decision


def test_free_ticket_is_accepted_once_with_the_plan_limits(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    device = touch_device(db, MAC, NOW)
    ticket = issue_ticket(db, "free", free, NOW, 120, device=device)
    first = decide(db, nas, request(ticket.username, chap=ticket.secret))
    assert (first.accepted, first.method) == (True, "ticket")
    assert first.limits == packets.AcceptLimits(
        session_timeout=1800,
        idle_timeout=600,
        interim_interval=300,
        down_kbps=2048,
        up_kbps=1024,
        octets_left=500_000_000,
    )
    again = decide(db, nas, request(ticket.username, ticket.secret))
    assert (again.accepted, again.reason) == (False, "ticket_used")
    assert "sudah dipakai" in again.reply_message
    db.expire_all()
    assert find_device(db, MAC).last_login_at == NOW
    events = db.scalars(select(AuthEvent).order_by(AuthEvent.id)).all()
    assert [(e.method, e.accepted, e.reason, e.calling_station_id) for e in events] == [
        ("ticket", True, "ok", MAC),
        ("ticket", False, "ticket_used", MAC),
    ]
    hour = db.scalar(select(UsageHour))
    assert (hour.auth_accepts, hour.auth_rejects) == (1, 1)


def test_ticket_wrong_password_and_expiry(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    device = touch_device(db, MAC, NOW)
    ticket = issue_ticket(db, "free", free, NOW, 120, device=device)
    assert decide(db, nas, request(ticket.username, "nope")).reason == "bad_password"
    late = decide(db, nas, request(ticket.username, ticket.secret), NOW + timedelta(seconds=121))
    assert late.reason == "ticket_expired"


def test_quota_used_up_today_rejects_with_a_readable_message(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    device = touch_device(db, MAC, NOW)
    db.add(
        RadiusSession(
            unique_id="x",
            nas_id=nas.id,
            acct_session_id="s",
            username="u",
            device_id=device.id,
            start_time=NOW - timedelta(hours=1),
            update_time=NOW,
            session_time=3600,
            status="closed",
        )
    )
    db.commit()
    ticket = issue_ticket(db, "free", free, NOW, 120, device=device)
    decision = decide(db, nas, request(ticket.username, ticket.secret))
    assert (decision.accepted, decision.reason) == (False, "quota_time")
    assert decision.reply_message.startswith("Kuota waktu hari ini sudah habis")


def test_blocked_account_is_rejected(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    citizen = Account(phone="+6281234567890", password_hash="x", blocked=True)
    db.add(citizen)
    db.commit()
    ticket = issue_ticket(db, "account", free, NOW, 120, account=citizen, device=touch_device(db, MAC, NOW))
    assert decide(db, nas, request(ticket.username, ticket.secret)).reason == "blocked"


def test_voucher_first_use_starts_its_validity_and_later_expires(db, nas_and_plans):
    nas, _, event = nas_and_plans
    db.add(Voucher(code="ABCDEFGH23", plan=event, batch="b"))
    db.commit()
    decision = decide(db, nas, request("abcd-efgh23", "abcd-efgh23"))
    assert (decision.accepted, decision.method, decision.limits.session_timeout) == (
        True,
        "voucher",
        240 * 60,
    )
    voucher = db.scalar(select(Voucher))
    assert (voucher.first_used_at, voucher.expires_at) == (NOW, NOW + timedelta(days=3))
    assert decide(db, nas, request("ABCDEFGH23", "ABCDEFGH23"), NOW + timedelta(days=1)).accepted
    expired = decide(db, nas, request("ABCDEFGH23", "ABCDEFGH23"), NOW + timedelta(days=3))
    assert (expired.accepted, expired.reason) == (False, "expired")
    assert decide(db, nas, request("ABCDEFGH23", "wrong")).reason == "bad_password"


def test_mac_relogin_only_for_a_device_that_logged_in_today(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    device = touch_device(db, MAC, NOW)
    assert decide(db, nas, request("aabbccddee01", "")).reason == "no_mac_relogin"
    ticket = issue_ticket(db, "free", free, NOW, 120, device=device)
    assert decide(db, nas, request(ticket.username, ticket.secret)).accepted
    later = decide(db, nas, request("AA-BB-CC-DD-EE-01", "aabbccddee01"), NOW + timedelta(hours=2))
    assert (later.accepted, later.method) == (True, "mac")
    tomorrow = decide(db, nas, request("AA-BB-CC-DD-EE-01", ""), NOW + timedelta(hours=8))
    assert tomorrow.reason == "no_login_today"
    assert decide(db, nas, request("AA-BB-CC-DD-EE-02", "", mac="AA-BB-CC-DD-EE-02")).reason == "unknown_user"
    typed_by_another = decide(
        db, nas, request("AA-BB-CC-DD-EE-01", "", mac="AA-BB-CC-DD-EE-66"), NOW + timedelta(hours=2)
    )
    assert (typed_by_another.accepted, typed_by_another.reason) == (False, "mac_mismatch")


def test_unknown_user_is_rejected(db, nas_and_plans):
    nas, _, _ = nas_and_plans
    decision = decide(db, nas, request("someone", "pw"))
    assert (decision.accepted, decision.method, decision.reason) == (False, "unknown", "unknown_user")
    assert decision.reply_message == "Pengguna tidak dikenal. / Unknown user."


def decide_together(db, requests, now=NOW):
    """Decide several requests in one transaction, as the auth thread decides what is queued."""
    decisions = auth.decide_batch(db.connection(), requests, now, TZ)
    db.commit()
    return decisions


def test_a_batch_decides_each_credential_as_if_it_came_alone(db, nas_and_plans):
    nas, free, event = nas_and_plans
    device = touch_device(db, MAC, NOW)
    db.add(Voucher(code="ABCDEFGH23", plan=event, batch="b"))
    db.commit()
    ticket = issue_ticket(db, "free", free, NOW, 120, device=device)
    decisions = decide_together(
        db,
        [
            request(ticket.username, chap=ticket.secret),
            request("ABCDEFGH23", "ABCDEFGH23", mac="aa-bb-cc-dd-ee-02"),
            request("ABCDEFGH23", "wrong"),
            request("aabbccddee01", ""),  # decided before the ticket login of the same batch is written
            request("someone", "pw"),
        ],
    )
    assert [(d.accepted, d.method, d.reason) for d in decisions] == [
        (True, "ticket", "ok"),
        (True, "voucher", "ok"),
        (False, "voucher", "bad_password"),
        (False, "mac", "no_mac_relogin"),
        (False, "unknown", "unknown_user"),
    ]
    db.expire_all()
    assert find_device(db, MAC).last_login_at == NOW
    assert find_device(db, "AA:BB:CC:DD:EE:02").last_seen == NOW  # the voucher's phone is registered
    assert db.scalar(select(Voucher)).expires_at == NOW + timedelta(days=3)


def test_one_ticket_twice_in_a_batch_is_accepted_once(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    ticket = issue_ticket(db, "free", free, NOW, 120, device=touch_device(db, MAC, NOW))
    first, second = decide_together(db, [request(ticket.username, ticket.secret)] * 2)
    assert (first.accepted, second.accepted, second.reason) == (True, False, "ticket_used")


def test_a_voucher_shared_by_two_phones_in_one_batch_starts_once(db, nas_and_plans):
    nas, _, event = nas_and_plans
    db.add(Voucher(code="ABCDEFGH23", plan=event, batch="b"))
    db.commit()
    decisions = decide_together(
        db, [request("ABCDEFGH23", "ABCDEFGH23", mac=f"aa-bb-cc-dd-ee-0{i}") for i in (1, 2)]
    )
    assert all(d.accepted for d in decisions)
    voucher = db.scalar(select(Voucher))
    assert (voucher.first_used_at, voucher.expires_at) == (NOW, NOW + timedelta(days=3))


def test_a_ticket_another_worker_claimed_meanwhile_is_not_claimed_again(db, nas_and_plans):
    nas, free, _ = nas_and_plans
    ticket = issue_ticket(db, "free", free, NOW, 120, device=touch_device(db, MAC, NOW))
    assert credential_store.claim_tickets(db.connection(), [ticket.id], NOW) == {ticket.id}
    assert credential_store.claim_tickets(db.connection(), [ticket.id], NOW) == set()


def test_each_subject_in_a_batch_spends_its_own_quota(db, nas_and_plans):
    nas, free, event = nas_and_plans
    phone_a, phone_b = touch_device(db, MAC, NOW), touch_device(db, "AA:BB:CC:DD:EE:02", NOW)
    db.add(
        RadiusSession(
            unique_id="u1",
            nas_id=nas.id,
            acct_session_id="s1",
            username="x",
            device_id=phone_a.id,
            start_time=NOW - timedelta(minutes=50),
            update_time=NOW,
            session_time=3600,
            input_octets=0,
            output_octets=0,
            status="closed",
        )
    )
    db.commit()
    tickets = [issue_ticket(db, "free", free, NOW, 120, device=d) for d in (phone_a, phone_b)]
    used_up, fresh = decide_together(
        db, [request(t.username, t.secret, mac=d.mac) for t, d in zip(tickets, (phone_a, phone_b))]
    )
    assert (used_up.accepted, used_up.reason) == (False, "quota_time")
    assert (fresh.accepted, fresh.limits.session_timeout) == (True, 1800)


def test_a_plan_newer_than_the_servers_copy_is_read_when_a_voucher_names_it(db, world, nas_and_plans):
    nas, free, _ = nas_and_plans
    known = credential_store.load_plans(db.connection())
    late = world.plan("Konser", daily_minutes=120)
    db.add(Voucher(code="LATEPLAN22", plan=late, batch="b"))
    db.commit()
    [decision] = auth.decide_batch(db.connection(), [request("LATEPLAN22", "LATEPLAN22")], NOW, TZ, known)
    assert (decision.accepted, decision.limits.session_timeout) == (True, 120 * 60)


def test_a_ticket_is_refused_from_another_phone_or_another_nas(db, world, nas_and_plans):
    nas, free, _ = nas_and_plans
    other_nas = world.nas("Pantai Lasiana", "10.53.2.1/32")
    ticket = issue_ticket(db, "free", free, NOW, 120, nas=nas, device=touch_device(db, MAC, NOW))
    wrong_phone = decide(db, nas, request(ticket.username, ticket.secret, mac="aa-bb-cc-dd-ee-77"))
    assert (wrong_phone.accepted, wrong_phone.reason) == (False, "ticket_wrong_device")
    assert wrong_phone.reply_message.startswith("Login ini dibuat untuk perangkat lain.")
    assert decide(db, other_nas, request(ticket.username, ticket.secret)).reason == "ticket_wrong_nas"
    assert decide(db, nas, request(ticket.username, ticket.secret)).accepted


def test_a_voucher_ticket_starts_the_voucher_and_spends_its_quota(db, nas_and_plans):
    nas, _, event = nas_and_plans
    voucher = Voucher(code="ABCDEFGH23", plan=event, batch="b")
    db.add(voucher)
    db.commit()
    ticket = issue_ticket(
        db, "voucher", event, NOW, 120, nas=nas, device=touch_device(db, MAC, NOW), voucher=voucher
    )
    decision = decide(db, nas, request(ticket.username, ticket.secret))
    assert (decision.accepted, decision.limits.session_timeout) == (True, 240 * 60)
    db.expire_all()
    assert (voucher.first_used_at, voucher.expires_at) == (NOW, NOW + timedelta(days=3))
    late = issue_ticket(
        db,
        "voucher",
        event,
        NOW + timedelta(days=30),
        120,
        nas=nas,
        device=find_device(db, MAC),
        voucher=voucher,
    )
    assert decide(db, nas, request(late.username, late.secret), NOW + timedelta(days=30)).reason == "expired"


def test_a_blocked_phone_is_refused_whatever_it_types(db, nas_and_plans):
    nas, free, event = nas_and_plans
    phone = touch_device(db, MAC, NOW)
    phone.blocked = True
    db.add(Voucher(code="ABCDEFGH23", plan=event, batch="b"))
    db.commit()
    assert decide(db, nas, request("ABCDEFGH23", "ABCDEFGH23")).reason == "blocked"
    elsewhere = touch_device(db, "AA:BB:CC:DD:EE:02", NOW)
    ticket = issue_ticket(db, "free", free, NOW, 120, nas=nas, device=elsewhere)
    assert decide(db, nas, request(ticket.username, ticket.secret)).reason == "ticket_wrong_device"
    db.expire_all()
    assert db.scalar(select(Voucher)).first_used_at is None
