"""`hotspot backup` then `hotspot restore` brings back exactly what was there (SQLite and PostgreSQL)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from hotspot.cli import main
from hotspot.models import Nas, Plan
from testbed.helpers import settings_env


def test_backup_restore_round_trip(settings, engine, db, tmp_path):
    runner = CliRunner()
    env = settings_env(settings)
    assert runner.invoke(main, ["plan", "add", "Gratis", "--daily-minutes", "60"], env=env).exit_code == 0
    assert (
        runner.invoke(
            main, ["nas", "add", "Taman Tirosa", "--ip", "10.53.1.1", "--secret", "tirosa-secret"], env=env
        ).exit_code
        == 0
    )
    archive = tmp_path / "backups" / "hotspot.backup"
    result = runner.invoke(main, ["backup", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    assert archive.stat().st_size > 0

    # Things change after the backup: a plan is deleted, a NAS renamed.
    db.delete(db.scalar(select(Plan)))
    db.scalar(select(Nas)).name = "Renamed"
    db.commit()
    db.close()
    engine.dispose()

    restored = runner.invoke(main, ["restore", "--yes", str(archive)], env=env)
    assert restored.exit_code == 0, restored.output
    db.expire_all()
    assert list(db.scalars(select(Plan.name))) == ["Gratis"]
    assert list(db.scalars(select(Nas.name))) == ["Taman Tirosa"]


def test_restore_refuses_a_missing_file(settings, engine, tmp_path):
    result = CliRunner().invoke(
        main, ["restore", "--yes", str(tmp_path / "nope.backup")], env=settings_env(settings)
    )
    assert result.exit_code == 1
    assert "no backup file at" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(settings, engine, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(main, ["restore", "--yes", str(junk)], env=settings_env(settings))
    assert result.exit_code == 1
    assert "Error:" in result.output
