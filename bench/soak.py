"""Soak: hours of a city's traffic compressed into minutes; memory and file descriptors must stay flat.

Runs `hotspot radius --workers 2` and the portal under gunicorn (2 workers) on
a fresh database, then for `--minutes` sends accounting (a router's sessions,
retransmitting like one), voucher Access-Requests and splash-page visits at
steady rates. Every 10 s it prints each process's resident memory and open
file descriptors; at the end the accounting ledger: packets sent,
acknowledged, sessions stored, acknowledged sessions lost (must be 0), and
each process's growth from the first sample after warm-up to the last.

    .venv/bin/python bench/soak.py --minutes 1              # quick run, SQLite
    .venv/bin/python bench/soak.py                          # 10 minutes
    .venv/bin/python bench/soak.py --database-url postgresql+psycopg://postgres@127.0.0.1/soak
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from prerequisites import unanswered
from sqlalchemy import create_engine, text

from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory
from hotspot.models import Voucher
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.settings import Settings
from testbed.accounting_load import AccountingLoad
from testbed.helpers import child_pids, gunicorn_master
from testbed.radius_daemon import RadiusDaemon
from testbed.radius_packets import access_request
from testbed.servers import hotspot_init, portal_server

SAMPLE_EVERY = 10.0
SECRET = b"tirosa-secret-1"
NAS_NAME = "tirosa"
SPLASH = "/?mac=02:00:00:00:00:09&link-login-only=http://10.5.50.1/login&identity=tirosa"
VOUCHERS = [f"SOAK{n:05d}" for n in range(200)]


def rss_and_fds(pid: int) -> tuple[float, int] | None:
    """Resident memory (MiB) and open file descriptors of a live process."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return kib / 1024, fds


class Steady(threading.Thread):
    """Calls `action` `rate` times a second until stopped, counting what each call returned."""

    def __init__(self, name: str, rate: float, action):
        super().__init__(name=name, daemon=True)
        self.rate, self.action = rate, action
        self.counts: Counter = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        start, done = time.monotonic(), 0
        while not self.stopping.is_set():
            self.counts[self.action(done)] += 1
            done += 1
            self.stopping.wait(max(0.0, start + done / self.rate - time.monotonic()))


def send_access_requests(port: int):
    """A voucher Access-Request (PAP, signed) over UDP: 'accept', 'reject' or 'timeout'."""

    def once(n: int) -> str:
        code = VOUCHERS[n % len(VOUCHERS)]
        request = access_request(
            SECRET,
            code,
            code,
            signed=True,
            identifier=n % 256,
            Calling_Station_Id=f"02-00-00-00-{n % 200 // 100:02d}-{n % 100:02d}",
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(3)
            sock.sendto(request, ("127.0.0.1", port))
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                return "timeout"
        return {2: "accept", 3: "reject"}.get(reply[0], "other")

    return once


def visit(port: int):
    """One splash-page visit: its HTTP status, or the error's name."""

    def once(_n: int) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", SPLASH)
            response = connection.getresponse()
            response.read()
            return str(response.status)
        except OSError as exc:
            return type(exc).__name__
        finally:
            connection.close()

    return once


def processes(daemon: RadiusDaemon) -> dict[str, int]:
    radius = {"radius-supervisor": daemon.process.pid}
    radius.update({f"radius-worker-{i}": pid for i, pid in enumerate(sorted(child_pids(daemon.process.pid)))})
    master = gunicorn_master()
    radius["gunicorn-master"] = master
    radius.update({f"gunicorn-worker-{i}": pid for i, pid in enumerate(sorted(child_pids(master)))})
    return radius


def prepare(settings: Settings):
    """`hotspot init`, one MikroTik on 127.0.0.1, a plan and its vouchers; returns an engine on the
    database."""
    hotspot_init(settings, admin_password="soak-admin-password")
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        add_nas(
            db,
            SecretBox(settings.secret_key),
            NasSpec(NAS_NAME, "127.0.0.1", SECRET.decode(), vendor="mikrotik", identifier="tirosa"),
        )
        plan = add_plan(db, PlanSpec("Soak", daily_minutes=1440, down_kbps=2048, up_kbps=1024))
        db.add_all([Voucher(code=code, plan_id=plan.id, batch="soak") for code in VOUCHERS])
        db.commit()
    return engine


def soak(args: argparse.Namespace, settings: Settings, workdir: Path) -> int:
    engine = prepare(settings)
    daemon = RadiusDaemon(settings, workdir / "radius.log", workers=2).start(SECRET)
    try:
        with portal_server(settings, workdir / "portal.log", workers=2) as url:
            procs = processes(daemon)
            accounting = AccountingLoad(daemon.acct_port, SECRET, NAS_NAME, rate=args.acct_rate, timeout=3)
            auth = Steady("auth", args.auth_rate, send_access_requests(daemon.auth_port))
            portal = Steady("portal", args.portal_rate, visit(int(url.rsplit(":", 1)[1])))
            for load in (accounting, auth, portal):
                load.start()
            names = list(procs)
            print(f"{'t (s)':>6} " + " ".join(f"{n:>20}" for n in names) + "   (RSS MiB / open fds)")
            samples: dict[str, list[tuple[float, int]]] = {n: [] for n in names}
            began = time.monotonic()
            while time.monotonic() - began < args.minutes * 60:
                time.sleep(min(SAMPLE_EVERY, max(0.0, began + args.minutes * 60 - time.monotonic())))
                row = []
                for name in names:
                    sample = rss_and_fds(procs[name])
                    if sample:
                        samples[name].append(sample)
                    row.append(f"{sample[0]:>13.1f} / {sample[1]:>4d}" if sample else f"{'gone':>20}")
                print(f"{time.monotonic() - began:>6.0f} " + " ".join(row), flush=True)
            for load in (auth, portal):
                load.stopping.set()
                load.join(15)
            ledger = accounting.stop()
    finally:
        daemon.stop()
    print(f"\nauth: {dict(auth.counts)}   portal: {dict(portal.counts)}")
    try:
        counts = ledger.check(engine)
        verdict = "ok"
    except AssertionError as exc:
        counts, verdict = (
            {"sent": len(ledger.packets), "acknowledged": len(ledger.acknowledged)},
            f"FAILED: {exc}",
        )
    engine.dispose()
    print(
        f"accounting packets sent {counts.get('sent')}, acknowledged {counts.get('acknowledged')}, "
        f"never answered {len(ledger.unanswered)}; "
        f"sessions acknowledged {counts.get('acknowledged_sessions')}, "
        f"stored {counts.get('stored_sessions')}, lost {counts.get('lost')}: {verdict}"
    )
    print("\ngrowth from the first sample after warm-up (the 2nd) to the last:")
    for name, values in samples.items():
        if len(values) >= 3:
            (rss0, fd0), (rss1, fd1) = values[1], values[-1]
            print(
                f"  {name:>20}: RSS {rss0:.1f} -> {rss1:.1f} MiB ({rss1 - rss0:+.1f}), fds {fd0} -> {fd1} "
                f"({fd1 - fd0:+d}), RSS max {max(v[0] for v in values):.1f}"
            )
    return 0 if verdict == "ok" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--acct-rate", type=float, default=100, help="accounting packets a second")
    parser.add_argument("--auth-rate", type=float, default=20, help="Access-Requests a second")
    parser.add_argument("--portal-rate", type=float, default=10, help="splash-page visits a second")
    parser.add_argument("--database-url", help="a PostgreSQL database to use (emptied first); default SQLite")
    args = parser.parse_args()
    if args.database_url and (
        problem := unanswered(args.database_url, "PostgreSQL", 5432, "leave out --database-url (SQLite)")
    ):
        print(problem, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hotspot-soak-") as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'soak.db'}"
        if args.database_url:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        settings = Settings().with_overrides(
            database_url=url, secret_key="soak-secret-key", var_dir=str(workdir), log_level="WARNING"
        )
        print(
            f"soak: {args.minutes:g} min, accounting {args.acct_rate:g}/s, auth {args.auth_rate:g}/s, "
            f"portal {args.portal_rate:g}/s, {url.split('://')[0]}, load average {os.getloadavg()[0]:.1f}"
        )
        return soak(args, settings, workdir)


if __name__ == "__main__":
    sys.exit(main())
