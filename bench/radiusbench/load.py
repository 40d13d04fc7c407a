"""The benchmark's load: users, accounting sessions, and radclient packet files.

Counters grow as a real NAS reports them: each Interim-Update and the Stop carry
the session's running totals, never less than the packet before, and the 32-bit
Acct-*-Octets wrap into Acct-*-Gigawords past 4 GiB, so the low word of a later
packet can be smaller than an earlier one's while the 64-bit total grows.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

SECRET = "bench-secret-7Qw"
NAS_COUNT = 100
LOOPBACK = "127.0.0.1"


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


def synthetic_users(count: int) -> list[Credential]:
    """Users for servers that take them from their own tables (FreeRADIUS radcheck or users file)."""
    rng = random.Random(11)
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        Credential(f"bench{i:05d}", "".join(rng.choice(alphabet) for _ in range(10))) for i in range(count)
    ]


def _grow(rng: random.Random, final: Counters) -> tuple[Counters, Counters, Counters]:
    """Two interim points at random fractions of the session, then the final totals."""
    first, second = rng.uniform(0.15, 0.45), rng.uniform(0.55, 0.9)
    points = [
        Counters(int(final.session_time * f), int(final.input_octets * f), int(final.output_octets * f))
        for f in (first, second)
    ]
    return points[0], points[1], final


def make_sessions(count: int, usernames: list[str], seed: int = 3) -> list[Session]:
    """Deterministic sessions over NAS_COUNT access points; every 7th downloads past 4 GiB."""
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
        sessions.append(
            Session(
                username=usernames[i % len(usernames)],
                acct_session_id=f"{0x81000000 + i:08X}",
                nas_identifier=f"bench-ap-{ap:03d}",
                mac=f"02:00:{ap:02X}:{(i >> 16) & 255:02X}:{(i >> 8) & 255:02X}:{i & 255:02X}",
                called_station_id=f"hotspot-{ap:03d}",
                framed_ip=f"10.{64 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}",
                updates=_grow(rng, Counters(session_time, input_total, output_total)),
            )
        )
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
    path.write_text(
        "\n".join(
            _acct_packet(s, status, None if index is None else s.updates[index], event_timestamp)
            for s in order
        )
    )
    return path


def write_auth_file(credentials: list[Credential], directory: Path) -> Path:
    """PAP Access-Requests as a hotspot AP sends them, with Message-Authenticator (BlastRADIUS)."""
    packets = []
    for i, cred in enumerate(credentials):
        ap = i % NAS_COUNT
        packets.append(
            "\n".join(
                [
                    f'User-Name = "{cred.username}"',
                    f'User-Password = "{cred.password}"',
                    f"NAS-IP-Address = {LOOPBACK}",
                    f'NAS-Identifier = "bench-ap-{ap:03d}"',
                    "NAS-Port-Type = Wireless-802.11",
                    f'Calling-Station-Id = "02:01:{ap:02X}:00:{(i >> 8) & 255:02X}:{i & 255:02X}"',
                    f'Called-Station-Id = "hotspot-{ap:03d}"',
                    "Message-Authenticator = 0x00",
                ]
            )
            + "\n"
        )
    path = directory / "auth.txt"
    path.write_text("\n".join(packets))
    return path


def write_expected(sessions: list[Session], directory: Path) -> Path:
    """The totals the database check holds each session to, per Interim-Update and Stop, as JSON."""
    path = directory / "expected.json"
    path.write_text(
        json.dumps(
            [
                {
                    "acct_session_id": s.acct_session_id,
                    "username": s.username,
                    "nas_identifier": s.nas_identifier,
                    "updates": [dataclasses.asdict(c) for c in s.updates],
                }
                for s in sessions
            ],
            indent=1,
        )
    )
    return path


def write_all(
    credentials: list[Credential], sessions: list[Session], directory: Path, event_timestamp: int
) -> list[Path]:
    """Every file one server's run sends, plus what its database check expects."""
    return [
        write_auth_file(credentials, directory),
        *(write_acct_phase(sessions, phase, directory, event_timestamp) for phase in range(len(ACCT_PHASES))),
        write_expected(sessions, directory),
    ]
