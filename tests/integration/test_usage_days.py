"""Daily roll-ups folded from the hourly ones: local days, late accounting, and reports equal to the hourly
sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from hotspot.models import UsageDay, UsageHour
from hotspot.services import usage_days, usage_reports
from tests.support.admin_data import add_ap, add_usage

TZ = "Asia/Makassar"  # UTC+8


def test_hours_fold_into_local_days_once_the_day_is_over(db):
    nas = add_ap(db, "Taman Tirosa", "10.53.1.1")
    add_usage(db, nas, datetime(2026, 11, 1, 15, tzinfo=UTC), 2, 10, 100, 60)  # 1 Nov 23:00 local
    add_usage(db, nas, datetime(2026, 11, 1, 16, tzinfo=UTC), 3, 20, 200, 60)  # 2 Nov 00:00 local
    add_usage(db, nas, datetime(2026, 11, 3, 1, tzinfo=UTC), 5, 30, 300, 60)  # today, 3 Nov 09:00
    db.commit()
    now = datetime(2026, 11, 3, 2, tzinfo=UTC)
    assert usage_days.refresh(db, now, TZ) == 2
    rows = [(r.day, r.sessions, r.output_octets) for r in db.scalars(select(UsageDay).order_by(UsageDay.day))]
    assert rows == [(date(2026, 11, 1), 2, 100), (date(2026, 11, 2), 3, 200)]
    assert usage_days.refresh(db, now, TZ) == 0


def test_late_accounting_within_the_overlap_is_folded_again(db):
    nas = add_ap(db, "Taman Tirosa", "10.53.1.1")
    add_usage(db, nas, datetime(2026, 11, 1, 4, tzinfo=UTC), 1, 1, 1)
    db.commit()
    usage_days.refresh(db, datetime(2026, 11, 2, 4, tzinfo=UTC), TZ)
    hour = db.scalar(select(UsageHour))
    hour.sessions = 4
    db.commit()
    assert usage_days.refresh(db, datetime(2026, 11, 4, 4, tzinfo=UTC), TZ) == 5  # 30 Oct .. 3 Nov
    assert db.scalar(select(UsageDay.sessions).where(UsageDay.day == date(2026, 11, 1))) == 4


def test_days_follow_daylight_saving(db):
    nas = add_ap(db, "Berlin test", "10.53.1.1")
    # 25 Oct 2026: Berlin goes from UTC+2 to UTC+1, so that local day has 25 hours (22:00 UTC .. 23:00 UTC).
    for hour in range(25):
        add_usage(db, nas, datetime(2026, 10, 24, 22, tzinfo=UTC) + timedelta(hours=hour), 1, 0, 0)
    db.commit()
    usage_days.refresh(db, datetime(2026, 10, 27, tzinfo=UTC), "Europe/Berlin")
    assert db.scalar(select(UsageDay.sessions).where(UsageDay.day == date(2026, 10, 25))) == 25


def test_monthly_report_equals_the_hourly_sums(db):
    first, second = add_ap(db, "Taman Tirosa", "10.53.1.1"), add_ap(db, "Pantai Warna", "10.53.2.1")
    start = datetime(2026, 8, 1, tzinfo=UTC)
    for n in range(0, 24 * 100, 7):
        add_usage(db, first if n % 2 else second, start + timedelta(hours=n), n % 5 + 1, n, 2 * n, 3)
    db.commit()
    now = start + timedelta(days=99, hours=5)
    since, until = (
        datetime(2026, 7, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 30, 16, tzinfo=UTC),
    )
    rows = usage_reports.usage_by_period(db, "month", since, until, TZ, now)
    assert [r.period for r in rows] == ["2026-11-01"] * 2 + ["2026-10-01"] * 2 + ["2026-09-01"] * 2 + [
        "2026-08-01"
    ] * 2
    assert sum(r.bucket.sessions for r in rows) == sum(db.scalars(select(UsageHour.sessions)))
    assert sum(r.bucket.output_octets for r in rows) == sum(db.scalars(select(UsageHour.output_octets)))
    september = {r.nas: r.bucket.sessions for r in rows if r.period == "2026-09-01"}
    expected = {"Taman Tirosa": 0, "Pantai Warna": 0}
    for hour in db.scalars(select(UsageHour)):
        local = hour.hour + timedelta(hours=8)
        if local.month == 9:
            expected["Taman Tirosa" if hour.nas_id == first.id else "Pantai Warna"] += hour.sessions
    assert september == expected
    weeks = usage_reports.usage_by_period(db, "week", since, until, TZ, now)
    assert {date.fromisoformat(r.period).weekday() for r in weeks} == {0}
    assert sum(r.bucket.sessions for r in weeks) == sum(r.bucket.sessions for r in rows)


def test_rollup_command_folds_and_rebuilds(db, settings):
    from click.testing import CliRunner

    from hotspot.cli import main
    from testbed.helpers import settings_env

    nas = add_ap(db, "Taman Tirosa", "10.53.1.1")
    add_usage(db, nas, datetime(2026, 1, 1, 4, tzinfo=UTC), 1, 1, 1)
    db.commit()
    first = CliRunner().invoke(main, ["rollup"], env=settings_env(settings))
    assert first.exit_code == 0, first.output
    folded = int(first.output.split()[1])
    assert folded >= 300 and first.output == f"Folded {folded} days.\n"
    assert CliRunner().invoke(main, ["rollup"], env=settings_env(settings)).output == "Folded 0 days.\n"
    again = CliRunner().invoke(main, ["rollup", "--rebuild"], env=settings_env(settings))
    assert again.output == f"Folded {folded} days.\n"
