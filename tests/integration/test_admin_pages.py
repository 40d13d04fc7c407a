"""Console pages an admin relies on: dashboard figures, access points, plans, vouchers, blocking, reports,
audit."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import Account, AuditEvent, Device, Nas, Plan, RadiusSession, UsageHourUser, Voucher
from hotspot.pseudonyms import Pseudonyms
from hotspot.services.plans import PlanSpec, add_plan
from tests.conftest import csrf_token_from
from tests.support.admin_data import NAS_SECRET, add_ap, add_session, add_usage


def post(client, url, data, page="/admin/", **kw):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kw)


def test_dashboard_figures_status_and_charts(client, login, db):
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    tirosa = add_ap(db, "Taman Tirosa", "10.53.1.1")
    warna = add_ap(db, "Pantai Warna", "10.53.2.1")
    tirosa.last_seen_at = now - timedelta(minutes=3)
    warna.last_seen_at = now - timedelta(hours=2)
    for n in range(3):
        add_session(
            db,
            tirosa,
            n,
            now - timedelta(minutes=20),
            status="active",
            stop_time=None,
            terminate_cause=None,
            calling_station_id="AA:BB:CC:00:00:01" if n < 2 else "AA:BB:CC:00:00:02",
        )
    add_usage(db, tirosa, hour, 5, 2_000_000, 40_000_000)
    add_usage(db, warna, hour, 2, 1_000_000, 7_000_000)
    add_usage(db, warna, hour - timedelta(days=40), 99, 9, 9)
    for user in ("a", "b", "c"):
        db.add(UsageHourUser(nas_id=tirosa.id, hour=hour, username=user))
    db.add(UsageHourUser(nas_id=warna.id, hour=hour, username="a"))
    db.commit()
    login("viewer")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="online-sessions">3<' in page
    assert 'id="online-devices">2<' in page
    assert 'id="logins-today">7<' in page
    assert 'id="users-today">3<' in page
    assert 'id="traffic-today">50.0 MB<' in page
    rows = re.findall(r"<tr><td><a [^>]+>([^<]+)</a></td>\s*<td class=\"(online|offline)\">", page)
    assert rows == [("Pantai Warna", "offline"), ("Taman Tirosa", "online")]
    assert page.count('<svg class="chart"') == 3
    assert "<title>Trafik per jam, 24 jam terakhir</title>" in page
    assert ": 50.0 MB</title></rect>" in page  # this hour's bar, both APs
    one_ap = client.get(f"/admin/?nas={warna.id}").get_data(as_text=True)
    assert ": 8.0 MB</title></rect>" in one_ap and ": 50.0 MB</title>" not in one_ap


def test_add_access_point_shows_secret_once_with_router_snippets(client, login, db, settings):
    login("admin")
    response = post(
        client,
        "/admin/nas",
        {
            "name": "Taman Nostalgia",
            "ip_range": "10.53.9.1",
            "vendor": "mikrotik",
            "identifier": "nostalgia",
            "location_name": "Taman Nostalgia",
            "latitude": "-10.1636",
            "longitude": "123.6028",
            "require_message_authenticator": "on",
        },
    )
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    secret = re.search(r'id="shared-secret">([^<]+)<', page).group(1)
    assert len(secret) >= 24
    nas = db.scalar(select(Nas).where(Nas.name == "Taman Nostalgia"))
    assert SecretBox(settings.secret_key).decrypt(nas.secret_encrypted) == secret
    assert (nas.latitude, nas.longitude, nas.identifier, nas.require_message_authenticator) == (
        -10.1636,
        123.6028,
        "nostalgia",
        True,
    )
    text = html.unescape(page)
    assert f'/radius add service=hotspot address=127.0.0.1 secret="{secret}"' in text
    assert "require-message-auth=yes-for-request-resp" in text
    assert "/ip hotspot walled-garden add dst-host=127.0.0.1" in text
    assert '<form action="http://127.0.0.1:8080/" method="get">' in text
    assert '<input type="hidden" name="chap-challenge" value="$(chap-challenge)">' in text
    assert f"HS_RADSECRET={secret}" in text and "HS_UAMFORMAT=http://127.0.0.1:8080/" in text
    detail = html.unescape(client.get(f"/admin/nas/{nas.id}").get_data(as_text=True))
    assert secret not in detail and "HS_RADSECRET=<shared secret shown when the AP was added>" in detail
    audit_detail = db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "nas.add"))
    assert secret not in audit_detail


def test_rotate_edit_and_deactivate_access_point(client, login, db, settings):
    nas = add_ap(db, "Taman Tirosa", "10.53.1.1")
    login("admin")
    page = post(client, f"/admin/nas/{nas.id}/rotate", {}).get_data(as_text=True)
    secret = re.search(r'id="shared-secret">([^<]+)<', page).group(1)
    db.refresh(nas)
    assert secret != NAS_SECRET and SecretBox(settings.secret_key).decrypt(nas.secret_encrypted) == secret
    bad = post(
        client,
        f"/admin/nas/{nas.id}",
        {"name": "Taman Tirosa", "ip_range": "10.53.1.300", "vendor": "mikrotik"},
    )
    assert bad.status_code == 400 and "bukan alamat IP atau blok CIDR" in bad.get_data(as_text=True)
    ok = post(
        client,
        f"/admin/nas/{nas.id}",
        {
            "name": "Taman Tirosa Baru",
            "ip_range": "10.53.1.0/24",
            "vendor": "chilli",
            "uam_secret": "uam-secret-9",
        },
    )
    assert ok.status_code == 302
    db.refresh(nas)
    assert (nas.name, nas.ip_range, nas.vendor) == ("Taman Tirosa Baru", "10.53.1.0/24", "chilli")
    assert SecretBox(settings.secret_key).decrypt(nas.uam_secret_encrypted) == "uam-secret-9"
    assert SecretBox(settings.secret_key).decrypt(nas.secret_encrypted) == secret
    post(client, f"/admin/nas/{nas.id}/active", {"active": "0"})
    db.refresh(nas)
    assert nas.active is False
    actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["nas.rotate_secret", "nas.edit", "nas.deactivate"]


def test_plan_crud(client, login, db):
    login("admin")
    assert (
        post(
            client,
            "/admin/plans",
            {"name": "Pelajar", "daily_minutes": "120", "down_kbps": "2048", "mac_relogin": "on"},
        ).status_code
        == 302
    )
    plan = db.scalar(select(Plan).where(Plan.name == "Pelajar"))
    assert (plan.daily_minutes, plan.down_kbps, plan.mac_relogin, plan.interim_interval_seconds) == (
        120,
        2048,
        True,
        300,
    )
    bad = post(client, f"/admin/plans/{plan.id}", {"name": "Pelajar", "daily_minutes": "-5"})
    assert bad.status_code == 400 and "daily-minutes harus angka positif" in bad.get_data(as_text=True)
    post(client, f"/admin/plans/{plan.id}", {"name": "Pelajar", "daily_minutes": "90"})
    post(client, f"/admin/plans/{plan.id}/active", {"active": "0"})
    db.refresh(plan)
    assert (plan.daily_minutes, plan.down_kbps, plan.active) == (90, None, False)


def test_console_forms_name_the_field_the_admin_got_wrong(client, login, db):
    """Every limit field has its label, a word in a number field and text past the column are errors shown."""
    login("admin")
    for field, label in [
        ("throttle_kbps", "Diperlambat ke kbit/s"),
        ("max_sessions", "Sesi sekaligus"),
        ("random_mac_limit", "Batas MAC acak per lokasi per hari"),
    ]:
        bad = post(client, "/admin/plans", {"name": "Pelajar", field: "banyak"})
        assert bad.status_code == 400 and f"{label}" in bad.get_data(as_text=True)
        assert " harus bilangan bulat" in bad.get_data(as_text=True)
    too_long = post(client, "/admin/plans", {"name": "P" * 65})
    assert "Nama terlalu panjang: paling banyak 64 karakter." in too_long.get_data(as_text=True)
    nas = post(
        client, "/admin/nas", {"name": "Pantai Lasiana", "ip_range": "10.53.4.1", "latitude": "-10,15"}
    )
    assert nas.status_code == 400 and "Lintang harus berupa angka" in nas.get_data(as_text=True)
    assert db.scalar(select(Plan)) is None and db.scalar(select(Nas)) is None
    page = client.get("/admin/plans").get_data(as_text=True)
    assert "Diperlambat ke kbit/s <input" in page and "Sesi sekaligus <input" in page


def test_generate_and_print_vouchers(client, login, db):
    add_plan(db, PlanSpec(name="Acara", daily_minutes=480, valid_days=3), actor="test")
    login("operator")
    response = post(
        client,
        "/admin/vouchers",
        {"plan": "Acara", "count": "7", "batch": "Festival Kupang"},
        follow_redirects=True,
    )
    assert response.request.path == "/admin/vouchers/batch/Festival Kupang"
    codes = list(
        db.scalars(select(Voucher.code).where(Voucher.batch == "Festival Kupang").order_by(Voucher.code))
    )
    assert len(codes) == 7
    printed = client.get("/admin/vouchers/batch/Festival Kupang/print").get_data(as_text=True)
    assert printed.count('<div class="card">') == 7
    assert f"{codes[0][:5]} {codes[0][5:]}" in printed
    assert "berlaku 3 hari sejak dipakai" in printed and "@page { size: A4" in printed
    post(client, "/admin/vouchers/revoke", {"code": codes[0].lower()})
    assert (
        client.get("/admin/vouchers/batch/Festival Kupang/print")
        .get_data(as_text=True)
        .count('<div class="card">')
        == 6
    )
    bad = post(client, "/admin/vouchers", {"plan": "Acara", "count": "0"}, follow_redirects=True)
    assert "jumlah harus antara 1 dan 10000" in bad.get_data(as_text=True)


def test_block_citizen_and_mac(client, login, db):
    db.add(Account(phone="+6281234567890", password_hash="x"))
    db.commit()
    login("operator")
    found = client.get("/admin/citizens?phone=0812345").get_data(as_text=True)
    assert "+6281234567890" in found
    post(client, "/admin/citizens/block", {"phone": "081234567890", "blocked": "1"})
    post(client, "/admin/devices/block", {"mac": "aabb.ccdd.eeff", "blocked": "1"})
    account = db.scalar(select(Account))
    device = db.scalar(select(Device))
    db.refresh(account)
    assert account.blocked is True
    assert (device.mac, device.blocked) == ("AA:BB:CC:DD:EE:FF", True)
    assert "AA:BB:CC:DD:EE:FF" in client.get("/admin/devices").get_data(as_text=True)
    bad = post(client, "/admin/devices/block", {"mac": "zz", "blocked": "1"}, follow_redirects=True)
    assert "bukan alamat MAC: &#39;zz&#39;" in bad.get_data(as_text=True)
    assert list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))[-2:] == [
        "account.block",
        "device.block",
    ]


def test_reports_per_period_peak_hours_and_top_users(client, login, db):
    tirosa = add_ap(db, "Taman Tirosa", "10.53.1.1")
    warna = add_ap(db, "Pantai Warna", "10.53.2.1")
    # 2026-11-02 10:00 UTC is 18:00 in Kupang (UTC+8); 2026-10-31 17:00 UTC is 1 Nov 01:00 local.
    add_usage(db, tirosa, datetime(2026, 11, 2, 10, tzinfo=UTC), 4, 1000, 9000, 600)
    add_usage(db, tirosa, datetime(2026, 10, 31, 17, tzinfo=UTC), 1, 10, 90, 60)
    add_usage(db, warna, datetime(2026, 11, 2, 10, tzinfo=UTC), 2, 500, 500, 120)
    add_session(
        db,
        tirosa,
        1,
        datetime(2026, 11, 2, 10, tzinfo=UTC),
        username="heavy",
        input_octets=10**9,
        output_octets=10**9,
    )
    add_session(
        db,
        tirosa,
        2,
        datetime(2026, 11, 2, 11, tzinfo=UTC),
        username="light",
        input_octets=1,
        output_octets=1,
    )
    db.commit()
    login("viewer")
    query = {"since": "2026-11-01", "until": "2026-11-30"}
    usage = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/admin/reports.csv", query_string={**query, "period": "month", "kind": "usage"}
                ).get_data(as_text=True)
            )
        )
    )
    assert usage == [
        {
            "period": "2026-11-01",
            "nas": "Pantai Warna",
            "sessions": "2",
            "session_seconds": "120",
            "input_octets": "500",
            "output_octets": "500",
        },
        {
            "period": "2026-11-01",
            "nas": "Taman Tirosa",
            "sessions": "5",
            "session_seconds": "660",
            "input_octets": "1010",
            "output_octets": "9090",
        },
    ]
    weekly = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/admin/reports.csv",
                    query_string={**query, "period": "week", "kind": "usage", "nas": tirosa.id},
                ).get_data(as_text=True)
            )
        )
    )
    assert [(r["period"], r["sessions"]) for r in weekly] == [("2026-11-02", "4"), ("2026-10-26", "1")]
    peak = list(
        csv.DictReader(
            io.StringIO(
                client.get("/admin/reports.csv", query_string={**query, "kind": "peak"}).get_data(
                    as_text=True
                )
            )
        )
    )
    assert [(p["hour"], p["sessions"]) for p in peak if p["sessions"] != "0"] == [("01", "1"), ("18", "6")]
    top = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/admin/reports.csv", query_string={**query, "until": "2026-11-05", "kind": "top"}
                ).get_data(as_text=True)
            )
        )
    )
    assert [t["username"] for t in top] == ["heavy", "light"]
    last_week_only = client.get("/admin/reports.csv", query_string={**query, "kind": "top"}).get_data(
        as_text=True
    )
    assert (
        last_week_only == "username,sessions,session_seconds,input_octets,output_octets\n"
    )  # 2 Nov is outside the last 7 days of the range
    page = client.get("/admin/reports", query_string={**query, "period": "day"}).get_data(as_text=True)
    assert '<td>2026-11-02</td><td>Taman Tirosa</td><td class="num">4</td>' in page
    assert '<svg class="chart"' in page


def test_retention_is_shown_and_purge_runs_now(client, login, db, settings):
    nas = add_ap(db, "Taman Tirosa", "10.53.1.1")
    old = utcnow() - timedelta(days=settings.retention_days + 5)
    add_session(db, nas, 1, old, update_time=old)
    add_session(db, nas, 2, utcnow(), update_time=utcnow())
    db.commit()
    login("admin")
    page = client.get("/admin/retention").get_data(as_text=True)
    assert f"disimpan selama <strong>{settings.retention_days} hari</strong>" in page
    done = post(client, "/admin/retention/purge", {}, follow_redirects=True).get_data(as_text=True)
    assert '<td><code>radius_session</code></td><td class="num">1</td>' in done
    macs = list(db.scalars(select(RadiusSession.calling_station_id).order_by(RadiusSession.id)))
    assert macs == [Pseudonyms(settings.secret_key)("AA:BB:CC:00:00:01"), "AA:BB:CC:00:00:02"]


def test_audit_log_lists_console_actions_newest_first(client, login, db):
    login("admin")
    post(client, "/admin/plans", {"name": "Pelajar"})
    page = client.get("/admin/audit").get_data(as_text=True)
    actions = re.findall(r"<td>admin-user</td><td>([a-z._]+)</td>", page)
    assert actions[:2] == ["plan.add", "admin.login"]
    filtered = client.get("/admin/audit?action=plan.").get_data(as_text=True)
    assert re.findall(r"<td>admin-user</td><td>([a-z._]+)</td>", filtered) == ["plan.add"]
    assert (
        json.loads(db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "plan.add")))["name"]
        == "Pelajar"
    )


def test_an_access_point_edit_audits_every_changed_setting(client, login, db):
    nas = add_ap(db, "Taman Tirosa", "10.53.1.1", require_message_authenticator=True)
    login("admin")
    post(
        client,
        f"/admin/nas/{nas.id}",
        {
            "name": "Taman Tirosa",
            "ip_range": "10.53.1.1",
            "vendor": "mikrotik",
            "login_host": "login.tirosa.wifi",
        },
    )
    entry = db.scalar(select(AuditEvent).where(AuditEvent.action == "nas.edit"))
    assert json.loads(entry.detail)["changes"] == {
        "require_message_authenticator": [True, False],
        "login_host": [None, "login.tirosa.wifi"],
    }
