"""Session log: filters, keyset pages (both orders), totals and the CSV export equal the filtered query."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from hotspot.models import Account
from hotspot.services.admins import create_admin, create_api_token
from hotspot.services.session_log import filter_from_query
from hotspot.services.sessions import SESSION_FIELDS, list_sessions, session_to_dict
from tests.support.admin_data import T0, add_session, seed_log

FILTERS = [
    {},
    {"nas": "Taman Tirosa"},
    {"user": "user3"},
    {"mac": "aa-bb-cc-00-00-02"},
    {"ip": "10.5.0.4"},
    {"since": (T0 + timedelta(hours=2)).isoformat(), "until": (T0 + timedelta(hours=6)).isoformat()},
    {"status": "active"},
    {"status": "stale"},
    {"cause": "Idle-Timeout"},
    {"nas": "Pantai Warna", "status": "closed", "cause": "User-Request"},
]


def expected(db, args: dict) -> list[dict]:
    return [session_to_dict(s) for s in list_sessions(db, filter_from_query(args))]


def api_pages(client, headers, args: dict, limit: int, sort: str = "desc") -> tuple[list[dict], int]:
    """Every row the API gives when following its Link headers; also the number of pages."""
    response = client.get(
        "/api/v1/sessions", query_string={**args, "limit": limit, "sort": sort}, headers=headers
    )
    rows, pages = [], 0
    while True:
        assert response.status_code == 200, response.json
        rows += response.json
        pages += 1
        link = response.headers.get("Link")
        if not link:
            return rows, pages
        next_url = re.match(r"<([^>]+)>; rel=\"next\"", link).group(1)
        response = client.get(next_url.replace("http://localhost", ""), headers=headers)


@pytest.fixture
def token(db):
    create_admin(db, "reader", "reader-password", "viewer", actor="test")
    return {"Authorization": f"Bearer {create_api_token(db, 'reader')}"}


@pytest.mark.parametrize("args", FILTERS, ids=lambda a: ",".join(a) or "none")
def test_keyset_pages_walk_the_filtered_set_exactly_once(client, db, token, args):
    seed_log(db)
    want = expected(db, args)
    assert want, "each filter matches something in the seed"
    got, pages = api_pages(client, token, args, limit=7)
    assert got == want
    assert pages == max(1, -(-len(want) // 7))
    oldest_first, _ = api_pages(client, token, args, limit=9, sort="asc")
    assert oldest_first == list(reversed(want))


def test_filter_values_match_what_was_seeded(db):
    seed_log(db)
    assert {r["nas"] for r in expected(db, {"nas": "Pantai Warna"})} == {"Pantai Warna"}
    assert len(expected(db, {})) == 130
    assert len(expected(db, {"status": "active"})) == 12  # n % 10 == 0 except n = 0, which is stale
    assert {r["calling_station_id"] for r in expected(db, {"mac": "AABBCC000002"})} == {"AA:BB:CC:00:00:02"}


@pytest.mark.parametrize("args", FILTERS, ids=lambda a: ",".join(a) or "none")
def test_csv_export_equals_the_filtered_query(client, login, db, args):
    seed_log(db)
    login("viewer")
    response = client.get("/admin/sessions.csv", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="sessions-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0].keys()) == SESSION_FIELDS
    want = [{k: "" if v is None else str(v) for k, v in row.items()} for row in expected(db, args)]
    assert rows == want


def test_console_page_shows_totals_of_the_filtered_set_and_pages_by_cursor(client, login, db):
    seed_log(db)
    login("viewer")
    page = client.get("/admin/sessions", query_string={"nas": "Pantai Warna"}).get_data(as_text=True)
    matching = expected(db, {"nas": "Pantai Warna"})
    seconds = sum(r["session_time"] for r in matching)
    assert f"<strong>{len(matching)}</strong> sesi" in page
    assert f"<strong>{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}</strong> online" in page
    assert page.count("<tr data-session-id=") == min(50, len(matching))
    assert 'id="next-page"' not in page  # 44 rows fit on one page
    everything = client.get("/admin/sessions").get_data(as_text=True)
    assert "<strong>130</strong> sesi" in everything
    next_link = re.search(r'id="next-page" href="([^"]+)"', everything).group(1).replace("&amp;", "&")
    second = client.get(next_link).get_data(as_text=True)
    first_ids = re.findall(r'data-session-id="(\d+)"', everything)
    second_ids = re.findall(r'data-session-id="(\d+)"', second)
    assert len(second_ids) == 50 and not set(first_ids) & set(second_ids)


def test_phone_filter_finds_a_citizens_sessions(client, login, db):
    first, _ = seed_log(db, count=4)
    account = Account(phone="+6281234567890", password_hash="x")
    db.add(account)
    db.flush()
    add_session(db, first, 500, T0, account_id=account.id, username="t-ticket1")
    db.commit()
    login("viewer")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/admin/sessions.csv?phone=081234567890").get_data(as_text=True))
        )
    )
    assert [r["username"] for r in rows] == ["t-ticket1"]


@pytest.mark.parametrize(
    "args,message,console_message",
    [
        ({"mac": "not-a-mac"}, "not a MAC address", "bukan alamat MAC"),
        ({"since": "yesterday"}, "not an ISO 8601 time", "bukan waktu ISO 8601"),
        (
            {"status": "gone"},
            "status must be one of active, closed, stale",
            "status harus salah satu dari active, closed, stale",
        ),
        ({"after": "garbage"}, "not a page cursor", "bukan penanda halaman"),
    ],
)
def test_bad_filters_get_a_clear_error(client, login, db, args, message, console_message):
    login("viewer")
    page = client.get("/admin/sessions", query_string=args)
    assert page.status_code == 400
    assert console_message in page.get_data(as_text=True)
    if "after" not in args:
        export = client.get("/admin/sessions.csv", query_string=args)
        assert export.status_code == 400 and message in export.get_data(as_text=True)
