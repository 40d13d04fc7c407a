"""`kill -9` of a RADIUS worker whose journal holds acknowledged packets: they all reach the database once.

Two workers share the ports; the database is away (locked / stopped) so both
answer from their journals; the worker with the fuller journal is killed with
SIGKILL. The supervisor starts a new worker in its place, the journal left
behind is replayed (by the new worker or adopted by the other) once the
database is back, and the ledger of acknowledged packets is checked.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from testbed.accounting_load import AccountingLoad
from testbed.helpers import wait_for
from tests.faults.conftest import NAS_NAME, SECRET


def journal_records(path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_killed_worker_loses_no_acknowledged_packet(fault_db, start_daemon):
    daemon = start_daemon(fault_db.settings, workers=2)
    journals = [fault_db.settings.journal_dir / f"accounting-{index}.jsonl" for index in (0, 1)]
    load = AccountingLoad(daemon.acct_port, SECRET, NAS_NAME, rate=250, sockets=16)
    load.start()
    time.sleep(2)
    fault_db.outage.begin()
    try:
        wait_for(
            lambda: all(journal_records(path) > 50 for path in journals),
            timeout=15,
            what="both workers to journal",
        )
        time.sleep(1)
        victim = max((0, 1), key=lambda index: journal_records(journals[index]))
        pid = daemon.worker_pids()[victim]
        in_journal = journal_records(journals[victim])
        os.kill(pid, signal.SIGKILL)
        wait_for(
            lambda: daemon.worker_pids().get(victim, pid) != pid,
            timeout=10,
            what="the supervisor to start a new worker",
        )
        time.sleep(2)
    finally:
        fault_db.outage.end()
    time.sleep(3)
    ledger = load.stop()
    wait_for(
        lambda: daemon.metric("radius_journal_depth") == 0 and not any(map(journal_records, journals)),
        timeout=20,
        what="every journal to be replayed",
    )

    counts = ledger.check(fault_db.engine)
    assert in_journal > 50
    assert ledger.unanswered == [], f"{len(ledger.unanswered)} packets never answered"
    assert counts["acknowledged_sessions"] == counts["stored_sessions"]
    log = daemon.log()
    assert f"radius_worker_died worker={victim} status=9" in log
    assert "journal_replayed" in log or "journal_adopted" in log
    assert daemon.process.poll() is None
