"""Admin console on a year of sessions: page times, keyset against OFFSET, CSV export speed and memory.

Creates a fresh PostgreSQL database (dropped at the end), seeds 1,000,000
sessions over 100 routers with three radios (access points) each and a year
with INSERT … SELECT generate_series, 200,000 login events (one in ten
refused), builds the hourly roll-ups per router and per radio from them, then times the console
pages through the Flask test client (in process, so the figure is server
time). Peers measured in the same run: OFFSET pagination for the deep page and
PostgreSQL's own COPY for the export. Prints the EXPLAIN (ANALYZE, BUFFERS) of
the slowest query seen. Not a test: it prints figures.

    .venv/bin/python bench/admin.py [--sessions N] \\
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from prerequisites import unanswered
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory, migrate
from hotspot.services.admins import create_admin
from hotspot.settings import Settings

PAGE_TARGET_MS = 300
CSV_TARGET_ROWS_PER_S = 50_000
PASSWORD = "bench-password-1"
SECRET_KEY = "bench-secret-key"

SEED_SQL = """
SET TimeZone = 'UTC';
INSERT INTO nas (id, name, ip_range, secret_encrypted, vendor, location_name, require_message_authenticator,
                 coa_port, active, created_at, updated_at, last_seen_at, identifier)
SELECT g, 'AP ' || lpad(g::text, 3, '0'), '10.60.' || g || '.1/32', :secret,
       CASE WHEN g % 3 = 0 THEN 'chilli' ELSE 'mikrotik' END, 'Lokasi ' || g, true, 3799, true,
       now(), now(), now() - (g % 4) * interval '7 minutes', 'ap-' || g
FROM generate_series(1, 100) g;
SELECT setval(pg_get_serial_sequence('nas', 'id'), 100);
INSERT INTO access_point (id, nas_id, radio_mac, name, location_name, latitude, longitude, first_seen_at,
                          last_seen_at)
SELECT g, 1 + (g - 1) / 3,
       'AA:00:00:00:' || lpad(to_hex(g / 256), 2, '0') || ':' || lpad(to_hex(g % 256), 2, '0'),
       'Radio ' || g, 'Lokasi ' || (1 + (g - 1) / 3), -10.17 + g * 0.0001, 123.6 + g * 0.0001,
       now() - interval '365 days', now() - (g % 5) * interval '7 minutes'
FROM generate_series(1, 300) g;
SELECT setval(pg_get_serial_sequence('access_point', 'id'), 300);

INSERT INTO radius_session (unique_id, nas_id, acct_session_id, username, calling_station_id,
    called_station_id, access_point_id,
    framed_ip, nas_ip_address, start_time, update_time, stop_time, session_time, input_octets, output_octets,
    interim_interval, terminate_cause, status)
SELECT md5(g::text), 1 + (g * 37) % 100, upper(to_hex(g)), 'user' || u,
       'AA:BB:' || upper(substr(h, 1, 2) || ':' || substr(h, 3, 2) || ':' || substr(h, 5, 2) || ':'
                         || substr(h, 7, 2)),
       'hotspot1', 3 * ((g * 37) % 100) + 1 + g % 3,
       '10.5.' || (g % 250) || '.' || (g % 253 + 2), '10.60.' || (1 + (g * 37) % 100) || '.1',
       s, s + d * interval '1 second', CASE WHEN active THEN NULL ELSE s + d * interval '1 second' END, d,
       (g::bigint * 9973) % 50000000, (g::bigint * 7907) % 500000000, 300,
       CASE WHEN active THEN NULL
            ELSE (ARRAY['User-Request', 'Idle-Timeout', 'Session-Timeout', 'Lost-Carrier'])[1 + g % 4] END,
       CASE WHEN active THEN 'active' WHEN g % 50 = 0 THEN 'stale' ELSE 'closed' END
FROM (
    SELECT g, (g::bigint * 7919) % 50000 AS u, lpad(to_hex((g::bigint * 7919) % 50000), 8, '0') AS h,
           now() - interval '365 days' + (g::float8 / :count) * interval '365 days'
               - interval '20 minutes' AS s,
           60 + (g * 13) % 3600 AS d, g > :count - 300 AS active
    FROM generate_series(1, :count) g
) seed;

INSERT INTO usage_hour (nas_id, hour, sessions, unique_users, input_octets, output_octets, session_seconds,
                        auth_accepts, auth_rejects)
SELECT nas_id, date_trunc('hour', start_time), count(*), count(DISTINCT username), sum(input_octets),
       sum(output_octets), sum(session_time), count(*), 0
FROM radius_session GROUP BY 1, 2;
INSERT INTO usage_hour_ap (access_point_id, hour, sessions, input_octets, output_octets, session_seconds,
                           auth_accepts, auth_rejects)
SELECT access_point_id, date_trunc('hour', start_time), count(*), sum(input_octets), sum(output_octets),
       sum(session_time), count(*), 0
FROM radius_session GROUP BY 1, 2;
INSERT INTO usage_hour_user (nas_id, hour, username)
SELECT DISTINCT nas_id, date_trunc('hour', start_time), username FROM radius_session;
INSERT INTO auth_event (time, nas_id, username, calling_station_id, access_point_id, method, accepted, reason)
SELECT now() - (g::float8 / 200000) * interval '365 days', 1 + (g * 37) % 100, 'user' || (g * 7919) % 50000,
       'AA:BB:' || upper(substr(h, 1, 2) || ':' || substr(h, 3, 2) || ':' || substr(h, 5, 2) || ':'
                         || substr(h, 7, 2)),
       3 * ((g * 37) % 100) + 1 + g % 3, 'voucher', g % 10 <> 0,
       CASE WHEN g % 10 = 0 THEN 'unknown_voucher' ELSE 'ok' END
FROM (SELECT g, lpad(to_hex((g::bigint * 7919) % 50000), 8, '0') AS h FROM generate_series(1, 200000) g) seed;
"""


class QueryLog:
    """Every statement's duration, to find the slowest one and EXPLAIN it."""

    def __init__(self, engine):
        self.entries: list[tuple[float, str, object]] = []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.entries.append((time.perf_counter() - conn.info.pop("t0"), statement, parameters))


def rss_kib() -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


@contextmanager
def fresh_database(base_url: str, keep: bool):
    """A new database for this run, dropped at the end unless `keep` (then its URL is printed)."""
    name = f"hotspot_bench_admin_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            print(f"kept {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(settings: Settings, count: int) -> None:
    started = time.perf_counter()
    migrate(settings)
    engine = make_engine(settings)
    secret = SecretBox(SECRET_KEY).encrypt("bench-nas-secret")
    with engine.begin() as conn:
        for statement in filter(str.strip, SEED_SQL.split(";\n")):
            conn.execute(text(statement), {"secret": secret, "count": count})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        rows = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("radius_session", "usage_hour", "usage_hour_ap", "usage_hour_user", "auth_event")
        }
    with make_session_factory(engine)() as db:
        create_admin(db, "bench", PASSWORD, "admin", actor="bench")
    engine.dispose()
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{t} {n:,}" for t, n in rows.items())
    )


def sign_in(client) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, "bench admin could not sign in"


def time_page(client, url: str, runs: int) -> list[float]:
    client.get(url)  # warm caches and template compilation
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
    return times


def deep_cursor(engine, where: str = "", depth: int = 900_000) -> tuple[str, int]:
    """The cursor of the row `depth` rows down the (filtered) log, computed once outside the timing."""
    with engine.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM radius_session {where}")).scalar()
        depth = max(0, min(depth, count - 60))  # a small seed still has a page to time
        start, row_id = conn.execute(
            text(
                f"SELECT start_time, id FROM radius_session {where} ORDER BY start_time DESC, id DESC "
                f"OFFSET {depth} LIMIT 1"
            )
        ).one()
    return f"{start.timestamp():.6f}_{row_id}", depth


def offset_peer(engine, where: str, depth: int, runs: int) -> float:
    """Median ms of the same deep page by OFFSET (what keyset pagination avoids)."""
    sql = text(
        f"SELECT * FROM radius_session JOIN nas ON nas.id = radius_session.nas_id {where} "
        f"ORDER BY start_time DESC, radius_session.id DESC OFFSET {depth} LIMIT 51"
    )
    times = []
    with engine.connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(sql).all()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def export_csv(client) -> tuple[int, float, int]:
    """Stream the whole log as CSV; rows, seconds and the RSS growth (KiB) while streaming."""
    base = rss_kib()
    peak = base
    lines = 0
    started = time.perf_counter()
    response = client.get("/admin/sessions.csv", buffered=False)
    for chunk in response.response:
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        peak = max(peak, rss_kib())
    response.close()
    return lines - 1, time.perf_counter() - started, peak - base


def copy_peer(url: str) -> float:
    """Seconds for PostgreSQL to COPY the same columns out (the floor any export can reach)."""
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY (SELECT username, nas.name, acct_session_id, calling_station_id, called_station_id, "
            "framed_ip, start_time, stop_time, session_time, input_octets, output_octets, terminate_cause, "
            "status FROM radius_session JOIN nas ON nas.id = nas_id ORDER BY start_time DESC, "
            "radius_session.id DESC) TO STDOUT WITH CSV"
        ) as copy:
            for _ in copy:
                pass
    return time.perf_counter() - started


def explain(engine, statement: str, parameters) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "HOTSPOT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Keep the seeded database (its URL is printed).")
    args = parser.parse_args(argv)
    if problem := unanswered(args.url, "PostgreSQL", 5432, "pass --url of a PostgreSQL server"):
        print(problem, file=sys.stderr)
        return 2

    # The script's directory comes first on sys.path, and its portal.py (the portal benchmark) would
    # hide the server's portal package.
    sys.path.remove(str(Path(__file__).resolve().parent))
    from portal import create_app

    with fresh_database(args.url, args.keep) as url, tempfile.TemporaryDirectory() as var:
        settings = Settings().with_overrides(
            database_url=url, secret_key=SECRET_KEY, var_dir=var, log_level="WARNING"
        )
        seed(settings, args.sessions)
        app = create_app(settings)
        engine = app.extensions["hotspot"].engine
        log = QueryLog(engine)
        client = app.test_client()
        sign_in(client)

        deep, depth = deep_cursor(engine)
        nas_deep, nas_depth = deep_cursor(engine, "WHERE nas_id = 42", 9_000)
        this_month = datetime.date.today().replace(day=1)
        previous = this_month - datetime.timedelta(days=1)
        last_month = (previous.replace(day=1).isoformat(), previous.isoformat())
        month_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
        week_start = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() - 120 * 86400))
        week_end = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() - 113 * 86400))
        pages = [
            ("dashboard", "/admin/"),
            ("dashboard, one AP", "/admin/?nas=42"),
            ("session log, first page", "/admin/sessions"),
            (f"session log, page at row {depth:,}", f"/admin/sessions?after={deep}"),
            ("log filtered by AP, first page", "/admin/sessions?nas=AP%20042"),
            (f"log filtered by AP, row {nas_depth:,}", f"/admin/sessions?nas=AP%20042&after={nas_deep}"),
            ("log filtered by user", "/admin/sessions?user=user4242"),
            ("log filtered by MAC", "/admin/sessions?mac=AA:BB:00:00:10:92"),
            ("log filtered by IP", "/admin/sessions?ip=10.5.17.19"),
            ("log filtered by a week", f"/admin/sessions?since={week_start}&until={week_end}"),
            ("log, active only", "/admin/sessions?status=active"),
            ("log, oldest first", "/admin/sessions?sort=asc"),
            ("per-AP monthly report, 12 months", "/admin/reports?period=month"),
            (
                "per-AP report, last calendar month",
                f"/admin/reports?period=month&since={last_month[0]}&until={last_month[1]}",
            ),
            ("weekly report, 12 weeks", "/admin/reports?period=week"),
            ("daily report, 30 days", f"/admin/reports?period=day&since={month_ago}"),
            ("access point page (AP 042)", "/admin/nas/42"),
            ("routers list", "/admin/nas"),
            ("radios (access points) list", "/admin/access-points"),
            ("log filtered by radio", "/admin/sessions?ap=Radio%20125"),
            ("map of 300 radios", "/admin/map"),
            ("login log, first page", "/admin/auth-log"),
            ("login log, refusals at one radio", "/admin/auth-log?ap=Radio%20125&reason=unknown_voucher"),
            ("login log filtered by MAC", "/admin/auth-log?mac=AA:BB:00:00:10:92"),
            ("alerts", "/admin/alerts"),
        ]
        started = time.perf_counter()
        assert client.get("/admin/reports?period=month").status_code == 200
        print(
            f"first report after seeding, folding a year of hours into usage_day: "
            f"{(time.perf_counter() - started) * 1000:.0f} ms (once)"
        )
        print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"\nPage times (server, Flask test client, {args.runs} runs after a warm-up; "
            f"target < {PAGE_TARGET_MS} ms)"
        )
        print(f"{'page':42} {'median ms':>10} {'max ms':>8}")
        slowest = (0.0, "")
        for label, url_path in pages:
            log.entries.clear()
            times = time_page(client, url_path, args.runs)
            flag = "" if max(times) < PAGE_TARGET_MS else "  OVER TARGET"
            print(f"{label:42} {statistics.median(times):10.1f} {max(times):8.1f}{flag}")
            worst_query = max(log.entries, key=lambda e: e[0])
            if worst_query[0] > slowest[0]:
                slowest = (worst_query[0], label, worst_query[1], worst_query[2])

        keyset = statistics.median(time_page(client, f"/admin/sessions?after={deep}", args.runs))
        offset = offset_peer(engine, "", depth, args.runs)
        print(
            f"\nDeep page at row {depth:,}: keyset page {keyset:.1f} ms (whole request) "
            "vs OFFSET query alone "
            f"{offset:.1f} ms: OFFSET is {offset / keyset:.1f}x slower"
        )

        rows, seconds, growth = export_csv(client)
        copy_seconds = copy_peer(url)
        print(
            f"\nCSV export of {rows:,} rows: {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
            f"(target >= {CSV_TARGET_ROWS_PER_S:,}); RSS growth while streaming {growth / 1024:.1f} MiB; "
            f"PostgreSQL COPY of the same rows {copy_seconds:.1f} s ({seconds / copy_seconds:.1f}x of COPY)"
        )

        print(f"load average after timing: {os.getloadavg()[0]:.1f}")
        print(f"\nSlowest query: {slowest[0] * 1000:.1f} ms, in '{slowest[1]}'; EXPLAIN (ANALYZE, BUFFERS):")
        print(explain(engine, slowest[2], slowest[3]))
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
