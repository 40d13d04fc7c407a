"""The `hotspot` command: set-up, data management and starting the servers.

Every command reads the same settings as the servers, talks to the database
through hotspot.services, prints a clear message and exits non-zero on bad input.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot import backup, credentials
from hotspot.clock import utcnow
from hotspot.crypto import SecretBox, new_token
from hotspot.csvsafe import SafeDictWriter
from hotspot.db import make_engine, make_session_factory, migrate
from hotspot.models import NAS_VENDORS, AdminUser
from hotspot.services import (
    access_points,
    admins,
    ap_groups,
    blocking,
    citizens,
    demo,
    devices,
    disconnects,
    retention,
    usage,
    usage_days,
    vouchers,
)
from hotspot.services.nas import NasSpec, add_nas, list_nas
from hotspot.services.plans import PlanSpec, add_plan, list_plans
from hotspot.services.sessions import SessionFilter, list_sessions, parse_time, session_to_dict
from hotspot.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from hotspot.signals import StopSignals
from hotspot.validation import ValidationError

FORMATS = click.Choice(["table", "json", "csv"])


@dataclass
class Context:
    """Settings and a lazily opened database, shared by the subcommands."""

    settings: Settings

    @cached_property
    def engine(self):
        return make_engine(self.settings)

    def session(self) -> Session:
        return make_session_factory(self.engine)()

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox(self.settings.secret_key)


pass_context = click.make_pass_decorator(Context)


def fail_on_bad_input(func):
    """Turn a ValidationError into click's usage-style error: message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            raise click.UsageError(str(exc)) from exc

    return wrapper


def emit(rows: list[dict], fmt: str, columns: tuple[str, ...] | None = None) -> None:
    """Print rows as an aligned table, a JSON array or CSV."""
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    columns = columns or (tuple(rows[0]) if rows else ())
    if fmt == "csv":
        buffer = io.StringIO()
        writer = SafeDictWriter(buffer, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
        return
    if not rows:
        click.echo("(none)")
        return
    cells = [[("" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


def read_password(password_stdin: bool, prompt: str = "Password") -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """City hotspot: captive portal and RADIUS server for free public Wi-Fi."""
    try:
        ctx.obj = Context(load_settings())
    except SettingsError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from exc
    ctx.call_on_close(ctx.obj.close)


@main.command(name="init")
@click.option(
    "--demo",
    "demo_data",
    is_flag=True,
    help="Also load Kota Kupang's ten hotspots, the default plans and two weeks of simulated use.",
)
@pass_context
def init_command(ctx: Context, demo_data: bool) -> None:
    """Migrate the database and create the first admin (named `admin`) if there is none."""
    migrate(ctx.settings)
    with ctx.session() as db:
        if db.scalar(select(func.count()).select_from(AdminUser)) == 0:
            password = os.environ.get("HOTSPOT_ADMIN_PASSWORD")
            generated = not password
            password = password or new_token(12)
            admins.create_admin(db, "admin", password, "admin", actor="init")
            if generated:
                click.echo(f"Created admin 'admin' with password: {password}")
                click.echo("This password is shown only once; change it after signing in.")
            else:
                click.echo("Created admin 'admin' with the password from HOTSPOT_ADMIN_PASSWORD.")
        if demo_data:
            created = demo.load_demo(db, ctx.box)
            for name, secret in created.items():
                click.echo(f"Added hotspot {name!r}; RADIUS secret (shown once): {secret}")
            if created:
                _load_demo_history(ctx, db)
    click.echo(f"Database ready: {ctx.engine.url.render_as_string(hide_password=True)}")


def _load_demo_history(ctx: Context, db: Session) -> None:
    """Two weeks of simulated use through the RADIUS code, the days folded and the alerts checked once."""
    from hotspot import site_watch
    from radius.demo_history import DOWN_SITE, load_history

    sessions = load_history(ctx.engine, utcnow(), ctx.settings.timezone)
    if sessions:
        usage_days.refresh(db, utcnow(), ctx.settings.timezone)
        site_watch.check(db, ctx.settings)
        click.echo(
            f"Loaded two weeks of simulated use: {sessions} sessions ({DOWN_SITE} went down yesterday)."
        )


@main.group()
def admin() -> None:
    """Console admins and their API tokens."""


@admin.command(name="create")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "operator", "viewer"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
@fail_on_bad_input
def admin_create(ctx: Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a console admin with a role: admin, operator or viewer."""
    password = read_password(password_stdin)
    with ctx.session() as db:
        admins.create_admin(db, name, password, role)
    click.echo(f"Created {role} {name!r}.")


@admin.command(name="token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@pass_context
@fail_on_bad_input
def admin_token(ctx: Context, name: str, label: str) -> None:
    """Print a new API token for an admin (shown once; use as `Authorization: Bearer TOKEN`)."""
    with ctx.session() as db:
        click.echo(admins.create_api_token(db, name, label))


@main.group()
def nas() -> None:
    """Hotspot routers (RADIUS clients)."""


@nas.command(name="add")
@click.argument("name")
@click.option(
    "--ip", "ip_range", required=True, help="Source IP address or CIDR block of its RADIUS packets."
)
@click.option("--secret", required=True, help="RADIUS shared secret (at least 8 characters).")
@click.option("--vendor", type=click.Choice(NAS_VENDORS), default="generic", show_default=True)
@click.option("--location", default="", help="Location name shown to citizens.")
@click.option("--latitude", type=float)
@click.option("--longitude", type=float)
@click.option(
    "--identifier",
    help="NAS-Identifier / MikroTik identity / Chilli nasid; with a range shared "
    "by several routers (--ip 0.0.0.0/0, behind NAT) it picks this NAS, and Message-Authenticator "
    "is required.",
)
@click.option("--require-message-authenticator", is_flag=True)
@click.option("--uam-secret", help="CoovaChilli's uamsecret.")
@click.option(
    "--login-host",
    help="The router's own login address (hotspot DNS name or gateway IP); "
    "default: the vendor's factory address (MikroTik 10.5.50.1, CoovaChilli 10.1.0.1).",
)
@pass_context
@fail_on_bad_input
def nas_add(
    ctx: Context,
    name,
    ip_range,
    secret,
    vendor,
    location,
    latitude,
    longitude,
    identifier,
    require_message_authenticator,
    uam_secret,
    login_host,
) -> None:
    """Register a hotspot router."""
    spec = NasSpec(
        name=name,
        ip_range=ip_range,
        secret=secret,
        vendor=vendor,
        location_name=location or name,
        latitude=latitude,
        longitude=longitude,
        identifier=identifier,
        require_message_authenticator=require_message_authenticator,
        uam_secret=uam_secret,
        login_host=login_host,
    )
    with ctx.session() as db:
        record = add_nas(db, ctx.box, spec)
    click.echo(f"Added NAS {record.name!r} ({record.ip_range}, {record.vendor}).")


@nas.command(name="list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
def nas_list(ctx: Context, fmt: str) -> None:
    """List hotspot routers."""
    with ctx.session() as db:
        rows = [
            {
                "name": n.name,
                "ip": n.ip_range,
                "vendor": n.vendor,
                "location": n.location_name,
                "identifier": n.identifier,
                "message_authenticator": n.require_message_authenticator,
                "login_host": n.login_host,
                "active": n.active,
                "last_seen": n.last_seen_at.isoformat() if n.last_seen_at else None,
                "last_address": n.last_address,
            }
            for n in list_nas(db)
        ]
    emit(
        rows,
        fmt,
        (
            "name",
            "ip",
            "vendor",
            "location",
            "identifier",
            "message_authenticator",
            "login_host",
            "active",
            "last_seen",
            "last_address",
        ),
    )


@main.group()
def ap() -> None:
    """Access points: the radios each NAS has been heard through."""


@ap.command(name="list")
@click.option("--nas", "nas_name", help="Only this NAS's access points.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
def ap_list(ctx: Context, nas_name: str | None, fmt: str) -> None:
    """List access points with their NAS, place, last heard and state."""
    with ctx.session() as db:
        rows = [
            access_points.ap_to_dict(row)
            for row in access_points.list_access_points(db, utcnow(), ctx.settings, nas_name)
        ]
    emit(rows, fmt, access_points.AP_FIELDS)


@ap.command(name="set")
@click.argument("radio_mac")
@click.option("--nas", "nas_name", help="The NAS, when the radio was heard under several.")
@click.option("--name", help="Name shown in lists and on the map (at most 64 characters).")
@click.option("--location", help="Where it is.")
@click.option("--lat", type=float, help="Latitude (with --lon).")
@click.option("--lon", type=float, help="Longitude (with --lat).")
@pass_context
@fail_on_bad_input
def ap_set(ctx: Context, radio_mac, nas_name, name, location, lat, lon) -> None:
    """Name and place an access point; options not given keep their value."""
    if (lat is None) != (lon is None):
        raise ValidationError("give both --lat and --lon, or neither")
    with ctx.session() as db:
        point = access_points.find_by_radio(db, radio_mac, nas_name)
        keep_position = lat is None
        access_points.update_access_point(
            db,
            point,
            point.name if name is None else name,
            point.location_name if location is None else location,
            point.latitude if keep_position else lat,
            point.longitude if keep_position else lon,
        )
        click.echo(
            f"Access point {point.radio_mac or point.nas.name!r} of {point.nas.name!r}: "
            f"name {point.name!r}, location {point.location_name!r}."
        )


@main.group()
def plan() -> None:
    """Fair-use plans."""


@plan.command(name="add")
@click.argument("name")
@click.option("--session-minutes", type=int)
@click.option("--daily-minutes", type=int)
@click.option("--daily-mb", type=int)
@click.option("--down-kbps", type=int)
@click.option("--up-kbps", type=int)
@click.option("--valid-days", type=int, help="Voucher validity from first use.")
@click.option("--idle-timeout", "idle_timeout_seconds", type=int, default=600, show_default=True)
@click.option("--interim-interval", "interim_interval_seconds", type=int, default=300, show_default=True)
@click.option("--free-access", is_flag=True, help="Make this the click-through plan.")
@click.option("--mac-relogin", is_flag=True, help="Let returning devices in by MAC the same day.")
@click.option(
    "--throttle-kbps",
    type=int,
    help="Once today's quota is used: slow to this rate (down and up) instead of cutting off.",
)
@click.option("--max-sessions", type=int, help="Sessions at once per account or voucher (e.g. 2 phones).")
@click.option(
    "--random-mac-limit",
    type=int,
    help="Free plan: random MACs a site lets in per day; more are asked to sign in with a phone number.",
)
@pass_context
@fail_on_bad_input
def plan_add(ctx: Context, name: str, **limits) -> None:
    """Add a plan."""
    with ctx.session() as db:
        add_plan(db, PlanSpec(name=name, **limits))
    click.echo(f"Added plan {name!r}.")


@plan.command(name="list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
def plan_list(ctx: Context, fmt: str) -> None:
    """List plans."""
    columns = (
        "name",
        "session_minutes",
        "daily_minutes",
        "daily_mb",
        "down_kbps",
        "up_kbps",
        "valid_days",
        "throttle_kbps",
        "max_sessions",
        "free_access",
        "mac_relogin",
        "random_mac_limit",
        "active",
    )
    with ctx.session() as db:
        rows = [{c: getattr(p, c) for c in columns} for p in list_plans(db)]
    emit(rows, fmt, columns)


@main.group()
def group() -> None:
    """Access point groups: their own free plan, opening hours and splash text."""


def _group_options(command):
    for option in reversed(
        (
            click.option("--free-plan", help="Plan name for free access at its sites (default: the city's)."),
            click.option(
                "--hours",
                "opening_hours",
                help="Opening hours, local time: 'mon-fri 07:00-17:00; "
                "sat 08:00-12:00' (empty: always open).",
            ),
            click.option("--splash-text", help="Shown on the splash page (Indonesian)."),
            click.option("--splash-text-en", help="Shown on the English splash page."),
            click.option("--nas", "add", multiple=True, help="Put this NAS in the group (repeatable)."),
        )
    ):
        command = option(command)
    return command


@group.command(name="add")
@click.argument("name")
@_group_options
@pass_context
@fail_on_bad_input
def group_add(ctx: Context, name: str, add: tuple[str, ...], **values) -> None:
    """Add a group."""
    with ctx.session() as db:
        record = ap_groups.add_group(db, ap_groups.GroupSpec(name, **{k: v or "" for k, v in values.items()}))
        if add:
            ap_groups.set_members(db, record, list(add), [])
    click.echo(f"Added group {name!r}.")


@group.command(name="set")
@click.argument("name")
@_group_options
@click.option("--rename", help="New name.")
@click.option("--remove-nas", "remove", multiple=True, help="Take this NAS out of the group (repeatable).")
@pass_context
@fail_on_bad_input
def group_set(
    ctx: Context, name: str, add: tuple[str, ...], remove: tuple[str, ...], rename: str | None, **values
) -> None:
    """Change a group: only the options given change."""
    with ctx.session() as db:
        record = ap_groups.find_group(db, name, required=True)
        current = {
            "free_plan": record.free_plan.name if record.free_plan else None,
            "opening_hours": record.opening_hours,
            "splash_text": record.splash_text,
            "splash_text_en": record.splash_text_en,
        }
        changed = {k: v for k, v in values.items() if v is not None}
        if changed or rename:
            ap_groups.update_group(db, record, ap_groups.GroupSpec(rename or name, **{**current, **changed}))
        if add or remove:
            ap_groups.set_members(db, record, list(add), list(remove))
    click.echo(f"Saved group {rename or name!r}.")


@group.command(name="list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
def group_list(ctx: Context, fmt: str) -> None:
    """List groups with their rules and sites."""
    with ctx.session() as db:
        rows = [
            {
                "name": g.name,
                "free_plan": g.free_plan.name if g.free_plan else None,
                "hours": g.opening_hours,
                "nas": ",".join(n.name for n in ap_groups.members(db, g)),
                "splash_text": g.splash_text,
                "splash_text_en": g.splash_text_en,
            }
            for g in ap_groups.list_groups(db)
        ]
    emit(rows, fmt, ("name", "free_plan", "hours", "nas", "splash_text", "splash_text_en"))


@main.group()
def account() -> None:
    """Registered citizens."""


@account.command(name="add")
@click.argument("phone")
@click.option("--plan", "plan_name", help="Plan name; the free plan's limits apply without one.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
@fail_on_bad_input
def account_add(ctx: Context, phone: str, plan_name: str | None, password_stdin: bool) -> None:
    """Register a citizen by phone number (08… is taken as Indonesian)."""
    password = read_password(password_stdin)
    with ctx.session() as db:
        record = citizens.add_account(db, phone, password, plan_name)
    click.echo(f"Added account {record.phone}.")


@main.group()
def voucher() -> None:
    """Voucher codes."""


@voucher.command(name="generate")
@click.option("--plan", "plan_name", required=True)
@click.option("--count", type=int, required=True)
@click.option("--batch", help="Batch label (default: plan and time).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
@fail_on_bad_input
def voucher_generate(ctx: Context, plan_name: str, count: int, batch: str | None, fmt: str) -> None:
    """Generate voucher codes and print them."""
    with ctx.session() as db:
        created = vouchers.generate_vouchers(db, plan_name, count, batch)
        rows = [{"code": v.code, "plan": v.plan.name, "batch": v.batch} for v in created]
    emit(rows, fmt, ("code", "plan", "batch"))


@voucher.command(name="list")
@click.option("--plan", "plan_name", help="Plan name.")
@click.option("--batch", help="Batch label.")
@click.option("--status", type=click.Choice(credentials.VOUCHER_STATUSES))
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
@fail_on_bad_input
def voucher_list(
    ctx: Context, plan_name: str | None, batch: str | None, status: str | None, fmt: str
) -> None:
    """Vouchers with their status (new, active, expired, revoked), as the console shows them."""
    now = utcnow()
    with ctx.session() as db:
        found = vouchers.list_vouchers(db, now, plan_name, batch, status)
        rows = [vouchers.voucher_to_dict(v, now) for v in found]
    emit(rows, fmt, ("code", "plan", "batch", "status", "first_used_at", "expires_at"))


@main.group()
def device() -> None:
    """Citizens' devices by MAC: list, block, unblock."""


@device.command(name="list")
@click.option("--blocked", is_flag=True, help="Only blocked devices.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
def device_list(ctx: Context, blocked: bool, fmt: str) -> None:
    """Devices, most recently seen first."""
    with ctx.session() as db:
        rows = [devices.device_to_dict(d) for d in devices.list_devices(db, blocked)]
    emit(rows, fmt, ("mac", "phone", "first_seen", "last_seen", "blocked"))


def _set_blocked(ctx: Context, mac: str, blocked: bool, reason: str | None = None) -> None:
    with ctx.session() as db:
        found = blocking.set_device_blocked(db, mac, blocked, utcnow(), "cli", reason=reason)
        click.echo(f"{found.mac} {'blocked' if blocked else 'unblocked'}")
        if blocked:
            online = disconnects.open_sessions(db, device_id=found.id)
            reached = disconnects.cut_off(db, ctx.settings, ctx.box, online, "cli", found.mac)
            if reached.results:
                click.echo(
                    f"Disconnect sent to {len(reached.results)} open session(s): "
                    f"{reached.count('ack')} acknowledged, {reached.count('nak')} refused, "
                    f"{reached.unanswered} unanswered."
                )


@device.command(name="block")
@click.argument("mac")
@click.option("--reason", help="Why (kept in the audit log).")
@pass_context
@fail_on_bad_input
def device_block(ctx: Context, mac: str, reason: str | None) -> None:
    """Block a MAC (any spelling), also one never seen yet; it is refused at its next login."""
    _set_blocked(ctx, mac, True, reason)


@device.command(name="unblock")
@click.argument("mac")
@pass_context
@fail_on_bad_input
def device_unblock(ctx: Context, mac: str) -> None:
    """Let a blocked MAC in again."""
    _set_blocked(ctx, mac, False)


@main.command()
@click.option("--active", is_flag=True, help="Only sessions still open.")
@click.option("--nas", "nas_name", help="NAS name.")
@click.option("--ap", "ap", help="Access point radio MAC or name.")
@click.option("--user", help="User-Name.")
@click.option("--mac", help="Client MAC (any spelling).")
@click.option("--ip", help="Framed IP address.")
@click.option("--since", help="ISO 8601 start time (UTC if no offset).")
@click.option("--until", help="ISO 8601 end time.")
@click.option("--status", type=click.Choice(["active", "closed", "stale"]))
@click.option("--limit", type=int, default=1000, show_default=True)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
@fail_on_bad_input
def sessions(ctx: Context, active, nas_name, ap, user, mac, ip, since, until, status, limit, fmt) -> None:
    """The session log, newest first."""
    session_filter = SessionFilter(
        nas=nas_name,
        ap=ap,
        user=user,
        mac=mac,
        ip=ip,
        since=parse_time(since),
        until=parse_time(until),
        status="active" if active else status,
    )
    with ctx.session() as db:
        rows = [session_to_dict(s) for s in list_sessions(db, session_filter, limit)]
    emit(
        rows,
        fmt,
        (
            "username",
            "nas",
            "acct_session_id",
            "calling_station_id",
            "framed_ip",
            "start_time",
            "stop_time",
            "session_time",
            "input_octets",
            "output_octets",
            "terminate_cause",
            "status",
            "access_point",
        ),
    )


@main.command(name="usage")
@click.option("--by", type=click.Choice(usage.USAGE_GROUPINGS), required=True)
@click.option("--since", help="ISO 8601 start time (UTC if no offset).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_context
@fail_on_bad_input
def usage_command(ctx: Context, by: str, since: str | None, fmt: str) -> None:
    """Traffic and sessions per access point, per user or per hour."""
    with ctx.session() as db:
        rows = usage.usage(db, by, parse_time(since))
    emit(rows, fmt)


@main.command()
@click.option(
    "--rebuild", is_flag=True, help="Fold every day again (after a long outage or a timezone change)."
)
@pass_context
def rollup(ctx: Context, rebuild: bool) -> None:
    """Fold finished days of the hourly usage into the daily roll-up (reports also do it on demand)."""
    with ctx.session() as db:
        fold = usage_days.rebuild if rebuild else usage_days.refresh
        folded = fold(db, utcnow(), ctx.settings.timezone)
    click.echo(f"Folded {folded} days.")


@main.command()
@click.option("--older-than", "days", type=int, required=True, help="Retention in days.")
@pass_context
@fail_on_bad_input
def purge(ctx: Context, days: int) -> None:
    """Replace personal data (MAC, phone, IP, user names) older than DAYS with keyed pseudonyms, in every
    table (docs/admin.md "Data retention")."""
    with ctx.session() as db:
        result = retention.purge(db, ctx.settings.secret_key, days, utcnow())
    click.echo(result.summary())


@main.command(name="backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def backup_command(ctx: Context, destination: Path) -> None:
    """Write a consistent backup of the database (SQLite copy, or pg_dump custom format)."""
    try:
        backup.backup(ctx.settings, destination)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {destination}.")


@main.command(name="restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_context
def restore_command(ctx: Context, source: Path, yes: bool) -> None:
    """Replace the database's contents with a backup. Stop the portal and RADIUS first."""
    if not yes:
        click.confirm(
            f"Replace everything in {ctx.engine.url.render_as_string(hide_password=True)}?", abort=True
        )
    try:
        backup.restore(ctx.settings, source)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored from {source}.")


@main.command()
@click.argument("vendor", type=click.Choice(["mikrotik", "chilli"]))
@click.option(
    "--portal", "portal_url", required=True, help="The splash page's address, e.g. http://127.0.0.1:8080"
)
@click.option("--radius", "radius_host", required=True, help="RADIUS server host.")
@click.option("--auth-port", type=int, default=1812, show_default=True)
@click.option("--acct-port", type=int, default=1813, show_default=True)
@click.option("--secret", required=True, help="The NAS's RADIUS shared secret.")
@click.option(
    "--identity",
    default="taman-tirosa",
    show_default=True,
    help="MikroTik identity / Chilli nasid (the NAS's identifier).",
)
@click.option("--router-ip", default="10.5.50.1", show_default=True, help="The router's own login address.")
@click.option("--uam-secret", help="Chilli's uamsecret (signs the redirect with md).")
@click.option("--mac", default="02:00:00:00:00:01", show_default=True, help="The simulated phone's MAC.")
@click.option(
    "--client-ip", default="10.5.50.23", show_default=True, help="The phone's IP (Framed-IP-Address)."
)
@click.option(
    "--nas-ip",
    default="127.0.0.1",
    show_default=True,
    help="The router's RADIUS source address (within the NAS's --ip); packets are sent from it.",
)
@click.option(
    "--way", type=click.Choice(["free", "account", "voucher", "mac"]), default="free", show_default=True
)
@click.option("--phone", help="For --way account.")
@click.option("--password", help="For --way account.")
@click.option("--voucher", "code", help="For --way voucher.")
@click.option(
    "--interims", type=int, default=1, show_default=True, help="Interim-Updates between Start and Stop."
)
@click.option(
    "--octets",
    type=int,
    default=1_000_000,
    show_default=True,
    help="Bytes downloaded per interval (a quarter of it uploaded).",
)
@click.option("--no-logout", is_flag=True, help="End with Session-Timeout instead of the citizen's logout.")
@pass_context
def simulate(
    ctx: Context,
    vendor,
    portal_url,
    radius_host,
    auth_port,
    acct_port,
    secret,
    identity,
    router_ip,
    uam_secret,
    mac,
    client_ip,
    nas_ip,
    way,
    phone,
    password,
    code,
    interims,
    octets,
    no_logout,
) -> None:
    """Play a MikroTik or CoovaChilli router: splash page, RADIUS login, accounting. Exit 1 if refused."""
    from hotspot.simulate import Router, RouterConfig, SimulationError, Way

    router = Router(
        RouterConfig(
            vendor=vendor,
            portal=portal_url,
            radius_host=radius_host,
            auth_port=auth_port,
            acct_port=acct_port,
            secret=secret,
            identity=identity,
            router_ip=router_ip,
            uam_secret=uam_secret,
            mac=mac,
            client_ip=client_ip,
            nas_ip=nas_ip,
            dictionary_dir=ctx.settings.radius_dictionary_dir,
        ),
        echo=click.echo,
    )
    try:
        result = router.run(
            Way(way, phone=phone, password=password, code=code),
            interims=interims,
            octets=octets,
            logout=not no_logout,
        )
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        router.close()
    if not result.accepted:
        click.echo("Result: not online (" + (result.refused_by_portal or "RADIUS rejected the login") + ")")
        sys.exit(1)
    click.echo(
        f"Result: online as {result.username}, session {result.acct_session_id} closed after "
        f"{result.input_octets} bytes up and {result.output_octets} bytes down."
    )


@main.command()
@pass_context
def portal(ctx: Context) -> None:
    """Run the captive portal and admin console under gunicorn."""
    config = PROJECT_ROOT / "config" / "gunicorn.conf.py"
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(config), "portal.wsgi:app"])


def _radius_available() -> bool:
    return importlib.util.find_spec("radius.daemon") is not None


@main.command()
@click.option("--workers", type=int, help="Worker processes sharing the ports (default from settings).")
@pass_context
def radius(ctx: Context, workers: int | None) -> None:
    """Run the RADIUS server (authentication and accounting)."""
    if not _radius_available():
        raise click.ClickException("the RADIUS daemon (radius.daemon) is not part of this build")
    from radius.daemon import run as run_radius

    sys.exit(run_radius(ctx.settings, ctx.settings.radius_workers if workers is None else workers))


@main.command()
@pass_context
def run(ctx: Context) -> None:
    """Run the portal and the RADIUS server together; Ctrl-C or SIGTERM stops both."""
    commands = [[sys.executable, "-m", "hotspot.cli", "portal"]]
    if _radius_available():
        commands.append([sys.executable, "-m", "hotspot.cli", "radius"])
    signals = StopSignals()  # before the children start: a Ctrl-C meanwhile must not orphan them
    children = [subprocess.Popen(cmd) for cmd in commands]
    click.echo(
        f"Portal on port {ctx.settings.portal_port}"
        + (
            f", RADIUS on {ctx.settings.radius_auth_port}/{ctx.settings.radius_acct_port}/udp"
            if len(children) > 1
            else ""
        )
        + ". Ctrl-C stops."
    )
    while not signals.wait(0.2) and all(child.poll() is None for child in children):
        pass
    for child in children:
        if child.poll() is None:
            child.terminate()
    codes = [_wait_or_kill(child) for child in children]
    sys.exit(0 if signals.stopping else max(abs(code) for code in codes) or 1)


def _wait_or_kill(child: subprocess.Popen, grace: float = 30) -> int:
    """The child's exit status once it has stopped; killed when it has not within `grace` seconds."""
    try:
        return child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        click.echo(f"{child.args[-1]} did not stop within {grace:.0f} s; killed", err=True)
        child.kill()
        return child.wait()


if __name__ == "__main__":
    main()
