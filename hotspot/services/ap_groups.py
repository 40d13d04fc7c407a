"""Access point groups: add, change, list, put sites (NAS rows) in them, and read their rules.

An admin edits a group from the console or `hotspot group`; the portal and RADIUS read the rules
through `load_rules` (kept for a few seconds per process) and `hotspot.locations.group_of`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.locations import GroupRules
from hotspot.models import ApGroup, Nas
from hotspot.opening_hours import parse_hours
from hotspot.services import audit
from hotspot.services.plans import require_plan
from hotspot.validation import ValidationError

MAX_SPLASH_TEXT = 2000


@dataclass(frozen=True)
class GroupSpec:
    name: str
    free_plan: str | None = None  # a plan's name; None: the city's free plan
    opening_hours: str = ""
    splash_text: str = ""
    splash_text_en: str = ""


def _apply(db: Session, group: ApGroup, spec: GroupSpec) -> None:
    """Check a spec as an admin typed it (the message says what to change) and copy it onto the group."""
    name = spec.name.strip()
    if not name or len(name) > 64:
        raise ValidationError("a group needs a name of at most 64 characters")
    clash = find_group(db, name)
    if clash is not None and clash.id != group.id:
        raise ValidationError(f"a group named {name!r} already exists")
    hours = parse_hours(spec.opening_hours)
    for text in (spec.splash_text, spec.splash_text_en):
        if len(text) > MAX_SPLASH_TEXT:
            raise ValidationError(f"the splash text may have at most {MAX_SPLASH_TEXT} characters")
    group.name, group.opening_hours = name, hours.text
    group.free_plan_id = require_plan(db, spec.free_plan).id if spec.free_plan else None
    group.splash_text, group.splash_text_en = spec.splash_text.strip(), spec.splash_text_en.strip()


def add_group(db: Session, spec: GroupSpec, actor: str = "cli", ip: str | None = None) -> ApGroup:
    group = ApGroup()
    _apply(db, group, spec)
    db.add(group)
    db.flush()
    audit.record(db, actor, "group.add", group.name, spec.__dict__, ip=ip)
    db.commit()
    return group


def update_group(
    db: Session, group: ApGroup, spec: GroupSpec, actor: str = "cli", ip: str | None = None
) -> ApGroup:
    """Change a group's rules; the portal and RADIUS follow within their reload interval."""
    _apply(db, group, spec)
    audit.record(db, actor, "group.edit", group.name, spec.__dict__, ip=ip)
    db.commit()
    return group


def set_members(
    db: Session, group: ApGroup, add: list[str], remove: list[str], actor: str = "cli", ip: str | None = None
) -> None:
    """Put NAS rows (by name) in the group or take them out; an unknown name changes nothing."""
    named = {nas.name: nas for nas in db.scalars(select(Nas).where(Nas.name.in_([*add, *remove])))}
    missing = sorted((set(add) | set(remove)) - named.keys())
    if missing:
        raise ValidationError(f"no NAS named {', '.join(map(repr, missing))}")
    for name in add:
        named[name].group_id = group.id
    for name in remove:
        if named[name].group_id == group.id:
            named[name].group_id = None
    audit.record(db, actor, "group.members", group.name, {"add": add, "remove": remove}, ip=ip)
    db.commit()


def set_member_ids(
    db: Session, group: ApGroup, nas_ids: list[int], actor: str, ip: str | None = None
) -> None:
    """The console's checkboxes: exactly these NAS rows are the group's sites."""
    names = dict(db.execute(select(Nas.id, Nas.name)).all())
    current = {nas.name for nas in members(db, group)}
    wanted = {names[i] for i in nas_ids if i in names}
    set_members(db, group, sorted(wanted - current), sorted(current - wanted), actor, ip)


def find_group(db: Session, name: str, required: bool = False) -> ApGroup | None:
    """The group of that name; `required`: none is an error the admin reads."""
    group = db.scalar(select(ApGroup).where(ApGroup.name == name))
    if group is None and required:
        raise ValidationError(f"no group named {name!r}")
    return group


def list_groups(db: Session) -> list[ApGroup]:
    return list(db.scalars(select(ApGroup).order_by(ApGroup.name)))


def members(db: Session, group: ApGroup) -> list[Nas]:
    return list(db.scalars(select(Nas).where(Nas.group_id == group.id).order_by(Nas.name)))


def load_rules(db) -> dict[int, GroupRules]:
    """Every group's rules by id (a handful of rows); works on a Session or a Connection."""
    return {row.id: GroupRules.of(row) for row in db.execute(select(ApGroup.__table__))}


def nas_groups(db, nas_ids) -> dict[int, int]:
    """The group of each of these NAS rows that has one."""
    ids = sorted(set(nas_ids))
    if not ids:
        return {}
    return dict(
        db.execute(select(Nas.id, Nas.group_id).where(Nas.id.in_(ids), Nas.group_id.is_not(None))).all()
    )
