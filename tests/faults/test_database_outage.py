"""The database goes away for ten seconds under accounting load: nothing acknowledged is lost.

SQLite pass: another process holds the file's exclusive lock. PostgreSQL pass:
the test's private server is stopped with `pg_ctl stop -m fast` and started
again. The daemon keeps answering from its fsync'd journal, replays it when
the database is back, and is never restarted.
"""

from __future__ import annotations

import time

import pytest

from testbed.accounting_load import AccountingLoad
from testbed.helpers import wait_for
from tests.faults.conftest import NAS_NAME, SECRET

OUTAGE_SECONDS = 10


@pytest.mark.slow
def test_acknowledged_accounting_survives_a_database_outage(fault_db, start_daemon):
    daemon = start_daemon(fault_db.settings)
    pid = daemon.process.pid
    load = AccountingLoad(daemon.acct_port, SECRET, NAS_NAME, rate=250)
    load.start()
    time.sleep(3)
    fault_db.outage.begin()
    outage_began = time.monotonic()
    try:
        wait_for(
            lambda: (daemon.metric("radius_journal_depth") or 0) > 0,
            timeout=OUTAGE_SECONDS,
            what="accounting to go to the journal",
        )
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_began)))
    finally:
        fault_db.outage.end()
    outage_ended = time.monotonic()
    time.sleep(4)
    ledger = load.stop()
    wait_for(
        lambda: daemon.metric("radius_journal_depth") == 0, timeout=20, what="the journal to be replayed"
    )

    answered_in_outage = [p for p in ledger.acknowledged if outage_began < p.answered < outage_ended]
    assert len(answered_in_outage) > 1000, "the server stopped acknowledging during the outage"
    counts = ledger.check(fault_db.engine)
    assert counts["sent"] > 3500
    assert ledger.unanswered == [], f"{len(ledger.unanswered)} packets never answered"
    assert counts["acknowledged_sessions"] == counts["stored_sessions"]
    log = daemon.log()
    assert "database_unavailable action=journal" in log
    assert "journal_replayed" in log
    assert "radius_worker_died" not in log
    assert daemon.process.poll() is None and daemon.process.pid == pid
