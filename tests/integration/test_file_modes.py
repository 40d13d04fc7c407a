"""Files holding personal data or secrets are created 0600 even under the usual umask 022: the SQLite
database and its WAL companions, backups (SQLite and pg_dump), the RADIUS journal and the secret key."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from hotspot.cli import main
from hotspot.db import make_engine
from hotspot.models import Base
from hotspot.settings import Settings, load_settings
from radius.journal import Journal
from testbed.helpers import settings_env


@pytest.fixture(autouse=True)
def usual_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_database_and_its_wal_files_are_private(tmp_path):
    path = tmp_path / "var" / "hotspot.db"
    engine = make_engine(Settings().with_overrides(database_url=f"sqlite:///{path}"))
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO health_beat (name, beat_at) VALUES ('x', '2026-12-01 00:00:00')"))
        assert {oct(mode(path.with_name(path.name + s))) for s in ("", "-wal", "-shm")} == {oct(0o600)}
    engine.dispose()


def test_backups_are_private(settings, engine, tmp_path):
    archive = tmp_path / "backups" / "hotspot.backup"
    result = CliRunner().invoke(main, ["backup", str(archive)], env=settings_env(settings))
    assert result.exit_code == 0, result.output
    assert archive.stat().st_size > 0 and mode(archive) == 0o600


def test_journal_and_generated_secret_key_are_private(tmp_path):
    journal = Journal(tmp_path / "journal", 0)
    try:
        assert mode(journal.path) == 0o600
    finally:
        journal.close()
    settings = load_settings({"HOTSPOT_VAR_DIR": str(tmp_path / "var")}, config_file=os.devnull)
    assert settings.secret_key and mode(tmp_path / "var" / "secret_key") == 0o600
