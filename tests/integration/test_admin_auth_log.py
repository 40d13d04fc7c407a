"""The login log: RADIUS decisions and portal refusals, filtered like the helpdesk asks, as a page and CSV."""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AuditEvent, AuthEvent
from hotspot.services.blocking import set_device_blocked
from hotspot.services.citizens import add_account
from radius.authlog import write_events
from tests.integration.test_splash import MAC, mikrotik_url, post_way
from tests.support.splash import add_city, sms_code

OTHER_MAC = "02:00:00:00:00:99"


@pytest.fixture
def city(db, settings):
    return add_city(db, settings)


def radius_events(engine, city, now):
    """Two RADIUS decisions written by the daemon's own AuthEvent writer: a reject at Perumnas, an accept."""
    with engine.begin() as conn:
        write_events(
            conn,
            [
                {
                    "time": now - timedelta(hours=3),
                    "nas_id": city["chilli"].id,
                    "username": "VCHR123456",
                    "calling_station_id": OTHER_MAC,
                    "method": "voucher",
                    "accepted": False,
                    "reason": "expired",
                },
                {
                    "time": now - timedelta(hours=2),
                    "nas_id": city["mikrotik"].id,
                    "username": "t-accepted",
                    "calling_station_id": MAC,
                    "method": "ticket",
                    "accepted": True,
                    "reason": "ok",
                },
            ],
        )


def portal_refusals(client, db):
    """A citizen at Taman Tirosa: a wrong password, an unknown voucher, then (blocked) the free login."""
    add_account(db, "0812 3456 7890", "sandi-rahasia-1")
    page = client.get(mikrotik_url())
    refused = post_way(client, page, "/login/account", phone="0812-3456-7890", password="salah")
    assert refused.status_code == 400
    assert post_way(client, page, "/login/voucher", code="nope-42").status_code == 400
    set_device_blocked(db, MAC, True, utcnow(), "test")
    assert post_way(client, page, "/login/free").status_code == 403


def table_rows(page_html: str) -> list[list[str]]:
    table = page_html.split('id="auth-events"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="(?:accepted|rejected)">(.*?)</tr>', table, re.S)

    def text(cell: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()

    return [[text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_portal_refusals_are_written_as_auth_events(client, db, city):
    portal_refusals(client, db)
    events = db.scalars(select(AuthEvent).order_by(AuthEvent.id)).all()
    assert [(e.method, e.reason, e.username, e.calling_station_id, e.nas_id, e.accepted) for e in events] == [
        ("portal-account", "bad_login", "+6281234567890", MAC, city["mikrotik"].id, False),
        ("portal-voucher", "unknown_voucher", "NOPE42", MAC, city["mikrotik"].id, False),
        ("portal-free", "blocked", MAC, MAC, city["mikrotik"].id, False),
    ]


def test_sms_code_failures_are_logged_for_the_phone(client, db, city, caplog):
    caplog.set_level(logging.INFO, logger="hotspot.sms")
    client.get(mikrotik_url())
    assert (
        post_way(
            client, client.get("/register"), "/register", phone="0812-3456-7890", password="sandi-rahasia"
        ).status_code
        == 303
    )
    page = client.get("/register/verify")
    wrong = "000000" if sms_code(caplog, "+6281234567890") != "000000" else "111111"
    assert post_way(client, page, "/register/verify", code=wrong).status_code == 400
    taken = post_way(client, client.get("/register"), "/register", phone="081234567890", password="short")
    assert taken.status_code == 400
    events = db.scalars(select(AuthEvent).order_by(AuthEvent.id)).all()
    assert [(e.method, e.reason, e.username, e.calling_station_id) for e in events] == [
        ("portal-sms", "bad_code", "+6281234567890", MAC),
        ("portal-sms", "weak_password", "+6281234567890", MAC),
    ]


def test_log_page_newest_first_with_both_reasons_and_every_filter(client, db, engine, city, login):
    now = utcnow()
    radius_events(engine, city, now)
    portal_refusals(client, db)
    login("viewer")
    page = client.get("/admin/auth-log")
    assert page.status_code == 200 and "<th>Pesan yang dibaca warga</th>" in page.get_data(as_text=True)
    rows = table_rows(page.get_data(as_text=True))
    assert [(r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        (
            "Taman Tirosa",
            MAC,
            MAC,
            "portal-free",
            "ditolak",
            "blocked",
            "Akses diblokir. Hubungi petugas Wi-Fi kota.",
        ),
        (
            "Taman Tirosa",
            "NOPE42",
            MAC,
            "portal-voucher",
            "ditolak",
            "unknown_voucher",
            "Kode voucher tidak dikenal. Periksa lagi kodenya.",
        ),
        (
            "Taman Tirosa",
            "+6281234567890",
            MAC,
            "portal-account",
            "ditolak",
            "bad_login",
            "Nomor HP atau kata sandi salah.",
        ),
        ("Taman Tirosa", "t-accepted", MAC, "ticket", "diterima", "ok", ""),
        ("Perumnas", "VCHR123456", OTHER_MAC, "voucher", "ditolak", "expired", "Voucher sudah kedaluwarsa."),
    ]

    english = client.get("/admin/auth-log?lang=en").get_data(as_text=True)
    assert "<th>What the citizen read</th>" in english and "Pesan yang dibaca warga" not in english
    assert [r[5] for r in table_rows(english)] == ["refused", "refused", "refused", "accepted", "refused"]

    def users(query: str) -> list[str]:
        response = client.get(f"/admin/auth-log?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r[2] for r in table_rows(response.get_data(as_text=True))]

    assert users("mac=02-00-00-00-00-99") == ["VCHR123456"]
    assert users("user=0812+3456+7890") == ["+6281234567890"]
    assert users("user=t-accepted") == ["t-accepted"]
    assert users("nas=Perumnas") == ["VCHR123456"]
    assert users("ap=Perumnas") == ["VCHR123456"]
    assert users("reason=unknown_voucher") == ["NOPE42"]
    since, until = (now - timedelta(hours=3, minutes=30)).isoformat(), (now - timedelta(hours=1)).isoformat()
    assert users(f"since={since}&until={until}".replace("+", "%2B")) == ["t-accepted", "VCHR123456"]
    bad = client.get("/admin/auth-log?mac=nonsense")
    assert bad.status_code == 400 and "not a MAC address: &#39;nonsense&#39;" in bad.get_data(as_text=True)


def test_log_pages_by_cursor_without_repeats(client, db, engine, city, login):
    now = utcnow()
    with engine.begin() as conn:
        write_events(
            conn,
            [
                {
                    "time": now - timedelta(seconds=n),
                    "nas_id": city["mikrotik"].id,
                    "username": f"u{n:03d}",
                    "calling_station_id": MAC,
                    "method": "ticket",
                    "accepted": False,
                    "reason": "ticket_expired",
                }
                for n in range(120)
            ],
        )
    login("viewer")
    seen, url = [], "/admin/auth-log?reason=ticket_expired"
    while url:
        body = client.get(url).get_data(as_text=True)
        seen += [r[2] for r in table_rows(body)]
        found = re.search(r'id="next-page" href="([^"]+)"', body)
        url = html.unescape(found.group(1)) if found else None
    assert seen == [f"u{n:03d}" for n in range(120)]


def test_csv_export_carries_the_filter_and_is_audited(client, db, engine, city, login):
    radius_events(engine, city, utcnow())
    admin = login("viewer")
    response = client.get("/admin/auth-log.csv?nas=Perumnas")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="auth-log-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [
        (
            r["nas"],
            r["username"],
            r["calling_station_id"],
            r["method"],
            r["accepted"],
            r["reason"],
            r["message"],
        )
        for r in rows
    ] == [("Perumnas", "VCHR123456", OTHER_MAC, "voucher", "False", "expired", "Voucher sudah kedaluwarsa.")]
    entry = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth_log.export"))
    assert (entry.actor, entry.admin_id, json.loads(entry.detail)) == (
        admin.username,
        admin.id,
        {"nas": "Perumnas"},
    )
    assert client.get("/admin/auth-log.csv?since=yesterday").status_code == 400


def test_csv_export_gives_its_database_connection_back(app, client, engine, city, login):
    """A streamed export must not keep a connection (idle in transaction, holding locks) after the
    download."""
    radius_events(engine, city, utcnow())
    login("viewer")
    pool = app.extensions["hotspot"].engine.pool
    for path in ("/admin/auth-log.csv", "/admin/sessions.csv"):
        response = client.get(path)
        assert response.status_code == 200 and response.get_data(as_text=True).count("\n") >= 1
        assert pool.checkedout() == 0, path


def test_device_and_account_pages_link_to_their_logins(client, db, city, login):
    portal_refusals(client, db)
    login("viewer")
    device = client.get(f"/admin/devices?mac={MAC}").get_data(as_text=True)
    assert f'href="/admin/auth-log?mac={MAC}"' in device
    account = client.get("/admin/citizens?phone=0812").get_data(as_text=True)
    assert 'href="/admin/auth-log?user=%2B6281234567890"' in account
    followed = client.get("/admin/auth-log?user=%2B6281234567890").get_data(as_text=True)
    assert [r[6] for r in table_rows(followed)] == ["bad_login"]


def test_signed_out_visitor_is_sent_to_sign_in(client):
    for path in ("/admin/auth-log", "/admin/auth-log.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
