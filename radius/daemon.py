"""`hotspot radius [--workers N]`: the supervisor process and its RADIUS worker processes.

The supervisor sets up logging, claims the journal directory (one server per
journal), serves the workers' summed metrics on 127.0.0.1:<radius_metrics_port>,
forks N workers that each bind the shared ports (SO_REUSEPORT), restarts a
worker that dies (a worker whose vital thread has ended exits to be restarted),
and on SIGTERM/SIGINT asks every worker to finish and answer the batch in hand
before it exits. Signal handlers only leave a byte in a wake-up pipe
(hotspot.signals); the main threads wait on it.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from sqlalchemy import event

from hotspot.crypto import SecretBox
from hotspot.db import is_sqlite, make_engine
from hotspot.settings import Settings
from hotspot.signals import STOP, StopSignals

log = logging.getLogger("radius.daemon")
LOCK_WAIT_MS = 2000
RESTART_DELAY = 1.0
HEALTH_CHECK_SECONDS = 0.5
STOP_GRACE_SECONDS = 15
HELD_ACROSS_FORK = {*STOP, signal.SIGCHLD}


def _sqlite_bounded_wait(dbapi_connection, _record) -> None:
    """Fail fast when SQLite is locked, so the batch goes to the journal before the NAS retransmits."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    cursor.close()


def _postgresql_bounded_wait(dbapi_connection, _record) -> None:
    """Same on PostgreSQL: a batch waits at most LOCK_WAIT_MS for a lock, then it is journalled."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {LOCK_WAIT_MS}")
    dbapi_connection.commit()


def worker_engine(settings: Settings):
    """The database engine of one worker process (created after the fork), with bounded lock waits.

    No pre-ping: it would cost a round trip per batch. A connection the database
    dropped fails its batch instead (accounting is journalled, Access-Requests
    go unanswered and the NAS retries) and the pool reconnects.
    """
    engine = make_engine(settings, pool_size=8, max_overflow=4, pool_pre_ping=False)
    event.listen(engine, "connect", _sqlite_bounded_wait if is_sqlite(engine) else _postgresql_bounded_wait)
    return engine


def run_worker(settings: Settings, index: int, workers: int, signals: StopSignals) -> int:
    """One worker: sockets, handler, batcher, until a stop signal (0) or the loss of a vital thread (1)."""
    from hotspot.radius_dictionary import load_dictionary
    from radius.authlog import AuthLog
    from radius.batcher import Batcher
    from radius.clients import ClientTable
    from radius.enforcement import QuotaEnforcer
    from radius.handler import Handler
    from radius.journal import Journal
    from radius.metrics import Metrics
    from radius.server import Server, bind_udp
    from radius.spread import spread_by_identifier

    engine = worker_engine(settings)
    box = SecretBox(settings.secret_key)
    clients = ClientTable(engine, box, settings.radius_client_reload_seconds)
    clients.refresh()
    metrics = Metrics()
    auth_log = AuthLog(engine)
    handler = Handler(
        engine,
        clients,
        load_dictionary(settings.radius_dictionary_dir),
        metrics,
        settings.timezone,
        auth_log.submit,
        plans_reload_seconds=settings.radius_client_reload_seconds,
        stale_grace=settings.radius_stale_grace_seconds,
    )
    journal = Journal(settings.journal_dir, index)
    auth_socket = bind_udp(settings.radius_bind, settings.radius_auth_port)
    spread_by_identifier(auth_socket, workers)  # accounting stays by source: a router's rows on one worker
    server = Server(handler, auth_socket, bind_udp(settings.radius_bind, settings.radius_acct_port))
    enforcer = QuotaEnforcer(settings, engine, box, metrics)
    batcher = Batcher(
        engine,
        journal,
        metrics,
        batch_max=settings.radius_batch_max,
        wait_ms=settings.radius_batch_wait_ms,
        stale_grace=settings.radius_stale_grace_seconds,
        answer=server.answer_accounting,
        drop=server.drop_accounting,
        unanswered=server.leave_unanswered,
        watch=enforcer.watch,
    )
    log.info(
        "radius_worker_ready worker=%d pid=%d auth=%s:%d acct=%s:%d",
        index,
        os.getpid(),
        settings.radius_bind,
        settings.radius_auth_port,
        settings.radius_bind,
        settings.radius_acct_port,
    )
    enforcer.start()
    auth_log.start()
    server.start(batcher)
    code = 0
    try:
        while not signals.wait(HEALTH_CHECK_SECONDS):
            dead = [thread.name for thread in (*server.threads, auth_log, enforcer) if not thread.is_alive()]
            if dead:
                log.error(
                    "radius_worker_failed worker=%d dead_threads=%s; exiting to be restarted",
                    index,
                    ",".join(dead),
                )
                code = 1
                break
        server.stop()
    finally:
        auth_log.stop()
        enforcer.stop()
        journal.close()
        engine.dispose()
    log.info("radius_worker_stopped worker=%d", index)
    return code


def _fork_worker(settings: Settings, index: int, workers: int, supervisor: StopSignals) -> int:
    """Fork one worker; signals are held back until the child has its own wake-up pipe."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_ACROSS_FORK)
    pid = os.fork()
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return pid
    code = 1
    try:
        supervisor.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signals = StopSignals()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        code = run_worker(settings, index, workers, signals)
    except Exception:
        log.exception("radius_worker_failed worker=%d", index)
    finally:
        logging.shutdown()
        os._exit(code)


def _reap(children: dict[int, int]) -> list[tuple[int, int, int]]:
    """(pid, worker index, wait status) of every child that has exited."""
    exited = []
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        index = children.pop(pid, None)
        if index is not None:
            exited.append((pid, index, status))
    return exited


def _stop_workers(children: dict[int, int], signals: StopSignals) -> None:
    """SIGTERM every worker and wait while they answer what they hold; SIGKILL any left after the grace."""
    from radius import metrics

    for pid in children:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while children and time.monotonic() < deadline:
        for pid, _index, _status in _reap(children):
            metrics.worker_exited(pid)
        if children:
            signals.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    for pid, index in children.items():
        log.error(
            "radius_worker_killed worker=%d pid=%d: still running %d s after SIGTERM",
            index,
            pid,
            STOP_GRACE_SECONDS,
        )
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        metrics.worker_exited(pid)


def supervise(settings: Settings, workers: int) -> int:
    """Fork the workers, restart any that dies, stop them all on SIGTERM/SIGINT."""
    from hotspot import site_watch
    from radius import metrics

    signals = StopSignals(wake_on=(signal.SIGCHLD,))
    children = {_fork_worker(settings, index, workers, signals): index for index in range(workers)}
    metrics.serve_multiprocess(settings.radius_metrics_port)
    watch = site_watch.start(settings)
    log.info("radius_started workers=%d metrics=127.0.0.1:%d", workers, settings.radius_metrics_port)
    restarts: dict[int, float] = {}
    while not signals.wait(0.5):
        for pid, index, status in _reap(children):
            metrics.worker_exited(pid)
            log.error("radius_worker_died worker=%d status=%d; restarting", index, status)
            restarts[index] = time.monotonic() + RESTART_DELAY
        for index, due in list(restarts.items()):
            if time.monotonic() >= due:
                del restarts[index]
                children[_fork_worker(settings, index, workers, signals)] = index
    _stop_workers(children, signals)
    watch.stop()
    log.info("radius_stopped")
    return 0


def run(settings: Settings, workers: int) -> int:
    """`hotspot radius`: set up logging, claim the journal, supervise the workers; returns the exit status."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"
    )
    if workers < 1:
        log.error("radius_bad_workers workers=%d", workers)
        return 2
    from radius import metrics
    from radius.journal import JournalInUse, JournalUnusable, claim_directory

    try:
        lock = claim_directory(settings.journal_dir, workers)
    except JournalInUse as exc:
        log.error(
            "radius_journal_in_use %s; stop it, or give this server its own HOTSPOT_RADIUS_JOURNAL_DIR", exc
        )
        return 1
    except JournalUnusable as exc:
        log.error(
            "radius_journal_unusable %s; set HOTSPOT_RADIUS_JOURNAL_DIR (radius_journal_dir) to a "
            "directory this server can create and write",
            exc,
        )
        return 2
    try:
        metrics.prepare_multiprocess(Path(settings.var_dir) / "radius-metrics")
        return supervise(settings, workers)
    finally:
        lock.close()
