"""The benchmark's packet files say what its database check expects.

bench/radius.py judges both servers by comparing the database with the totals
it meant to send; if the radclient files encoded different totals (gigawords
split wrong, phases out of order), a correct server would be reported as losing
data. No sockets: this reads the files back.
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_bench():
    if "bench_radius" in sys.modules:
        return sys.modules["bench_radius"]
    spec = importlib.util.spec_from_file_location("bench_radius", ROOT / "bench" / "radius.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_radius"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def parse_packets(path: Path) -> list[dict[str, str]]:
    packets = []
    for block in path.read_text().split("\n\n"):
        pairs = (line.split(" = ", 1) for line in block.strip().splitlines())
        packets.append({name: value.strip('"') for name, value in pairs})
    return packets


def total(packet: dict[str, str], direction: str) -> int:
    return (int(packet.get(f"Acct-{direction}-Gigawords", 0)) << 32) + int(packet[f"Acct-{direction}-Octets"])


def test_phases_carry_each_session_once_in_order_with_64_bit_totals(tmp_path):
    bench = load_bench()
    sessions = bench.make_sessions(42, ["alice", "bob"])
    phases = [parse_packets(bench.write_acct_phase(sessions, n, tmp_path, 1_800_000_000 + n)) for n in range(4)]

    assert [p[0]["Acct-Status-Type"] for p in phases] == ["Start", "Interim-Update", "Interim-Update", "Stop"]
    by_id = {s.acct_session_id: s for s in sessions}
    for n, phase in enumerate(phases):
        assert {p["Event-Timestamp"] for p in phase} == {str(1_800_000_000 + n)}
        assert sorted(p["Acct-Session-Id"] for p in phase) == sorted(by_id)
    for index, phase in enumerate(phases[1:]):
        for packet in phase:
            expected = by_id[packet["Acct-Session-Id"]].updates[index]
            assert total(packet, "Input") == expected.input_octets
            assert total(packet, "Output") == expected.output_octets
            assert int(packet["Acct-Session-Time"]) == expected.session_time
    stops = phases[-1]
    assert any(int(p.get("Acct-Output-Gigawords", 0)) >= 1 for p in stops)
    assert any(int(p.get("Acct-Input-Gigawords", 0)) >= 1 for p in stops)
    assert all(int(p["Acct-Output-Octets"]) < 2**32 for p in stops)


def test_sessions_spread_over_one_hundred_nas_identifiers():
    bench = load_bench()
    sessions = bench.make_sessions(2000, ["u"])
    assert len({s.nas_identifier for s in sessions}) == 100
    assert len({s.acct_session_id for s in sessions}) == 2000
