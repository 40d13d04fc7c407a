"""The benchmark's packet files say what its database check expects.

bench/radius.py judges every server by comparing its database with the totals it
meant to send; if the radclient files encoded different totals (gigawords split
wrong, phases out of order, counters that shrink), a correct server would be
reported as losing data. The bench runs as a user runs it (`--write-load DIR`
writes the files of a run and the totals its check expects, without starting a
server); this reads them back.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHASES = ["acct-0-start.txt", "acct-1-interim-update.txt", "acct-2-interim-update.txt", "acct-3-stop.txt"]


def parse_packets(path: Path) -> list[dict[str, str]]:
    packets = []
    for block in path.read_text().split("\n\n"):
        pairs = (line.split(" = ", 1) for line in block.strip().splitlines())
        packets.append({name: value.strip('"') for name, value in pairs})
    return packets


def total(packet: dict[str, str], direction: str) -> int:
    return (int(packet.get(f"Acct-{direction}-Gigawords", 0)) << 32) + int(packet[f"Acct-{direction}-Octets"])


@pytest.fixture(scope="module")
def load(tmp_path_factory):
    directory = tmp_path_factory.mktemp("load")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "radius.py"),
            "--write-load",
            str(directory),
            "--sessions",
            "2000",
            "--users",
            "50",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    expected = {s["acct_session_id"]: s for s in json.loads((directory / "expected.json").read_text())}
    return [parse_packets(directory / name) for name in PHASES], expected, directory


def test_phases_carry_each_session_once_in_order_with_the_checked_64_bit_totals(load):
    phases, expected, _ = load

    assert [p[0]["Acct-Status-Type"] for p in phases] == ["Start", "Interim-Update", "Interim-Update", "Stop"]
    for phase in phases:
        assert len({p["Event-Timestamp"] for p in phase}) == 1
        assert sorted(p["Acct-Session-Id"] for p in phase) == sorted(expected)
        assert all(p["User-Name"] == expected[p["Acct-Session-Id"]]["username"] for p in phase)
    for index, phase in enumerate(phases[1:]):
        for packet in phase:
            want = expected[packet["Acct-Session-Id"]]["updates"][index]
            assert total(packet, "Input") == want["input_octets"]
            assert total(packet, "Output") == want["output_octets"]
            assert int(packet["Acct-Session-Time"]) == want["session_time"]
    stops = phases[-1]
    assert any(int(p.get("Acct-Output-Gigawords", 0)) >= 1 for p in stops)
    assert any(int(p.get("Acct-Input-Gigawords", 0)) >= 1 for p in stops)
    assert all(int(p[f"Acct-{d}-Octets"]) < 2**32 for p in stops for d in ("Input", "Output"))


def test_counters_grow_as_a_nas_reports_them(load):
    phases, _, _ = load
    by_session = {}
    for phase in phases[1:]:
        for packet in phase:
            by_session.setdefault(packet["Acct-Session-Id"], []).append(packet)

    wrapped = 0
    for reports in by_session.values():
        times = [int(p["Acct-Session-Time"]) for p in reports]
        assert times == sorted(set(times))
        for direction in ("Input", "Output"):
            totals = [total(p, direction) for p in reports]
            assert totals == sorted(set(totals))
            low = [int(p[f"Acct-{direction}-Octets"]) for p in reports]
            wrapped += low != sorted(low)
    assert wrapped > 0  # some 32-bit counter wraps into gigawords mid-session, as on a real NAS


def test_load_spreads_over_one_hundred_nas_identifiers_and_sends_every_user_once(load):
    phases, expected, directory = load
    assert len({p["NAS-Identifier"] for p in phases[0]}) == 100
    assert len(expected) == 2000
    auth = parse_packets(directory / "auth.txt")
    assert len({p["User-Name"] for p in auth}) == 50
    assert all(p["Message-Authenticator"] == "0x00" for p in auth)
