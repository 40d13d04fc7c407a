"""Backup and restore of the hotspot database.

SQLite uses the online backup API, so a copy is consistent while the portal and
RADIUS keep writing. PostgreSQL uses pg_dump's custom format and pg_restore,
the tools every PostgreSQL admin already trusts.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from hotspot.files import private_file
from hotspot.settings import Settings


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says what to fix."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore from a SQLAlchemy URL (password via environment)."""
    args = [
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--dbname",
        url.database or "postgres",
    ]
    env = {"PGPASSWORD": url.password} if url.password else {}
    options = url.query.get("options")
    if options:
        env["PGOPTIONS"] = options if isinstance(options, str) else " ".join(options)
    return args, env


def _schema(url: URL) -> str | None:
    """The schema a `-csearch_path=…` option selects, so pg_dump saves only that one."""
    options = url.query.get("options")
    if isinstance(options, str) and options.startswith("-csearch_path="):
        return options.split("=", 1)[1]
    return None


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def backup(settings: Settings, destination: Path) -> Path:
    """Write a consistent copy of the database to `destination` and return it."""
    url = make_url(settings.database_url)
    private_file(destination)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(destination)
        try:
            with target:
                source.backup(target)
        finally:
            source.close()
            target.close()
        return destination
    args, env = _libpq_args(url)
    schema = _schema(url)
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            *(["--schema", schema] if schema else []),
            "--file",
            str(destination),
            *args,
        ],
        env,
    )
    return destination


def restore(settings: Settings, source: Path) -> None:
    """Replace the database's contents with a backup made by `backup`."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database")
            with target:
                backup_db.backup(target)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from exc
        finally:
            backup_db.close()
            target.close()
        return
    args, env = _libpq_args(url)
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
        env,
    )
