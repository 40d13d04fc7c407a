"""Citizens' data rights (UU 27/2022): the terms version each device and account accepted, and, after
proving the phone by SMS code, a download of what the city holds and the deletion of the account."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotspot.clock import utcnow
from hotspot.models import Account, AuditEvent, Device, RadiusSession
from hotspot.pseudonyms import Pseudonyms
from hotspot.simulate import RouterConfig, mikrotik_redirect
from tests.support.admin_data import add_session
from tests.support.splash import add_city, form, sms_code

PHONE = "+6281234567890"
MAC = "02:00:00:00:00:01"


@pytest.fixture
def city(db, settings):
    return add_city(db, settings)


def mikrotik_url(mac: str = MAC) -> str:
    cfg = RouterConfig(
        vendor="mikrotik",
        portal="http://localhost",
        radius_host="127.0.0.1",
        auth_port=1,
        acct_port=1,
        secret="x",
        mac=mac,
    )
    return mikrotik_redirect(cfg, b"\xf9", bytes(range(200, 216)))


def post_form(client, path: str, **data):
    fields = form(client.get(path).get_data(as_text=True), path)["fields"]
    return client.post(path, data={**fields, **data})


def register(client, caplog) -> None:
    client.get(mikrotik_url())
    post_form(client, "/register", phone="0812-3456-7890", password="sandi-rahasia")
    answer = post_form(client, "/register/verify", code=sms_code(caplog, PHONE))
    assert answer.status_code == 200


def test_the_accepted_terms_version_is_recorded_per_device_and_account(client, db, city, settings, caplog):
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    client.get(mikrotik_url("02:00:00:00:00:09"))
    page = client.get(mikrotik_url("02:00:00:00:00:09"))
    fields = form(page.get_data(as_text=True), "/login/free")["fields"]
    assert client.post("/login/free", data=fields).status_code == 200
    free = db.scalar(select(Device).where(Device.mac == "02:00:00:00:00:09"))
    assert free.terms_version == settings.terms_version
    assert utcnow() - free.terms_accepted_at < timedelta(minutes=1)

    register(client, caplog)  # signs in with the account straight after the code
    db.expire_all()
    account = db.scalar(select(Account).where(Account.phone == PHONE))
    assert (account.terms_version, db.scalar(select(Device.terms_version).where(Device.mac == MAC))) == (
        settings.terms_version,
        settings.terms_version,
    )
    assert account.terms_accepted_at is not None


def test_a_citizen_downloads_their_data_then_deletes_the_account(client, db, city, settings, caplog):
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    register(client, caplog)
    account = db.scalar(select(Account).where(Account.phone == PHONE))
    device = db.scalar(select(Device).where(Device.mac == MAC))
    nas = city["mikrotik"]
    add_session(
        db,
        nas,
        1,
        utcnow() - timedelta(hours=2),
        username="t-mine",
        calling_station_id=MAC,
        account_id=account.id,
        device_id=device.id,
    )
    add_session(
        db, nas, 2, utcnow() - timedelta(hours=2), username="t-other", calling_station_id="02:00:00:00:00:77"
    )
    db.commit()

    assert post_form(client, "/my-data", phone="081234567890").headers["Location"] == "/my-data/verify"
    download = post_form(client, "/my-data/verify", code=sms_code(caplog, PHONE), action="download")
    assert download.status_code == 200 and download.mimetype == "application/json"
    held = json.loads(download.get_data(as_text=True))
    assert held["account"]["phone"] == PHONE and held["account"]["terms_version"] == settings.terms_version
    assert [d["mac"] for d in held["devices"]] == [MAC]
    assert [(s["calling_station_id"], s["access_point"]) for s in held["sessions"]] == [(MAC, nas.name)]

    post_form(client, "/my-data", phone="081234567890")
    unticked = post_form(client, "/my-data/verify", code=sms_code(caplog, PHONE), action="delete", confirm="")
    assert unticked.status_code == 400 and db.scalar(select(func.count()).select_from(Account)) == 1
    post_form(client, "/my-data", phone="081234567890")
    deleted = post_form(
        client, "/my-data/verify", code=sms_code(caplog, PHONE), action="delete", confirm="yes"
    )
    assert deleted.status_code == 200 and 'id="deleted"' in deleted.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(Account).where(Account.phone == PHONE)) is None
    assert db.scalar(select(Device).where(Device.mac == MAC)) is None
    mine = db.scalar(select(RadiusSession).where(RadiusSession.acct_session_id == "00000001"))
    assert (mine.username, mine.calling_station_id, mine.account_id) == (
        Pseudonyms(settings.secret_key)("t-mine"),
        None,
        None,
    )
    other = select(RadiusSession.username).where(RadiusSession.acct_session_id == "00000002")
    assert db.scalar(other) == "t-other"

    requests = list(
        db.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("citizen.data.")).order_by(AuditEvent.id)
        )
    )
    assert [(e.action, e.target) for e in requests] == [
        ("citizen.data.export", "+6281******890"),
        ("citizen.data.delete", "+6281******890"),
    ]
    assert all(PHONE not in e.detail for e in requests)


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, db, city, caplog):
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    answer = post_form(client, "/my-data", phone="081299999999")
    assert answer.status_code == 303 and answer.headers["Location"] == "/my-data/verify"
    assert "SMS to +6281299999999" not in caplog.text
    refused = post_form(client, "/my-data/verify", code="123456", action="download")
    assert refused.status_code == 400


def test_the_privacy_notice_leads_to_the_data_request(client):
    notice = client.get("/privacy?lang=en").get_data(as_text=True)
    assert '<a id="my-data" href="/my-data">Download or delete my data</a>' in notice
    assert client.get("/my-data").status_code == 200


def test_data_request_codes_keep_the_citys_sms_limits(settings, engine, db, caplog):
    """/my-data sends codes like registration does: per client address, within the daily budget."""
    from portal import create_app

    caplog.set_level(logging.INFO, logger="hotspot.sms")
    add_city(db, settings)
    app = create_app(settings.with_overrides(sms_codes_per_address="2/day", sms_daily_budget=2))
    try:
        client = app.test_client()
        register(client, caplog)  # the first code from this address, and of today's budget
        answers = [post_form(client, "/my-data", phone=PHONE).status_code for _ in range(2)]
        assert answers == [303, 429]
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "10.5.50.24"
        spent = post_form(elsewhere, "/my-data", phone=PHONE)
        assert spent.status_code == 400
        assert "Kuota SMS kota untuk hari ini sudah habis" in spent.get_data(as_text=True)
    finally:
        app.extensions["hotspot"].engine.dispose()
