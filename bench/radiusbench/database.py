"""PostgreSQL for the benchmark: a fresh database per server, and the check of what was stored."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator

import psycopg

from radiusbench.load import Session

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def pg_admin() -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


@contextlib.contextmanager
def fresh_pg_database(name: str, keep: bool) -> Iterator[str]:
    """Create an empty PostgreSQL database for one server and drop it afterwards."""
    with pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if not keep:
            with pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclasses.dataclass(frozen=True)
class Store:
    """How to read a server's sessions back: Acct-Session-Id -> username, session_time,
    input_octets, output_octets (64-bit totals, gigawords included) and its own `closed` marker."""

    read: Callable[[], dict[str, dict]]
    closed: Callable[[dict], bool]


def compare(sessions: list[Session], store: Store, update: int, stopped: bool) -> list[str]:
    """Mismatches between what was sent (and acknowledged) up to `update` and what the database holds.

    `update` indexes Session.updates; after an Interim-Update the session must still be
    open, after the Stop closed.
    """
    stage = "" if stopped else f"after Interim-Update {update + 1}: "
    rows = store.read()
    problems = []
    if len(rows) != len(sessions):
        problems.append(f"{stage}{len(rows)} session rows, expected {len(sessions)}")
    for s in sessions:
        row = rows.get(s.acct_session_id)
        if row is None:
            problems.append(f"{stage}{s.acct_session_id}: missing")
            continue
        counters = s.updates[update]
        want = {
            "username": s.username,
            "session_time": counters.session_time,
            "input_octets": counters.input_octets,
            "output_octets": counters.output_octets,
        }
        for key, value in want.items():
            if row[key] != value:
                problems.append(f"{stage}{s.acct_session_id}: {key} = {row[key]!r}, expected {value!r}")
        if store.closed(row) != stopped:
            problems.append(f"{stage}{s.acct_session_id}: closed is {store.closed(row)} ({row['closed']!r})")
    return problems
