"""The data model shared by the portal, the RADIUS daemon and the CLI.

Typed SQLAlchemy 2 declarative models. Models never commit; services do.
Sessions are the big table, so its indexes follow the admins' questions: by
access point and time, by user, by MAC, by IP, and the open ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hotspot.clock import utcnow

NAS_VENDORS = ("mikrotik", "chilli", "generic")
ADMIN_ROLES = ("admin", "operator", "viewer")
SESSION_STATUSES = ("active", "closed", "stale")
TICKET_KINDS = ("free", "account", "voucher")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use hotspot.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime}


class Nas(Base):
    """A hotspot router (RADIUS client) at one access point."""

    __tablename__ = "nas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    ip_range: Mapped[str] = mapped_column(String(64), doc="IP address or CIDR block the packets come from")
    secret_encrypted: Mapped[str] = mapped_column(Text)
    vendor: Mapped[str] = mapped_column(String(16), default="generic")
    location_name: Mapped[str] = mapped_column(String(128), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    require_message_authenticator: Mapped[bool] = mapped_column(Boolean, default=True)
    uam_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    login_host: Mapped[str | None] = mapped_column(String(255))
    identifier: Mapped[str | None] = mapped_column(
        String(128), doc="NAS-Identifier / MikroTik identity / Chilli nasid the router reports"
    )
    coa_port: Mapped[int] = mapped_column(Integer, default=3799)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("ap_group.id", ondelete="SET NULL"),
        doc="the access point group whose rules this site follows",
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column()
    last_address: Mapped[str | None] = mapped_column(
        String(45), doc="source address of its latest packets: where Disconnect/CoA goes behind NAT"
    )


class AccessPoint(Base):
    """A radio behind a NAS, named by the Called-Station-Id its phones joined (`RADIO-MAC:SSID`).

    Created the first time RADIUS hears it (accounting or auth), named and placed by an admin later.
    `radio_mac` "" is the NAS as a whole: a router that names no radio is its own single access point.
    """

    __tablename__ = "access_point"
    __table_args__ = (UniqueConstraint("nas_id", "radio_mac", name="uq_access_point_nas_radio"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nas_id: Mapped[int] = mapped_column(ForeignKey("nas.id", ondelete="CASCADE"))
    radio_mac: Mapped[str] = mapped_column(
        String(64), default="", doc="normalised radio MAC, or the Called-Station-Id when not a MAC"
    )
    name: Mapped[str] = mapped_column(String(64), default="", doc="empty until an admin names it")
    location_name: Mapped[str] = mapped_column(String(128), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column()

    nas: Mapped[Nas] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """What lists and charts call it: its name, else its radio, else its NAS's name."""
        return self.name or self.radio_mac or self.nas.name


class ApGroup(Base):
    """Access points that share rules (the hospital, the beaches, city hall): free plan, hours, splash
    text."""

    __tablename__ = "ap_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    free_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.id"), doc="instead of the city's free plan"
    )
    opening_hours: Mapped[str] = mapped_column(String(255), default="", doc="local time; empty: always open")
    splash_text: Mapped[str] = mapped_column(Text, default="")
    splash_text_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    free_plan: Mapped[Plan | None] = relationship(lazy="joined")


class Plan(Base):
    """Fair-use limits: what a login gets and how much of it per day."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    session_minutes: Mapped[int | None] = mapped_column(Integer)
    daily_minutes: Mapped[int | None] = mapped_column(Integer)
    daily_mb: Mapped[int | None] = mapped_column(Integer)
    down_kbps: Mapped[int | None] = mapped_column(Integer)
    up_kbps: Mapped[int | None] = mapped_column(Integer)
    idle_timeout_seconds: Mapped[int] = mapped_column(Integer, default=600)
    interim_interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    valid_days: Mapped[int | None] = mapped_column(Integer, doc="how long a voucher lasts from first use")
    free_access: Mapped[bool] = mapped_column(Boolean, default=False, doc="the click-through plan")
    mac_relogin: Mapped[bool] = mapped_column(Boolean, default=False, doc="same-day MAC login without a tap")
    throttle_kbps: Mapped[int | None] = mapped_column(
        Integer, doc="kbit/s down and up once the day's quota is used"
    )
    max_sessions: Mapped[int | None] = mapped_column(Integer, doc="sessions at once per account or voucher")
    random_mac_limit: Mapped[int | None] = mapped_column(
        Integer, doc="free plan: random MACs a site lets in per day before it asks for a phone login"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    """A registered citizen; the quota is shared across all their devices."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True, doc="E.164, or its pseudonym after the purge")
    password_hash: Mapped[str] = mapped_column(String(255))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    terms_version: Mapped[str | None] = mapped_column(String(32), doc="version of the terms last accepted")
    terms_accepted_at: Mapped[datetime | None] = mapped_column()

    plan: Mapped[Plan | None] = relationship(lazy="joined")


class Device(Base):
    """A phone or laptop seen at a hotspot, by MAC."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    mac: Mapped[str] = mapped_column(String(32), unique=True, doc="AA:BB:..., or its pseudonym when purged")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), doc="plan of its last login")
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    terms_version: Mapped[str | None] = mapped_column(String(32), doc="version of the terms last accepted")
    terms_accepted_at: Mapped[datetime | None] = mapped_column()

    account: Mapped[Account | None] = relationship()


class Voucher(Base):
    """A printed code for events or longer plans; valid from first use for the plan's days."""

    __tablename__ = "voucher"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    batch: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_used_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[Plan] = relationship(lazy="joined")


class LoginTicket(Base):
    """One-time RADIUS credential the portal hands to the router for one login.

    This is how CHAP works without storing citizens' passwords reversibly: the
    portal checks the real credential, then gives the router a short-lived pair.
    """

    __tablename__ = "login_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    nas_id: Mapped[int | None] = mapped_column(ForeignKey("nas.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column()

    plan: Mapped[Plan] = relationship(lazy="joined")


class RadiusSession(Base):
    """One accounting session of one device at one access point."""

    __tablename__ = "radius_session"
    __table_args__ = (
        Index("ix_radius_session_nas_start", "nas_id", "start_time"),
        Index("ix_radius_session_start_id", "start_time", "id"),
        Index("ix_radius_session_username_start", "username", "start_time"),
        Index("ix_radius_session_mac_start", "calling_station_id", "start_time"),
        Index("ix_radius_session_ip_start", "framed_ip", "start_time"),
        Index("ix_radius_session_device_start", "device_id", "start_time"),
        Index("ix_radius_session_account_start", "account_id", "start_time"),
        Index("ix_radius_session_voucher_start", "voucher_id", "start_time"),
        Index("ix_radius_session_status_update", "status", "update_time"),
        Index("ix_radius_session_ap_start", "access_point_id", "start_time"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    unique_id: Mapped[str] = mapped_column(
        String(64), unique=True, doc="hash of NAS + Acct-Session-Id + User-Name + Calling-Station-Id"
    )
    nas_id: Mapped[int] = mapped_column(ForeignKey("nas.id"))
    acct_session_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    calling_station_id: Mapped[str | None] = mapped_column(String(32), doc="client MAC")
    called_station_id: Mapped[str | None] = mapped_column(String(128), doc="hotspot server / SSID")
    access_point_id: Mapped[int | None] = mapped_column(ForeignKey("access_point.id", ondelete="SET NULL"))
    nas_port_id: Mapped[str | None] = mapped_column(String(64))
    framed_ip: Mapped[str | None] = mapped_column(String(45))
    nas_ip_address: Mapped[str | None] = mapped_column(
        String(45), doc="where the router's packets came from (CoA target)"
    )
    start_time: Mapped[datetime] = mapped_column()
    update_time: Mapped[datetime] = mapped_column()
    stop_time: Mapped[datetime | None] = mapped_column()
    session_time: Mapped[int] = mapped_column(Integer, default=0)
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0, doc="bytes from the client (upload)")
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0, doc="bytes to the client (download)")
    interim_interval: Mapped[int | None] = mapped_column(Integer)
    terminate_cause: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default="active")

    nas: Mapped[Nas] = relationship()
    access_point: Mapped[AccessPoint | None] = relationship()


class UsageHour(Base):
    """Per access point per hour roll-up, kept up to date by accounting for the dashboards."""

    __tablename__ = "usage_hour"
    __table_args__ = (
        UniqueConstraint("nas_id", "hour", name="uq_usage_hour_nas_hour"),
        Index("ix_usage_hour_hour", "hour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nas_id: Mapped[int] = mapped_column(ForeignKey("nas.id"))
    hour: Mapped[datetime] = mapped_column()
    sessions: Mapped[int] = mapped_column(Integer, default=0, doc="sessions started in this hour")
    unique_users: Mapped[int] = mapped_column(Integer, default=0)
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    session_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    auth_accepts: Mapped[int] = mapped_column(Integer, default=0)
    auth_rejects: Mapped[int] = mapped_column(Integer, default=0)


class UsageHourAp(Base):
    """Per radio per hour roll-up (the same counters as UsageHour, which keeps the NAS totals)."""

    __tablename__ = "usage_hour_ap"
    __table_args__ = (Index("ix_usage_hour_ap_hour", "hour"),)

    access_point_id: Mapped[int] = mapped_column(
        ForeignKey("access_point.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0, doc="sessions started in this hour")
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    session_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    auth_accepts: Mapped[int] = mapped_column(Integer, default=0)
    auth_rejects: Mapped[int] = mapped_column(Integer, default=0)


class UsageHourUser(Base):
    """Which users were seen per access point and hour, so `unique_users` can be counted incrementally."""

    __tablename__ = "usage_hour_user"

    nas_id: Mapped[int] = mapped_column(ForeignKey("nas.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)


class UsageDay(Base):
    """Per access point per local day totals, folded from UsageHour once a day is over.

    Reports over weeks and months read these (a year is 365 rows per access
    point instead of 8,760); `day` is the calendar day in the city's timezone.
    """

    __tablename__ = "usage_day"

    nas_id: Mapped[int] = mapped_column(ForeignKey("nas.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    session_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    auth_accepts: Mapped[int] = mapped_column(Integer, default=0)
    auth_rejects: Mapped[int] = mapped_column(Integer, default=0)


class AuthEvent(Base):
    """Every RADIUS authentication decision, with the reason a citizen was turned away."""

    __tablename__ = "auth_event"
    __table_args__ = (
        Index("ix_auth_event_time", "time"),
        Index("ix_auth_event_nas_time", "nas_id", "time"),
        Index("ix_auth_event_station_time", "calling_station_id", "time"),
        Index("ix_auth_event_username_time", "username", "time"),
        Index("ix_auth_event_ap_time", "access_point_id", "time"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    time: Mapped[datetime] = mapped_column(default=utcnow)
    nas_id: Mapped[int | None] = mapped_column(ForeignKey("nas.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    calling_station_id: Mapped[str | None] = mapped_column(String(32))
    access_point_id: Mapped[int | None] = mapped_column(ForeignKey("access_point.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(
        String(16),
        doc="ticket, voucher, mac or unknown (RADIUS); portal-free, "
        "portal-account, portal-voucher, portal-sms (splash page)",
    )
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(64))


class AdminUser(Base):
    """A member of the city's network team who signs in to the console."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(
        BigInteger, doc="time step of the last accepted code: a code is good once"
    )
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    # The user interface Flask-Login expects, without importing Flask into the shared core.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(Base):
    """A bearer token for /api/v1, acting with its admin's role; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    admin: Mapped[AdminUser] = relationship(lazy="joined")


class AdminSession(Base):
    """A console sign-in: the cookie carries a random id whose hash is kept here, deleted at sign-out,
    so a copied cookie dies with the session (Flask's own session cookie would stay valid)."""

    __tablename__ = "admin_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    admin: Mapped[AdminUser] = relationship(lazy="joined")


class OneTimeCode(Base):
    """A code sent by SMS to prove a phone number, for registration or password reset."""

    __tablename__ = "one_time_code"
    __table_args__ = (Index("ix_one_time_code_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(16), doc="register or reset")
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column()


class AuditEvent(Base):
    """Who changed what, from the console, the API or the CLI."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_time", "time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(default=utcnow)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(45))


class AlertRule(Base):
    """An admin's change to one alert rule; a rule without a row uses its defaults from the settings."""

    __tablename__ = "alert_rule"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    minutes: Mapped[float | None] = mapped_column(Float, doc="silence that counts as down")
    share: Mapped[float | None] = mapped_column(Float, doc="share of refused attempts that counts as broken")
    min_count: Mapped[int | None] = mapped_column(Integer, doc="attempts or accepts needed before judging")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class Alert(Base):
    """A site problem found by a rule: open while the condition holds, closed by itself when it clears.

    `open_key` names the condition (rule, NAS, access point) while the alert is open and is NULL once
    closed, so the unique index allows one open alert per condition however many evaluators run.
    """

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_opened_at", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    nas_id: Mapped[int | None] = mapped_column(ForeignKey("nas.id", ondelete="SET NULL"), index=True)
    access_point: Mapped[str | None] = mapped_column(String(64), doc="radio MAC, for access point rules")
    subject: Mapped[str] = mapped_column(String(128), doc="the NAS (and access point) name when it opened")
    detail: Mapped[str] = mapped_column(String(255))
    figures: Mapped[dict] = mapped_column(JSON, default=dict, doc="the detail's numbers, for the console")
    open_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    opened_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    nas: Mapped[Nas | None] = relationship()


class Notification(Base):
    """One message about an alert on one channel: the queue that survives a restart, with retries."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_status_next_try", "status", "next_try_at"),
        Index("ix_notification_channel_attempt", "channel", "last_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(8), doc="opened or closed")
    channel: Mapped[str] = mapped_column(String(16), doc="email or webhook")
    status: Mapped[str] = mapped_column(String(8), default="pending", doc="pending, sent or failed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    alert: Mapped[Alert] = relationship(lazy="joined")


class SignInThrottle(Base):
    """Failed console sign-ins per client address and typed name: guessing from one address stops that
    address trying that name, and nobody elsewhere can lock a real admin out."""

    __tablename__ = "sign_in_throttle"

    address: Mapped[str] = mapped_column(String(45), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()


class PurgeJob(Base):
    """One run of the retention purge started from the console, with the progress the console shows."""

    __tablename__ = "purge_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    older_than_days: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, doc="last progress report")
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(8), default="running", doc="running, done or failed")
    progress: Mapped[str] = mapped_column(Text, default="{}", doc="JSON: rows done per table")
    error: Mapped[str | None] = mapped_column(String(255))


class HealthBeat(Base):
    """The row /healthz writes and rolls back, to prove the database takes writes."""

    __tablename__ = "health_beat"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column()
