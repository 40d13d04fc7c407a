"""`hotspot init` on an empty database, and the migrations matching the models on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import func, select

from hotspot.cli import main
from hotspot.crypto import verify_password
from hotspot.db import make_engine, make_session_factory
from hotspot.models import AdminUser, Base, Nas, Plan
from hotspot.services.demo import KUPANG_HOTSPOTS
from testbed.helpers import settings_env


def test_migrations_match_models(settings):
    runner = CliRunner()
    result = runner.invoke(main, ["init"], env={**settings_env(settings), "HOTSPOT_ADMIN_PASSWORD": "admin-pass-1"})
    assert result.exit_code == 0, result.output
    engine = make_engine(settings)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={
            "compare_type": True, "render_as_batch": True,
        }), Base.metadata)
    engine.dispose()
    # DateTime(timezone=True) reflects as plain DATETIME on SQLite; anything else is a real drift.
    real = [d for d in diff if not (isinstance(d, list) and d[0][0] == "modify_type"
                                    and "DATETIME" in str(d[0][5]).upper())]
    assert real == []


def test_init_creates_admin_once_and_demo_data(settings):
    runner = CliRunner()
    env = settings_env(settings)
    first = runner.invoke(main, ["init", "--demo"], env=env)
    assert first.exit_code == 0, first.output
    password_line = next(line for line in first.output.splitlines() if "password:" in line)
    password = password_line.rsplit(": ", 1)[1]
    assert "shown only once" in first.output
    second = runner.invoke(main, ["init", "--demo"], env=env)
    assert second.exit_code == 0 and "password" not in second.output
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        admins = list(db.scalars(select(AdminUser)))
        assert [(a.username, a.role) for a in admins] == [("admin", "admin")]
        assert verify_password(admins[0].password_hash, password)
        assert sorted(db.scalars(select(Nas.name))) == sorted(h[0] for h in KUPANG_HOTSPOTS)
        free = db.scalar(select(Plan).where(Plan.free_access.is_(True)))
        assert (free.name, free.down_kbps, free.up_kbps, free.daily_minutes) == ("Gratis", 2048, 1024, 60)
        assert db.scalar(select(func.count()).select_from(Plan)) == 3
    engine.dispose()


def test_init_uses_admin_password_from_environment(settings):
    result = CliRunner().invoke(main, ["init"], env={**settings_env(settings), "HOTSPOT_ADMIN_PASSWORD": "from-env-123"})
    assert result.exit_code == 0 and "from-env-123" not in result.output
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        assert verify_password(db.scalar(select(AdminUser)).password_hash, "from-env-123")
    engine.dispose()
