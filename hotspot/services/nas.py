"""Access points (RADIUS clients): add, list, and recover their secrets for the daemon."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.crypto import SecretBox
from hotspot.models import NAS_VENDORS, Nas
from hotspot.services import audit
from hotspot.validation import ValidationError, parse_network


@dataclass(frozen=True)
class NasSpec:
    """What an admin gives to register an access point."""

    name: str
    ip_range: str
    secret: str
    vendor: str = "generic"
    location_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    require_message_authenticator: bool = False
    uam_secret: str | None = None
    login_host: str | None = None
    identifier: str | None = None


# What an edit may change, each before and after in the audit entry (secrets only as "changed").
AUDITED_FIELDS = (
    "name",
    "ip_range",
    "vendor",
    "location_name",
    "latitude",
    "longitude",
    "require_message_authenticator",
    "login_host",
    "identifier",
)


def validate(db: Session, spec: NasSpec, existing_id: int | None = None) -> None:
    """Raise ValidationError with a message an admin can act on."""
    if not spec.name.strip():
        raise ValidationError("the NAS needs a name")
    if len(spec.name) > 64:
        raise ValidationError("the NAS name is longer than 64 characters")
    parse_network(spec.ip_range)
    if spec.vendor not in NAS_VENDORS:
        raise ValidationError(f"vendor must be one of {', '.join(NAS_VENDORS)}, not {spec.vendor!r}")
    if len(spec.secret) < 8:
        raise ValidationError("the shared secret must be at least 8 characters")
    clash = db.scalar(select(Nas).where(Nas.name == spec.name.strip()))
    if clash is not None and clash.id != existing_id:
        raise ValidationError(f"a NAS named {spec.name!r} already exists")
    if spec.identifier:
        validate_identifier(db, spec.identifier, existing_id)


def validate_identifier(db: Session, identifier: str, existing_id: int | None) -> None:
    """One identifier names one router: RADIUS picks the NAS row by it when several share an address range."""
    if len(identifier) > 128:
        raise ValidationError("the identifier is longer than 128 characters")
    holder = db.scalar(select(Nas).where(Nas.identifier == identifier))
    if holder is not None and holder.id != existing_id:
        raise ValidationError(f"the NAS {holder.name!r} already has the identifier {identifier!r}")


def add_nas(db: Session, box: SecretBox, spec: NasSpec, actor: str = "cli") -> Nas:
    validate(db, spec)
    nas = Nas(
        name=spec.name.strip(),
        ip_range=str(parse_network(spec.ip_range)),
        secret_encrypted=box.encrypt(spec.secret),
        vendor=spec.vendor,
        location_name=spec.location_name,
        latitude=spec.latitude,
        longitude=spec.longitude,
        require_message_authenticator=spec.require_message_authenticator,
        uam_secret_encrypted=box.encrypt(spec.uam_secret) if spec.uam_secret else None,
        login_host=spec.login_host or None,
        identifier=spec.identifier or None,
    )
    db.add(nas)
    db.flush()
    audit.record(db, actor, "nas.add", nas.name, {"ip_range": nas.ip_range, "vendor": nas.vendor})
    db.commit()
    return nas


def list_nas(db: Session, include_inactive: bool = True) -> list[Nas]:
    query = select(Nas).order_by(Nas.name)
    if not include_inactive:
        query = query.where(Nas.active.is_(True))
    return list(db.scalars(query))


def find_nas(db: Session, name: str) -> Nas | None:
    return db.scalar(select(Nas).where(Nas.name == name))


def update_nas(
    db: Session, box: SecretBox, nas: Nas, spec: NasSpec, actor: str = "cli", ip: str | None = None
) -> Nas:
    """Change an access point's settings; the shared secret is kept (see rotate_secret), a blank uam secret
    too."""
    validate(
        db, NasSpec(**{**spec.__dict__, "secret": box.decrypt(nas.secret_encrypted)}), existing_id=nas.id
    )
    before = {field: getattr(nas, field) for field in AUDITED_FIELDS}
    nas.name = spec.name.strip()
    nas.ip_range = str(parse_network(spec.ip_range))
    nas.vendor = spec.vendor
    nas.location_name = spec.location_name
    nas.latitude = spec.latitude
    nas.longitude = spec.longitude
    nas.require_message_authenticator = spec.require_message_authenticator
    if spec.uam_secret:
        nas.uam_secret_encrypted = box.encrypt(spec.uam_secret)
    nas.login_host = spec.login_host or None
    nas.identifier = spec.identifier or None
    changes = {
        field: [old, getattr(nas, field)] for field, old in before.items() if getattr(nas, field) != old
    }
    audit.record(
        db,
        actor,
        "nas.edit",
        nas.name,
        {
            "ip_range": nas.ip_range,
            "vendor": nas.vendor,
            "uam_secret_changed": bool(spec.uam_secret),
            "changes": changes,
        },
        ip=ip,
    )
    db.commit()
    return nas


def rotate_secret(db: Session, box: SecretBox, nas: Nas, actor: str = "cli", ip: str | None = None) -> str:
    """Give the access point a new random shared secret; returned once, never logged."""
    secret = secrets.token_urlsafe(18)
    nas.secret_encrypted = box.encrypt(secret)
    audit.record(db, actor, "nas.rotate_secret", nas.name, ip=ip)
    db.commit()
    return secret


def set_nas_active(db: Session, nas: Nas, active: bool, actor: str = "cli", ip: str | None = None) -> None:
    """Deactivate (the RADIUS server stops answering it) or reactivate an access point; history stays."""
    nas.active = active
    audit.record(db, actor, "nas.activate" if active else "nas.deactivate", nas.name, ip=ip)
    db.commit()
