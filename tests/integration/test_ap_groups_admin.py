"""Access point groups and random-MAC figures as admins manage and read them: console, CLI, reports, API."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from hotspot.cli import main
from hotspot.clock import utcnow
from hotspot.models import ApGroup, AuditEvent, Nas, RadiusSession
from hotspot.services.plans import PlanSpec, add_plan
from testbed.helpers import settings_env
from tests.conftest import csrf_token_from
from tests.support.admin_data import add_ap


def post(client, path: str, data) -> object:
    token = csrf_token_from(client.get("/admin/groups").get_data(as_text=True))
    return client.post(path, data=MultiDict([*data, ("csrf_token", token)]))


def test_an_admin_adds_a_group_with_its_sites_and_a_bad_hours_text_is_shown_not_saved(client, login, db):
    add_plan(db, PlanSpec(name="Sehat", daily_minutes=30))
    hospital, beach = add_ap(db, "RSUD Kupang", "10.53.3.0/24"), add_ap(db, "Pantai Lasiana", "10.53.4.0/24")
    db.commit()
    login("admin")
    bad = post(client, "/admin/groups", [("name", "Rumah sakit"), ("opening_hours", "every day 7-17")])
    assert bad.status_code == 400
    assert "opening hours look like" in bad.get_data(as_text=True)
    assert db.scalar(select(ApGroup)) is None
    saved = post(
        client,
        "/admin/groups",
        [
            ("name", "Rumah sakit"),
            ("free_plan", "Sehat"),
            ("opening_hours", "Mon-Fri 07:00-17:00"),
            ("nas", str(hospital.id)),
            ("splash_text", "Harap tenang."),
        ],
    )
    assert saved.status_code == 302
    group = db.scalar(select(ApGroup))
    assert (group.name, group.free_plan.name, group.opening_hours, group.splash_text) == (
        "Rumah sakit",
        "Sehat",
        "mon-fri 07:00-17:00",
        "Harap tenang.",
    )
    db.expire_all()
    assert (db.get(Nas, hospital.id).group_id, db.get(Nas, beach.id).group_id) == (group.id, None)
    page = client.get("/admin/groups?lang=en").get_data(as_text=True)
    assert "Access point groups" in page and "RSUD Kupang" in page and "mon-fri 07:00-17:00" in page
    moved = post(client, f"/admin/groups/{group.id}", [("name", "Rumah sakit"), ("nas", str(beach.id))])
    assert moved.status_code == 302
    db.expire_all()
    assert (db.get(Nas, hospital.id).group_id, db.get(Nas, beach.id).group_id) == (None, group.id)
    assert db.get(ApGroup, group.id).free_plan_id is None  # the city's free plan again
    assert {"group.add", "group.edit", "group.members"} <= set(db.scalars(select(AuditEvent.action)))


def test_a_viewer_reads_groups_but_cannot_change_them(client, login, db):
    login("viewer")
    page = client.get("/admin/groups").get_data(as_text=True)
    assert "Grup titik akses" in page and "Tambah grup" not in page


def test_hotspot_group_add_set_list(settings, engine, db):
    add_plan(db, PlanSpec(name="Sehat", daily_minutes=30))
    add_ap(db, "RSUD Kupang", "10.53.3.0/24")
    add_ap(db, "Puskesmas Oesapa", "10.53.5.0/24")
    db.commit()
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), env=settings_env(settings), catch_exceptions=False)

    assert (
        run(
            "group",
            "add",
            "Kesehatan",
            "--free-plan",
            "Sehat",
            "--hours",
            "mon-sat 07:00-14:00",
            "--nas",
            "RSUD Kupang",
        ).exit_code
        == 0
    )
    assert (
        run(
            "group",
            "set",
            "Kesehatan",
            "--nas",
            "Puskesmas Oesapa",
            "--remove-nas",
            "RSUD Kupang",
            "--splash-text-en",
            "Quiet, please.",
        ).exit_code
        == 0
    )
    refused = run("group", "set", "Kesehatan", "--hours", "mon 18:00-07:00")
    assert refused.exit_code == 2 and "the end comes before the start" in refused.output
    assert json.loads(run("group", "list", "--format", "json").output) == [
        {
            "name": "Kesehatan",
            "free_plan": "Sehat",
            "hours": "mon-sat 07:00-14:00",
            "nas": "Puskesmas Oesapa",
            "splash_text": "",
            "splash_text_en": "Quiet, please.",
        }
    ]


def test_the_reports_show_the_share_of_random_macs_per_access_point(client, login, db):
    park = add_ap(db, "Taman Tirosa", "10.53.1.0/24")
    now = utcnow()
    for n, mac in enumerate(
        ["02:00:00:00:00:01", "02:00:00:00:00:01", "DA:00:00:00:00:02", "00:1A:2B:3C:4D:5E"]
    ):
        db.add(
            RadiusSession(
                unique_id=f"s{n}",
                nas_id=park.id,
                acct_session_id=f"S{n}",
                username=f"t-{n}",
                calling_station_id=mac,
                start_time=now - timedelta(hours=1),
                update_time=now,
                status="closed",
            )
        )
    db.commit()
    login("viewer")
    page = client.get("/admin/reports").get_data(as_text=True)
    row = page.split('id="random-macs"')[1].split("</table>")[0]
    assert "<td>Taman Tirosa</td>" in row
    assert '<td class="num">4</td><td class="num">3</td>' in row  # sessions, random ones
    assert (
        '<td class="num">3</td><td class="num">2</td><td class="num">75%</td>' in row
    )  # devices, random, share
    csv = client.get("/admin/reports.csv?kind=random").get_data(as_text=True)
    assert csv.splitlines() == [
        "nas,sessions,random_sessions,devices,random_devices,random_share",
        "Taman Tirosa,4,3,3,2,0.75",
    ]
