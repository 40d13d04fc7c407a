"""The console speaks Indonesian by default and English one click away, and no string slips through.

Every GET page of the admin blueprint (and the pages that answer its forms) is
rendered with realistic data in both languages: in `id` no word of the English
catalog may be read, in `en` no console message may be left in Indonesian.
The templates and the console's Python are scanned for text outside `_()`,
and every message id pybabel extracts must have its English translation.
"""

from __future__ import annotations

import re
from datetime import timedelta

import jinja2
import pytest
from babel.messages.pofile import read_po
from flask import url_for

from hotspot.clock import utcnow
from hotspot.models import Plan, UsageHourUser
from hotspot.services import signin
from hotspot.services.admins import create_admin
from hotspot.services.blocking import set_device_blocked
from hotspot.services.citizens import add_account
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.services.vouchers import generate_vouchers
from portal.admin import service_messages as service_messages_module
from portal.admin.auth import PENDING_KEY, PENDING_STAMP_KEY
from portal.admin.service_messages import CATALOG as SERVICE_CATALOG
from radius.authlog import write_events
from tests.conftest import ADMIN_PASSWORD, csrf_token_from
from tests.support.admin_data import add_ap, add_session, add_usage
from tests.support.console_language import (
    CONSOLE_CODE,
    CONSOLE_TEMPLATES,
    ROOT,
    SERVICES,
    canonical_template,
    catalog,
    compiled_catalog,
    console_templates,
    english_only_words,
    extracted_msgids,
    service_messages,
    untranslated_in_python,
    untranslated_in_template,
    visible_texts,
    words,
)

BATCH = "Festival Kupang"
CITIZEN = "+6281234567890"
BLOCKED_MAC = "02:00:00:00:00:99"
PORTAL_METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def seed_city(db):
    """Two radios with sessions in every state, a day of roll-ups, plans, a voucher batch, a blocked
    citizen."""
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    tirosa = add_ap(
        db,
        "Taman Tirosa",
        "10.53.1.1",
        location_name="Taman Tirosa",
        latitude=-10.16,
        longitude=123.6,
        identifier="tirosa",
    )
    lurah = add_ap(db, "Kantor Lurah", "10.53.2.1", vendor="chilli")
    tirosa.last_seen_at = now - timedelta(minutes=2)
    for number, status in enumerate(("active", "closed", "stale")):
        extra = {"stop_time": None, "terminate_cause": None} if status == "active" else {}
        add_session(db, tirosa, number, now - timedelta(minutes=30), status=status, **extra)
    add_session(db, lurah, 7, now - timedelta(days=2))
    for back in range(30):
        add_usage(db, tirosa, hour - timedelta(hours=back * 5), 3, 2_000_000, 30_000_000, 900)
    db.add(UsageHourUser(nas_id=tirosa.id, hour=hour, username="user1"))
    add_plan(db, PlanSpec(name="Pelajar", daily_minutes=120, valid_days=3, mac_relogin=True), actor="test")
    retired = add_plan(db, PlanSpec(name="Lama", daily_minutes=30), actor="test")
    retired.active = False
    generate_vouchers(db, "Pelajar", 4, BATCH, actor="test")
    account = add_account(db, "0812 3456 7890", "sandi-rahasia-1", plan_name="Pelajar")
    account.blocked = True
    set_device_blocked(db, BLOCKED_MAC, True, now, "test")
    db.commit()
    with db.get_bind().begin() as conn:
        write_events(
            conn,
            [
                {
                    "time": now - timedelta(hours=1),
                    "nas_id": tirosa.id,
                    "username": "VCHR123456",
                    "calling_station_id": BLOCKED_MAC,
                    "method": "voucher",
                    "accepted": False,
                    "reason": "expired",
                },
                {
                    "time": now - timedelta(minutes=50),
                    "nas_id": tirosa.id,
                    "username": "t-accepted",
                    "calling_station_id": "AA:BB:CC:00:00:01",
                    "method": "ticket",
                    "accepted": True,
                    "reason": "ok",
                },
            ],
        )
    return tirosa


def console_get_urls(app, nas_id: int) -> list[str]:
    """Every GET route of the admin blueprint, built with this city's rows; a new route must be given
    values."""
    values = {"nas_id": nas_id, "name": BATCH}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods:
                continue
            unknown = rule.arguments - values.keys()
            assert not unknown, f"give {sorted(unknown)} of {rule.rule} a value in console_get_urls"
            urls.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    return urls


def variants(nas_id: int, plan_id: int) -> list[str]:
    """The same pages in their other states: filtered, one device, one citizen, editing, per week."""
    return [
        f"/admin/?nas={nas_id}",
        "/admin/sessions?status=active",
        "/admin/sessions?status=stale&sort=asc",
        f"/admin/devices?mac={BLOCKED_MAC}",
        "/admin/citizens?phone=0812",
        f"/admin/plans?edit={plan_id}",
        "/admin/reports?period=week",
        "/admin/reports?period=month",
        "/admin/auth-log?user=VCHR123456",
        "/admin/audit?action=plan.",
    ]


def form_answers(client, nas_id: int) -> list[str]:
    """Pages that answer a form, and flashed results: the secret page, a new token, TOTP set-up, a block."""

    def post(url, data):
        token = csrf_token_from(client.get("/admin/account").get_data(as_text=True))
        return client.post(url, data={**data, "csrf_token": token}, follow_redirects=True).get_data(
            as_text=True
        )

    return [
        post("/admin/nas", {"name": "Pasar Oeba", "ip_range": "10.53.3.1", "vendor": "mikrotik"}),
        post("/admin/account/tokens", {"name": "grafana"}),
        post("/admin/account/totp", {"step": "start"}),
        post("/admin/devices/block", {"mac": "02:00:00:00:00:98", "blocked": "1"}),
        post("/admin/citizens/block", {"phone": CITIZEN, "blocked": "0"}),
        post("/admin/plans", {"name": "Acara", "daily_minutes": "480"}),
        post("/admin/vouchers/revoke", {"code": "no-such-code"}),
        post("/admin/account/password", {"current": "wrong password", "new": "another password 1"}),
        post("/admin/devices/block", {"mac": "zz", "blocked": "1"}),
        post(
            f"/admin/nas/{nas_id}", {"name": "Taman Tirosa", "ip_range": "10.53.1.300", "vendor": "mikrotik"}
        ),
    ]


def console_pages(client, login, db, language: str) -> dict[str, str]:
    """URL -> HTML of every console page, signed in as an admin, after choosing the language once."""
    tirosa = seed_city(db)
    plan = db.query(Plan).filter_by(name="Pelajar").one()
    pages = {"/admin/login": client.get(f"/admin/login?lang={language}").get_data(as_text=True)}
    second = create_admin(db, "kedua", ADMIN_PASSWORD, "viewer", actor="test")
    with client.session_transaction() as session:
        session[PENDING_KEY] = second.id  # the password was right; the code is asked next
        session[PENDING_STAMP_KEY] = signin.pending_stamp(second)
    pages["/admin/login/totp"] = client.get("/admin/login/totp").get_data(as_text=True)
    login("admin")
    for url in console_get_urls(client.application, tirosa.id) + variants(tirosa.id, plan.id):
        if url in pages:
            continue
        response = client.get(url)
        body = response.get_data(as_text=True)  # read to the end: a CSV streams from a server-side cursor
        response.close()
        assert response.status_code == 200, (url, response.status_code)
        if response.mimetype == "text/html":
            pages[url] = body
    for number, page in enumerate(form_answers(client, tirosa.id)):
        pages[f"form answer {number}"] = page
    for url, page in pages.items():
        assert f'<html lang="{language}">' in page, f"{url} is not in {language}: the choice did not stick"
    return pages


@pytest.fixture
def english_catalog():
    return catalog()


def test_every_console_page_in_indonesian_reads_no_english_word(client, login, db, english_catalog):
    english_words = english_only_words(english_catalog)
    assert {"sessions", "disconnect", "devices", "sign"} <= english_words
    pages = console_pages(client, login, db, "id")
    assert len(pages) >= 30
    leftovers = {url: sorted(words(visible_texts(page)) & english_words) for url, page in pages.items()}
    assert {url: found for url, found in leftovers.items() if found} == {}
    assert "Putuskan" in pages["/admin/sessions?status=active"]


def test_every_console_page_in_english_has_no_console_message_left_in_indonesian(
    client, login, db, english_catalog
):
    console = extracted_msgids(CONSOLE_TEMPLATES, [("**.html", "jinja2")]) | extracted_msgids(
        CONSOLE_CODE, [("**.py", "python")]
    )
    indonesian = {msgid for msgid in console if english_catalog.get(msgid) != msgid and "%(" not in msgid}
    assert {"Sesi", "Putuskan", "Dasbor"} <= indonesian
    pages = console_pages(client, login, db, "en")
    leftovers = {url: sorted(set(visible_texts(page)) & indonesian) for url, page in pages.items()}
    assert {url: found for url, found in leftovers.items() if found} == {}
    assert "Disconnect" in pages["/admin/sessions?status=active"]


def test_every_message_id_has_its_english_translation_compiled(english_catalog):
    extracted = extracted_msgids(ROOT / "portal", PORTAL_METHODS)
    assert "Putuskan" in extracted and len(extracted) > 300
    missing = sorted(
        msgid for msgid in extracted if not english_catalog.get(msgid) or not all(english_catalog[msgid])
    )
    assert missing == []
    assert compiled_catalog() == english_catalog, "the .mo is older than the .po: run make install"


def test_no_console_template_shows_text_outside_the_catalog(app):
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    templates = console_templates()
    assert len(templates) >= 20
    found = {
        str(path.relative_to(ROOT)): untranslated_in_template(environment, path.read_text())
        for path in templates
    }
    assert {path: texts for path, texts in found.items() if texts} == {}


def test_no_console_message_in_python_outside_the_catalog():
    modules = sorted(CONSOLE_CODE.glob("*.py"))
    found = {path.name: untranslated_in_python(path.read_text()) for path in modules}
    assert {name: texts for name, texts in found.items() if texts} == {}


def test_language_switch_keeps_the_page_and_sticks(client, login, db):
    seed_city(db)
    login("viewer")
    page = client.get("/admin/sessions?nas=Taman+Tirosa&status=active").get_data(as_text=True)
    assert "<h1>Sedang online</h1>" in page
    switch = re.search(r'<span class="lang" id="lang-switch"[^>]*>(.*?)</span>', page, re.S).group(1)
    assert '<strong lang="id">id</strong>' in switch
    link = re.search(r'href="([^"]+)" lang="en"', switch).group(1).replace("&amp;", "&")
    assert link == "/admin/sessions?nas=Taman+Tirosa&status=active&lang=en"
    english = client.get(link)
    assert "<h1>Online now</h1>" in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "<h1>Dashboard </h1>" in client.get("/admin/").get_data(as_text=True)
    back = client.get("/admin/reports?lang=id").get_data(as_text=True)
    assert "<h1>Laporan</h1>" in back and "<h1>Dasbor </h1>" in client.get("/admin/").get_data(as_text=True)


def test_signed_out_sign_in_page_has_the_switch_too(client):
    page = client.get("/admin/login").get_data(as_text=True)
    assert "<h1>Admin hotspot: masuk</h1>" in page and 'href="/admin/login?lang=en"' in page
    assert "<h1>Hotspot admin: sign in</h1>" in client.get("/admin/login?lang=en").get_data(as_text=True)


def test_every_service_message_has_its_indonesian_template():
    with SERVICE_CATALOG.open("rb") as handle:
        templates = {canonical_template(m.id): m.string for m in read_po(handle) if m.id}
    assert all(templates.values())
    messages = {
        f"{path.relative_to(ROOT)}: {text}": text
        for path in sorted(SERVICES.rglob("*.py"))
        for text in service_messages(path.read_text())
    }
    assert len(messages) >= 30
    assert sorted(where for where, text in messages.items() if text not in templates) == []


@pytest.mark.parametrize(
    ("english", "indonesian"),
    [
        ("not a MAC address: 'zz'", "bukan alamat MAC: 'zz'"),
        (
            "vendor must be one of mikrotik, chilli, not 'x'",
            "vendor harus salah satu dari mikrotik, chilli, bukan 'x'",
        ),
        ("the current password is wrong", "kata sandi saat ini salah"),
        ("a message no template knows", "a message no template knows"),
    ],
)
def test_service_messages_are_shown_in_indonesian(english, indonesian):
    assert service_messages_module.translate(english, "id") == indonesian
    assert service_messages_module.translate(english, "en") == english


def test_numbers_are_written_the_way_each_language_writes_them(client, login, db):
    tirosa = add_ap(db, "Taman Tirosa", "10.53.1.1")
    add_usage(db, tirosa, utcnow().replace(minute=0, second=0, microsecond=0), 1234, 10, 10)
    db.commit()
    login("viewer")
    assert 'id="logins-today">1.234<' in client.get("/admin/").get_data(as_text=True)
    assert 'id="logins-today">1,234<' in client.get("/admin/?lang=en").get_data(as_text=True)
