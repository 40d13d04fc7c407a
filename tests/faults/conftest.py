"""Fixtures of the fault tests: a database that can be taken away, a NAS, a running daemon.

The pass decides the database: SQLite (locked by another process for an
outage) or, when HOTSPOT_TEST_DATABASE_URL is set, a private PostgreSQL server
(stopped for an outage). Either way the schema comes from `hotspot init`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from hotspot.crypto import SecretBox
from hotspot.db import make_engine, make_session_factory
from hotspot.services.nas import NasSpec, add_nas
from hotspot.settings import Settings
from testbed.radius_daemon import RadiusDaemon
from testbed.servers import hotspot_init
from tests.conftest import TEST_DATABASE_URL
from tests.support.database_outage import PrivatePostgres, SqliteLock

SECRET = b"tirosa-secret-1"
NAS_NAME = "tirosa"


@dataclass
class FaultDatabase:
    """The test's database, an engine on it, and the outage switch (begin/end)."""

    kind: str
    settings: Settings
    engine: Engine
    outage: SqliteLock | PrivatePostgres

    def add_nas(self, name: str, ip: str, secret: bytes, **spec) -> None:
        with make_session_factory(self.engine)() as db:
            add_nas(
                db,
                SecretBox(self.settings.secret_key),
                NasSpec(name=name, ip_range=ip, secret=secret.decode(), **spec),
            )


@pytest.fixture
def fault_db(settings, tmp_path):
    """A fresh database initialised by `hotspot init`, with the NAS `tirosa` on 127.0.0.1."""
    server = PrivatePostgres().create() if TEST_DATABASE_URL else None
    try:
        if server is not None:
            settings = settings.with_overrides(database_url=server.url)
        hotspot_init(settings)
        engine = make_engine(settings)
        outage = server or SqliteLock(Path(make_url(settings.database_url).database))
        database = FaultDatabase("postgresql" if server else "sqlite", settings, engine, outage)
        database.add_nas(NAS_NAME, "127.0.0.1", SECRET)
        try:
            yield database
        finally:
            if isinstance(outage, SqliteLock):
                outage.end()
            engine.dispose()
    finally:
        if server is not None:
            server.destroy()


@pytest.fixture
def start_daemon(tmp_path):
    """`start_daemon(settings, workers=1, process_env=None, **overrides)` runs `hotspot radius`; every
    daemon started is stopped afterwards."""
    daemons = []

    def start(
        settings: Settings, workers: int = 1, process_env: dict[str, str] | None = None, **overrides
    ) -> RadiusDaemon:
        daemon = RadiusDaemon(
            settings.with_overrides(**overrides),
            tmp_path / f"radius-{len(daemons)}.log",
            workers=workers,
            process_env=process_env or {},
        )
        daemons.append(daemon)
        return daemon.start(SECRET)

    yield start
    for daemon in daemons:
        daemon.stop()
