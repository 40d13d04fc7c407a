"""The splash page through Flask's test client: every way in, each gateway's hand-off, quotas, status."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotspot.clock import utcnow
from hotspot.models import AccessPoint, Account, AuthEvent, LoginTicket, RadiusSession
from hotspot.policy import next_reset
from hotspot.services.citizens import add_account
from hotspot.services.devices import touch_device
from hotspot.services.vouchers import generate_vouchers
from hotspot.simulate import RouterConfig, chilli_redirect, mikrotik_redirect
from tests.support.splash import UAM_SECRET, add_city, alert, form, sms_code

MAC = "02:00:00:00:00:01"
CHAP_ID = b"\xf9"
CHALLENGE = bytes(range(200, 216))


@pytest.fixture
def city(db, settings):
    return add_city(db, settings)


def mikrotik_url(mac=MAC, **changes):
    cfg = RouterConfig(
        vendor="mikrotik",
        portal="http://localhost",
        radius_host="127.0.0.1",
        auth_port=1,
        acct_port=1,
        secret="x",
        mac=mac,
        **changes,
    )
    return mikrotik_redirect(cfg, CHAP_ID, CHALLENGE)


def chilli_url(mac=MAC, uam_secret=UAM_SECRET, **changes):
    cfg = RouterConfig(
        vendor="chilli",
        portal="http://localhost",
        radius_host="127.0.0.1",
        auth_port=1,
        acct_port=1,
        secret="x",
        mac=mac,
        identity="perumnas",
        router_ip="10.1.0.1",
        uam_secret=uam_secret,
        **changes,
    )
    return chilli_redirect(cfg, CHALLENGE)


def post_way(client, page, path, **data):
    fields = form(page.get_data(as_text=True), path)["fields"]
    return client.post(path, data={**fields, **data})


def ticket(db, username) -> LoginTicket:
    db.expire_all()
    return db.scalar(select(LoginTicket).where(LoginTicket.username == username))


def test_plain_visit_shows_information_page(client, city):
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Sambungkan HP Anda ke jaringan Wi-Fi kota" in body
    assert 'action="/login/free"' not in body


def test_mikrotik_free_access_hands_chap_to_the_router(client, db, city, settings):
    page = client.get(mikrotik_url())
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Selamat datang di Taman Tirosa" in body
    assert "Dilarang" in body or "dilarang" in body
    answer = post_way(client, page, "/login/free")
    assert answer.status_code == 200
    handoff = form(answer.get_data(as_text=True), "handoff")
    assert (handoff["method"], handoff["action"]) == ("post", "http://10.5.50.1/login")
    issued = ticket(db, handoff["fields"]["username"])
    assert (issued.kind, issued.nas_id, issued.plan.name) == ("free", city["mikrotik"].id, "Gratis")
    assert issued.expires_at - issued.created_at == timedelta(seconds=settings.login_ticket_seconds)
    assert handoff["fields"] == {
        "username": issued.username,
        "password": hashlib.md5(CHAP_ID + issued.secret.encode() + CHALLENGE).hexdigest(),
        "dst": "http://127.0.0.1:8080/status",
        "popup": "true",
    }
    assert "form-action 'self' http://10.5.50.1;" in answer.headers["Content-Security-Policy"]
    assert 'src="/static/js/handoff.js"' in answer.get_data(as_text=True)


def test_mikrotik_http_pap_hands_the_cleartext_ticket(client, db, city):
    page = client.get("/?mac=02:00:00:00:00:09&link-login-only=http://10.5.50.1/login&identity=taman-tirosa")
    handoff = form(post_way(client, page, "/login/free").get_data(as_text=True), "handoff")
    assert handoff["fields"]["password"] == ticket(db, handoff["fields"]["username"]).secret


def test_chilli_free_access_redirects_to_logon_with_chap_response(client, db, city):
    page = client.get(chilli_url())
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Selamat datang di Perumnas" in page.get_data(as_text=True)
    assert "form-action 'self' http://10.1.0.1:3990;" in page.headers["Content-Security-Policy"]
    answer = post_way(client, page, "/login/free")
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("http://10.1.0.1:3990/logon?username=t-")
    username = location.split("username=")[1].split("&")[0]
    issued = ticket(db, username)
    assert issued.nas_id == city["chilli"].id
    newchal = hashlib.md5(CHALLENGE + UAM_SECRET.encode()).digest()
    response = hashlib.md5(b"\x00" + issued.secret.encode() + newchal).hexdigest()
    assert location == (
        f"http://10.1.0.1:3990/logon?username={username}&response={response}"
        "&userurl=http%3A%2F%2Fexample.com%2F"
    )


def test_chilli_bad_or_missing_md_is_refused(client, db, city):
    url = chilli_url()
    forged = url[: url.index("&md=")] + "&md=" + "0" * 32
    response = client.get(forged)
    assert response.status_code == 400
    assert "Tanda tangan router (md) tidak cocok" in response.get_data(as_text=True)
    unsigned = chilli_url(uam_secret=None)
    assert client.get(unsigned).status_code == 400
    tampered = url.replace("uamport=3990", "uamport=3991")
    assert client.get(tampered).status_code == 400
    assert db.scalar(select(LoginTicket)) is None


def test_registered_citizen_registers_with_sms_code_and_is_online(client, db, city, caplog):
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    client.get(mikrotik_url())
    page = client.get("/register")
    answer = post_way(client, page, "/register", phone="0812-3456-7890", password="sandi-rahasia")
    assert answer.status_code == 303 and answer.headers["Location"] == "/register/verify"
    page = client.get("/register/verify")
    assert "+6281234567890" in page.get_data(as_text=True)
    wrong = post_way(
        client,
        page,
        "/register/verify",
        code="000000" if sms_code(caplog, "+6281234567890") != "000000" else "111111",
    )
    assert wrong.status_code == 400 and "Kode salah" in wrong.get_data(as_text=True)
    answer = post_way(client, page, "/register/verify", code=sms_code(caplog, "+6281234567890"))
    handoff = form(answer.get_data(as_text=True), "handoff")
    issued = ticket(db, handoff["fields"]["username"])
    account = db.scalar(select(Account).where(Account.phone == "+6281234567890"))
    assert account.verified and issued.kind == "account" and issued.account_id == account.id

    page = client.get(mikrotik_url())
    bad = post_way(client, page, "/login/account", phone="081234567890", password="wrong-password")
    assert bad.status_code == 400
    assert alert(bad.get_data(as_text=True)) == "Nomor HP atau kata sandi salah."
    good = post_way(client, page, "/login/account", phone="081234567890", password="sandi-rahasia")
    assert ticket(db, form(good.get_data(as_text=True), "handoff")["fields"]["username"]).kind == "account"


def test_password_reset_by_sms_code(client, db, city, caplog):
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    add_account(db, "081298765432", "old-password")
    client.get(mikrotik_url())
    answer = post_way(client, client.get("/reset"), "/reset", phone="081298765432")
    assert answer.headers["Location"] == "/reset/confirm"
    answer = post_way(
        client,
        client.get("/reset/confirm"),
        "/reset/confirm",
        code=sms_code(caplog, "+6281298765432"),
        password="new-password",
    )
    assert form(answer.get_data(as_text=True), "handoff")["action"] == "http://10.5.50.1/login"
    page = client.get(mikrotik_url())
    assert (
        post_way(client, page, "/login/account", phone="081298765432", password="old-password").status_code
        == 400
    )
    assert (
        post_way(client, page, "/login/account", phone="081298765432", password="new-password").status_code
        == 200
    )


def test_registration_rejects_bad_phone_numbers(client, city):
    client.get(mikrotik_url())
    answer = post_way(client, client.get("/register"), "/register", phone="12345", password="sandi-rahasia")
    assert answer.status_code == 400
    assert alert(answer.get_data(as_text=True)) == "Nomor HP tidak valid. Contoh: 0812 3456 7890."


def test_voucher_login_and_refusals(client, db, city):
    good, revoked = generate_vouchers(db, "Acara", 2)
    revoked.revoked = True
    db.commit()
    page = client.get(mikrotik_url())
    answer = post_way(
        client, page, "/login/voucher", code=good.code.lower()[:5] + "-" + good.code.lower()[5:]
    )
    issued = ticket(db, form(answer.get_data(as_text=True), "handoff")["fields"]["username"])
    assert (issued.kind, issued.voucher_id, issued.plan.name) == ("voucher", good.id, "Acara")
    unknown = post_way(client, page, "/login/voucher", code="NOPE")
    assert alert(unknown.get_data(as_text=True)) == "Kode voucher tidak dikenal. Periksa lagi kodenya."
    cancelled = post_way(client, page, "/login/voucher", code=revoked.code)
    assert alert(cancelled.get_data(as_text=True)) == "Voucher ini sudah dibatalkan."


def add_session(
    db, nas, seconds, octets, device_id=None, account_id=None, framed_ip=None, status="closed", mac=MAC
):
    now = utcnow()
    db.add(
        RadiusSession(
            unique_id=f"u{seconds}{octets}{status}",
            nas_id=nas.id,
            acct_session_id="A1",
            username="t-old",
            device_id=device_id,
            account_id=account_id,
            plan_id=None if account_id else 1,
            calling_station_id=mac,
            framed_ip=framed_ip,
            start_time=now - timedelta(seconds=seconds),
            update_time=now,
            session_time=seconds,
            input_octets=octets // 4,
            output_octets=octets - octets // 4,
            status=status,
        )
    )
    db.commit()


def expected_waits(settings, language="id"):
    from portal import create_app
    from portal.splash import wait_in_words

    app = create_app(settings)
    try:
        with app.test_request_context(f"/?lang={language}"):
            now = utcnow()
            reset = next_reset(now, settings.timezone)
            return {
                wait_in_words((reset - now).total_seconds()),
                wait_in_words((reset - now).total_seconds() - 60),
            }
    finally:
        app.extensions["hotspot"].engine.dispose()


@pytest.mark.parametrize(
    "language, template",
    [
        ("id", "Kuota habis. Tersedia lagi dalam {}."),
        ("en", "Quota used up. Available again in {}."),
    ],
)
def test_over_quota_citizen_sees_when_it_resets(client, db, city, settings, language, template):
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(db, city["mikrotik"], 3600, 1000, device_id=device.id)
    page = client.get(mikrotik_url() + f"&lang={language}")
    answer = post_way(client, page, "/login/free")
    assert answer.status_code == 403
    assert alert(answer.get_data(as_text=True)) in {
        template.format(w) for w in expected_waits(settings, language)
    }
    assert db.scalar(select(LoginTicket)) is None


def test_data_quota_counts_for_the_device_only(client, db, city):
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(db, city["mikrotik"], 60, 500_000_000, device_id=device.id)
    assert post_way(client, client.get(mikrotik_url()), "/login/free").status_code == 403
    other_phone = post_way(client, client.get(mikrotik_url(mac="02:00:00:00:00:02")), "/login/free")
    assert other_phone.status_code == 200


def test_status_page_shows_what_is_left_and_logs_out_at_the_router(client, db, city):
    answer = post_way(client, client.get(mikrotik_url()), "/login/free")
    issued = ticket(db, form(answer.get_data(as_text=True), "handoff")["fields"]["username"])
    add_session(db, city["mikrotik"], 600, 100_000_000, device_id=issued.device_id)
    status = client.get("/status")
    body = status.get_data(as_text=True)
    assert status.status_code == 200
    assert "Anda tersambung di Taman Tirosa" in body
    assert '<dd id="time-left">50 menit</dd>' in body
    assert '<dd id="data-left">400 MB</dd>' in body
    assert 'href="https://kupangkota.go.id/"' in body and 'href="https://www.qlue.co.id/"' in body
    assert "form-action 'self' http://10.5.50.1;" in status.headers["Content-Security-Policy"]
    logout = post_way(client, status, "/logout")
    assert (logout.status_code, logout.headers["Location"]) == (303, "http://10.5.50.1/logout")
    assert "belum tersambung" in client.get("/status").get_data(as_text=True)


def test_chilli_success_shows_status_and_logout_goes_to_logoff(client, city):
    post_way(client, client.get(chilli_url()), "/login/free")
    cfg = RouterConfig(
        vendor="chilli",
        portal="http://localhost",
        radius_host="127.0.0.1",
        auth_port=1,
        acct_port=1,
        secret="x",
        mac=MAC,
        identity="perumnas",
        router_ip="10.1.0.1",
        uam_secret=UAM_SECRET,
    )
    success = client.get(chilli_redirect(cfg, CHALLENGE, res="success"))
    assert (success.status_code, success.headers["Location"]) == (303, "/status")
    status = client.get("/status")
    assert "Anda tersambung di Perumnas" in status.get_data(as_text=True)
    logout = post_way(client, status, "/logout")
    assert logout.headers["Location"] == "http://10.1.0.1:3990/logoff"


PORTAL = {"user-portal-url": "http://127.0.0.1:8080/", "venue-info-url": "https://kupangkota.go.id/"}


def test_captive_api_for_unknown_and_online_clients(client, db, city):
    unknown = client.get("/api/captive")
    assert unknown.headers["Content-Type"] == "application/captive+json"
    assert unknown.json == {"captive": True, **PORTAL}
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(
        db, city["mikrotik"], 600, 100_000_000, device_id=device.id, framed_ip="127.0.0.1", status="active"
    )
    online = client.get("/api/captive?nas=taman-tirosa")
    assert online.json == {
        "captive": False,
        **PORTAL,
        "seconds-remaining": 3000,
        "bytes-remaining": 400_000_000,
        "can-extend-session": False,
    }
    by_mac = client.get("/api/captive?nas=taman-tirosa&mac=02-00-00-00-00-01")
    assert by_mac.json["bytes-remaining"] == 400_000_000
    assert client.get("/api/captive?mac=<script>").status_code == 400


def from_address(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_captive_api_tells_nobody_else_whether_a_mac_is_online(client, db, city):
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(
        db, city["chilli"], 600, 100_000_000, device_id=device.id, framed_ip="10.1.0.23", status="active"
    )
    offline_mac = "02:00:00:00:00:99"
    for address in ("36.91.10.9", "10.53.1.1", "10.1.0.99"):  # the internet, another park's NAT, a neighbour
        for mac in (MAC, offline_mac):
            for query in (f"?mac={mac}", f"?nas=perumnas&mac={mac}"):
                answer = from_address(client, address).get("/api/captive" + query)
                assert answer.json == {"captive": True, **PORTAL}, (address, query)


def test_captive_api_finds_the_phone_through_its_own_router(client, db, city):
    """Behind Chilli's NAT the request comes from the router; its API URL names the phone (`%{m}`)."""
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(
        db, city["chilli"], 600, 100_000_000, device_id=device.id, framed_ip="10.1.0.23", status="active"
    )
    through_nat = from_address(client, "10.53.10.1")
    assert through_nat.get(f"/api/captive?nas=perumnas&mac={MAC}").json["bytes-remaining"] == 400_000_000
    assert through_nat.get("/api/captive?nas=perumnas").json == {"captive": True, **PORTAL}


def test_a_phone_at_another_park_with_the_same_address_is_not_told_this_ones_allowance(client, db, city):
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(
        db, city["chilli"], 600, 100_000_000, device_id=device.id, framed_ip="10.5.50.23", status="active"
    )
    phone_at_tirosa = from_address(client, "10.5.50.23")
    assert phone_at_tirosa.get("/api/captive?nas=taman-tirosa").json == {"captive": True, **PORTAL}
    assert phone_at_tirosa.get("/api/captive").json == {"captive": True, **PORTAL}
    assert phone_at_tirosa.get("/api/captive?nas=perumnas").json["captive"] is False


def test_status_page_tells_nobody_else_whether_a_mac_is_online(client, db, city):
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(
        db, city["mikrotik"], 300, 50_000_000, device_id=device.id, framed_ip="10.5.50.23", status="active"
    )
    for address in ("36.91.10.9", "10.5.50.99"):
        stranger = from_address(client.application.test_client(), address)
        stranger.get(mikrotik_url())  # a MikroTik-shaped URL naming someone else's MAC
        body = stranger.get("/status").get_data(as_text=True)
        assert "belum tersambung" in body and "time-left" not in body, address
    owner = from_address(client.application.test_client(), "10.5.50.23")
    owner.get(mikrotik_url())
    assert '<dd id="time-left">55 menit</dd>' in owner.get("/status").get_data(as_text=True)


def test_language_switch_keeps_gateway_parameters_and_is_remembered(client, city):
    page = client.get(mikrotik_url())
    body = page.get_data(as_text=True)
    assert '<html lang="id">' in body and ">English</a>" in body
    switched = client.get(mikrotik_url() + "&lang=en")
    body = switched.get_data(as_text=True)
    assert '<html lang="en">' in body and "Welcome to Taman Tirosa" in body and "Agree and connect" in body
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert "Welcome to Taman Tirosa" in client.get(mikrotik_url()).get_data(as_text=True)
    assert "Selamat datang" in client.get(mikrotik_url() + "&lang=id").get_data(as_text=True)


def test_phone_let_in_again_by_mac_sees_its_status_without_a_portal_login(client, db, city):
    device = touch_device(db, MAC, utcnow())
    db.commit()
    add_session(db, city["chilli"], 300, 50_000_000, device_id=device.id, status="active")
    cfg = RouterConfig(
        vendor="chilli",
        portal="http://localhost",
        radius_host="127.0.0.1",
        auth_port=1,
        acct_port=1,
        secret="x",
        mac=MAC,
        identity="perumnas",
        router_ip="10.1.0.1",
        uam_secret=UAM_SECRET,
    )
    already = client.get(chilli_redirect(cfg, CHALLENGE, res="already"))
    assert already.headers["Location"] == "/status"
    body = client.get("/status").get_data(as_text=True)
    assert "Anda tersambung di Perumnas" in body
    assert '<dd id="time-left">55 menit</dd>' in body and '<dd id="data-left">450 MB</dd>' in body
    assert (
        post_way(client, client.get("/status"), "/logout").headers["Location"]
        == "http://10.1.0.1:3990/logoff"
    )


def test_privacy_notice_is_linked_from_the_splash_page_in_both_languages(client, city, settings):
    page = client.get(mikrotik_url()).get_data(as_text=True)
    assert '<a href="/privacy">Privasi</a>' in page
    notice = client.get("/privacy").get_data(as_text=True)
    assert "<h1>Pemberitahuan privasi</h1>" in notice
    assert "UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi" in notice
    assert "Data pribadi dianonimkan setelah 90 hari." in notice
    english = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "<h1>Privacy notice</h1>" in english and "Personal data is anonymised after 90 days." in english
    assert "Personal Data Protection Law, No. 27 of 2022" in english


def test_privacy_notice_text_is_the_citys_setting(settings, engine):
    from portal import create_app

    app = create_app(
        settings.with_overrides(
            privacy_text="Kami <b>menjaga</b> data.\n\nParagraf kedua.",
            privacy_text_en="We keep it safe.",
            retention_days=30,
        )
    )
    try:
        client = app.test_client()
        notice = client.get("/privacy").get_data(as_text=True)
        assert "<p>Kami &lt;b&gt;menjaga&lt;/b&gt; data.</p><p>Paragraf kedua.</p>" in notice
        assert "setelah 30 hari" in notice
        assert "<p>We keep it safe.</p>" in client.get("/privacy?lang=en").get_data(as_text=True)
    finally:
        app.extensions["hotspot"].engine.dispose()


def test_too_long_input_is_an_error_the_citizen_sees_never_a_silent_cut(client, db, city, caplog):
    """Cut to 32 characters this phone number would read as a valid one and get an SMS code."""
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    client.get(mikrotik_url())
    padded = "0812-3456-7890" + "-" * 19 + "1"
    answer = post_way(client, client.get("/register"), "/register", phone=padded, password="sandi-rahasia")
    assert answer.status_code == 400
    assert alert(answer.get_data(as_text=True)) == "Nomor HP terlalu panjang: paling banyak 32 karakter."
    assert db.scalar(select(Account)) is None and "+6281234567890" not in caplog.text
    (good,) = generate_vouchers(db, "Acara", 1)
    page = client.get(mikrotik_url())
    long_code = post_way(client, page, "/login/voucher", code=good.code + " " * 60)
    assert long_code.status_code == 400 and db.scalar(select(LoginTicket)) is None
    assert (
        alert(long_code.get_data(as_text=True)) == "Kode voucher terlalu panjang: paling banyak 64 karakter."
    )
    long_password = post_way(client, page, "/login/account", phone="081234567890", password="x" * 129)
    assert (
        alert(long_password.get_data(as_text=True))
        == "Kata sandi terlalu panjang: paling banyak 128 karakter."
    )
    english = post_way(client, client.get("/register?lang=en"), "/register", phone=padded, password="sandi")
    assert alert(english.get_data(as_text=True)) == "Phone number is too long: at most 32 characters."


def test_a_splash_refusal_names_the_radio_the_router_redirected_from(client, db, city):
    """The redirect's server-name is the radio RADIUS knows; a radio it never heard is not created."""
    known = AccessPoint(nas_id=city["mikrotik"].id, radio_mac="hotspot-taman", name="Gerbang")
    db.add(known)
    db.commit()
    for server_name in ("hotspot-taman", "hotspot-made-up"):
        page = client.get(mikrotik_url(server_name=server_name))
        assert post_way(client, page, "/login/voucher", code="NOPE").status_code == 400
    events = db.scalars(select(AuthEvent).order_by(AuthEvent.id)).all()
    assert [(e.reason, e.access_point_id) for e in events] == [
        ("unknown_voucher", known.id),
        ("unknown_voucher", None),
    ]
    assert db.scalar(select(func.count()).select_from(AccessPoint)) == 1
