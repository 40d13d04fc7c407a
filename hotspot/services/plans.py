"""Fair-use plans: add, list, look up, and find the free click-through plan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.models import Plan
from hotspot.services import audit
from hotspot.validation import ValidationError


@dataclass(frozen=True)
class PlanSpec:
    name: str
    session_minutes: int | None = None
    daily_minutes: int | None = None
    daily_mb: int | None = None
    down_kbps: int | None = None
    up_kbps: int | None = None
    valid_days: int | None = None
    idle_timeout_seconds: int = 600
    interim_interval_seconds: int = 300
    free_access: bool = False
    mac_relogin: bool = False
    throttle_kbps: int | None = None
    max_sessions: int | None = None
    random_mac_limit: int | None = None


def validate(db: Session, spec: PlanSpec, existing_id: int | None = None) -> None:
    """Raise ValidationError with a message an admin can act on."""
    if not spec.name.strip():
        raise ValidationError("the plan needs a name")
    clash = find_plan(db, spec.name.strip())
    if clash is not None and clash.id != existing_id:
        raise ValidationError(f"a plan named {spec.name!r} already exists")
    for field in (
        "session_minutes",
        "daily_minutes",
        "daily_mb",
        "down_kbps",
        "up_kbps",
        "valid_days",
        "throttle_kbps",
        "max_sessions",
        "random_mac_limit",
    ):
        value = getattr(spec, field)
        if value is not None and value <= 0:
            raise ValidationError(f"{field.replace('_', '-')} must be a positive number")
    if spec.interim_interval_seconds < 60:
        raise ValidationError("the interim interval must be at least 60 seconds")


def add_plan(db: Session, spec: PlanSpec, actor: str = "cli") -> Plan:
    validate(db, spec)
    plan = Plan(**{**spec.__dict__, "name": spec.name.strip()})
    db.add(plan)
    db.flush()
    audit.record(db, actor, "plan.add", plan.name, spec.__dict__)
    db.commit()
    return plan


def find_plan(db: Session, name: str) -> Plan | None:
    return db.scalar(select(Plan).where(Plan.name == name))


def require_plan(db: Session, name: str) -> Plan:
    plan = find_plan(db, name)
    if plan is None:
        raise ValidationError(f"no plan named {name!r}")
    return plan


def list_plans(db: Session) -> list[Plan]:
    return list(db.scalars(select(Plan).order_by(Plan.name)))


def free_access_plan(db: Session) -> Plan | None:
    """The plan that click-through (accept the terms) logins get."""
    return db.scalar(
        select(Plan).where(Plan.free_access.is_(True), Plan.active.is_(True)).order_by(Plan.id).limit(1)
    )


def update_plan(db: Session, plan: Plan, spec: PlanSpec, actor: str = "cli", ip: str | None = None) -> Plan:
    """Change a plan's limits; new logins get them, open sessions by CoA (`disconnects.apply_plan`)."""
    validate(db, spec, existing_id=plan.id)
    for field, value in {**spec.__dict__, "name": spec.name.strip()}.items():
        setattr(plan, field, value)
    audit.record(db, actor, "plan.edit", plan.name, spec.__dict__, ip=ip)
    db.commit()
    return plan


def set_plan_active(db: Session, plan: Plan, active: bool, actor: str = "cli", ip: str | None = None) -> None:
    """Retire a plan (no new logins or vouchers on it) or bring it back; sessions keep their history."""
    plan.active = active
    audit.record(db, actor, "plan.activate" if active else "plan.deactivate", plan.name, ip=ip)
    db.commit()
