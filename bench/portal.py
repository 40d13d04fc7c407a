"""Splash page and free-access login throughput under gunicorn, measured with wrk.

    .venv/bin/python bench/portal.py [--database-url URL] [--duration 10] [--connections 32]

Starts the portal exactly as production does (gunicorn, config/gunicorn.conf.py,
HOTSPOT_PORTAL_WORKERS processes) on a fresh database with one MikroTik access
point, then runs wrk (--latency) against:
  healthz  the peer: one database round trip, no template (the floor of this stack)
  splash   GET / with MikroTik's redirect parameters (NAS lookup, template, session cookie)
  login    a complete free-access login: POST /login/free with a CSRF token (each wrk thread
           first GETs the splash page for its cookie and token), quota check, ticket committed,
           hand-off page with the CHAP password computed server-side
The per-IP and per-MAC rate limits are raised for the run (every request comes from one IP
and one MAC here, which the limits would rightly throttle); the limiter still runs. Prints
requests/s, p99 latency, the ratio to the peer, tickets written, and the splash page weight.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import runpy
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from pathlib import Path

from prerequisites import missing_debian, unanswered
from sqlalchemy import func, select

from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory, migrate
from hotspot.models import LoginTicket
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.settings import Settings
from hotspot.simulate import RouterConfig, mikrotik_redirect
from testbed.helpers import free_port, fresh_postgres_schema, settings_env, wait_for

ROOT = Path(__file__).resolve().parent.parent

LOGIN_SCRIPT = textwrap.dedent("""
    -- One splash GET per thread for the session cookie and CSRF token, then free-access logins.
    local cookie, token = nil, nil
    local splash_path = "%(splash_path)s"
    statuses = {}
    local threads = {}
    setup = function(thread) table.insert(threads, thread) end
    request = function()
      if token == nil then
        return wrk.format("GET", splash_path)
      end
      return wrk.format("POST", "/login/free", {
        ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie}, "csrf_token=" .. token)
    end
    response = function(status, headers, body)
      statuses[status] = (statuses[status] or 0) + 1
      if token == nil and status == 200 then
        local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
        local found = body:match('name="csrf_token" value="([^"]+)"')
        if set_cookie and found then
          cookie = set_cookie:match("^([^;]+)")
          token = found
        end
      end
    end
    done = function(summary, latency, requests)
      local total = {}
      for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
      end
      for status, count in pairs(total) do io.write(string.format("status %%d: %%d\\n", status, count)) end
    end
""")


@contextlib.contextmanager
def fresh_database(url: str | None, tmp: str):
    """A new SQLite file, or a new schema in the given PostgreSQL database (dropped afterwards)."""
    if not url:
        yield f"sqlite:///{tmp}/bench.db"
        return
    with fresh_postgres_schema(url, prefix="bench") as schema_url:
        yield schema_url


def prepare(settings: Settings) -> None:
    migrate(settings)
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        add_plan(
            db, PlanSpec(name="Gratis", session_minutes=60, daily_minutes=60, daily_mb=500, free_access=True)
        )
        add_nas(
            db,
            SecretBox(settings.secret_key),
            NasSpec(
                name="Taman Tirosa",
                ip_range="10.53.1.1",
                secret="bench-secret",
                vendor="mikrotik",
                location_name="Taman Tirosa",
                identifier="taman-tirosa",
            ),
        )
    engine.dispose()


def tickets(settings: Settings) -> int:
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        count = db.scalar(select(func.count()).select_from(LoginTicket))
    engine.dispose()
    return count


def wrk(url: str, duration: int, connections: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", str(script)]
    run = subprocess.run(command + [url], capture_output=True, text=True, check=True)
    if run.stderr.strip():
        raise RuntimeError(f"wrk: {run.stderr.strip()}")
    output = run.stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99_ms": float(p99.group(1)) * unit[p99.group(2)],
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        "statuses": dict(re.findall(r"status (\d+): (\d+)", output)),
    }


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU time of gunicorn's master and workers so far (independent of the machine's load)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if master_pid in (pid, ppid):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def page_weight(base: str, splash_url: str) -> int:
    with urllib.request.urlopen(splash_url) as response:
        html = response.read()
    total = len(html)
    for asset in sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', html))):
        with urllib.request.urlopen(base + asset.decode()) as response:
            total += len(response.read())
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--ratelimit-storage",
        default="redis://127.0.0.1:6379",
        help="Flask-Limiter storage, as production with several workers (memory:// for one)",
    )
    args = parser.parse_args(argv)
    problem = missing_debian({"wrk": "wrk", "curl": "curl"})
    if problem is None and args.ratelimit_storage.startswith("redis://"):
        problem = unanswered(
            args.ratelimit_storage,
            "Redis (the rate limits' storage)",
            6379,
            "pass --ratelimit-storage memory:// (each worker then counts alone)",
        )
    if problem is None and args.database_url:
        problem = unanswered(args.database_url, "PostgreSQL", 5432, "leave out --database-url (SQLite)")
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database_url, tmp) as database_url:
        settings = Settings().with_overrides(
            database_url=database_url,
            secret_key="bench-key",
            var_dir=tmp,
            log_level="WARNING",
            ratelimit_storage_url=args.ratelimit_storage,
            ratelimit_per_ip="1000000/minute",
            ratelimit_per_mac="1000000/minute",
        )
        prepare(settings)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = settings_env(
            settings,
            HOTSPOT_PORTAL_HOST="127.0.0.1",
            HOTSPOT_PORTAL_PORT=str(port),
            HOTSPOT_PORTAL_URL=base,
            HOTSPOT_PORTAL_WORKERS=str(args.workers),
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "--access-logfile",
                os.devnull,
                "portal.wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(
                lambda: (
                    subprocess.run(["curl", "-sf", base + "/healthz"], capture_output=True).returncode == 0
                ),
                timeout=30,
                what="gunicorn",
            )
            splash_url = mikrotik_redirect(
                RouterConfig(
                    vendor="mikrotik",
                    portal=base,
                    radius_host="127.0.0.1",
                    auth_port=1,
                    acct_port=1,
                    secret="x",
                ),
                b"\x2a",
                bytes(range(16)),
            )
            script = Path(tmp) / "login.lua"
            script.write_text(LOGIN_SCRIPT % {"splash_path": splash_url[len(base) :]})
            results = {}
            for name, url, lua in (
                ("healthz", base + "/healthz", None),
                ("splash", splash_url, None),
                ("login", base + "/", script),
            ):
                cpu_before = cpu_seconds(server.pid)
                results[name] = wrk(url, args.duration, args.connections, lua)
                results[name]["cpu_ms"] = (
                    1000 * (cpu_seconds(server.pid) - cpu_before) / results[name]["requests"]
                )
            issued = tickets(settings)
            weight = page_weight(base, splash_url)
        finally:
            server.terminate()
            server.wait(timeout=30)
    backend = "postgresql" if (args.database_url or "").startswith("postgresql") else "sqlite"
    threads = runpy.run_path(str(ROOT / "config/gunicorn.conf.py"))["threads"]
    print(
        f"portal under gunicorn: {args.workers} workers x {threads} threads, {backend}, rate limits in "
        f"{args.ratelimit_storage.split(':')[0]}, wrk -t2 -c{args.connections} -d{args.duration}s, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    peer = results["healthz"]["rps"]
    for name, r in results.items():
        print(
            f"  {name:8} {r['rps']:9.1f} req/s  p99 {r['p99_ms']:7.1f} ms  {r['rps'] / peer:5.2f}x healthz  "
            f"{r['cpu_ms']:5.2f} CPU ms/request (2 idle cores: ~{2000 / r['cpu_ms']:.0f}/s)  "
            f"({r['requests']} requests, {r['errors']} non-2xx/3xx"
            f"{', ' + str(r['statuses']) if r['statuses'] else ''})"
        )
    print(
        f"  free-access logins completed: {issued} tickets committed = {issued / args.duration:.1f} logins/s"
    )
    print(f"  splash page weight: {weight} bytes (HTML + CSS + logo), target < 50000")
    print(
        f"  targets: splash >= 1000 req/s: {'met' if results['splash']['rps'] >= 1000 else 'NOT met'}; "
        f"logins >= 200/s: {'met' if issued / args.duration >= 200 else 'NOT met'}; "
        f"p99 < 100 ms: {'met' if max(r['p99_ms'] for r in results.values()) < 100 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
