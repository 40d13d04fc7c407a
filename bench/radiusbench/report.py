"""The report: one row per server and round, details, ratios of ours to each peer, issue 10's targets."""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from radiusbench.load import NAS_COUNT
from radiusbench.workload import Result

PEERS = ("stock", "lean", "bare")
OURS = ("postgresql", "sqlite")
TARGETS = {"acct_vs_bare": 0.9, "acct_vs_lean": 1.0, "auth_vs_lean": 1.5, "p99_ms": 10.0, "rss_mb": 100.0}
# Ours + SQLite before issue 10 (bench/README.md, 27 Nov 2026, main at 7ad7579): medians of 3 rounds, pkt/s.
SQLITE_REFERENCE = {"acct": 3094.0, "auth": 4219.0}


def loadavg() -> float:
    """1-minute load average: other work on the machine skews every figure here."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _check(r: Result) -> str:
    if r.mismatches is None:
        return "stores nothing"
    return "OK" if not r.mismatches else f"{len(r.mismatches)} MISMATCHES"


def print_table(results: list[Result]) -> None:
    header = (
        f"{'server':28} {'round':>5} {'load':>5} {'procs':>5} {'acct pkt/s':>10} {'auth pkt/s':>10} "
        f"{'acct CPU':>8} {'auth CPU':>8} {'lost':>5} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>6}  check"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        p50 = f"{r.paced.p50_ms:7.2f}" if r.paced else f"{'-':>7}"
        p99 = f"{r.paced.p99_ms:7.2f}" if r.paced else f"{'-':>7}"
        print(
            f"{r.label:28} {r.round:5d} {r.loadavg:5.1f} {len(r.rss_mb):5d} {r.acct.rate:10.0f} "
            f"{r.auth.rate:10.0f} {r.acct.cpu_ms_per_packet:8.2f} {r.auth.cpu_ms_per_packet:8.2f} "
            f"{r.lost:5d} {p50} {p99} {max(r.rss_mb.values(), default=0):6.1f}  {_check(r)}"
        )


def print_details(r: Result, args: argparse.Namespace) -> None:
    print(
        f"{r.label}, round {r.round}: auth {r.auth.accepted} accepted, {r.auth.rejected} rejected, "
        f"{r.auth.sent - r.auth.answered} lost of {r.auth.sent} in {r.auth.seconds:.2f} s; "
        f"acct {r.acct.answered} answered, {r.acct.sent - r.acct.answered} lost of {r.acct.sent} "
        f"in {r.acct.seconds:.2f} s (radclient CPU: auth {r.auth.client_cpu:.2f} s, "
        f"acct {r.acct.client_cpu:.2f} s)"
    )
    for name, run in (("auth", r.auth), ("acct", r.acct)):
        if run.answered:
            print(
                f"  {name} CPU per packet: {run.cpu_ms_per_packet:.3f} ms = server processes "
                f"{1000 * (run.server_cpu - run.database_cpu) / run.answered:.3f} ms + PostgreSQL backends "
                f"{1000 * run.database_cpu / run.answered:.3f} ms"
            )
    if r.paced:
        print(
            f"  paced auth at {r.paced.rate}/s for {args.pace_seconds:g} s: "
            f"{r.paced.answered}/{r.paced.sent} "
            f"answered ({r.paced.accepted} accepted), p50 {r.paced.p50_ms:.2f} ms, "
            f"p99 {r.paced.p99_ms:.2f} ms, max {r.paced.max_ms:.2f} ms"
        )
    print("  RSS per process: " + ", ".join(f"pid {pid} {mb:.1f} MB" for pid, mb in r.rss_mb.items()))
    if r.mismatches is None:
        print("  accounting check: none (this server stores nothing)")
    elif r.mismatches:
        print(f"  accounting check: {len(r.mismatches)} mismatches, first ones:")
        for line in r.mismatches[:10]:
            print(f"    {line}")
    else:
        print(
            f"  accounting check: OK ({args.sessions} sessions closed with exact 64-bit totals "
            "and session time), and open with the running totals after Interim-Update 2"
        )


class Medians:
    """Per server: median packets/s and CPU per packet over the rounds."""

    def __init__(self, results: list[Result]):
        self.results = results

    def of(self, server: str) -> list[Result]:
        return [r for r in self.results if r.server == server]

    def rate(self, server: str, kind: str) -> float:
        return _median([getattr(r, kind).rate for r in self.of(server)])

    def cpu(self, server: str, kind: str) -> float:
        return _median([getattr(r, kind).cpu_ms_per_packet for r in self.of(server)])

    def ratio(self, ours: str, peer: str, kind: str) -> float:
        return _ratio(self.rate(ours, kind), self.rate(peer, kind))

    def cpu_ratio(self, ours: str, peer: str, kind: str) -> float:
        """Peer's CPU per packet over ours: above 1 when ours does a packet with less CPU."""
        return _ratio(self.cpu(peer, kind), self.cpu(ours, kind))


def print_ratios(medians: Medians) -> None:
    """Ours / each peer, by packets/s and (less sensitive to other load) by CPU per packet."""
    pairs = [(o, p) for o in OURS if medians.of(o) for p in PEERS if medians.of(p)]
    if not pairs:
        return
    print()
    print(
        "Ratios, ours / peer (packets/s; in brackets by CPU per packet incl. PostgreSQL backends, peer/ours):"
    )
    for ours, peer in pairs:
        print(
            f"  {medians.of(ours)[0].label:18} / {medians.of(peer)[0].label:26} "
            f"accounting {medians.ratio(ours, peer, 'acct'):5.2f}x "
            f"({medians.cpu_ratio(ours, peer, 'acct'):5.2f}x)   "
            f"auth {medians.ratio(ours, peer, 'auth'):5.2f}x "
            f"({medians.cpu_ratio(ours, peer, 'auth'):5.2f}x)"
        )


def _ratio_target(medians: Medians, peer: str, kind: str, target: float) -> None:
    name = "accounting" if kind == "acct" else "auth"
    if not medians.of("postgresql") or not medians.of(peer):
        print(f"  {name} ours/{peer}: needs ours + PostgreSQL and the {peer} peer in the same run")
        return
    ratio = medians.ratio("postgresql", peer, kind)
    print(f"  {name:10} ours/{peer:5} = {ratio:.2f}x   target >= {target:.1f}x: {_mark(ratio >= target)}")


def print_targets(results: list[Result]) -> None:
    """Issue 10's targets: medians over rounds for rates, worst round for everything else."""
    medians = Medians(results)
    rounds = max((r.round for r in results), default=1)
    print()
    span = f" (rates: median of {rounds} rounds; others: worst round)" if rounds > 1 else ""
    print(f"Targets (issue 10), ours + PostgreSQL{span}:")
    _ratio_target(medians, "bare", "acct", TARGETS["acct_vs_bare"])
    _ratio_target(medians, "lean", "acct", TARGETS["acct_vs_lean"])
    _ratio_target(medians, "lean", "auth", TARGETS["auth_vs_lean"])
    ours = medians.of("postgresql") + medians.of("sqlite")
    if ours:
        lost = sum(r.lost for r in ours)
        paced_lost = sum(r.paced.lost for r in ours if r.paced)
        print(
            f"  lost packets (ours) = {lost} (radclient, after 3 tries) + {paced_lost} (paced: unanswered "
            f"before its Identifier came round again, or at the end)   "
            f"target 0: {_mark(lost + paced_lost == 0)}"
        )
        paced = [r.paced for r in medians.of("postgresql") if r.paced]
        if paced:
            p99 = max(p.p99_ms for p in paced)
            print(
                f"  p99 auth at {paced[0].rate}/s = {p99:.2f} ms   target < {TARGETS['p99_ms']:g} ms: "
                f"{_mark(p99 < TARGETS['p99_ms'])}"
            )
        biggest = max((mb for r in ours for mb in r.rss_mb.values()), default=0)
        print(
            f"  largest process RSS (ours) = {biggest:.1f} MB   target < {TARGETS['rss_mb']:g} MB each: "
            f"{_mark(biggest < TARGETS['rss_mb'])}"
        )
        accepted = sum(r.auth.accepted + (r.paced.accepted if r.paced else 0) for r in ours)
        sent = sum(r.auth.sent + (r.paced.sent if r.paced else 0) for r in ours)
        print(
            f"  Access-Accepts (ours) = {accepted}/{sent} (every voucher is valid): {_mark(accepted == sent)}"
        )
    if medians.of("sqlite"):
        for kind, name in (("acct", "accounting"), ("auth", "auth")):
            rate, reference = medians.rate("sqlite", kind), SQLITE_REFERENCE[kind]
            print(
                f"  ours + SQLite {name} = {rate:.0f} pkt/s   target >= {reference:.0f} (bench/README.md, "
                f"27 Nov 2026): {_mark(rate >= reference)}"
            )
    checked = [r for r in results if r.mismatches is not None]
    if checked:
        print(
            f"  accounting check (every server that stores): "
            f"{'OK' if not any(r.mismatches for r in checked) else 'FAILED'}"
        )


def report(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(
        f"RADIUS benchmark: {args.users} PAP users, {args.sessions} sessions x 4 = {args.sessions * 4} "
        f"accounting packets over {NAS_COUNT} NAS identifiers; radclient -p {args.parallel} -r 3 -t 3; "
        f"{os.cpu_count()} CPUs"
    )
    print_table(results)
    print(
        "(acct/auth CPU: CPU ms per packet of the server's processes and its PostgreSQL backends; "
        "RSS: largest process)"
    )
    if max((r.loadavg for r in results), default=0) > 1.0:
        print(
            "note: the machine was busy with other work (load > 1); figures are skewed, ratios less so "
            "when rounds alternate (--rounds)"
        )
    print()
    for r in results:
        print_details(r, args)
    print_ratios(Medians(results))
    print_targets(results)
