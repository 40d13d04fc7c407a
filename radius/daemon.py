"""`hotspot radius [--workers N]`: the supervisor process and its RADIUS worker processes.

The supervisor sets up logging, serves the workers' summed metrics on
127.0.0.1:<radius_metrics_port>, forks N workers that each bind the shared
ports (SO_REUSEPORT), restarts a worker that dies, and on SIGTERM/SIGINT asks
every worker to finish and answer the batch in hand before it exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from pathlib import Path

from sqlalchemy import event

from hotspot.crypto import SecretBox
from hotspot.db import is_sqlite, make_engine
from hotspot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("radius.daemon")
LOCK_WAIT_MS = 2000
RESTART_DELAY = 1.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hotspot radius", description="Run the RADIUS server.")
    parser.add_argument("--workers", type=int, help="worker processes sharing the ports")
    return parser.parse_args(argv)


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


def run_worker(settings: Settings, index: int, workers: int = 1) -> int:
    """One worker: sockets, handler, batcher; returns when SIGTERM has been honoured."""
    from radius.authlog import AuthLog
    from radius.batcher import Batcher
    from radius.enforcement import QuotaEnforcer
    from radius.clients import ClientTable
    from hotspot.radius_dictionary import load_dictionary
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
    handler = Handler(engine, clients, load_dictionary(settings.radius_dictionary_dir), metrics, settings.timezone,
                      auth_log.submit, plans_reload_seconds=settings.radius_client_reload_seconds)
    auth_socket = bind_udp(settings.radius_bind, settings.radius_auth_port)
    spread_by_identifier(auth_socket, workers)  # accounting stays by source: a router's rows on one worker
    server = Server(handler, auth_socket, bind_udp(settings.radius_bind, settings.radius_acct_port))
    journal = Journal(settings.journal_dir, index)
    enforcer = QuotaEnforcer(settings, engine, box, metrics)
    batcher = Batcher(engine, journal, metrics, batch_max=settings.radius_batch_max,
                      wait_ms=settings.radius_batch_wait_ms, stale_grace=settings.radius_stale_grace_seconds,
                      answer=server.answer_accounting, drop=server.drop_accounting, watch=enforcer.watch)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: server.stopping.set())
    log.info("radius_worker_ready worker=%d pid=%d auth=%s:%d acct=%s:%d", index, os.getpid(),
             settings.radius_bind, settings.radius_auth_port, settings.radius_bind, settings.radius_acct_port)
    enforcer.start()
    auth_log.start()
    try:
        server.serve(batcher)
    finally:
        auth_log.stop()
        enforcer.stop()
        journal.close()
        engine.dispose()
    log.info("radius_worker_stopped worker=%d", index)
    return 0


def _fork_worker(settings: Settings, index: int, workers: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = run_worker(settings, index, workers)
        except Exception:
            log.exception("radius_worker_failed worker=%d", index)
        finally:
            logging.shutdown()
            os._exit(code)
    return pid


def supervise(settings: Settings, workers: int) -> int:
    """Fork the workers, restart any that dies, stop them all on SIGTERM/SIGINT."""
    from hotspot import site_watch
    from radius import metrics

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    children = {_fork_worker(settings, index, workers): index for index in range(workers)}
    metrics.serve_multiprocess(settings.radius_metrics_port)
    watch = site_watch.start(settings)
    log.info("radius_started workers=%d metrics=127.0.0.1:%d", workers, settings.radius_metrics_port)
    while not stopping.is_set() and children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            stopping.wait(0.2)
            continue
        index = children.pop(pid)
        metrics.worker_exited(pid)
        if not stopping.is_set():
            log.error("radius_worker_died worker=%d status=%d; restarting", index, status)
            time.sleep(RESTART_DELAY)
            children[_fork_worker(settings, index, workers)] = index
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    for pid in list(children):
        os.waitpid(pid, 0)
        metrics.worker_exited(pid)
    watch.stop()
    log.info("radius_stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `hotspot radius`; returns the exit status."""
    args = _parse(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"hotspot radius: {exc}")
        return 2
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(process)d %(name)s %(message)s")
    workers = args.workers or settings.radius_workers
    if workers < 1:
        log.error("radius_bad_workers workers=%d", workers)
        return 2
    from radius import metrics

    metrics.prepare_multiprocess(Path(settings.var_dir) / "radius-metrics")
    return supervise(settings, workers)
