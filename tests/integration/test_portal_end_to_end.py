"""End to end with real processes: the portal under gunicorn, `hotspot radius`, and the router simulator.

Every way in, as a MikroTik and as a CoovaChilli would walk it, ends with a
RADIUS session in the database at the right access point with the bytes the
simulated router reported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from hotspot.models import RadiusSession
from hotspot.services.vouchers import generate_vouchers
from hotspot.simulate import Router, RouterConfig, Way
from testbed.servers import portal_server, radius_server
from tests.support.splash import RADIUS_SECRET, UAM_SECRET, SmsInbox, add_city, form

pytestmark = pytest.mark.slow
HOTSPOT = str(Path(sys.executable).parent / "hotspot")
MIKROTIK_SOURCE, CHILLI_SOURCE = "127.0.0.1", "127.0.0.2"


@pytest.fixture
def city(db, settings):
    return add_city(db, settings, mikrotik_ip=f"{MIKROTIK_SOURCE}/32", chilli_ip=f"{CHILLI_SOURCE}/32")


@pytest.fixture
def sms():
    with SmsInbox() as inbox:
        yield inbox


@pytest.fixture
def portal(settings, city, sms, tmp_path):
    with portal_server(
        settings, tmp_path / "portal.log", HOTSPOT_SMS_SENDER="webhook", HOTSPOT_SMS_WEBHOOK_URL=sms.url
    ) as url:
        yield url


@pytest.fixture
def radius(settings, city, tmp_path):
    with radius_server(settings, tmp_path / "radius.log", RADIUS_SECRET) as ports:
        yield ports


def router(vendor: str, portal: str, ports=(1, 1), mac="02:00:00:00:00:01", **changes) -> Router:
    if vendor == "chilli":
        changes = {
            "identity": "perumnas",
            "router_ip": "10.1.0.1",
            "uam_secret": UAM_SECRET,
            "nas_ip": CHILLI_SOURCE,
            **changes,
        }
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


def run(vendor, portal, ports, way: Way, **changes):
    simulated = router(vendor, portal, ports, **changes)
    try:
        return simulated.run(way, interims=2, octets=1_500_000)
    finally:
        simulated.close()


def closed_session(db, username) -> RadiusSession:
    db.expire_all()
    return db.scalar(select(RadiusSession).where(RadiusSession.username == username))


@pytest.mark.parametrize("vendor", ["mikrotik", "chilli"])
def test_portal_under_gunicorn_hands_the_ticket_to_the_router(portal, vendor, db):
    simulated = router(vendor, portal)
    try:
        answer = simulated.choose(simulated.splash(), Way("free"))
        username, chap_password, challenge = simulated.credentials_from_handoff(answer)
    finally:
        simulated.close()
    assert username.startswith("t-") and len(chap_password) == 17 and len(challenge) == 16


@pytest.mark.parametrize("vendor, nas", [("mikrotik", "Taman Tirosa"), ("chilli", "Perumnas")])
def test_free_access_session_is_recorded_at_its_access_point(portal, radius, db, vendor, nas):
    result = run(vendor, portal, radius, Way("free"))
    assert result.accepted, result.steps
    assert result.reply["Session-Timeout"] == 3600
    assert "Anda tersambung di" in result.status_page
    session = closed_session(db, result.username)
    assert session.nas.name == nas
    assert (session.input_octets, session.output_octets) == (1_125_000, 4_500_000)
    assert (session.session_time, session.status, session.terminate_cause) == (180, "closed", "User-Request")
    assert session.calling_station_id == "02:00:00:00:00:01"


def test_mac_relogin_the_same_day_without_the_portal(portal, radius, db):
    assert run("mikrotik", portal, radius, Way("free")).accepted
    again = run("mikrotik", portal, radius, Way("mac"))
    assert again.accepted, again.steps
    stranger = run("mikrotik", portal, radius, Way("mac"), mac="02:00:00:00:00:99")
    assert not stranger.accepted


def test_registered_citizen_with_sms_code_then_online(portal, radius, db, sms):
    import requests

    with requests.Session() as browser:
        simulated = router("mikrotik", portal)
        try:
            browser.get(portal + "/?" + simulated_query(simulated))
        finally:
            simulated.close()
        page = browser.get(portal + "/register")
        answer = browser.post(
            portal + "/register",
            data={
                **form(page.text, "/register")["fields"],
                "phone": "0813 3900 1122",
                "password": "sandi-warga",
            },
        )
        assert answer.url.endswith("/register/verify")
        verified = browser.post(
            portal + "/register/verify",
            data={**form(answer.text, "/register/verify")["fields"], "code": sms.code_for("+6281339001122")},
        )
        assert form(verified.text, "handoff")["action"] == "http://10.5.50.1/login"
    result = run("mikrotik", portal, radius, Way("account", phone="081339001122", password="sandi-warga"))
    assert result.accepted, result.steps
    assert closed_session(db, result.username).account_id is not None


def simulated_query(simulated: Router) -> str:
    from hotspot.simulate import mikrotik_redirect

    return mikrotik_redirect(simulated.cfg, b"\x01", bytes(16)).split("?", 1)[1]


def test_voucher_login(portal, radius, db):
    (voucher,) = generate_vouchers(db, "Acara", 1)
    code = voucher.code
    result = run("chilli", portal, radius, Way("voucher", code=code))
    assert result.accepted, result.steps
    assert closed_session(db, result.username).voucher_id == voucher.id


def test_over_quota_is_refused_with_the_reset_time(portal, radius, db):
    first = router("mikrotik", portal, radius)
    try:
        assert first.run(Way("free"), interims=1, octets=300_000_000).accepted
    finally:
        first.close()
    again = run("mikrotik", portal, radius, Way("free"))
    assert not again.accepted
    assert again.refused_by_portal.startswith("Kuota habis. Tersedia lagi dalam ")


def test_simulate_command_prints_what_happened(portal, radius, settings):
    from testbed.helpers import settings_env

    output = subprocess.run(
        [
            HOTSPOT,
            "simulate",
            "mikrotik",
            "--portal",
            portal,
            "--radius",
            "127.0.0.1",
            "--auth-port",
            str(radius[0]),
            "--acct-port",
            str(radius[1]),
            "--secret",
            RADIUS_SECRET,
            "--mac",
            "02:00:00:00:00:42",
            "--interims",
            "1",
            "--octets",
            "2000",
        ],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert output.returncode == 0, output.stdout + output.stderr
    assert "RADIUS Access-Accept for t-" in output.stdout
    assert "Result: online as t-" in output.stdout and "1000 bytes up and 4000 bytes down" in output.stdout


def test_simulate_command_reports_an_unreachable_portal(settings):
    from testbed.helpers import free_port, settings_env

    output = subprocess.run(
        [
            HOTSPOT,
            "simulate",
            "chilli",
            "--portal",
            f"http://127.0.0.1:{free_port()}",
            "--radius",
            "127.0.0.1",
            "--secret",
            RADIUS_SECRET,
        ],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert output.returncode == 1
    assert "Error: the portal at http://127.0.0.1:" in output.stderr and "cannot be reached" in output.stderr
    assert "Traceback" not in output.stderr
