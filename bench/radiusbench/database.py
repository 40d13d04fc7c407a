"""PostgreSQL for the benchmark: a fresh database per server, and the check of what was stored."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

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


def compare(sessions: list[Session], rows: dict[str, dict], closed: Callable[[dict], bool]) -> list[str]:
    """Mismatches between what was sent (and acknowledged) and what the database holds.

    `rows` maps Acct-Session-Id to username, session_time, input_octets, output_octets
    (64-bit totals, gigawords included) and the server's own `closed` marker.
    """
    problems = []
    if len(rows) != len(sessions):
        problems.append(f"{len(rows)} session rows, expected {len(sessions)}")
    for s in sessions:
        row = rows.get(s.acct_session_id)
        if row is None:
            problems.append(f"{s.acct_session_id}: missing")
            continue
        want = {"username": s.username, "session_time": s.final.session_time,
                "input_octets": s.final.input_octets, "output_octets": s.final.output_octets}
        for key, value in want.items():
            if row[key] != value:
                problems.append(f"{s.acct_session_id}: {key} = {row[key]!r}, expected {value!r}")
        if not closed(row):
            problems.append(f"{s.acct_session_id}: not closed ({row['closed']!r})")
    return problems
