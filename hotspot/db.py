"""Database engine and sessions shared by the portal, the daemon and the CLI.

SQLite (WAL, foreign keys on) is the embedded default; PostgreSQL through
psycopg 3 is what several RADIUS workers and portal instances share.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hotspot.files import private_sqlite
from hotspot.settings import PROJECT_ROOT, Settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(settings: Settings, **kwargs) -> Engine:
    """Engine for the configured URL; creates the SQLite file (mode 0600) and its folder when needed.

    Statement parameters are kept out of error messages: a failed insert would otherwise carry a login
    ticket's secret or a citizen's phone number into the log with the traceback."""
    url = make_url(settings.database_url)
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.query.get("mode"):
            private_sqlite(Path(url.database))
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def insert_for(dialect: str):
    """The dialect's INSERT, which speaks ON CONFLICT ... DO UPDATE (SQLite and PostgreSQL alike)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (we hand them to templates)."""
    return sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def alembic_config(settings: Settings):
    """Alembic configuration pointing at migrations/ and the configured database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings) -> None:
    """Bring the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(settings), "head")
