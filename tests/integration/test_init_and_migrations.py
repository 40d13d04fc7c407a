"""`hotspot init` on an empty database, and the migrations matching the models on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import func, select

from hotspot.cli import main
from hotspot.crypto import verify_password
from hotspot.db import make_engine, make_session_factory
from hotspot.models import (
    AccessPoint,
    AdminUser,
    Alert,
    AuthEvent,
    Base,
    Nas,
    Plan,
    RadiusSession,
    UsageDay,
    UsageHourAp,
)
from hotspot.services.demo import KUPANG_HOTSPOTS
from testbed.helpers import settings_env


def test_migrations_match_models(settings):
    runner = CliRunner()
    result = runner.invoke(
        main, ["init"], env={**settings_env(settings), "HOTSPOT_ADMIN_PASSWORD": "admin-pass-1"}
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(settings)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                },
            ),
            Base.metadata,
        )
    engine.dispose()
    # DateTime(timezone=True) reflects as plain DATETIME on SQLite; anything else is a real drift.
    real = [
        d
        for d in diff
        if not (isinstance(d, list) and d[0][0] == "modify_type" and "DATETIME" in str(d[0][5]).upper())
    ]
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

        def count(model, *where):
            return db.scalar(select(func.count()).select_from(model).where(*where))

        # Two weeks of simulated use, loaded once (the second init added none).
        assert "Loaded two weeks of simulated use" in first.output and "Loaded" not in second.output
        assert (
            count(RadiusSession) > 2000 and count(RadiusSession, RadiusSession.access_point_id.is_(None)) == 0
        )
        assert count(AccessPoint) >= 2 * len(KUPANG_HOTSPOTS) and count(UsageHourAp) > 1000
        assert count(AuthEvent, AuthEvent.accepted.is_(False)) > 50 and count(UsageDay) >= 13 * len(
            KUPANG_HOTSPOTS
        )
        down = db.scalar(select(Nas).where(Nas.name == "Perumnas"))
        assert (
            count(
                RadiusSession, RadiusSession.nas_id == down.id, RadiusSession.start_time > down.last_seen_at
            )
            == 0
        )
        assert [(a.kind, a.subject) for a in db.scalars(select(Alert).where(Alert.kind == "nas_silent"))] == [
            ("nas_silent", "Perumnas")
        ]
    engine.dispose()


def test_init_uses_admin_password_from_environment(settings):
    result = CliRunner().invoke(
        main, ["init"], env={**settings_env(settings), "HOTSPOT_ADMIN_PASSWORD": "from-env-123"}
    )
    assert result.exit_code == 0 and "from-env-123" not in result.output
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        assert verify_password(db.scalar(select(AdminUser)).password_hash, "from-env-123")
    engine.dispose()
