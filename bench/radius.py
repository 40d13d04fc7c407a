"""RADIUS benchmark: our server against FreeRADIUS 3.2 + rlm_sql on the same PostgreSQL.

Issue 3 sets targets relative to FreeRADIUS, so both run in one invocation on the
same machine, against the same PostgreSQL server, driven by the same load
generator (Debian's `radclient`) with the same packets. Every server gets a fresh
database that is dropped at the end. After the load the script checks that every
acknowledged accounting packet is in the database with the right totals: a fast
server that loses records is not faster.

Run: .venv/bin/python bench/radius.py [--workers N] [--only freeradius] ...
See bench/README.md. This prints figures; it is never part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import random
import re
import selectors
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import psycopg
from pyrad.dictionary import Dictionary
from pyrad.packet import AccessRequest, AuthPacket, StatusServer
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = ROOT / "bench" / "freeradius"
STOCK_RADDB = Path("/etc/freeradius/3.0")
STOCK_PG_SQL = STOCK_RADDB / "mods-config" / "sql" / "main" / "postgresql"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
SECRET = "bench-secret-7Qw"
NAS_COUNT = 100
LOOPBACK = "127.0.0.1"

TARGETS = {
    "acct_ratio": 2.0,
    "auth_ratio": 1.5,
    "p99_ms": 10.0,
    "rss_mb": 100.0,
}

# The attributes the paced client sends; pyrad needs a dictionary to encode them.
PACED_DICTIONARY = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE Called-Station-Id 30 string
ATTRIBUTE Calling-Station-Id 31 string
ATTRIBUTE NAS-Identifier 32 string
ATTRIBUTE NAS-Port-Type 61 integer
ATTRIBUTE Message-Authenticator 80 octets
"""
NAS_PORT_TYPE_WIRELESS = 19
PACED_SOCKETS = 32


# ---------------------------------------------------------------------------
# Load: sessions and credentials, written as radclient packet files
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Credential:
    """A user the server must accept with PAP (User-Name, User-Password)."""

    username: str
    password: str


@dataclasses.dataclass(frozen=True)
class Counters:
    """What the NAS reports at one point of a session (octets are the 64-bit totals)."""

    session_time: int
    input_octets: int
    output_octets: int


@dataclasses.dataclass(frozen=True)
class Session:
    """One accounting session: Start, two Interim-Updates and a Stop."""

    username: str
    acct_session_id: str
    nas_identifier: str
    mac: str
    called_station_id: str
    framed_ip: str
    updates: tuple[Counters, Counters, Counters]  # interim 1, interim 2, stop

    @property
    def final(self) -> Counters:
        return self.updates[-1]


def make_sessions(count: int, usernames: list[str], seed: int = 3) -> list[Session]:
    """Deterministic sessions over NAS_COUNT access points; every 7th crosses 4 GiB."""
    rng = random.Random(seed)
    sessions = []
    for i in range(count):
        ap = i % NAS_COUNT
        session_time = rng.randint(900, 3300)  # within the plan's 60 minutes
        input_total = rng.randint(2_000_000, 400_000_000)
        output_total = rng.randint(20_000_000, 3_000_000_000)
        if i % 7 == 0:
            output_total += rng.randint(1, 3) << 32
        if i % 21 == 0:
            input_total += 1 << 32
        updates = tuple(
            Counters(session_time * k // 3, input_total * k // 3, output_total * k // 3) for k in (1, 2, 3)
        )
        sessions.append(Session(
            username=usernames[i % len(usernames)],
            acct_session_id=f"{0x81000000 + i:08X}",
            nas_identifier=f"bench-ap-{ap:03d}",
            mac="02:00:%02X:%02X:%02X:%02X" % (ap, (i >> 16) & 255, (i >> 8) & 255, i & 255),
            called_station_id=f"hotspot-{ap:03d}",
            framed_ip=f"10.{64 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}",
            updates=updates,  # type: ignore[arg-type]
        ))
    return sessions


def _acct_packet(session: Session, status: str, counters: Counters | None, event_timestamp: int) -> str:
    lines = [
        f'User-Name = "{session.username}"',
        f"Acct-Status-Type = {status}",
        f'Acct-Session-Id = "{session.acct_session_id}"',
        f"NAS-IP-Address = {LOOPBACK}",
        f'NAS-Identifier = "{session.nas_identifier}"',
        "NAS-Port-Type = Wireless-802.11",
        f'Calling-Station-Id = "{session.mac}"',
        f'Called-Station-Id = "{session.called_station_id}"',
        f"Framed-IP-Address = {session.framed_ip}",
        "Acct-Delay-Time = 0",
    ]
    if counters is not None:
        lines.append(f"Acct-Session-Time = {counters.session_time}")
        for name, total in (("Input", counters.input_octets), ("Output", counters.output_octets)):
            lines.append(f"Acct-{name}-Octets = {total & 0xFFFFFFFF}")
            if total >> 32:
                lines.append(f"Acct-{name}-Gigawords = {total >> 32}")
    if status == "Stop":
        lines.append("Acct-Terminate-Cause = User-Request")
    lines.append(f"Event-Timestamp = {event_timestamp}")
    return "\n".join(lines) + "\n"


ACCT_PHASES = (("Start", None), ("Interim-Update", 0), ("Interim-Update", 1), ("Stop", 2))


def write_acct_phase(sessions: list[Session], phase: int, directory: Path, event_timestamp: int) -> Path:
    """One phase's packet file (Starts, Interim 1, Interim 2 or Stops), sessions shuffled.

    Every packet of a phase carries the same Event-Timestamp, the wall clock when
    the phase is sent, as a NAS stamps events when they happen: a server that
    sweeps sessions without recent updates must not see three-hour-old updates.
    The session's length travels in Acct-Session-Time.
    """
    status, index = ACCT_PHASES[phase]
    order = sessions[:]
    random.Random(1000 + phase).shuffle(order)
    path = directory / f"acct-{phase}-{status.lower()}.txt"
    path.write_text("\n".join(
        _acct_packet(s, status, None if index is None else s.updates[index], event_timestamp) for s in order
    ))
    return path


def write_auth_file(credentials: list[Credential], directory: Path) -> Path:
    """PAP Access-Requests as a hotspot AP sends them, with Message-Authenticator (BlastRADIUS)."""
    packets = []
    for i, cred in enumerate(credentials):
        ap = i % NAS_COUNT
        packets.append("\n".join([
            f'User-Name = "{cred.username}"',
            f'User-Password = "{cred.password}"',
            f"NAS-IP-Address = {LOOPBACK}",
            f'NAS-Identifier = "bench-ap-{ap:03d}"',
            "NAS-Port-Type = Wireless-802.11",
            f'Calling-Station-Id = "02:01:{ap:02X}:00:{(i >> 8) & 255:02X}:{i & 255:02X}"',
            f'Called-Station-Id = "hotspot-{ap:03d}"',
            "Message-Authenticator = 0x00",
        ]) + "\n")
    path = directory / "auth.txt"
    path.write_text("\n".join(packets))
    return path


# ---------------------------------------------------------------------------
# Load generators: radclient (throughput) and a paced pyrad client (latency)
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class RadclientRun:
    """radclient's -s summary for one or more packet files, with wall time."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    lost: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0  # radclient's own user + system CPU seconds
    server_cpu: float = 0.0  # the server's processes and its PostgreSQL backends, CPU seconds
    database_cpu: float = 0.0  # the PostgreSQL backends' part of server_cpu

    def add(self, other: "RadclientRun") -> None:
        self.sent += other.sent
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.lost += other.lost
        self.seconds += other.seconds
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu
        self.database_cpu += other.database_cpu

    @property
    def answered(self) -> int:
        return self.accepted + self.rejected

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_packet(self) -> float:
        return 1000 * self.server_cpu / self.answered if self.answered else float("nan")


def run_radclient(path: Path, port: int, kind: str, parallel: int) -> RadclientRun:
    """Send every packet of a file with `parallel` in flight, 3 tries of 3 s each."""
    sent = path.read_text().count("User-Name =")
    cmd = ["radclient", "-q", "-s", "-f", str(path), "-p", str(parallel), "-r", "3", "-t", "3",
           f"{LOOPBACK}:{port}", kind, SECRET]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = dict(re.findall(r"^\s*(Accepted|Rejected|Lost)\s*:\s*(\d+)", proc.stdout, re.M))
    if "Accepted" not in summary:
        raise RuntimeError(f"radclient gave no summary (exit {proc.returncode}): {proc.stdout}{proc.stderr}")
    return RadclientRun(sent=sent, accepted=int(summary["Accepted"]), rejected=int(summary["Rejected"]),
                        lost=int(summary["Lost"]), seconds=seconds, client_cpu=cpu)


@dataclasses.dataclass
class Latency:
    """Paced Access-Requests: latencies in ms from the scheduled send time."""

    rate: int
    sent: int
    answered: int
    accepted: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def lost(self) -> int:
        return self.sent - self.answered


def _paced_packets(credentials: list[Credential], count: int) -> list[bytes]:
    dictionary = Dictionary(io.StringIO(PACED_DICTIONARY))
    packets = []
    for i in range(count):
        cred = credentials[i % len(credentials)]
        ap = i % NAS_COUNT
        pkt = AuthPacket(code=AccessRequest, id=(i // PACED_SOCKETS) & 0xFF, secret=SECRET.encode(), dict=dictionary)
        pkt["User-Name"] = cred.username
        pkt["User-Password"] = pkt.PwCrypt(cred.password)
        pkt["NAS-IP-Address"] = LOOPBACK
        pkt["NAS-Identifier"] = f"bench-ap-{ap:03d}"
        pkt["NAS-Port-Type"] = NAS_PORT_TYPE_WIRELESS
        pkt["Calling-Station-Id"] = f"02:02:{ap:02X}:00:{(i >> 8) & 255:02X}:{i & 255:02X}"
        pkt["Called-Station-Id"] = f"hotspot-{ap:03d}"
        pkt.add_message_authenticator()
        packets.append(pkt.RequestPacket())
    return packets


def paced_auth(port: int, credentials: list[Credential], rate: int, seconds: float) -> Latency:
    """Send Access-Requests at a fixed rate and time each answer.

    Latency counts from the scheduled send time, so a stalled sender or server
    shows up in the figures instead of quietly lowering the offered load. Packets
    go round-robin over PACED_SOCKETS sockets, so one socket reuses an
    Identifier only every 256 * PACED_SOCKETS packets (16 s at 500/s); a request
    still unanswered then counts as lost.
    """
    count = int(rate * seconds)
    packets = _paced_packets(credentials, count)
    sockets = []
    for _ in range(PACED_SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LOOPBACK, 0))
        sock.connect((LOOPBACK, port))
        sockets.append(sock)
    scheduled: dict[tuple[int, int], tuple[float, bytes]] = {}  # (socket, Identifier) -> (due, authenticator)
    secret = SECRET.encode()
    latencies: list[float] = []
    accepted = 0
    last_answer = time.perf_counter()
    done = threading.Event()

    selector = selectors.DefaultSelector()
    for index, sock in enumerate(sockets):
        selector.register(sock, selectors.EVENT_READ, index)

    def receive() -> None:
        nonlocal accepted, last_answer
        while not done.is_set():
            for key, _ in selector.select(timeout=0.2):
                data = key.fileobj.recv(4096)
                now = last_answer = time.perf_counter()
                pending = scheduled.get((key.data, data[1]))
                # The Response Authenticator proves which request this answers (not an older one with that ID).
                if pending is None or hashlib.md5(data[:4] + pending[1] + data[20:] + secret).digest() != data[4:20]:
                    continue
                del scheduled[(key.data, data[1])]
                latencies.append((now - pending[0]) * 1000)
                accepted += data[0] == 2

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    start = time.perf_counter() + 0.05
    try:
        for i, raw in enumerate(packets):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            index = i % len(sockets)
            scheduled[(index, raw[1])] = (due, raw[4:20])
            sockets[index].send(raw)
        # Drain: late answers are latencies too, and a backlog must not spill into the next phase.
        deadline = time.perf_counter() + 300
        while scheduled and time.perf_counter() < deadline and time.perf_counter() - last_answer < 3:
            time.sleep(0.05)
    finally:
        done.set()
        receiver.join()
        selector.close()
        for sock in sockets:
            sock.close()
    ordered = sorted(latencies)
    pick = (lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]) if ordered else (lambda q: float("nan"))
    return Latency(rate=rate, sent=count, answered=len(latencies), accepted=accepted,
                   p50_ms=statistics.median(ordered) if ordered else float("nan"),
                   p99_ms=pick(0.99), max_ms=ordered[-1] if ordered else float("nan"))


# ---------------------------------------------------------------------------
# Servers and databases
# ---------------------------------------------------------------------------

def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port nobody holds right now (UDP for RADIUS, TCP for metrics)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return True
        return False


def wait_ready(proc: subprocess.Popen, auth_port: int, acct_port: int, log: Path, timeout: float = 60) -> None:
    """Wait until the server answers Status-Server on the auth port and holds the acct port."""
    dictionary = Dictionary(io.StringIO(PACED_DICTIONARY))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; its log ({log}, kept with --keep):\n{_tail(log)}")
        probe = AuthPacket(code=StatusServer, secret=SECRET.encode(), dict=dictionary)
        probe.add_message_authenticator()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            sock.sendto(probe.RequestPacket(), (LOOPBACK, auth_port))
            try:
                sock.recv(4096)
            except OSError:
                continue
        if _udp_port_taken(acct_port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout:.0f} s; its log ({log}, kept with --keep):\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running(cmd: list[str], env: dict[str, str] | None, log: Path, auth_port: int, acct_port: int
            ) -> Iterator[subprocess.Popen]:
    """Start a server in its own process group, wait until ready, and always stop it."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        wait_ready(proc, auth_port, acct_port, log)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return sorted(tree)


class CpuMeter:
    """CPU seconds used by a server: its processes plus its PostgreSQL backends.

    On a shared machine packets/s moves with whatever else runs; CPU per packet
    moves much less, and counting the database backends keeps FreeRADIUS (whose
    work is mostly SQL) and ours comparable. Backends that exit between two
    samples are missed; both servers keep pooled connections open.
    """

    def __init__(self, server_pid: int, dbname: str | None):
        self.server_pid, self.dbname = server_pid, dbname
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _database_pids(self) -> list[int]:
        if not self.dbname:
            return []
        with _pg_admin() as conn:
            return [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                   (self.dbname,))]

    def sample(self) -> dict[int, float]:
        usage = {}
        database = self._database_pids()
        for pid in process_tree(self.server_pid) + database:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            usage[("database" if pid in database else "server", pid)] = (
                int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime
        return usage

    def charge(self, run: "RadclientRun", before: dict) -> None:
        """Put the CPU used since `before` on the run: all of it, and the database backends' part."""
        used = {key: cpu - before.get(key, 0.0) for key, cpu in self.sample().items()}
        run.server_cpu = sum(used.values())
        run.database_cpu = sum(cpu for (kind, _), cpu in used.items() if kind == "database")


def rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


@contextlib.contextmanager
def fresh_pg_database(name: str, keep: bool) -> Iterator[str]:
    """Create an empty PostgreSQL database for one server and drop it afterwards."""
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if not keep:
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    """Everything measured for one server + database."""

    label: str
    auth: RadclientRun
    acct: RadclientRun
    paced: Latency | None
    rss_mb: dict[int, float]
    mismatches: list[str]
    loadavg: float = 0.0  # the machine's 1-minute load average when this run started
    round: int = 1

    @property
    def lost(self) -> int:
        return self.auth.sent - self.auth.answered + self.acct.sent - self.acct.answered


def run_load(auth_port: int, acct_port: int, credentials: list[Credential], sessions: list[Session],
             directory: Path, args: argparse.Namespace, meter: "CpuMeter"
             ) -> tuple[RadclientRun, Latency | None, RadclientRun]:
    """Auth burst, then paced auth, then accounting in four phases (each file written just before it is sent)."""
    auth_file = write_auth_file(credentials, directory)
    before = meter.sample()
    auth = run_radclient(auth_file, auth_port, "auth", args.parallel)
    meter.charge(auth, before)
    paced = paced_auth(auth_port, credentials, args.pace_rate, args.pace_seconds) if args.pace_seconds > 0 else None
    acct = RadclientRun()
    for phase in range(len(ACCT_PHASES)):
        path = write_acct_phase(sessions, phase, directory, int(time.time()))
        before = meter.sample()
        run = run_radclient(path, acct_port, "acct", args.parallel)
        meter.charge(run, before)
        acct.add(run)
    return auth, paced, acct


def compare(sessions: list[Session], rows: dict[str, dict], stopped_ok) -> list[str]:
    """Mismatches between what was sent (and acknowledged) and what the database holds."""
    problems = []
    if len(rows) != len(sessions):
        problems.append(f"{len(rows)} session rows, expected {len(sessions)}")
    for s in sessions:
        row = rows.get(s.acct_session_id)
        if row is None:
            problems.append(f"{s.acct_session_id}: missing")
            continue
        want = {"username": s.username, "session_time": s.final.session_time,
                "input_octets": s.final.input_octets, "output_octets": s.final.output_octets}
        for key, value in want.items():
            if row[key] != value:
                problems.append(f"{s.acct_session_id}: {key} = {row[key]!r}, expected {value!r}")
        if not stopped_ok(row):
            problems.append(f"{s.acct_session_id}: not closed ({row['closed']!r})")
    return problems


# ---------------------------------------------------------------------------
# FreeRADIUS 3.2 + rlm_sql + PostgreSQL
# ---------------------------------------------------------------------------

def prepare_raddb(raddb: Path, dbname: str, auth_port: int, acct_port: int) -> None:
    """A private raddb: our templates plus the stock dictionary, policies and SQL queries."""
    shutil.copytree(TEMPLATE_DIR, raddb)
    for sub in ("log", "run", "mods-config/sql/main/postgresql"):
        (raddb / sub).mkdir(parents=True, exist_ok=True)
    shutil.copytree(STOCK_RADDB / "policy.d", raddb / "policy.d")
    shutil.copytree(STOCK_RADDB / "mods-config" / "preprocess", raddb / "mods-config" / "preprocess")
    shutil.copy(STOCK_PG_SQL / "queries.conf", raddb / "mods-config/sql/main/postgresql/queries.conf")
    shutil.copy(STOCK_RADDB / "dictionary", raddb / "dictionary")
    markers = {"@RADDB@": str(raddb), "@SECRET@": SECRET, "@AUTH_PORT@": str(auth_port),
               "@ACCT_PORT@": str(acct_port), "@DB_HOST@": PG_HOST, "@DB_PORT@": str(PG_PORT),
               "@DB_USER@": PG_USER, "@DB_NAME@": dbname}
    for path in [raddb / "radiusd.conf", raddb / "clients.conf", *(raddb / "sites-enabled").iterdir(),
                 *(raddb / "mods-enabled").iterdir()]:
        content = path.read_text()
        for marker, value in markers.items():
            content = content.replace(marker, value)
        path.write_text(content)


def freeradius_users(count: int) -> list[Credential]:
    rng = random.Random(11)
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [Credential(f"bench{i:05d}", "".join(rng.choice(alphabet) for _ in range(10))) for i in range(count)]


def bench_freeradius(args: argparse.Namespace, work: Path) -> Result:
    """FreeRADIUS from Debian, rlm_sql_postgresql, stock schema and queries, fresh database."""
    dbname = f"bench_freeradius_{os.getpid()}_{work.name.split('-')[0]}"
    credentials = freeradius_users(args.users)
    sessions = make_sessions(args.sessions, [c.username for c in credentials])
    files = work / "freeradius-load"
    files.mkdir()
    with fresh_pg_database(dbname, args.keep):
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True) as conn:
            conn.execute((STOCK_PG_SQL / "schema.sql").read_text())
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO radcheck (username, attribute, op, value) "
                                "VALUES (%s, 'Cleartext-Password', ':=', %s)",
                                [(c.username, c.password) for c in credentials])
        auth_port, acct_port = free_port(), free_port()
        raddb = work / "raddb"
        prepare_raddb(raddb, dbname, auth_port, acct_port)
        log = raddb / "log" / "radius.log"
        with running(["freeradius", "-f", "-d", str(raddb)], None, log, auth_port, acct_port) as proc:
            auth, paced, acct = run_load(auth_port, acct_port, credentials, sessions, files, args,
                                         CpuMeter(proc.pid, dbname))
            rss = {pid: rss_mb(pid) for pid in process_tree(proc.pid)}
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname) as conn:
            rows = {
                r[0]: {"username": r[1], "session_time": r[2], "input_octets": r[3],
                       "output_octets": r[4], "closed": r[5]}
                for r in conn.execute("SELECT acctsessionid, username, acctsessiontime, acctinputoctets, "
                                      "acctoutputoctets, acctstoptime FROM radacct")
            }
    mismatches = compare(sessions, rows, lambda row: row["closed"] is not None)
    return Result("FreeRADIUS 3.2 + PostgreSQL", auth, acct, paced, rss, mismatches)


# ---------------------------------------------------------------------------
# Our server (hotspot radius)
# ---------------------------------------------------------------------------

def hotspot_env(database_url: str, var_dir: Path, auth_port: int, acct_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "HOTSPOT_CONFIG": str(ROOT / "tests" / "empty.toml"),
        "HOTSPOT_DATABASE_URL": database_url,
        "HOTSPOT_SECRET_KEY": "bench-secret-key-not-for-production",
        "HOTSPOT_VAR_DIR": str(var_dir),
        "HOTSPOT_RADIUS_BIND": LOOPBACK,
        "HOTSPOT_RADIUS_AUTH_PORT": str(auth_port),
        "HOTSPOT_RADIUS_ACCT_PORT": str(acct_port),
        "HOTSPOT_RADIUS_METRICS_PORT": str(free_port(socket.SOCK_STREAM)),
        "HOTSPOT_ADMIN_PASSWORD": "bench-admin-password",
    })
    return env


def hotspot_command() -> list[str]:
    """The `hotspot` command of the running virtualenv, as a user would type it."""
    script = Path(sys.executable).parent / "hotspot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hotspot.cli"]


def prepare_hotspot(env: dict[str, str], users: int) -> list[Credential]:
    """Migrate, register the loopback NAS and a plan, and generate the vouchers."""
    def cli(*argv: str) -> str:
        proc = subprocess.run([*hotspot_command(), *argv], env=env, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            raise RuntimeError(f"hotspot {' '.join(argv)} failed: {proc.stdout}{proc.stderr}")
        return proc.stdout

    cli("init")
    cli("nas", "add", "bench", "--ip", LOOPBACK, "--secret", SECRET, "--vendor", "generic")
    cli("plan", "add", "Bench", "--session-minutes", "60")
    codes = [row["code"] for row in json.loads(cli("voucher", "generate", "--plan", "Bench",
                                                   "--count", str(users), "--format", "json"))]
    return [Credential(code, code) for code in codes]


def bench_hotspot(args: argparse.Namespace, work: Path, database: str) -> Result:
    """Our server on a fresh PostgreSQL database or SQLite file."""
    name = f"hotspot-{database}"
    var_dir = work / name
    var_dir.mkdir()
    auth_port, acct_port = free_port(), free_port()
    dbname = f"bench_hotspot_{os.getpid()}_{work.name.split('-')[0]}"
    if database == "postgresql":
        url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"
        database_cm = fresh_pg_database(dbname, args.keep)
        workers: int | None = args.workers
    else:
        url = f"sqlite:///{var_dir / 'bench.db'}"
        database_cm = contextlib.nullcontext()
        workers = args.sqlite_workers
    env = hotspot_env(url, var_dir, auth_port, acct_port)
    with database_cm:
        credentials = prepare_hotspot(env, args.users)
        sessions = make_sessions(args.sessions, [c.username for c in credentials])
        cmd = [*hotspot_command(), "radius"] + ([] if workers is None else ["--workers", str(workers)])
        log = var_dir / "radius.log"
        with running(cmd, env, log, auth_port, acct_port) as proc:
            meter = CpuMeter(proc.pid, dbname if database == "postgresql" else None)
            auth, paced, acct = run_load(auth_port, acct_port, credentials, sessions, var_dir, args, meter)
            rss = {pid: rss_mb(pid) for pid in process_tree(proc.pid)}
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                rows = {
                    r[0]: {"username": r[1], "session_time": r[2], "input_octets": r[3],
                           "output_octets": r[4], "closed": r[5]}
                    for r in conn.execute(text("SELECT acct_session_id, username, session_time, input_octets, "
                                               "output_octets, status FROM radius_session"))
                }
        finally:
            engine.dispose()
    mismatches = compare(sessions, rows, lambda row: row["closed"] == "closed")
    label = "ours + PostgreSQL" if database == "postgresql" else "ours + SQLite"
    return Result(label, auth, acct, paced, rss, mismatches)


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def _mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def loadavg() -> float:
    """1-minute load average: other work on the machine skews every figure here."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(results: list[Result]) -> None:
    header = (f"{'server':28} {'round':>5} {'load':>5} {'procs':>5} {'acct pkt/s':>10} {'auth pkt/s':>10} "
              f"{'acct CPU':>8} {'auth CPU':>8} {'lost':>5} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>6}  check")
    print(header)
    print("-" * len(header))
    for r in results:
        p50 = f"{r.paced.p50_ms:7.2f}" if r.paced else f"{'-':>7}"
        p99 = f"{r.paced.p99_ms:7.2f}" if r.paced else f"{'-':>7}"
        check = "OK" if not r.mismatches else f"{len(r.mismatches)} MISMATCHES"
        print(f"{r.label:28} {r.round:5d} {r.loadavg:5.1f} {len(r.rss_mb):5d} {r.acct.rate:10.0f} "
              f"{r.auth.rate:10.0f} {r.acct.cpu_ms_per_packet:8.2f} {r.auth.cpu_ms_per_packet:8.2f} "
              f"{r.lost:5d} {p50} {p99} {max(r.rss_mb.values(), default=0):6.1f}  {check}")


def print_details(r: Result, args: argparse.Namespace) -> None:
    print(f"{r.label}, round {r.round}: auth {r.auth.accepted} accepted, {r.auth.rejected} rejected, "
          f"{r.auth.sent - r.auth.answered} lost of {r.auth.sent} in {r.auth.seconds:.2f} s; "
          f"acct {r.acct.answered} answered, {r.acct.sent - r.acct.answered} lost of {r.acct.sent} "
          f"in {r.acct.seconds:.2f} s (radclient CPU: auth {r.auth.client_cpu:.2f} s, "
          f"acct {r.acct.client_cpu:.2f} s)")
    for name, run in (("auth", r.auth), ("acct", r.acct)):
        if run.answered:
            print(f"  {name} CPU per packet: {run.cpu_ms_per_packet:.3f} ms = server processes "
                  f"{1000 * (run.server_cpu - run.database_cpu) / run.answered:.3f} ms + PostgreSQL backends "
                  f"{1000 * run.database_cpu / run.answered:.3f} ms")
    if r.paced:
        print(f"  paced auth at {r.paced.rate}/s for {args.pace_seconds:g} s: {r.paced.answered}/{r.paced.sent} "
              f"answered ({r.paced.accepted} accepted), p50 {r.paced.p50_ms:.2f} ms, "
              f"p99 {r.paced.p99_ms:.2f} ms, max {r.paced.max_ms:.2f} ms")
    print("  RSS per process: " + ", ".join(f"pid {pid} {mb:.1f} MB" for pid, mb in r.rss_mb.items()))
    if r.mismatches:
        print(f"  accounting check: {len(r.mismatches)} mismatches, first ones:")
        for line in r.mismatches[:10]:
            print(f"    {line}")
    else:
        print(f"  accounting check: OK ({args.sessions} sessions closed with exact 64-bit totals and session time)")


def print_targets(results: list[Result]) -> None:
    """Issue 3's targets for ours + PostgreSQL: medians over rounds for rates, worst case for the rest."""
    ours = [r for r in results if r.label == "ours + PostgreSQL"]
    freeradius = [r for r in results if r.label.startswith("FreeRADIUS")]
    rounds = max((r.round for r in results), default=1)
    print()
    print("Targets (issue 3), ours + PostgreSQL" + (f" (rates: median of {rounds} rounds; others: worst round)"
                                                   if rounds > 1 else "") + ":")
    if ours and freeradius:
        acct_ratio = _median([r.acct.rate for r in ours]) / _median([r.acct.rate for r in freeradius])
        auth_ratio = _median([r.auth.rate for r in ours]) / _median([r.auth.rate for r in freeradius])
        print(f"  accounting ours/FreeRADIUS = {acct_ratio:.2f}x   target >= {TARGETS['acct_ratio']}x: "
              f"{_mark(acct_ratio >= TARGETS['acct_ratio'])}")
        print(f"  auth       ours/FreeRADIUS = {auth_ratio:.2f}x   target >= {TARGETS['auth_ratio']}x: "
              f"{_mark(auth_ratio >= TARGETS['auth_ratio'])}")
        acct_cpu = (_median([r.acct.cpu_ms_per_packet for r in freeradius])
                    / _median([r.acct.cpu_ms_per_packet for r in ours]))
        auth_cpu = (_median([r.auth.cpu_ms_per_packet for r in freeradius])
                    / _median([r.auth.cpu_ms_per_packet for r in ours]))
        print(f"  (by CPU per packet, server + database backends, FreeRADIUS/ours: accounting {acct_cpu:.2f}x, "
              f"auth {auth_cpu:.2f}x; less sensitive to other load on the machine)")
    else:
        print("  ratios: need both FreeRADIUS and ours + PostgreSQL in the same run")
    if not ours:
        return
    lost = sum(r.lost for r in ours)
    paced_lost = sum(r.paced.lost for r in ours if r.paced)
    print(f"  lost packets = {lost} (radclient, after 3 tries) + {paced_lost} (paced: no answer before its Identifier came round again, 16 s, or at the end)   "
          f"target 0: {_mark(lost + paced_lost == 0)}")
    paced = [r.paced for r in ours if r.paced]
    if paced:
        p99 = max(p.p99_ms for p in paced)
        print(f"  p99 auth at {paced[0].rate}/s = {p99:.2f} ms   target < {TARGETS['p99_ms']:g} ms: "
              f"{_mark(p99 < TARGETS['p99_ms'])}")
    biggest = max((mb for r in ours for mb in r.rss_mb.values()), default=0)
    print(f"  largest process RSS = {biggest:.1f} MB   target < {TARGETS['rss_mb']:g} MB each: "
          f"{_mark(biggest < TARGETS['rss_mb'])}")
    accepted = sum(r.auth.accepted + (r.paced.accepted if r.paced else 0) for r in ours)
    sent = sum(r.auth.sent + (r.paced.sent if r.paced else 0) for r in ours)
    print(f"  Access-Accepts = {accepted}/{sent} (every voucher is valid): {_mark(accepted == sent)}")
    print(f"  accounting check: {'OK' if not any(r.mismatches for r in ours) else 'FAILED'}")


def report(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(f"RADIUS benchmark: {args.users} PAP users, {args.sessions} sessions x 4 = {args.sessions * 4} "
          f"accounting packets over {NAS_COUNT} NAS identifiers; radclient -p {args.parallel} -r 3 -t 3; "
          f"{os.cpu_count()} CPUs")
    print_table(results)
    print("(acct/auth CPU: CPU ms per packet of the server's processes and its PostgreSQL backends; "
          "RSS: largest process)")
    if max((r.loadavg for r in results), default=0) > 1.0:
        print("note: the machine was busy with other work (load > 1); figures are skewed, ratios less so "
              "when rounds alternate (--rounds)")
    print()
    for r in results:
        print_details(r, args)
    print_targets(results)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="worker processes of our server on PostgreSQL")
    parser.add_argument("--sqlite-workers", type=int, default=None,
                        help="worker processes of our server on SQLite (default: the server's own default)")
    parser.add_argument("--sessions", type=int, default=2000, help="accounting sessions (4 packets each)")
    parser.add_argument("--users", type=int, default=2000, help="PAP users / vouchers (one Access-Request each)")
    parser.add_argument("--parallel", type=int, default=64, help="radclient -p: packets in flight")
    parser.add_argument("--pace-rate", type=int, default=500, help="paced Access-Requests per second")
    parser.add_argument("--pace-seconds", type=float, default=10, help="paced run length (0 skips it)")
    parser.add_argument("--skip-freeradius", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--only", choices=["freeradius", "postgresql", "sqlite"],
                        help="run one server: FreeRADIUS, or ours on PostgreSQL or SQLite")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every server this many times, alternating; ratios use the medians")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and databases for inspection")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (timeout, CI cancel) unwinds like Ctrl-C: servers stopped, databases dropped, temp dir removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if shutil.which("radclient") is None:
        print("radclient not found: apt-get install freeradius-utils", file=sys.stderr)
        return 2
    plan = ["freeradius", "postgresql", "sqlite"]
    if args.only:
        plan = [args.only]
    else:
        if args.skip_freeradius:
            plan.remove("freeradius")
        if args.skip_sqlite:
            plan.remove("sqlite")
    if "freeradius" in plan and shutil.which("freeradius") is None:
        print("freeradius not found: apt-get install freeradius freeradius-postgresql", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="radbench-"))
    results, failures = [], []
    try:
        for round_number in range(1, args.rounds + 1):
            for target in plan:
                print(f"round {round_number}: running {target} ...", flush=True)
                round_dir = work / f"round{round_number}-{target}"
                round_dir.mkdir()
                load = loadavg()
                try:
                    if target == "freeradius":
                        result = bench_freeradius(args, round_dir)
                    else:
                        result = bench_hotspot(args, round_dir, target)
                except (RuntimeError, OSError, subprocess.SubprocessError, psycopg.Error) as exc:
                    failures.append(f"{target}, round {round_number}: {exc}")
                    print(f"{target} FAILED: {exc}", file=sys.stderr, flush=True)
                    continue
                results.append(dataclasses.replace(result, loadavg=load, round=round_number))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(results, args)
    for failure in failures:
        print(f"FAILED {failure.splitlines()[0]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
