"""Prometheus metrics of the RADIUS workers: requests, decisions, drops, batches, journal, latency.

Every worker counts into its own registry object; with several worker
processes the values go through prometheus_client's multiprocess files and the
supervisor serves their sum on 127.0.0.1:<radius_metrics_port>/metrics.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
    values,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    """The daemon's instruments; the handler and the batcher call these, never prometheus_client directly."""

    def __init__(self, registry: CollectorRegistry | None = None):
        registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "radius_requests_total", "RADIUS requests received, by packet type", ["type"], registry=registry
        )
        self.accepts = Counter("radius_auth_accepts_total", "Access-Accepts sent", registry=registry)
        self.rejects = Counter(
            "radius_auth_rejects_total", "Access-Rejects sent, by reason", ["reason"], registry=registry
        )
        self.drops = Counter(
            "radius_drops_total",
            "Packets dropped without an answer, by reason",
            ["reason"],
            registry=registry,
        )
        self.duplicates = Counter(
            "radius_duplicates_total", "Retransmissions answered from the duplicate cache", registry=registry
        )
        self.batch_size = Histogram(
            "radius_accounting_batch_size",
            "Accounting packets per database transaction",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=registry,
        )
        self.journal_depth = Gauge(
            "radius_journal_depth",
            "Accounting records waiting in the local journal",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.journal_write_errors = Counter(
            "radius_journal_write_errors_total",
            "Journal writes that failed (disk full, I/O error); their packets went unanswered",
            registry=registry,
        )
        self.auth_latency = Histogram(
            "radius_auth_latency_seconds",
            "Access-Request to reply",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=registry,
        )
        self.disconnects = Counter(
            "radius_quota_disconnects_total",
            "Disconnect-Requests sent for overrun quotas",
            ["result"],
            registry=registry,
        )
        self.throttles = Counter(
            "radius_quota_throttles_total",
            "CoA-Requests slowing overrun sessions",
            ["result"],
            registry=registry,
        )


def prepare_multiprocess(directory: Path) -> None:
    """Point prometheus_client at a fresh folder for per-process files; before any metric exists."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)
    values.ValueClass = values.get_value_class()


def serve_multiprocess(port: int) -> None:
    """Serve the sum over all worker processes on loopback (a daemon thread of the supervisor)."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr="127.0.0.1", registry=registry)


def worker_exited(pid: int) -> None:
    multiprocess.mark_process_dead(pid)
