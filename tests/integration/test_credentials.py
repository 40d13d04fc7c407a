"""One decision per credential, through the real splash page (gunicorn, HTTP) and RADIUS server (UDP).

A login ticket works only from the phone and the router it was issued for, so
editing `mac=` in the splash URL neither lets a blocked phone in nor gives it a
fresh free quota; accounting charges the phone really online; a voucher redeemed
through the splash page starts its validity like one typed into the router.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AuthEvent, Device, RadiusSession, Voucher
from hotspot.services.blocking import set_device_blocked
from hotspot.services.devices import touch_device
from hotspot.services.vouchers import generate_vouchers
from hotspot.simulate import Router, RouterConfig, Way
from radius import auth, packets
from testbed.helpers import settings_env, wait_for
from testbed.radius_daemon import radclient
from testbed.radius_packets import DICTIONARY, access_request
from testbed.servers import portal_server, radius_server
from tests.support.splash import RADIUS_SECRET, add_city

pytestmark = pytest.mark.slow
HOTSPOT = str(Path(sys.executable).parent / "hotspot")
MIKROTIK_SOURCE, CHILLI_SOURCE = "127.0.0.1", "127.0.0.2"
PHONE = "02:00:00:00:00:01"  # the phone really behind the router: its Calling-Station-Id
CLAIMED = "02:00:00:00:00:77"  # what the citizen typed over `mac=` in the splash URL


@pytest.fixture
def city(db, settings):
    return add_city(db, settings, mikrotik_ip=f"{MIKROTIK_SOURCE}/32", chilli_ip=f"{CHILLI_SOURCE}/32")


@pytest.fixture
def portal(settings, city, tmp_path):
    with portal_server(settings, tmp_path / "portal.log") as url:
        yield url


@pytest.fixture
def radius(settings, city, tmp_path):
    with radius_server(settings, tmp_path / "radius.log", RADIUS_SECRET) as ports:
        yield ports


def router(portal: str, ports, mac: str, vendor: str = "mikrotik", **changes) -> Router:
    if vendor == "chilli":
        changes = {"identity": "perumnas", "router_ip": "10.1.0.1", "nas_ip": CHILLI_SOURCE, **changes}
    else:
        changes = {"nas_ip": MIKROTIK_SOURCE, **changes}
    return Router(
        RouterConfig(
            vendor=vendor,
            portal=portal,
            radius_host="127.0.0.1",
            auth_port=ports[0],
            acct_port=ports[1],
            secret=RADIUS_SECRET,
            mac=mac,
            timeout=10.0,
            **changes,
        ),
        echo=lambda _line: None,
    )


FREE = Way("free")


def ticket_through_splash(portal: str, ports, splash_mac: str, way: Way = FREE):
    """Walk the splash page with `mac=splash_mac` and take the ticket the page hands to the router."""
    browser = router(portal, ports, splash_mac)
    try:
        issued = browser.credentials_from_handoff(browser.choose(browser.splash(), way))
    finally:
        browser.close()
    assert issued is not None, "the portal refused the login"
    return issued


def ask_radius(portal: str, ports, station: str, issued, vendor: str = "mikrotik") -> Router:
    """The router presents the ticket for the phone it really sees (its Calling-Station-Id)."""
    nas = router(portal, ports, station, vendor)
    nas.send_access_request(*issued)
    return nas


def last_event(db) -> AuthEvent:
    return wait_for(
        lambda: db.scalar(select(AuthEvent).order_by(AuthEvent.id.desc())), timeout=5, what="the AuthEvent"
    )


def test_a_ticket_for_an_edited_mac_does_not_let_a_blocked_phone_in(portal, radius, db):
    set_device_blocked(db, PHONE, True, utcnow(), actor="test")
    issued = ticket_through_splash(portal, radius, CLAIMED)
    nas = ask_radius(portal, radius, PHONE, issued)
    try:
        assert not nas.result.accepted, nas.result.steps
    finally:
        nas.close()
    event = last_event(db)
    assert (event.accepted, event.reason, event.calling_station_id) == (False, "ticket_wrong_device", PHONE)


def test_a_ticket_for_an_edited_mac_does_not_give_a_fresh_free_quota(portal, radius, db):
    phone = touch_device(db, PHONE, utcnow())
    db.add(
        RadiusSession(
            unique_id="spent",
            nas_id=1,
            acct_session_id="A1",
            username="t-earlier",
            device_id=phone.id,
            calling_station_id=PHONE,
            update_time=utcnow(),
            start_time=utcnow() - timedelta(minutes=61),
            session_time=3600,
            status="closed",
        )
    )
    db.commit()
    issued = ticket_through_splash(portal, radius, CLAIMED)
    nas = ask_radius(portal, radius, PHONE, issued)
    try:
        assert not nas.result.accepted, nas.result.steps
        own = ask_radius(portal, radius, CLAIMED, ticket_through_splash(portal, radius, CLAIMED))
        assert own.result.accepted, own.result.steps  # the edited MAC's own phone may use its own quota
        own.close()
    finally:
        nas.close()


def test_a_ticket_works_only_through_the_router_it_was_issued_for(portal, radius, db):
    issued = ticket_through_splash(portal, radius, PHONE)
    elsewhere = ask_radius(portal, radius, PHONE, issued, vendor="chilli")
    try:
        assert not elsewhere.result.accepted, elsewhere.result.steps
    finally:
        elsewhere.close()
    assert last_event(db).reason == "ticket_wrong_nas"
    home = ask_radius(portal, radius, PHONE, issued)
    try:
        assert home.result.accepted, home.result.steps
    finally:
        home.close()


def test_accounting_charges_the_calling_station_not_the_mac_the_url_claimed(portal, radius, db):
    touch_device(db, PHONE, utcnow())  # the phone has been here before
    db.commit()
    username, _, _ = ticket_through_splash(portal, radius, CLAIMED)
    nas = router(portal, radius, PHONE)
    try:
        nas.result.username, nas.result.acct_session_id = username, "81A0CAFE"
        nas.account("Start", 0, 0, 0)
        nas.account("Interim-Update", 60, 1_000, 4_000)
    finally:
        nas.close()
    db.expire_all()
    session = db.scalar(select(RadiusSession).where(RadiusSession.username == username))
    charged = db.get(Device, session.device_id)
    assert (charged.mac, session.calling_station_id) == (PHONE, PHONE)


def test_a_voucher_redeemed_through_the_splash_page_starts_its_validity(
    portal, radius, db, settings, client, login
):
    [voucher] = generate_vouchers(db, "Acara", 1, batch="pentas")
    before = utcnow()
    nas = router(portal, radius, PHONE)
    try:
        result = nas.run(Way("voucher", code=voucher.code.lower()), interims=1)
    finally:
        nas.close()
    assert result.accepted, result.steps
    db.expire_all()
    redeemed = db.get(Voucher, voucher.id)
    assert redeemed.first_used_at is not None and before <= redeemed.first_used_at <= utcnow()
    assert redeemed.expires_at == redeemed.first_used_at + timedelta(days=3)
    listed = subprocess.run(
        [HOTSPOT, "voucher", "list", "--batch", "pentas", "--format", "json"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        check=True,
    )
    assert [(v["code"], v["status"], v["expires_at"]) for v in json.loads(listed.stdout)] == [
        (voucher.code, "active", redeemed.expires_at.isoformat())
    ]
    login("operator")
    assert client.get("/admin/vouchers/batch/pentas/print").status_code == 404  # nothing unused to print

    # Thirty days on, the same voucher is refused, whichever way it comes in.
    later = redeemed.first_used_at + timedelta(days=30)
    typed = packets.auth_request(
        packets.decode(
            access_request(RADIUS_SECRET.encode(), voucher.code, voucher.code, Calling_Station_Id=PHONE),
            "auth",
            RADIUS_SECRET.encode(),
            DICTIONARY,
        )
    )
    assert (
        auth.decide_batch(db.connection(), [typed], later, settings.timezone, nas_ids=[1])[0].reason
        == "expired"
    )


def test_a_voucher_typed_into_the_router_from_a_blocked_phone_is_refused(radius, db, city):
    [voucher] = generate_vouchers(db, "Acara", 1)
    set_device_blocked(db, PHONE, True, utcnow(), actor="test")
    out = radclient(
        radius[0],
        "auth",
        RADIUS_SECRET,
        f'User-Name = "{voucher.code}", User-Password = "{voucher.code}", Calling-Station-Id = "{PHONE}"\n',
    )
    assert 'Reply-Message = "Akses diblokir. Hubungi petugas Wi-Fi kota. / Access blocked.' in out
    db.expire_all()
    assert db.get(Voucher, voucher.id).first_used_at is None
