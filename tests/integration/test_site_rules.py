"""Access point groups and random MACs, through the real splash page (Flask client) and real UDP RADIUS.

A group gives its sites their own free plan, opening hours and splash text: outside the hours the page
says when it opens and free access is refused, by the portal and by RADIUS. A free plan may let only
N random (locally administered) MACs in per site and day; the next one is asked for a phone login.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AuthEvent, LoginTicket, RadiusSession
from hotspot.opening_hours import DAYS
from hotspot.services import ap_groups
from hotspot.services.ap_groups import GroupSpec
from hotspot.services.devices import touch_device
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.services.tickets import issue_ticket
from testbed.helpers import wait_for
from testbed.radius_daemon import radclient
from testbed.servers import radius_server
from tests.integration.test_splash import mikrotik_url, post_way
from tests.support.splash import RADIUS_SECRET, add_city, alert, form

ID_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
RANDOM_A, RANDOM_B = "02:11:22:33:44:01", "DA:11:22:33:44:02"  # locally administered (bit 1 of octet 1)
OWN = "00:1A:2B:3C:4D:5E"  # a phone's own (universally administered) address


@pytest.fixture
def city(db, settings):
    return add_city(db, settings, mikrotik_ip="127.0.0.1/32")


def tomorrow(settings) -> int:
    return (utcnow().astimezone(ZoneInfo(settings.timezone)).weekday() + 1) % 7


def closed_today(db, settings, city) -> None:
    """The hospital group opens only tomorrow, 07:00-17:00; Taman Tirosa is one of its sites."""
    group = ap_groups.add_group(
        db,
        GroupSpec(
            "Rumah sakit",
            opening_hours=f"{DAYS[tomorrow(settings)]} 07:00-17:00",
            splash_text="Harap tenang di area rumah sakit.",
            splash_text_en="Please keep quiet in the hospital.",
        ),
    )
    ap_groups.set_members(db, group, ["Taman Tirosa"], [])


def spent_random_macs(db, city, *macs) -> None:
    """Free sessions earlier today at Taman Tirosa from these MACs."""
    now = utcnow()
    for n, mac in enumerate(macs):
        device = touch_device(db, mac, now)
        db.add(
            RadiusSession(
                unique_id=f"earlier-{n}",
                nas_id=city["mikrotik"].id,
                acct_session_id=f"E{n}",
                username=f"t-earlier{n}",
                device_id=device.id,
                calling_station_id=mac,
                plan_id=city["plans"]["free"].id,
                start_time=now - timedelta(minutes=5),
                update_time=now,
                status="closed",
            )
        )
    db.commit()


def limit_random_macs(db, city, limit: int) -> None:
    city["plans"]["free"].random_mac_limit = limit
    db.commit()


def test_outside_opening_hours_the_splash_page_says_when_it_opens_and_refuses_free_access(
    client, db, settings, city
):
    closed_today(db, settings, city)
    page = client.get(mikrotik_url())
    body = page.get_data(as_text=True)
    day = ID_DAYS[tomorrow(settings)]
    assert "Harap tenang di area rumah sakit." in body
    assert f"Internet gratis di sini sedang tutup. Buka lagi {day} 07:00." in body
    assert f"Jam buka: {day} 07:00–17:00" in body
    assert 'action="/login/free"' not in body
    answer = client.post("/login/free", data=form(body, "/login/account")["fields"])
    assert answer.status_code == 403
    assert (
        alert(answer.get_data(as_text=True))
        == f"Wi-Fi gratis di lokasi ini sedang tutup. Buka lagi {day} 07:00."
    )
    assert db.scalar(select(LoginTicket)) is None
    event = db.scalar(select(AuthEvent))
    assert (event.method, event.accepted, event.reason) == ("portal-free", False, "closed")
    english = client.get(mikrotik_url() + "&lang=en").get_data(as_text=True)
    assert "Please keep quiet in the hospital." in english
    assert "Free internet here is closed now. It opens again" in english


def test_a_group_open_now_gives_its_own_free_plan(client, db, settings, city):
    plan = add_plan(db, PlanSpec(name="Pantai", daily_minutes=30))
    group = ap_groups.add_group(
        db, GroupSpec("Pantai", free_plan="Pantai", opening_hours="mon-sun 00:00-24:00")
    )
    ap_groups.set_members(db, group, ["Taman Tirosa"], [])
    answer = post_way(client, client.get(mikrotik_url()), "/login/free")
    issued = db.scalar(
        select(LoginTicket).where(
            LoginTicket.username == form(answer.get_data(as_text=True), "handoff")["fields"]["username"]
        )
    )
    assert (issued.kind, issued.plan_id) == ("free", plan.id)


def test_one_random_mac_too_many_is_asked_for_a_phone_login_and_told_how_to_keep_one_address(
    client, db, city
):
    limit_random_macs(db, city, 1)
    spent_random_macs(db, city, RANDOM_A)
    refused = post_way(client, client.get(mikrotik_url(mac=RANDOM_B)), "/login/free")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert alert(body).startswith("Hari ini sudah banyak perangkat dengan alamat MAC acak")
    assert 'id="keep-mac"' in body and "Gunakan MAC perangkat" in body and "Alamat Wi-Fi Pribadi" in body
    assert form(body, "/login/account")  # the phone login is right there
    assert db.scalar(select(AuthEvent)).reason == "phone_login_required"
    for mac in (RANDOM_A, OWN):  # the MAC let in today keeps its access; a phone's own address is not counted
        answer = post_way(client, client.get(mikrotik_url(mac=mac)), "/login/free")
        assert form(answer.get_data(as_text=True), "handoff")["fields"]["username"].startswith("t-")


def test_the_status_page_explains_how_to_keep_one_address_only_to_a_random_mac(client, db, city):
    for mac, shown in ((RANDOM_B, True), (OWN, False)):
        post_way(client, client.get(mikrotik_url(mac=mac)), "/login/free")
        body = client.get("/status").get_data(as_text=True)
        assert ('id="keep-mac"' in body) is shown, mac
    english = client.get("/status?lang=en").get_data(as_text=True)
    assert 'id="keep-mac"' not in english
    post_way(client, client.get(mikrotik_url(mac=RANDOM_B)), "/login/free")
    english = client.get("/status?lang=en").get_data(as_text=True)
    assert 'Android: Settings → Wi-Fi → this network → Privacy → "Use device MAC".' in english
    assert '"Private Wi-Fi Address"' in english


@pytest.fixture
def radius(settings, city, tmp_path):
    with radius_server(settings, tmp_path / "radius.log", RADIUS_SECRET) as ports:
        yield ports


def free_ticket(db, settings, city, mac: str) -> LoginTicket:
    """A free ticket the portal issued for this phone at Taman Tirosa (before the rules changed)."""
    device = touch_device(db, mac, utcnow())
    return issue_ticket(
        db,
        "free",
        city["plans"]["free"],
        utcnow(),
        settings.login_ticket_seconds,
        nas=city["mikrotik"],
        device=device,
    )


def ask(radius, ticket: LoginTicket, mac: str) -> str:
    return radclient(
        radius[0],
        "auth",
        RADIUS_SECRET,
        f'User-Name = "{ticket.username}", User-Password = "{ticket.secret}", Calling-Station-Id = "{mac}"\n',
    )


def reason_of(db, username: str) -> str:
    return wait_for(
        lambda: db.scalar(select(AuthEvent.reason).where(AuthEvent.username == username)),
        timeout=5,
        what="the AuthEvent",
    )


def test_radius_refuses_a_free_ticket_outside_the_opening_hours(radius, db, settings, city):
    ticket = free_ticket(db, settings, city, OWN)
    closed_today(db, settings, city)
    out = ask(radius, ticket, OWN)
    assert "Access-Reject" in out
    assert (
        'Reply-Message = "Wi-Fi gratis di lokasi ini sedang tutup. Lihat jam buka di halaman login. / ' in out
    )
    assert reason_of(db, ticket.username) == "closed"


def test_radius_refuses_a_free_ticket_for_one_random_mac_too_many(radius, db, settings, city):
    limit_random_macs(db, city, 1)
    spent_random_macs(db, city, RANDOM_A)
    refused, let_in = free_ticket(db, settings, city, RANDOM_B), free_ticket(db, settings, city, RANDOM_A)
    out = ask(radius, refused, RANDOM_B)
    assert "Access-Reject" in out
    assert "Silakan masuk dengan nomor HP. / Your device uses a random MAC address." in out
    assert reason_of(db, refused.username) == "phone_login_required"
    assert "Access-Accept" in ask(radius, let_in, RANDOM_A)
